//! What a region holds about a member, for the member to read and take away (GDPR
//! art. 15 and 20; `MemberService.ExportMemberRecords`): every kind of record the
//! erasure list ([`crate::store::erasure::COVERED`]) names, read row by row as the
//! database keeps it, and the audit entries about the member or made by them.
//!
//! [`EXPORTED`] says, for every table of the erasure list, how a member's rows are
//! found; a test fails on a table of the erasure list that is not exported, so a
//! kind of record added later reaches the export or the test says so. Shared
//! profiles (in the outbox and the replicas of other regions) are kept as encoded
//! protobuf; they are read out as the profile's fields.

use sea_orm::sea_query::{Alias, Asterisk, Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{ConnectionTrait, FromQueryResult, JsonValue};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::error::Result;

/// How a member's rows of one table are found.
#[derive(Debug, Clone, Copy)]
pub enum Finding {
    /// Rows whose column holds the member's id.
    Column(&'static str),
    /// Rows whose either column holds the member's id.
    EitherColumn(&'static str, &'static str),
    /// Rows of the member's cases (`case_file`), by the column naming the case,
    /// and of the household cases that list them.
    OfTheirCases(&'static str),
    /// Cases of the member, and household cases listing them among others.
    Cases,
    /// Audit entries: the member's id as text, as caller or as subject.
    AuditEntries,
}

/// Every table of the erasure list, and how the export finds a member's rows in it.
pub const EXPORTED: &[(&str, Finding)] = &[
    ("member", Finding::Column("id")),
    ("member_term", Finding::Column("member_id")),
    ("remote_profile", Finding::Column("member_id")),
    ("outbox", Finding::Column("member_id")),
    ("arrival", Finding::Column("member_id")),
    ("departure", Finding::Column("member_id")),
    ("application", Finding::Column("member_id")),
    ("placement", Finding::Column("member_id")),
    ("opportunity_review", Finding::Column("reviewer_member_id")),
    (
        "buddy_pair",
        Finding::EitherColumn("newcomer_member_id", "local_member_id"),
    ),
    ("group_membership", Finding::Column("member_id")),
    ("meeting_attendance", Finding::Column("member_id")),
    ("event_registration", Finding::Column("member_id")),
    ("coaching_enrolment", Finding::Column("member_id")),
    ("coaching_attendance", Finding::Column("member_id")),
    ("coaching_session", Finding::Column("coach_member_id")),
    ("cohort_coach", Finding::Column("coach_member_id")),
    (
        "aftercare_contact",
        Finding::EitherColumn("participant_member_id", "coach_member_id"),
    ),
    ("expert", Finding::Column("member_id")),
    ("helpdesk_answerer", Finding::Column("member_id")),
    (
        "helpdesk_question",
        Finding::EitherColumn("asker_member_id", "answerer_member_id"),
    ),
    ("case_file", Finding::Cases),
    ("case_note", Finding::OfTheirCases("case_id")),
    ("case_next_step", Finding::OfTheirCases("case_id")),
    ("contact_details", Finding::Column("member_id")),
    ("notification_preference", Finding::Column("member_id")),
    ("notification", Finding::Column("member_id")),
    ("mail_queue", Finding::Column("member_id")),
    ("digest_item", Finding::Column("member_id")),
    ("notification_key", Finding::Column("member_id")),
    ("audit_entry", Finding::AuditEntries),
];

/// Tables whose `state` column is an encoded [`ProfileState`].
const PROFILE_STATES: [&str; 2] = ["remote_profile", "outbox"];

/// Every record this region holds about member `id`: a JSON object with, for each
/// table of [`EXPORTED`], the list of its rows about the member; and how many rows.
pub async fn member_records(db: &impl ConnectionTrait, id: Uuid) -> Result<(Value, u32)> {
    let cases = case_ids(db, id).await?;
    let mut records = Map::new();
    let mut count = 0u32;
    for (table, finding) in EXPORTED {
        let Some(select) = select(table, *finding, id, &cases) else {
            records.insert((*table).to_owned(), Value::Array(Vec::new()));
            continue;
        };
        let statement = db.get_database_backend().build(&select);
        let mut rows = JsonValue::find_by_statement(statement).all(db).await?;
        if PROFILE_STATES.contains(table) {
            for row in &mut rows {
                passage_server::personal_data::read_state_column(row);
            }
        }
        count += rows.len() as u32;
        records.insert((*table).to_owned(), Value::Array(rows));
    }
    Ok((Value::Object(records), count))
}

/// The select of a member's rows of `table`; `None` when there can be none (no
/// cases).
fn select(table: &str, finding: Finding, id: Uuid, cases: &[Uuid]) -> Option<SelectStatement> {
    let mut select = Query::select();
    select.column(Asterisk).from(Alias::new(table));
    match finding {
        Finding::Column(column) => {
            select.and_where(Expr::col(Alias::new(column)).eq(id));
        }
        Finding::EitherColumn(first, second) => {
            select.cond_where(
                Expr::col(Alias::new(first))
                    .eq(id)
                    .or(Expr::col(Alias::new(second)).eq(id)),
            );
        }
        Finding::Cases => {
            if cases.is_empty() {
                return None;
            }
            select.and_where(Expr::col(Alias::new("id")).is_in(cases.iter().copied()));
        }
        Finding::OfTheirCases(column) => {
            if cases.is_empty() {
                return None;
            }
            select.and_where(Expr::col(Alias::new(column)).is_in(cases.iter().copied()));
        }
        Finding::AuditEntries => {
            let text = id.to_string();
            select.cond_where(
                Expr::col(Alias::new("caller_member_id"))
                    .eq(text.clone())
                    .or(Expr::col(Alias::new("subject")).eq(text)),
            );
        }
    }
    Some(select)
}

/// The member's own cases and the household cases that list them.
async fn case_ids(db: &impl ConnectionTrait, id: Uuid) -> Result<Vec<Uuid>> {
    use crate::store::entity::case_file;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
    let mut ids: Vec<Uuid> = case_file::Entity::find()
        .select_only()
        .column(case_file::Column::Id)
        .filter(case_file::Column::MemberId.eq(id))
        .into_tuple()
        .all(db)
        .await?;
    for (case, _) in crate::store::casework::households_listing(db, id).await? {
        if !ids.contains(&case) {
            ids.push(case);
        }
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_of_the_erasure_list_is_exported() {
        for (table, _, coverage) in crate::store::erasure::COVERED {
            if *coverage == crate::store::erasure::Coverage::NotAPerson {
                continue;
            }
            assert!(
                EXPORTED.iter().any(|(exported, _)| exported == table),
                "{table} is on the erasure list but not in the export"
            );
        }
    }
}
