//! The node's storage: sea-orm entities and the queries the services need. Works the
//! same on SQLite (embedded default) and PostgreSQL (production).

pub mod entity;
pub mod market;
pub mod members;
pub mod rows;
mod page;

pub use page::{Page, PageRequest};

use passage_migrations::{MigratorTrait, NodeMigrator};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};

use crate::error::Result;

/// Opens the node's database and applies every pending migration.
pub async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(max_connections)
        .sqlx_logging(false);
    let db = Database::connect(options).await?;
    if db.get_database_backend() == sea_orm::DbBackend::Sqlite {
        // WAL lets readers work while a writer commits; foreign keys are off by
        // default in SQLite.
        use sea_orm::ConnectionTrait;
        db.execute_unprepared("PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;")
            .await?;
    }
    NodeMigrator::up(&db, None).await?;
    Ok(db)
}
