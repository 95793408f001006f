//! Prometheus metrics of a node, served over HTTP at `/metrics` on
//! `server.metrics_listen`: its gRPC calls ([`passage_server::call_metrics`]) and its
//! side of the sync — the outbox rows the gateway has not acknowledged yet, the age
//! of the oldest, and how far the node has applied the gateway's log — and the
//! labour-market rules past their `review_by` (`passage_rules_stale`), read fresh at
//! every scrape; notification mails sent, failed and waiting
//! (`crate::notify::counters`); and how long its changes wait in the outbox and
//! the gateway's log batches take to apply here (`passage_server::sync_stages`).

use std::fmt::Write as _;
use std::sync::Arc;

use axum::{Router, extract::State, http::StatusCode, routing::get};
use chrono::Utc;
use passage_server::call_metrics::CallMetrics;
use passage_server::sync_stages::SyncStages;
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait, QueryOrder};
use tokio::net::TcpListener;

use crate::federation::replica::GATEWAY;
use crate::rules::ActiveRules;
use crate::store::entity::{outbox, sync_cursor};

/// What a scrape reads.
#[derive(Clone)]
pub struct Scraped {
    pub db: DatabaseConnection,
    pub region: String,
    pub calls: CallMetrics,
    pub stages: SyncStages,
    pub rules: Arc<ActiveRules>,
    pub mail: crate::notify::counters::MailCounters,
}

/// The node's side of the sync, at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncFigures {
    /// Outbox rows the gateway has not acknowledged.
    pub outbox_backlog: u64,
    /// Age of the oldest of them, in seconds (0 when there are none).
    pub outbox_lag_seconds: f64,
    /// The last sequence of the gateway's log this node has applied.
    pub cursor: i64,
}

/// Serves `/metrics` on `listener` until `closing` turns true.
pub async fn serve(
    listener: TcpListener,
    scraped: Scraped,
    mut closing: tokio::sync::watch::Receiver<bool>,
) -> std::io::Result<()> {
    let app = Router::new()
        .route("/metrics", get(scrape))
        .with_state(scraped);
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            let _ = closing.wait_for(|closing| *closing).await;
        })
        .await
}

async fn scrape(State(scraped): State<Scraped>) -> (StatusCode, String) {
    match sync_figures(&scraped.db).await {
        Ok(figures) => {
            let mut out = scraped.calls.render();
            out.push_str(&render(&scraped.region, &figures));
            out.push_str(
                &scraped
                    .stages
                    .render(&format!("region=\"{}\"", scraped.region)),
            );
            let stale = scraped.rules.current().stale(Utc::now().date_naive()).len();
            out.push_str(&render_rules(&scraped.region, stale));
            match crate::store::notifications::waiting_by_kind(&scraped.db).await {
                Ok(waiting) => out.push_str(&scraped.mail.render(&scraped.region, &waiting)),
                Err(error) => tracing::error!(%error, "reading the mail queue for metrics failed"),
            }
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

/// Reads the node's outbox and cursor.
pub async fn sync_figures(db: &DatabaseConnection) -> crate::Result<SyncFigures> {
    let outbox_backlog = outbox::Entity::find().count(db).await?;
    let oldest = outbox::Entity::find()
        .order_by_asc(outbox::Column::Id)
        .one(db)
        .await?;
    let cursor = sync_cursor::Entity::find_by_id(GATEWAY.to_owned())
        .one(db)
        .await?
        .map_or(0, |row| row.applied_sequence);
    Ok(SyncFigures {
        outbox_backlog,
        outbox_lag_seconds: oldest.map_or(0.0, |row| {
            (Utc::now() - row.created_at).num_milliseconds().max(0) as f64 / 1000.0
        }),
        cursor,
    })
}

/// The Prometheus text exposition of the node's sync figures.
pub fn render(region: &str, figures: &SyncFigures) -> String {
    let mut out = String::new();
    let gauges: [(&str, &str, f64); 3] = [
        (
            "passage_node_outbox_backlog",
            "Profile changes in the outbox that the gateway has not acknowledged.",
            figures.outbox_backlog as f64,
        ),
        (
            "passage_node_outbox_lag_seconds",
            "Age of the oldest unacknowledged change in the outbox (0 when empty).",
            figures.outbox_lag_seconds,
        ),
        (
            "passage_node_sync_cursor",
            "Last sequence of the gateway's change log this node has applied.",
            figures.cursor as f64,
        ),
    ];
    for (name, help, value) in gauges {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} gauge");
        let _ = writeln!(out, "{name}{{region=\"{region}\"}} {value}");
    }
    out
}

/// The Prometheus text of the rules past their `review_by`: a gauge a chapter's
/// alerting can warn on (a stale rule still decides as written).
pub fn render_rules(region: &str, stale: usize) -> String {
    let name = "passage_rules_stale";
    format!(
        "# HELP {name} Labour-market rules past their review_by date (docs/rules.md).\n\
         # TYPE {name} gauge\n\
         {name}{{region=\"{region}\"}} {stale}\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_stale_rules_as_a_gauge_of_the_region() {
        assert_eq!(
            render_rules("amsterdam", 2),
            "# HELP passage_rules_stale Labour-market rules past their review_by date (docs/rules.md).\n\
             # TYPE passage_rules_stale gauge\n\
             passage_rules_stale{region=\"amsterdam\"} 2\n"
        );
    }

    #[test]
    fn renders_the_sync_figures_as_gauges_of_the_region() {
        let text = render(
            "miami",
            &SyncFigures {
                outbox_backlog: 3,
                outbox_lag_seconds: 1.5,
                cursor: 42,
            },
        );
        assert_eq!(
            text,
            "# HELP passage_node_outbox_backlog Profile changes in the outbox that the gateway has not acknowledged.\n\
             # TYPE passage_node_outbox_backlog gauge\n\
             passage_node_outbox_backlog{region=\"miami\"} 3\n\
             # HELP passage_node_outbox_lag_seconds Age of the oldest unacknowledged change in the outbox (0 when empty).\n\
             # TYPE passage_node_outbox_lag_seconds gauge\n\
             passage_node_outbox_lag_seconds{region=\"miami\"} 1.5\n\
             # HELP passage_node_sync_cursor Last sequence of the gateway's change log this node has applied.\n\
             # TYPE passage_node_sync_cursor gauge\n\
             passage_node_sync_cursor{region=\"miami\"} 42\n"
        );
    }
}
