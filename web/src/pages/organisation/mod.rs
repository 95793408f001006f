//! An organisation's pages, for its contact signed in: our opportunities (drafts
//! written, edited and submitted for review), the applicants to each and their
//! stages, the members who match a published one, and our fair presentations.
//! The organisation is the one the account is bound to; the gateway and the node
//! hold the contact to it, and show them no member's residence status or what the
//! rules conclude about a member.

pub mod applicants;
pub mod draft;
pub mod fairs;
pub mod members;
pub mod opportunities;

use axum::http::StatusCode;
use axum::response::Response;
use passage_proto::v1;

use super::{problem, signed_in};
use crate::App;
use crate::i18n::Text;
use crate::visit::Visit;

/// The signed-in organisation's contact: their account (its region and
/// organisation) and the texts in their language; any other account gets the
/// "not for you" page, someone signed out the sign-in page.
pub async fn contact(
    app: &App,
    visit: &Visit,
    here: &str,
) -> Result<(v1::Account, Text), Response> {
    let (account, text) = signed_in(app, visit, here).await?;
    if account.kind != v1::AccountKind::Organisation as i32 || account.organisation_id.is_empty() {
        return Err(problem(
            visit,
            text,
            here,
            StatusCode::FORBIDDEN,
            "problem-forbidden",
            "problem-forbidden-explained",
        ));
    }
    Ok((account, text))
}

/// The page's word for an opportunity's status.
pub fn status_name(text: Text, status: i32) -> String {
    let status =
        v1::OpportunityStatus::try_from(status).unwrap_or(v1::OpportunityStatus::Unspecified);
    let key = status
        .as_str_name()
        .trim_start_matches("OPPORTUNITY_STATUS_")
        .to_ascii_lowercase()
        .replace('_', "-");
    text.t(&format!("opportunity-status-{key}"))
}
