//! My notifications: the inbox (newest first, unread marked; opening one marks
//! it read and goes to its page; "mark all read") of a member, of an
//! organisation for its contact, or of a chapter for its chapter admins; the unread count in the navigation, and the
//! one-click unsubscribe of a mail (RFC 8058), which needs
//! no sign-in: the link's signed token is the authority, the node checks it.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use passage_proto::v1;
use serde::Deserialize;

use super::when::moment;
use super::{Frame, refusal, render, signed_in};
use crate::App;
use crate::gateway::call;
use crate::i18n::Text;
use crate::visit::Visit;

const HERE: &str = "/inbox";

/// Whose inbox the signed-in account reads: a member's own, an organisation's
/// contact their organisation's, a chapter admin her chapter's (asked for with
/// no id: the node knows her region); none for anyone else.
pub fn inbox_of(account: &v1::Account) -> Option<String> {
    if account.kind == v1::AccountKind::ChapterAdmin as i32 {
        return Some(String::new());
    }
    [&account.member_id, &account.organisation_id]
        .into_iter()
        .find(|id| !id.is_empty())
        .cloned()
}

/// The signed-in person's inbox, its first `page_size` notices: a chapter
/// admin's from her chapter's (not audited: its notices name no one), anyone
/// else's by the id [`inbox_of`] gives.
async fn list(
    app: &App,
    visit: &Visit,
    account: &v1::Account,
    owner: String,
    page_size: i32,
) -> Result<v1::ListNotificationsResponse, tonic::Status> {
    let mut notifications = app.gateway.notifications();
    let listed = if account.kind == v1::AccountKind::ChapterAdmin as i32 {
        notifications
            .list_chapter_notifications(call(
                visit,
                Some(&account.region),
                v1::ListChapterNotificationsRequest {
                    page_size,
                    page_token: String::new(),
                },
            ))
            .await
    } else {
        notifications
            .list_notifications(call(
                visit,
                Some(&account.region),
                v1::ListNotificationsRequest {
                    member_id: owner,
                    page_size,
                    page_token: String::new(),
                },
            ))
            .await
    };
    listed.map(tonic::Response::into_inner)
}

/// Reads the signed-in member's (or organisation's) unread count into the
/// visit, for the navigation; a failure leaves it at nothing rather than
/// failing the page.
pub async fn count_unread(app: &App, visit: &Visit, account: &v1::Account) {
    let Some(owner) = inbox_of(account) else {
        return;
    };
    if let Ok(listed) = list(app, visit, account, owner, 1).await {
        visit
            .unread
            .store(listed.unread, std::sync::atomic::Ordering::Relaxed);
    }
}

/// One notification as the inbox shows it.
pub struct NotificationView {
    pub id: String,
    pub title: String,
    pub when: String,
    pub unread: bool,
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    frame: Frame,
    notifications: Vec<NotificationView>,
    /// A member chooses what comes by mail; an organisation gets no mail.
    preferences: bool,
}

fn view(text: Text, notification: v1::Notification) -> NotificationView {
    let seconds = notification.created_at.map_or(0, |t| t.seconds);
    NotificationView {
        title: text.t(&format!("notification-{}", notification.kind)),
        when: moment(text, seconds),
        unread: notification.read_at.is_none(),
        id: notification.id,
    }
}

