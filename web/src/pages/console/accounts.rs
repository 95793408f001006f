//! The console's accounts and audit log. Accounts: everyone who signs in for the
//! region — its members, its organisations' contacts, its chapter admins — with
//! whether they can sign in, are invited or are locked; a lock is lifted here, and
//! an account revoked (its sessions end, its passphrase is forgotten; a new
//! invitation lets the person in again). The audit log: every call about the
//! region's records, newest first, who made it and how it ended.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use passage_proto::v1;
use serde::Deserialize;

use super::organisations::account_state;
use super::{chapter_admin, enum_word};
use crate::App;
use crate::gateway::call;
use crate::i18n::Text;
use crate::pages::when::moment;
use crate::pages::{Frame, encode_component, refusal, render};
use crate::visit::Visit;

const ACCOUNTS: &str = "/console/accounts";
const AUDIT: &str = "/console/audit";

/// One account as the page shows it.
pub struct AccountRow {
    pub login: String,
    pub kind: String,
    /// Where its member or organisation is kept in the console; empty for none.
    pub href: String,
    pub state: String,
    pub locked: bool,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "console_accounts.html")]
struct AccountsPage {
    frame: Frame,
    accounts: Vec<AccountRow>,
    notice: String,
    next: String,
}

#[derive(Deserialize, Default)]
pub struct AccountsQuery {
    #[serde(default)]
    after: String,
    #[serde(default)]
    revoked: String,
    #[serde(default)]
    unlocked: String,
}

fn kind_name(text: Text, kind: i32) -> String {
    let kind = v1::AccountKind::try_from(kind).unwrap_or(v1::AccountKind::Unspecified);
    enum_word(text, kind.as_str_name(), "ACCOUNT_KIND_", "account-kind")
}

/// `GET /console/accounts`.
pub async fn list(
    State(app): State<App>,
    visit: Visit,
    Query(query): Query<AccountsQuery>,
) -> Response {
    let (_, text) = match chapter_admin(&app, &visit, ACCOUNTS).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let listed = app
        .gateway
        .accounts()
        .list_accounts(call(
            &visit,
            None,
            v1::ListAccountsRequest {
                page_size: 100,
                page_token: query.after.clone(),
                ..Default::default()
            },
        ))
        .await;
    let listed = match listed {
        Ok(listed) => listed.into_inner(),
        Err(status) => return refusal(&visit, text, ACCOUNTS, &status),
    };
    let notice = if !query.revoked.is_empty() {
        text.t1("console-account-revoked", "login", &query.revoked)
    } else if !query.unlocked.is_empty() {
        text.t1("console-account-unlocked", "login", &query.unlocked)
    } else {
        String::new()
    };
    let page = AccountsPage {
        frame: Frame::chapter(&visit, text, ACCOUNTS),
        accounts: listed
            .accounts
            .iter()
            .map(|account| AccountRow {
                login: account.login.clone(),
                kind: kind_name(text, account.kind),
                href: if !account.member_id.is_empty() {
                    format!("/console/members/{}", account.member_id)
                } else if !account.organisation_id.is_empty() {
                    format!("/console/organisations/{}", account.organisation_id)
                } else {
                    String::new()
                },
                state: account_state(text, account),
                locked: account.locked_until.is_some(),
                active: account.active,
            })
            .collect(),
        notice,
        next: if listed.next_page_token.is_empty() {
            String::new()
        } else {
            format!(
                "{ACCOUNTS}?after={}",
                encode_component(&listed.next_page_token)
            )
        },
    };
    render(&visit, StatusCode::OK, &page)
}

#[derive(Debug, Deserialize, Default)]
pub struct LoginForm {
    #[serde(default)]
    form_token: String,
    #[serde(default)]
    login: String,
}

