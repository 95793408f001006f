//! The chapter admin's console: the region's work queues, its members (search,
//! add, their region-local record, invitations, locks, and who read them), the
//! moves waiting to be accepted, the region's opportunities, groups and cases,
//! the rules in force (read them, reload them with
//! their cases run), and the region's sync status. Every
//! call goes to the chapter admin's own region with her session; the gateway and
//! the node decide what she may do. The console only chooses what to show: it
//! is the chapter admins' part of the app, so anyone else is told so.

pub mod accounts;
pub mod cases;
pub mod cohorts;
pub mod events;
pub mod groups;
pub mod helpdesk;
pub mod members;
pub mod moves;
pub mod opportunities;
pub mod organisations;
pub mod queues;
pub mod rules;
pub mod spreadsheets;
pub mod sync;

use axum::http::StatusCode;
use axum::response::Response;
use passage_proto::v1;

use super::{problem, signed_in};
use crate::App;
use crate::i18n::Text;
use crate::visit::Visit;

/// The signed-in chapter admin (her account, with her region) and her texts; or
/// the answer to give instead: the sign-in page, or — for anyone else — a page
/// saying the console is the chapter admins'.
pub async fn chapter_admin(
    app: &App,
    visit: &Visit,
    here: &str,
) -> Result<(v1::Account, Text), Response> {
    let (account, text) = signed_in(app, visit, here).await?;
    if account.kind != v1::AccountKind::ChapterAdmin as i32 {
        return Err(problem(
            visit,
            text,
            here,
            StatusCode::FORBIDDEN,
            "console-not-yours",
            "console-not-yours-explained",
        ));
    }
    Ok((account, text))
}

/// The link an invited person opens to choose a passphrase, on the address the
/// chapter admin reached the app at: shown once, never kept by the app.
pub fn invitation_link(visit: &Visit, headers: &axum::http::HeaderMap, code: &str) -> String {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|host| host.to_str().ok())
        .unwrap_or("localhost");
    format!("{}://{host}/invitation/{code}", visit.scheme())
}

/// "12", or "500 or more" when a list has further pages.
pub fn count(text: Text, shown: usize, more: bool) -> String {
    if more {
        text.t1("console-count-more", "count", &shown.to_string())
    } else {
        shown.to_string()
    }
}

/// An enum value's page word: `prefix-<value>` from its proto name without the
/// enum's own prefix (`MEMBER_ROLE_NEWCOMER` → `member-role-newcomer`).
pub fn enum_word(text: Text, proto_name: &str, strip: &str, prefix: &str) -> String {
    let value = proto_name
        .trim_start_matches(strip)
        .to_ascii_lowercase()
        .replace('_', "-");
    text.t(&format!("{prefix}-{value}"))
}
