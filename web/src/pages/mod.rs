//! The pages, one file each, and what every page shares: the frame around it (the
//! language, the form token, the language switcher, the signed-in navigation), the
//! errors of a refused form, and the one place gRPC answers become pages.

pub mod answering;
pub mod answering_article;
pub mod applications;
pub mod buddy;
pub mod coaching;
pub mod coaching_aftercare;
pub mod console;
pub mod erasure;
pub mod events;
pub mod figures;
pub mod groups;
pub mod helpdesk;
pub mod home;
pub mod language;
pub mod matches;
pub mod moving;
pub mod my_data;
pub mod notifications;
pub mod organisation;
pub mod preferences;
pub mod profile;
pub mod refused;
pub mod review;
pub mod roles;
pub mod sign_in;
pub mod when;

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use passage_proto::v1;

use crate::App;
use crate::gateway::call;
use crate::i18n::{Lang, Text};
use crate::visit::Visit;

/// One language in the switcher.
pub struct LangLink {
    pub code: &'static str,
    pub name: &'static str,
    pub current: bool,
}

/// One link of the signed-in navigation.
pub struct NavLink {
    pub href: &'static str,
    pub label: String,
}

/// A member's part of the app.
const MEMBER_NAV: [(&str, &str); 11] = [
    ("/", "nav-home"),
    ("/profile", "nav-profile"),
    ("/matches", "nav-matches"),
    ("/applications", "nav-applications"),
    ("/events", "nav-events"),
    ("/groups", "nav-groups"),
    ("/moving", "nav-moving"),
    ("/helpdesk", "nav-helpdesk"),
    ("/buddy", "nav-buddy"),
    ("/my-data", "nav-my-data"),
    ("/inbox", "nav-inbox"),
];

/// A chapter admin's part of the app.
const CHAPTER_NAV: [(&str, &str); 6] = [
    ("/", "nav-home"),
    ("/console", "nav-console"),
    ("/console/members", "console-members-title"),
    ("/console/organisations", "console-organisations-title"),
    ("/console/rules", "rules-title"),
    ("/inbox", "nav-inbox"),
];

/// An organisation's contact's part of the app.
const ORGANISATION_NAV: [(&str, &str); 4] = [
    ("/", "nav-home"),
    ("/our-opportunities", "nav-our-opportunities"),
    ("/our-fairs", "nav-our-fairs"),
    ("/inbox", "nav-inbox"),
];

/// The central team's part of the app.
const CENTRAL_NAV: [(&str, &str); 2] = [("/", "nav-home"), ("/figures", "nav-figures")];

/// What the frame of every page needs.
pub struct Frame {
    pub text: Text,
    pub form_token: String,
    /// This page's path, for the language switcher to come back to.
    pub here: String,
    pub languages: Vec<LangLink>,
    pub signed_in: bool,
    /// The signed-in navigation: the person's own part of the app.
    pub nav: Vec<NavLink>,
    /// The signed-in member's (or organisation's) unread notifications (0 for
    /// anyone else).
    pub unread: u32,
}

