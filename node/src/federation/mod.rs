//! The node's side of the federation: stamping and publishing its members' shared
//! profiles through a transactional outbox, applying other regions' profiles, and the
//! `Sync` stream to the gateway that carries both; members moving between regions.

pub mod client;
pub mod moves;
pub mod publish;
pub mod replica;
