//! Prometheus metrics of the gateway, served over HTTP at `/metrics` (the
//! listener is [`crate::http`]): the gRPC calls the
//! gateway answered ([`passage_server::call_metrics`]), and the same figures as
//! `passage admin sync`, per region, read fresh at every scrape; and how long the
//! nodes' changes take to append and to be handed to each receiving region
//! ([`passage_server::sync_stages`]).

use std::fmt::Write as _;

use axum::{Router, extract::State, http::StatusCode, routing::get};

use crate::observed::Observed;
use crate::sync::sync_status;

/// The `/metrics` route of the gateway's HTTP listener.
pub fn routes() -> Router<Observed> {
    Router::new().route("/metrics", get(scrape))
}

async fn scrape(State(observed): State<Observed>) -> (StatusCode, String) {
    match sync_status(&observed.hub).await {
        Ok(status) => {
            let mut out = observed.calls.render();
            out.push_str(&render(&status));
            out.push_str(&observed.hub.stages().render(""));
            (StatusCode::OK, out)
        }
        Err(error) => {
            tracing::error!(%error, "metrics scrape failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "metrics unavailable\n".to_owned(),
            )
        }
    }
}

/// The Prometheus text exposition of a sync status.
pub fn render(status: &passage_proto::v1::GetSyncStatusResponse) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# HELP passage_sync_log_head Newest sequence in the gateway's change log."
    );
    let _ = writeln!(out, "# TYPE passage_sync_log_head gauge");
    let _ = writeln!(out, "passage_sync_log_head {}", status.log_head);
    type Figure = fn(&passage_proto::v1::RegionSyncStatus) -> f64;
    let per_region: [(&str, &str, Figure); 6] = [
        (
            "passage_sync_connected",
            "Whether the region holds a Sync stream (1) or not (0).",
            |r| f64::from(u8::from(r.connected)),
        ),
        (
            "passage_sync_cursor",
            "Last log sequence the region has applied.",
            |r| r.cursor as f64,
        ),
        (
            "passage_sync_backlog",
            "Log entries from other regions the region has not applied.",
            |r| r.backlog as f64,
        ),
        (
            "passage_sync_lag_seconds",
            "Age of the oldest entry the region has not applied.",
            |r| r.lag_ms as f64 / 1000.0,
        ),
        (
            "passage_sync_last_seen_timestamp_seconds",
            "When the region last connected or acknowledged.",
            |r| r.last_seen.as_ref().map_or(0.0, |t| t.seconds as f64),
        ),
        (
            "passage_sync_streams_opened",
            "Sync streams the region opened since the gateway started (reconnects + 1).",
            |r| r.streams_opened as f64,
        ),
    ];
    for (name, help, figure) in per_region {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} gauge");
        for region in &status.regions {
            let _ = writeln!(
                out,
                "{name}{{region=\"{}\"}} {}",
                region.region,
                figure(region)
            );
        }
    }
    out
}
