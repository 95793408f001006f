//! The gateway's HTTP listener (`server.metrics_listen`): Prometheus metrics at
//! `/metrics` ([`crate::metrics`]) and the central team's figures as JSON for
//! scripts ([`crate::dashboard`]); the dashboard people open is the web app's.

use axum::Router;
use tokio::net::TcpListener;

use crate::observed::Observed;
use crate::{dashboard, metrics};

/// Serves `/metrics` and the figures' JSON on `listener` until `closing` turns true.
pub async fn serve(
    listener: TcpListener,
    observed: Observed,
    mut closing: tokio::sync::watch::Receiver<bool>,
) -> std::io::Result<()> {
    let app = Router::new()
        .merge(metrics::routes())
        .merge(dashboard::routes())
        .with_state(observed);
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            let _ = closing.wait_for(|closing| *closing).await;
        })
        .await
}
