//! The node's side of the federation: stamping and publishing its members' shared
//! profiles through a transactional outbox, applying other regions' profiles, and the
//! `Sync` stream to the gateway that carries both.

pub mod client;
pub mod publish;
pub mod replica;
