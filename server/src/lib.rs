//! The tower layers every Passage server puts in front of its gRPC services — the
//! gateway, each region's node, and the web app for what it shares: who may call
//! what ([`access`]: the policy table, the sealed caller, the layer), the limits on
//! calls ([`limits`]), the call metrics ([`call_metrics`]), the sync stages' timing
//! ([`sync_stages`]) and the peer a node
//! answers ([`peer`]).

pub mod access;
pub mod call_metrics;
pub mod limits;
pub mod peer;
pub mod personal_data;
pub mod sync_stages;
