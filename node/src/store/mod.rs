//! The node's storage: sea-orm entities and the queries the services need. Works the
//! same on SQLite (embedded default) and PostgreSQL (production).

pub mod article_index;
pub mod buddies;
pub mod casework;
pub mod coaches;
pub mod coaching;
pub mod entity;
pub mod erasure;
pub mod events;
pub mod export;
pub mod groups;
pub mod helpdesk;
pub mod mail_queue;
pub mod market;
pub mod members;
pub mod notifications;
mod page;
pub mod placements;
pub mod review;
pub mod rows;
pub mod search_index;
pub mod stats;
pub mod tally;

pub use page::{Page, PageRequest, token_after};

use passage_migrations::NodeMigrator;
use sea_orm::DatabaseConnection;

use crate::error::Result;

/// Opens the node's database and applies every pending migration.
pub async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection> {
    Ok(passage_migrations::connect::<NodeMigrator>(url, max_connections).await?)
}

/// [`connect`] for the node's server, which checkpoints SQLite's log on a task
/// of its own (`passage_migrations::connect_server`).
pub async fn connect_server(url: &str, max_connections: u32) -> Result<DatabaseConnection> {
    Ok(passage_migrations::connect_server::<NodeMigrator>(
        url,
        max_connections,
        passage_migrations::SQLITE_MAP_BYTES,
    )
    .await?)
}

/// Whether the stored JSON array in `column` may hold the string `value`: its
/// text holds `"value"`. The database narrows the rows with it (on SQLite and
/// PostgreSQL alike); the caller then checks each exactly with
/// [`strings_from_json`], as `value` (an id, a language code) holds no `%` or
/// `_` that `LIKE` would read as wildcards.
pub fn json_text_may_hold(
    column: impl sea_orm::sea_query::IntoColumnRef,
    value: &str,
) -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::sea_query::{Expr, ExprTrait};
    Expr::col(column)
        .cast_as("text")
        .like(format!("%\"{value}\"%"))
}

/// Strings back from a stored JSON array; anything else reads as empty.
pub fn strings_from_json(value: &serde_json::Value) -> Vec<String> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}
