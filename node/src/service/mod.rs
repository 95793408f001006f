//! The node's gRPC services, one file each; handlers validate, call the store and
//! convert, nothing more.

mod market;
mod member;

pub use market::MarketApi;
pub use member::MemberApi;

use std::sync::Arc;

use passage_proto::hlc::HlcClock;
use sea_orm::DatabaseConnection;
use tokio::sync::Notify;
use tonic::transport::Channel;

/// What every service of a node shares.
#[derive(Clone)]
pub struct NodeContext {
    pub db: DatabaseConnection,
    /// The region this node serves, as its slug.
    pub region: String,
    /// Stamps shared-profile writes.
    pub clock: Arc<HlcClock>,
    /// Poked after a commit that added to the outbox.
    pub outbox_ready: Arc<Notify>,
    /// The gateway, for requests outside the `Sync` stream (moves); connected
    /// lazily. None for a region outside any federation.
    pub gateway: Option<Channel>,
}

impl NodeContext {
    pub fn new(db: DatabaseConnection, region: String) -> Self {
        NodeContext {
            db,
            region,
            clock: Arc::new(HlcClock::default()),
            outbox_ready: Arc::new(Notify::new()),
            gateway: None,
        }
    }
}
