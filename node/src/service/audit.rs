//! `passage.v1.AuditService`: the region's audit log, for its chapter admin
//! (the access layer admits no one else, and records this read too).

use passage_proto::v1::{self, audit_service_server::AuditService};
use tonic::{Request, Response, Status};

use crate::audit::{self, AuditQuery};
use crate::context::NodeContext;
use crate::convert;
use crate::error::{Error, Refusal};
use crate::store::PageRequest;

/// Longest subject or token id a filter may name.
const MAX_FILTER: usize = 200;

/// Serves `passage.v1.AuditService`.
pub struct AuditApi {
    context: NodeContext,
}

impl AuditApi {
    pub fn new(context: NodeContext) -> Self {
        AuditApi { context }
    }
}

fn filter(field: &'static str, value: &str) -> Result<Option<String>, Error> {
    let value = value.trim();
    if value.len() > MAX_FILTER {
        return Err(Error::refused(
            field,
            format!("at most {MAX_FILTER} characters"),
            Refusal::of(v1::RefusalKind::TooLong, value, [MAX_FILTER.to_string()]),
        ));
    }
    Ok((!value.is_empty()).then(|| value.to_owned()))
}

#[tonic::async_trait]
impl AuditService for AuditApi {
    async fn list_audit_entries(
        &self,
        request: Request<v1::ListAuditEntriesRequest>,
    ) -> Result<Response<v1::ListAuditEntriesResponse>, Status> {
        let request = request.into_inner();
        let page = PageRequest::parse(request.page_size, &request.page_token)?;
        let query = AuditQuery {
            subject: filter("subject", &request.subject)?,
            token_id: filter("token_id", &request.token_id)?,
        };
        let page = audit::list(&self.context.db, page, query).await?;
        Ok(Response::new(v1::ListAuditEntriesResponse {
            next_page_token: page.next_page_token(),
            entries: page
                .items
                .iter()
                .map(|entry| v1::AuditEntry {
                    name: format!("auditEntries/{}", entry.id),
                    time: Some(convert::timestamp(entry.at)),
                    caller_role: entry.caller_role.clone(),
                    caller_region: entry.caller_region.clone(),
                    caller_member_id: entry.caller_member_id.clone(),
                    token_id: entry.token_id.clone(),
                    method: entry.method.clone(),
                    subject: entry.subject.clone(),
                    outcome: entry.outcome.clone(),
                })
                .collect(),
        }))
    }
}