/// `POST /console/accounts/revoke`.
pub async fn revoke(State(app): State<App>, visit: Visit, Form(form): Form<LoginForm>) -> Response {
    let (_, text) = match chapter_admin(&app, &visit, ACCOUNTS).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    if !visit.form_is_ours(&form.form_token) {
        return visit.redirect(ACCOUNTS);
    }
    let revoked = app
        .gateway
        .accounts()
        .revoke_account(call(
            &visit,
            None,
            v1::RevokeAccountRequest {
                login: form.login.clone(),
            },
        ))
        .await;
    match revoked {
        Ok(account) => visit.redirect(&format!(
            "{ACCOUNTS}?revoked={}",
            encode_component(&account.into_inner().login)
        )),
        Err(status) => refusal(&visit, text, ACCOUNTS, &status),
    }
}

/// `POST /console/accounts/unlock`.
pub async fn unlock(State(app): State<App>, visit: Visit, Form(form): Form<LoginForm>) -> Response {
    let (_, text) = match chapter_admin(&app, &visit, ACCOUNTS).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    if !visit.form_is_ours(&form.form_token) {
        return visit.redirect(ACCOUNTS);
    }
    let unlocked = app
        .gateway
        .accounts()
        .unlock_account(call(
            &visit,
            None,
            v1::UnlockAccountRequest {
                login: form.login.clone(),
            },
        ))
        .await;
    match unlocked {
        Ok(account) => visit.redirect(&format!(
            "{ACCOUNTS}?unlocked={}",
            encode_component(&account.into_inner().login)
        )),
        Err(status) => refusal(&visit, text, ACCOUNTS, &status),
    }
}

/// One audit entry as the page shows it.
pub struct EntryRow {
    pub when: String,
    pub who: String,
    pub what: String,
    pub subject: String,
    /// The member's page when the subject is one of the region's members.
    pub href: String,
    pub outcome: String,
}

#[derive(Template)]
#[template(path = "console_audit.html")]
struct AuditPage {
    frame: Frame,
    entries: Vec<EntryRow>,
    next: String,
}

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    #[serde(default)]
    after: String,
}

/// `GET /console/audit`: the region's audit log, newest first, a hundred at a time.
pub async fn audit(
    State(app): State<App>,
    visit: Visit,
    Query(query): Query<AuditQuery>,
) -> Response {
    let (account, text) = match chapter_admin(&app, &visit, AUDIT).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let listed = app
        .gateway
        .audit()
        .list_audit_entries(call(
            &visit,
            Some(&account.region),
            v1::ListAuditEntriesRequest {
                page_size: 100,
                page_token: query.after.clone(),
                ..Default::default()
            },
        ))
        .await;
    let listed = match listed {
        Ok(listed) => listed.into_inner(),
        Err(status) => return refusal(&visit, text, AUDIT, &status),
    };
    let page = AuditPage {
        frame: Frame::chapter(&visit, text, AUDIT),
        entries: listed
            .entries
            .into_iter()
            .map(|entry| EntryRow {
                when: entry
                    .time
                    .as_ref()
                    .map(|t| moment(text, t.seconds))
                    .unwrap_or_default(),
                who: if entry.caller_region.is_empty() {
                    entry.caller_role
                } else {
                    format!("{} ({})", entry.caller_role, entry.caller_region)
                },
                what: entry
                    .method
                    .rsplit('/')
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
                href: if uuid_like(&entry.subject) {
                    format!("/console/members/{}", entry.subject)
                } else {
                    String::new()
                },
                subject: entry.subject,
                outcome: entry.outcome,
            })
            .collect(),
        next: if listed.next_page_token.is_empty() {
            String::new()
        } else {
            format!(
                "{AUDIT}?after={}",
                encode_component(&listed.next_page_token)
            )
        },
    };
    render(&visit, StatusCode::OK, &page)
}

/// Whether `subject` reads as a record id (a UUID), which for a call about a
/// member is her id.
fn uuid_like(subject: &str) -> bool {
    subject.len() == 36
        && subject.chars().enumerate().all(|(i, c)| {
            matches!(i, 8 | 13 | 18 | 23) == (c == '-') && (c == '-' || c.is_ascii_hexdigit())
        })
}
