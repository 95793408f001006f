//! The gateway's own tables, as the node keeps its own: one sea-orm entity per
//! table in [`entity`]. The queries live with what uses them (the change log and
//! directory in `sync::log`, moves in `sync::moves`, the registry, tokens).

pub mod entity;
