//! The export of everything Passage holds about a member (GDPR art. 15 and 20):
//! what the gateway keeps — their account, sessions, invitations and tokens (their
//! secrets' hashes left out), their moves, their place in the directory, the
//! changes of their shared profile in the change log, the audit entries about
//! them — and what every region's node keeps, asked of each node as the member
//! (`MemberService.ExportMemberRecords`). A region that does not answer is named,
//! never left out in silence.
//!
//! [`EXPORTED`] says how the gateway finds a member's rows in each table of its
//! erasure list ([`crate::sync::erasure::COVERED`]); a test fails on a table of
//! that list the export does not read.

use std::time::Duration;

use passage_proto::v1::{self, member_service_client::MemberServiceClient};
use passage_server::access::Caller;
use sea_orm::sea_query::{Alias, Asterisk, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, FromQueryResult, JsonValue};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::route::{RegionRoute, RegionRouter};
use crate::store::entity::account;

/// How long one region's node may take to answer.
const REGION_DEADLINE: Duration = Duration::from_secs(10);

/// How a member's rows of one of the gateway's tables are found.
#[derive(Debug, Clone, Copy)]
pub enum Finding {
    /// Rows whose column holds the member's id (a UUID column).
    Id(&'static str),
    /// Rows whose column holds the member's id as text.
    Text(&'static str),
    /// Audit entries: the member's id as text, as caller or as subject.
    AuditEntries,
}

/// Every table of the gateway's erasure list, and how the export finds a member's
/// rows in it.
pub const EXPORTED: &[(&str, Finding)] = &[
    ("account", Finding::Id("member_id")),
    ("account_session", Finding::Id("member_id")),
    ("account_invitation", Finding::Id("member_id")),
    ("access_token", Finding::Text("member_id")),
    ("move_confirmation", Finding::Id("member_id")),
    ("member_transfer", Finding::Id("member_id")),
    ("directory", Finding::Id("member_id")),
    ("change_log", Finding::Id("member_id")),
    ("erasure_receipt", Finding::Id("member_id")),
    ("audit_entry", Finding::AuditEntries),
];

/// The whole export, and the regions that did not answer.
pub async fn everything(
    router: &RegionRouter,
    db: &impl ConnectionTrait,
    caller: &Caller,
    member: Uuid,
    account: &account::Model,
) -> Result<(Value, Vec<String>)> {
    let gateway = gateway_records(db, member).await?;
    let mut asked = tokio::task::JoinSet::new();
    for route in router.regions() {
        let (route, caller) = (route.clone(), caller.clone());
        asked.spawn(async move {
            let answer = region_records(&route, &caller, member).await;
            (route.slug, answer)
        });
    }
    let mut answers = std::collections::BTreeMap::new();
    while let Some(done) = asked.join_next().await {
        let (slug, answer) =
            done.map_err(|e| Error::Internal(format!("asking a region for the export: {e}")))?;
        answers.insert(slug, answer);
    }
    let mut regions = Map::new();
    let mut unavailable = Vec::new();
    let mut unavailable_reasons = Map::new();
    for (slug, answer) in answers {
        match answer {
            Ok(records) => {
                regions.insert(slug, records);
            }
            Err(reason) => {
                unavailable.push(slug.clone());
                unavailable_reasons.insert(slug, Value::String(reason));
            }
        }
    }
    let document = json!({
        "exported_at": chrono::Utc::now().to_rfc3339(),
        "member_id": member.to_string(),
        "home_region": caller.region,
        "account": {
            "login": account.login,
            "kind": account.kind,
            "language": account.language,
        },
        "gateway": gateway,
        "regions": regions,
        "unavailable_regions": unavailable_reasons,
    });
    Ok((document, unavailable))
}

/// What one region's node holds about the member, asked as the member.
async fn region_records(
    route: &RegionRoute,
    caller: &Caller,
    member: Uuid,
) -> std::result::Result<Value, String> {
    let path = "/passage.v1.MemberService/ExportMemberRecords";
    let mut request = tonic::Request::new(v1::ExportMemberRecordsRequest {
        member_id: member.to_string(),
    });
    request.set_timeout(REGION_DEADLINE);
    route.seal_call_as(caller, &mut request, path);
    let mut client = MemberServiceClient::new(route.channel())
        .max_decoding_message_size(passage_proto::bounds::SYNC_MESSAGE_BYTES);
    let answer = tokio::time::timeout(REGION_DEADLINE, client.export_member_records(request))
        .await
        .map_err(|_| format!("no answer within {} s", REGION_DEADLINE.as_secs()))?
        .map_err(|status| format!("{:?}: {}", status.code(), status.message()))?
        .into_inner();
    serde_json::from_str(&answer.records_json)
        .map_err(|e| format!("the region's records were not JSON: {e}"))
}

/// The gateway's own rows about the member, table by table.
async fn gateway_records(db: &impl ConnectionTrait, member: Uuid) -> Result<Value> {
    let mut records = Map::new();
    for (table, finding) in EXPORTED {
        let mut select = Query::select();
        select.column(Asterisk).from(Alias::new(*table));
        match finding {
            Finding::Id(column) => {
                select.and_where(Expr::col(Alias::new(*column)).eq(member));
            }
            Finding::Text(column) => {
                select.and_where(Expr::col(Alias::new(*column)).eq(member.to_string()));
            }
            Finding::AuditEntries => {
                select.cond_where(
                    Expr::col(Alias::new("caller_member_id"))
                        .eq(member.to_string())
                        .or(Expr::col(Alias::new("subject")).eq(member.to_string())),
                );
            }
        }
        let statement = db.get_database_backend().build(&select);
        let mut rows = JsonValue::find_by_statement(statement)
            .all(db)
            .await
            .map_err(|e| Error::Internal(format!("reading {table} for the export: {e}")))?;
        for row in &mut rows {
            tidy(row);
        }
        records.insert((*table).to_owned(), Value::Array(rows));
    }
    Ok(Value::Object(records))
}

/// Leaves out secrets' hashes (of no use to the person, of use to a thief) and
/// reads an encoded profile state as its fields.
fn tidy(row: &mut Value) {
    if let Some(object) = row.as_object_mut() {
        object.retain(|column, _| !column.ends_with("_hash"));
    }
    passage_server::personal_data::read_state_column(row);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_of_the_erasure_list_is_exported() {
        for (table, _, coverage) in crate::sync::erasure::COVERED {
            if *coverage == crate::sync::erasure::Coverage::NotAPerson {
                continue;
            }
            assert!(
                EXPORTED.iter().any(|(exported, _)| exported == table),
                "{table} is on the gateway's erasure list but not in the export"
            );
        }
    }
}
