//! The node's gRPC services, one file each; handlers validate, call the store and
//! convert, nothing more.

mod market;
mod member;

pub use market::MarketApi;
pub use member::MemberApi;

use sea_orm::DatabaseConnection;

/// What every service of a node shares.
#[derive(Clone)]
pub struct NodeContext {
    pub db: DatabaseConnection,
    /// The region this node serves, as its slug.
    pub region: String,
}
