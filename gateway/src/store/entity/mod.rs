//! The gateway's tables (the schema is made by `passage-migrations`).

pub mod access_token;
pub mod account;
pub mod account_invitation;
pub mod account_session;
pub mod change_log;
pub mod directory;
pub mod erasure_receipt;
pub mod log_compaction;
pub mod member_transfer;
pub mod move_confirmation;
pub mod region;
pub mod region_cursor;
pub mod revoked_certificate;
pub mod sign_in_address;