/// `GET /inbox`.
pub async fn show(State(app): State<App>, visit: Visit) -> Response {
    let (account, text) = match signed_in(&app, &visit, HERE).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let Some(owner) = inbox_of(&account) else {
        return super::helpdesk::members_only(&visit, text, HERE);
    };
    let listed = match list(&app, &visit, &account, owner, 100).await {
        Ok(listed) => listed,
        Err(status) => return refusal(&visit, text, HERE, &status),
    };
    let page = InboxPage {
        frame: Frame::new(&visit, text, HERE, true).for_account(&account),
        preferences: !account.member_id.is_empty(),
        notifications: listed
            .notifications
            .into_iter()
            .map(|n| view(text, n))
            .collect(),
    };
    render(&visit, StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    form_token: String,
}

/// `POST /inbox/{id}/open`: marks the notification read and goes to its page.
pub async fn open(
    State(app): State<App>,
    visit: Visit,
    Path(id): Path<String>,
    Form(form): Form<TokenForm>,
) -> Response {
    let (account, text) = match signed_in(&app, &visit, HERE).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let Some(owner) = inbox_of(&account) else {
        return visit.redirect(HERE);
    };
    if !visit.form_is_ours(&form.form_token) {
        return visit.redirect(HERE);
    }
    let listed = list(&app, &visit, &account, owner.clone(), 500).await;
    let link = match listed {
        Ok(listed) => listed
            .notifications
            .into_iter()
            .find(|n| n.id == id)
            .map(|n| n.link),
        Err(status) => return refusal(&visit, text, HERE, &status),
    };
    let Some(link) = link.filter(|link| link.starts_with('/') && !link.starts_with("//")) else {
        return visit.redirect(HERE);
    };
    let marked = app
        .gateway
        .notifications()
        .mark_notifications_read(call(
            &visit,
            Some(&account.region),
            v1::MarkNotificationsReadRequest {
                member_id: owner,
                ids: vec![id],
            },
        ))
        .await;
    match marked {
        Ok(_) => visit.redirect(&link),
        Err(status) => refusal(&visit, text, HERE, &status),
    }
}

/// `POST /inbox/read`: marks every notification read.
pub async fn read_all(
    State(app): State<App>,
    visit: Visit,
    Form(form): Form<TokenForm>,
) -> Response {
    super::act(&app, &visit, HERE, &form.form_token, HERE, |account| {
        let mut notifications = app.gateway.notifications();
        let request = call(
            &visit,
            Some(&account.region),
            v1::MarkNotificationsReadRequest {
                member_id: inbox_of(&account).unwrap_or_default(),
                ids: Vec::new(),
            },
        );
        async move {
            notifications
                .mark_notifications_read(request)
                .await
                .map(|_| ())
        }
    })
    .await
}

#[derive(Template)]
#[template(path = "unsubscribe.html")]
struct UnsubscribePage {
    frame: Frame,
    /// Where the button posts.
    action: String,
    /// What is now off, once done; empty while asking.
    done: String,
}

/// `GET /unsubscribe/{region}/{token}`: a button to confirm (a link followed
/// by a mail scanner must not unsubscribe).
pub async fn ask(visit: Visit, Path((region, token)): Path<(String, String)>) -> Response {
    let text = visit.text();
    let action = format!(
        "/unsubscribe/{}/{}",
        super::encode_component(&region),
        super::encode_component(&token)
    );
    let page = UnsubscribePage {
        frame: Frame::new(&visit, text, &action, visit.session.is_some()),
        action,
        done: String::new(),
    };
    render(&visit, StatusCode::OK, &page)
}

/// `POST /unsubscribe/{region}/{token}`: one click, from the page or straight
/// from a mail client (`List-Unsubscribe=One-Click`), without sign-in or form
/// token: the token is signed by the region.
pub async fn confirm(
    State(app): State<App>,
    visit: Visit,
    Path((region, token)): Path<(String, String)>,
) -> Response {
    let text = visit.text();
    let here = format!(
        "/unsubscribe/{}/{}",
        super::encode_component(&region),
        super::encode_component(&token)
    );
    let mut request = tonic::Request::new(v1::UnsubscribeRequest { token });
    match tonic::metadata::MetadataValue::try_from(region.as_str()) {
        Ok(value) => {
            request
                .metadata_mut()
                .insert(passage_proto::REGION_METADATA_KEY, value);
        }
        Err(_) => {
            return super::problem(
                &visit,
                text,
                &here,
                StatusCode::NOT_FOUND,
                "problem-not-found",
                "problem-not-found-explained",
            );
        }
    }
    match app.gateway.notifications().unsubscribe(request).await {
        Ok(done) => {
            let kind = done.into_inner().kind;
            let page = UnsubscribePage {
                frame: Frame::new(&visit, text, &here, visit.session.is_some()),
                action: here.clone(),
                done: text.t(&format!("notification-{kind}")),
            };
            render(&visit, StatusCode::OK, &page)
        }
        Err(status) if status.code() == tonic::Code::InvalidArgument => super::problem(
            &visit,
            text,
            &here,
            StatusCode::NOT_FOUND,
            "unsubscribe-not-valid",
            "unsubscribe-not-valid-explained",
        ),
        Err(status) => refusal(&visit, text, &here, &status),
    }
}
