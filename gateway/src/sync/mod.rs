//! The sync hub: every node holds one `Sync` stream to the gateway, pushes its
//! members' profile changes into the durable change log, and receives every other
//! region's changes from its own cursor. Moves between home regions are handed over
//! on the same streams.

mod admin;
pub mod catch_up;
pub mod confirm;
pub mod erasure;
mod hub;
pub mod log;
pub mod moves;
mod transfer;

pub use admin::{FederationAdmin, sync_status};
pub use confirm::MoveConfirmations;
pub use hub::SyncHub;
