//! The central team's figures as JSON, on the gateway's internal HTTP listener
//! next to `/metrics`: `/api/stats` (the published, suppressed statistics of every
//! region, as `passage admin stats --json` shows them) and `/api/sync` (every
//! region's sync status), for scripts. The dashboard people open is the web app's
//! `/figures`, behind sign-in.
//!
//! Both answers need the bearer credential of a central analyst or an operator — a
//! token or a signed-in session — checked against the gateway's token and session
//! stores exactly as a gRPC call to `GlobalStatsService` is
//! ([`crate::stats::Statistician::admit`]): 401 without a usable one, 403 for
//! another role.

use axum::{
    Router,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use serde_json::json;

use crate::observed::Observed;
use crate::sync::sync_status;

/// The figures' routes.
pub fn routes() -> Router<Observed> {
    Router::new()
        .route("/api/stats", get(stats))
        .route("/api/sync", get(sync))
}

/// The statistics of the last twelve months, every region.
async fn stats(State(observed): State<Observed>, headers: HeaderMap) -> Response {
    if let Err(refused) = admitted(&observed, &headers).await {
        return refused;
    }
    let request = passage_proto::v1::GetGlobalStatsRequest::default();
    match observed.statistician.global(&request).await {
        Ok(stats) => json_response(&crate::stats::stats_json(&stats)),
        Err(error) => {
            tracing::error!(%error, "dashboard: reading the statistics failed");
            unavailable("statistics unavailable")
        }
    }
}

/// Every region's sync status: connected, cursor, backlog and lag.
async fn sync(State(observed): State<Observed>, headers: HeaderMap) -> Response {
    if let Err(refused) = admitted(&observed, &headers).await {
        return refused;
    }
    match sync_status(&observed.hub).await {
        Ok(status) => json_response(&sync_json(&status)),
        Err(error) => {
            tracing::error!(%error, "dashboard: reading the sync status failed");
            unavailable("sync status unavailable")
        }
    }
}

/// The JSON of a sync status, as the page reads it.
pub fn sync_json(status: &passage_proto::v1::GetSyncStatusResponse) -> serde_json::Value {
    let regions: Vec<serde_json::Value> = status
        .regions
        .iter()
        .map(|region| {
            json!({
                "region": region.region,
                "connected": region.connected,
                "cursor": region.cursor,
                "backlog": region.backlog,
                "lag_seconds": region.lag_ms as f64 / 1000.0,
                "last_seen": region.last_seen.as_ref().and_then(|t| {
                    chrono::DateTime::from_timestamp(t.seconds, 0).map(|t| t.to_rfc3339())
                }),
            })
        })
        .collect();
    json!({ "log_head": status.log_head, "regions": regions })
}

/// Whether the caller may read the dashboard's figures; the refusal as the
/// response to send: 401 (with `WWW-Authenticate: Bearer`) or 403, naming why.
async fn admitted(observed: &Observed, headers: &HeaderMap) -> Result<(), Response> {
    let status = match observed.statistician.admit(headers).await {
        Ok(_) => return Ok(()),
        Err(status) => status,
    };
    let code = match status.code() {
        tonic::Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        tonic::Code::PermissionDenied => StatusCode::FORBIDDEN,
        _ => StatusCode::SERVICE_UNAVAILABLE,
    };
    let body = json!({ "error": status.message() }).to_string();
    Err((
        code,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::WWW_AUTHENTICATE, "Bearer"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response())
}

fn json_response(value: &serde_json::Value) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        value.to_string(),
    )
        .into_response()
}

fn unavailable(what: &str) -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::CONTENT_TYPE, "application/json")],
        json!({ "error": what }).to_string(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use passage_proto::v1;

    #[test]
    fn the_sync_json_names_every_region_with_its_lag_in_seconds() {
        let value = sync_json(&v1::GetSyncStatusResponse {
            log_head: 9,
            regions: vec![v1::RegionSyncStatus {
                region: "miami".into(),
                connected: false,
                last_seen: Some(prost_types::Timestamp {
                    seconds: 1_700_000_000,
                    nanos: 0,
                }),
                cursor: 7,
                backlog: 2,
                lag_ms: 1500,
                streams_opened: 1,
            }],
        });
        assert_eq!(
            value,
            json!({"log_head": 9, "regions": [{
                "region": "miami", "connected": false, "cursor": 7, "backlog": 2,
                "lag_seconds": 1.5, "last_seen": "2023-11-14T22:13:20+00:00"}]})
        );
    }
}
