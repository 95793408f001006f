//! The `passage` command: one binary for every role (node, gateway, demo, migrate),
//! and the in-process federation that the demo and the end-to-end tests start.

pub mod account_cli;
pub mod admin;
pub mod bench;
pub mod certs;
pub mod credentials;
pub mod demo;
pub mod federation;
pub mod mail_cli;
pub mod rules_cli;
pub mod settings_file;
pub mod spreadsheets_cli;
pub mod token_cli;
