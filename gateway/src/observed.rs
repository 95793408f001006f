//! What the gateway's HTTP listener reads from: the sync hub, the call metrics
//! and the central statistics, shared by `/metrics` and the dashboard.

use passage_server::call_metrics::CallMetrics;

use crate::sync::SyncHub;

/// What the gateway's HTTP listener reads from.
#[derive(Clone)]
pub struct Observed {
    pub hub: SyncHub,
    pub calls: CallMetrics,
    /// The central statistics, which the dashboard shows.
    pub statistician: crate::stats::Statistician,
}
