//! The console's sync status: how the region's node keeps up with the profiles
//! the other regions share — whether it holds its stream to the gateway, when the
//! gateway last heard from it, how far into the federation's change log it has
//! applied, and how old the oldest change still waiting is. The gateway gives a
//! chapter admin her own region's line only.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use passage_proto::v1;

use super::chapter_admin;
use crate::App;
use crate::gateway::call;
use crate::pages::when::moment;
use crate::pages::{Frame, refusal, render};
use crate::visit::Visit;

const HERE: &str = "/console/sync";

#[derive(Template)]
#[template(path = "console_sync.html")]
struct SyncPage {
    frame: Frame,
    connected: bool,
    last_seen: String,
    applied: String,
    backlog: String,
    lag: String,
    streams: String,
}

/// `GET /console/sync`.
pub async fn show(State(app): State<App>, visit: Visit) -> Response {
    let (account, text) = match chapter_admin(&app, &visit, HERE).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let answer = app
        .gateway
        .federation()
        .get_region_sync_status(call(
            &visit,
            Some(&account.region),
            v1::GetRegionSyncStatusRequest {},
        ))
        .await;
    let answer = match answer {
        Ok(answer) => answer.into_inner(),
        Err(status) => return refusal(&visit, text, HERE, &status),
    };
    let line = answer.status.unwrap_or_default();
    let page = SyncPage {
        frame: Frame::chapter(&visit, text, HERE),
        connected: line.connected,
        last_seen: line
            .last_seen
            .as_ref()
            .map(|seen| moment(text, seen.seconds))
            .unwrap_or_else(|| text.t("console-sync-never")),
        applied: text.t_with(
            "console-sync-cursor-of",
            &[
                ("cursor", &line.cursor.to_string()),
                ("head", &answer.log_head.to_string()),
            ],
        ),
        backlog: line.backlog.to_string(),
        lag: if line.lag_ms == 0 {
            text.t("console-sync-caught-up")
        } else {
            text.t1(
                "console-sync-lag-seconds",
                "seconds",
                &(line.lag_ms / 1000).max(1).to_string(),
            )
        },
        streams: line.streams_opened.to_string(),
    };
    render(&visit, StatusCode::OK, &page)
}
