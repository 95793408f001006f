//! Schema migrations for Passage. The node and the gateway each have their own
//! database and their own migrator; the schema changes only through these files.

mod gateway;
mod node;

pub use gateway::GatewayMigrator;
pub use node::NodeMigrator;
pub use sea_orm_migration::MigratorTrait;

use sea_orm_migration::sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr,
};

/// Opens a database (`sqlite://…?mode=rwc` or `postgres://…`) and brings it to the
/// newest schema of migrator `M`.
pub async fn connect<M: MigratorTrait>(
    url: &str,
    max_connections: u32,
) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options.max_connections(max_connections).sqlx_logging(false);
    let db = Database::connect(options).await?;
    if db.get_database_backend() == DbBackend::Sqlite {
        // Readers keep reading while a writer commits; the mode is kept in the file.
        db.execute_unprepared("PRAGMA journal_mode=WAL;").await?;
    }
    M::up(&db, None).await?;
    Ok(db)
}

/// Starts a transaction that will write. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`), so a transaction that reads before it writes waits for
/// other writers instead of failing when one commits in between.
pub async fn begin_write(
    db: &DatabaseConnection,
) -> Result<sea_orm_migration::sea_orm::DatabaseTransaction, DbErr> {
    use sea_orm_migration::sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}
