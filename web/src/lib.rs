//! Passage in the browser (`passage web`): server-rendered pages for the people
//! Passage serves, in their language. The web app is a client of the gateway's
//! gRPC API with the signed-in person's session as credential: it keeps no personal
//! data of its own and decides no permission — the gateway and the nodes stay the
//! only judges. Every page works without JavaScript (forms post, then redirect).

pub mod gateway;
pub mod i18n;
pub mod pages;
pub mod settings;
pub mod visit;

use std::future::Future;
use std::net::SocketAddr;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::net::TcpListener;

pub use settings::WebSettings;

/// What every handler shares.
#[derive(Clone)]
pub struct App {
    pub gateway: gateway::Gateway,
    pub secure_cookies: bool,
}

/// The one stylesheet: system fonts, logical properties (right to left by `dir`).
const STYLESHEET: &str = include_str!("../static/passage.css");

async fn stylesheet() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        STYLESHEET,
    )
        .into_response()
}

async fn not_found(visit: visit::Visit) -> Response {
    pages::problem(
        &visit,
        visit.text(),
        "/",
        StatusCode::NOT_FOUND,
        "problem-not-found",
        "problem-not-found-explained",
    )
}

/// The pages and what they answer.
pub fn router(app: App) -> Router {
    Router::new()
        .route("/", get(pages::home::show))
        .route(
            "/sign-in",
            get(pages::sign_in::show).post(pages::sign_in::submit),
        )
        .route(
            "/invitation/{code}",
            get(pages::sign_in::invitation).post(pages::sign_in::accept),
        )
        .route("/sign-out", post(pages::sign_in::sign_out))
        .route(
            "/profile",
            get(pages::profile::show).post(pages::profile::save),
        )
        .route("/matches", get(pages::matches::show))
        .route("/matches/{opportunity}/apply", post(pages::matches::apply))
        .route("/applications", get(pages::applications::show))
        .route(
            "/moving",
            get(pages::moving::show).post(pages::moving::confirm),
        )
        .route(
            "/applications/{id}/withdraw",
            post(pages::applications::withdraw),
        )
        .route("/my-data", get(pages::my_data::show))
        .route("/my-data/download", get(pages::my_data::download))
        .route(
            "/erase",
            get(pages::erasure::show).post(pages::erasure::erase),
        )
        .route("/erasure", get(pages::erasure::lookup))
        .route("/erasure/{code}", get(pages::erasure::receipt))
        .route("/events", get(pages::events::show))
        .route("/events/{id}/register", post(pages::events::register))
        .route("/events/{id}/cancel", post(pages::events::cancel))
        .route("/groups", get(pages::groups::show))
        .route("/groups/{id}/join", post(pages::groups::join))
        .route("/groups/{id}/leave", post(pages::groups::leave))
        .route(
            "/helpdesk",
            get(pages::helpdesk::show).post(pages::helpdesk::ask),
        )
        .route("/helpdesk/articles/{id}", get(pages::helpdesk::article))
        .route("/buddy", get(pages::buddy::show))
        .route("/review", get(pages::review::show))
        .route(
            "/review/{id}",
            get(pages::review::review).post(pages::review::submit),
        )
        .route("/answering", get(pages::answering::show))
        .route("/answering/{id}", get(pages::answering::question))
        .route("/answering/{id}/answer", post(pages::answering::answer))
        .route(
            "/answering/{id}/article",
            post(pages::answering_article::article),
        )
        .route(
            "/answering/{id}/translation",
            post(pages::answering_article::translation),
        )
        .route("/coaching", get(pages::coaching::show))
        .route("/coaching/{cohort}", get(pages::coaching::cohort))
        .route(
            "/coaching/{cohort}/sessions/{session}",
            post(pages::coaching::attendance),
        )
        .route(
            "/coaching/{cohort}/aftercare",
            post(pages::coaching_aftercare::contact),
        )
        .route("/console", get(pages::console::queues::show))
        .route("/console/members", get(pages::console::members::search))
        .route(
            "/console/members/new",
            get(pages::console::members::new_member).post(pages::console::members::create),
        )
        .route("/console/members/{id}", get(pages::console::members::show))
        .route(
            "/console/members/{id}/record",
            post(pages::console::members::save_record),
        )
        .route(
            "/console/members/{id}/invite",
            post(pages::console::members::invite),
        )
        .route(
            "/console/members/{id}/unlock",
            post(pages::console::members::unlock),
        )
        .route(
            "/console/organisations",
            get(pages::console::organisations::list),
        )
        .route(
            "/console/organisations/new",
            get(pages::console::organisations::new_organisation)
                .post(pages::console::organisations::create),
        )
        .route(
            "/console/organisations/{id}",
            get(pages::console::organisations::show),
        )
        .route(
            "/console/organisations/{id}/invite",
            post(pages::console::organisations::invite),
        )
        .route(
            "/console/import",
            get(pages::console::spreadsheets::import_form)
                .post(pages::console::spreadsheets::import)
                .layer(axum::extract::DefaultBodyLimit::max(
                    pages::console::spreadsheets::LARGEST_FILE,
                )),
        )
        .route(
            "/console/export",
            get(pages::console::spreadsheets::export_form),
        )
        .route(
            "/console/export/file",
            get(pages::console::spreadsheets::export_file),
        )
        .route("/console/accounts", get(pages::console::accounts::list))
        .route(
            "/console/accounts/revoke",
            post(pages::console::accounts::revoke),
        )
        .route(
            "/console/accounts/unlock",
            post(pages::console::accounts::unlock),
        )
        .route("/console/audit", get(pages::console::accounts::audit))
        .route("/console/cohorts", get(pages::console::cohorts::list))
        .route("/console/cohorts/{id}", get(pages::console::cohorts::show))
        .route(
            "/console/cohorts/{id}/coaches",
            post(pages::console::cohorts::assign),
        )
        .route(
            "/console/cohorts/{id}/coaches/remove",
            post(pages::console::cohorts::unassign),
        )
        .route("/console/helpdesk", get(pages::console::helpdesk::show))
        .route(
            "/console/helpdesk/answerers",
            post(pages::console::helpdesk::register),
        )
        .route(
            "/console/helpdesk/answerers/remove",
            post(pages::console::helpdesk::unregister),
        )
        .route(
            "/console/events",
            get(pages::console::events::show).post(pages::console::events::create),
        )
        .route("/console/moves", get(pages::console::moves::list))
        .route("/console/moves/{id}", get(pages::console::moves::show))
        .route(
            "/console/moves/{id}/accept",
            post(pages::console::moves::accept),
        )
        .route(
            "/console/moves/{id}/decline",
            post(pages::console::moves::decline),
        )
        .route("/console/sync", get(pages::console::sync::show))
        .route(
            "/console/opportunities",
            get(pages::console::opportunities::list),
        )
        .route(
            "/console/groups",
            get(pages::console::groups::show).post(pages::console::groups::create),
        )
        .route("/console/cases", get(pages::console::cases::list))
        .route("/console/cases/{id}", get(pages::console::cases::show))
        .route("/console/rules", get(pages::console::rules::show))
        .route("/console/rules/reload", post(pages::console::rules::reload))
        .route("/inbox", get(pages::notifications::show))
        .route("/inbox/read", post(pages::notifications::read_all))
        .route("/inbox/{id}/open", post(pages::notifications::open))
        .route(
            "/notifications/preferences",
            get(pages::preferences::show).post(pages::preferences::save),
        )
        .route(
            "/unsubscribe/{region}/{token}",
            get(pages::notifications::ask).post(pages::notifications::confirm),
        )
        .route("/figures", get(pages::figures::show))
        .route("/figures/{file}", get(pages::figures::download))
        .route(
            "/our-opportunities",
            get(pages::organisation::opportunities::show),
        )
        .route(
            "/our-opportunities/new",
            get(pages::organisation::draft::new).post(pages::organisation::draft::create),
        )
        .route(
            "/our-opportunities/{id}/edit",
            get(pages::organisation::draft::edit).post(pages::organisation::draft::save),
        )
        .route(
            "/our-opportunities/{id}/submit",
            post(pages::organisation::opportunities::submit),
        )
        .route(
            "/our-opportunities/{id}/applicants",
            get(pages::organisation::applicants::show),
        )
        .route(
            "/our-opportunities/{id}/applicants/{application}/move",
            post(pages::organisation::applicants::move_on),
        )
        .route(
            "/our-opportunities/{id}/applicants/{application}/accept",
            post(pages::organisation::applicants::accept),
        )
        .route(
            "/our-opportunities/{id}/members",
            get(pages::organisation::members::show),
        )
        .route("/our-fairs", get(pages::organisation::fairs::show))
        .route(
            "/our-fairs/{id}/present",
            post(pages::organisation::fairs::present),
        )
        .route("/applications/{id}/share", post(pages::applications::share))
        .route("/language/{code}", get(pages::language::choose))
        .route("/static/passage.css", get(stylesheet))
        .fallback(not_found)
        .with_state(app)
}

/// Serves the web app on `listener` until `shutdown` completes.
pub async fn run(
    settings: WebSettings,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), String> {
    settings
        .validate()
        .map_err(|(key, reason)| format!("{key}: {reason}"))?;
    passage_proto::choose_tls_crypto();
    let gateway = gateway::Gateway::new(&settings.gateway)
        .map_err(|(key, reason)| format!("{key}: {reason}"))?;
    let app = App {
        gateway,
        secure_cookies: settings.cookies.secure,
    };
    tracing::info!(address = ?listener.local_addr().ok(), gateway = %settings.gateway.endpoint, "web app serving");
    axum::serve(
        listener,
        router(app).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
    .map_err(|e| format!("serving the web app: {e}"))
}