fn nav_links(text: Text, links: &[(&'static str, &str)]) -> Vec<NavLink> {
    links
        .iter()
        .map(|(href, key)| NavLink {
            href,
            label: text.t(key),
        })
        .collect()
}

impl Frame {
    pub fn new(visit: &Visit, text: Text, here: &str, signed_in: bool) -> Self {
        Frame {
            text,
            form_token: visit.form_token.clone(),
            here: encode_component(here),
            languages: Lang::ALL
                .into_iter()
                .map(|lang| LangLink {
                    code: lang.code(),
                    name: lang.native_name(),
                    current: lang == text.lang,
                })
                .collect(),
            signed_in,
            nav: if signed_in {
                nav_links(text, &MEMBER_NAV)
            } else {
                Vec::new()
            },
            unread: visit.unread.load(std::sync::atomic::Ordering::Relaxed),
        }
    }

    /// The frame of an organisation's page (its contact signed in).
    pub fn organisation(visit: &Visit, text: Text, here: &str) -> Self {
        let mut frame = Frame::new(visit, text, here, true);
        frame.nav = nav_links(text, &ORGANISATION_NAV);
        frame
    }

    /// A chapter admin's page: the console's navigation.
    pub fn chapter(visit: &Visit, text: Text, here: &str) -> Self {
        let mut frame = Frame::new(visit, text, here, true);
        frame.nav = nav_links(text, &CHAPTER_NAV);
        frame
    }

    /// The frame with the navigation of the signed-in person's kind of account
    /// (a member's pages, a chapter admin's console, the central team's figures).
    pub fn for_account(mut self, account: &v1::Account) -> Self {
        let links: &[(&'static str, &str)] = match v1::AccountKind::try_from(account.kind) {
            Ok(v1::AccountKind::ChapterAdmin) => &CHAPTER_NAV,
            Ok(v1::AccountKind::CentralAnalyst | v1::AccountKind::Operator) => &CENTRAL_NAV,
            Ok(v1::AccountKind::Organisation) => &ORGANISATION_NAV,
            _ => &MEMBER_NAV,
        };
        self.nav = nav_links(self.text, links);
        self
    }
}

impl Frame {
    /// "3 unread", in the page's language, for the navigation's count.
    pub fn unread_label(&self) -> String {
        self.text
            .t1("nav-inbox-unread", "count", &self.unread.to_string())
    }
}

/// A refused field: its form name and what is wrong, in the page's language.
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Percent-encodes a URL query component.
pub fn encode_component(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The signed-in person: their account and the texts in their language; or the
/// answer to give instead (to the sign-in page when there is no live session).
pub async fn signed_in(
    app: &App,
    visit: &Visit,
    here: &str,
) -> Result<(v1::Account, Text), Response> {
    let back = format!("/sign-in?back={}", encode_component(here));
    if visit.session.is_none() {
        return Err(visit.redirect(&back));
    }
    match app
        .gateway
        .accounts()
        .get_my_account(call(visit, None, v1::GetMyAccountRequest {}))
        .await
    {
        Ok(account) => {
            let account = account.into_inner();
            let text = Text::new(visit.lang(Some(&account.language)));
            notifications::count_unread(app, visit, &account).await;
            Ok((account, text))
        }
        Err(status) if status.code() == tonic::Code::Unauthenticated => {
            Err(visit.signed_out(&back))
        }
        Err(status) => Err(refusal(visit, visit.text(), here, &status)),
    }
}

/// A signed-in person's action from a form that needs no form of its own to show
/// again (apply, withdraw): signed in, the form ours, then `act` with the account;
/// on success on to `done`, else the page that says why not. A form that is not
/// ours goes back to `here` and does nothing.
pub async fn act<F, Fut>(
    app: &App,
    visit: &Visit,
    here: &str,
    form_token: &str,
    done: &str,
    act: F,
) -> Response
where
    F: FnOnce(v1::Account) -> Fut,
    Fut: std::future::Future<Output = Result<(), tonic::Status>>,
{
    let (account, text) = match signed_in(app, visit, here).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    if !visit.form_is_ours(form_token) {
        return visit.redirect(here);
    }
    match act(account).await {
        Ok(()) => visit.redirect(done),
        Err(status) => refusal(visit, text, here, &status),
    }
}

#[derive(Template)]
#[template(path = "problem.html")]
struct ProblemPage {
    frame: Frame,
    title: String,
    explanation: String,
    /// The region's own words (English), shown as such; empty for none.
    detail: String,
}

/// The one place a gRPC refusal becomes a page: NOT_FOUND → 404, PERMISSION_DENIED
/// → 403, UNAVAILABLE and DEADLINE_EXCEEDED → "try again", anything else → 500.
/// (UNAUTHENTICATED goes to the sign-in page, in [`signed_in`]; INVALID_ARGUMENT
/// shows the form again, in each form's page.)
pub fn refusal(visit: &Visit, text: Text, here: &str, status: &tonic::Status) -> Response {
    let (code, title, explanation) = match status.code() {
        tonic::Code::NotFound => (
            StatusCode::NOT_FOUND,
            "problem-not-found",
            "problem-not-found-explained",
        ),
        tonic::Code::PermissionDenied => (
            StatusCode::FORBIDDEN,
            "problem-forbidden",
            "problem-forbidden-explained",
        ),
        tonic::Code::Unavailable | tonic::Code::DeadlineExceeded => (
            StatusCode::SERVICE_UNAVAILABLE,
            "problem-unavailable",
            "problem-unavailable-explained",
        ),
        tonic::Code::FailedPrecondition | tonic::Code::AlreadyExists => {
            // Not possible now, for a reason the region gives (its own words).
            let page = ProblemPage {
                frame: Frame::new(visit, text, here, visit.session.is_some()),
                title: text.t("problem-not-now"),
                explanation: text.t("problem-not-now-explained"),
                detail: status.message().to_owned(),
            };
            return render(visit, StatusCode::CONFLICT, &page);
        }
        _ => {
            tracing::error!(%status, here, "a page could not be made");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "problem-internal",
                "problem-internal-explained",
            )
        }
    };
    problem(visit, text, here, code, title, explanation)
}

/// A page that says what went wrong, in the page's language.
pub fn problem(
    visit: &Visit,
    text: Text,
    here: &str,
    code: StatusCode,
    title: &str,
    explanation: &str,
) -> Response {
    let page = ProblemPage {
        frame: Frame::new(visit, text, here, visit.session.is_some()),
        title: text.t(title),
        explanation: text.t(explanation),
        detail: String::new(),
    };
    render(visit, code, &page)
}

/// A template as a page with `code`.
pub fn render(visit: &Visit, code: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => visit.page(code, html),
        Err(error) => {
            tracing::error!(%error, "a template did not render");
            visit.page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "<!doctype html><title>Passage</title><p>Something went wrong.</p>".into(),
            )
        }
    }
}

/// The field a refusal names (`profile.display_name: must …` → `display_name`), if
/// it names one of `fields`.
pub fn refused_field<'a>(status: &tonic::Status, fields: &[&'a str]) -> Option<&'a str> {
    let (path, _) = status.message().split_once(':')?;
    let last = path.trim().rsplit('.').next()?;
    fields.iter().copied().find(|field| *field == last)
}
