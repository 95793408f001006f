//! Schema migrations for Passage. The node and the gateway each have their own
//! database and their own migrator; the schema changes only through these files.

pub mod audit;
mod gateway;
mod node;
pub mod tallies;

pub use gateway::GatewayMigrator;
pub use node::NodeMigrator;
pub use sea_orm_migration::MigratorTrait;

use sea_orm_migration::sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, Statement,
};

/// Prepared statements each pooled PostgreSQL connection keeps. A node runs
/// several hundred different statements (and a multi-row insert is a statement
/// per row count); sqlx's default of 100 made a busy connection prepare most of
/// them again. SQLite keeps the default: there a cached statement that was not
/// read to its end holds its connection's read snapshot open until it is reused
/// or dropped, and a cache that never drops one kept snapshots open for good
/// (another connection's schema change was then not seen, and the write-ahead
/// log could not be checkpointed).
const STATEMENT_CACHE: usize = 2_048;

/// How much of a SQLite file each pooled connection reads through a memory map
/// unless told otherwise: 256 MiB.
pub const SQLITE_MAP_BYTES: u64 = 256 << 20;

/// Opens a database (`sqlite://…?mode=rwc` or `postgres://…`) and brings it to the
/// newest schema of migrator `M`; a SQLite file is mapped [`SQLITE_MAP_BYTES`]
/// deep per connection.
pub async fn connect<M: MigratorTrait>(
    url: &str,
    max_connections: u32,
) -> Result<DatabaseConnection, DbErr> {
    connect_mapped::<M>(url, max_connections, SQLITE_MAP_BYTES).await
}

/// [`connect`], with each SQLite connection mapping at most `sqlite_map_bytes` of
/// the file (0: none; every page then read with a system call into the
/// connection's page cache). The map's pages count in the process's resident
/// memory once per connection that touched them, so a pool of `n` connections
/// may show up to `n` times this on top of its own memory.
pub async fn connect_mapped<M: MigratorTrait>(
    url: &str,
    max_connections: u32,
    sqlite_map_bytes: u64,
) -> Result<DatabaseConnection, DbErr> {
    open::<M>(
        url,
        max_connections,
        sqlite_map_bytes,
        Checkpoints::InCommits,
    )
    .await
}

/// [`connect_mapped`] for a server, which checkpoints SQLite's write-ahead log
/// on a task of its own ([`checkpoint_in_background`], started where it
/// serves): its connections never checkpoint inside a commit. Any other pool —
/// a command-line tool, a benchmark writing its data, a test — keeps SQLite's
/// own checkpoints, so a log it writes in bulk never grows without bound.
pub async fn connect_server<M: MigratorTrait>(
    url: &str,
    max_connections: u32,
    sqlite_map_bytes: u64,
) -> Result<DatabaseConnection, DbErr> {
    open::<M>(url, max_connections, sqlite_map_bytes, Checkpoints::Apart).await
}

/// Who checkpoints a SQLite pool's write-ahead log.
#[derive(Clone, Copy)]
enum Checkpoints {
    /// SQLite, inside the commit that takes the log past 1,000 pages.
    InCommits,
    /// The server's checkpointer.
    Apart,
}

async fn open<M: MigratorTrait>(
    url: &str,
    max_connections: u32,
    sqlite_map_bytes: u64,
    checkpoints: Checkpoints,
) -> Result<DatabaseConnection, DbErr> {
    use sea_orm_migration::sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(max_connections)
        .sqlx_logging(false)
        // A connection is checked with a round trip only after it sat idle a while,
        // not before every use (which doubled the round trips of short queries).
        .test_before_acquire_if_idle_for(std::time::Duration::from_secs(30))
        // On every pooled SQLite connection: readers keep reading while a writer
        // commits (WAL); a commit survives a crash of the process without waiting
        // for the disk each time (NORMAL in WAL mode; a power cut may lose the last
        // commits, never corrupt the file); foreign keys enforced; writers wait for
        // each other instead of failing; deleted content overwritten with zeros
        // (secure_delete), so an erased member's words do not stay in free pages.
        .map_sqlx_sqlite_opts(move |sqlite| {
            let sqlite = match checkpoints {
                // A server's checkpointer copies the log (`connect_server`).
                Checkpoints::Apart => sqlite.pragma("wal_autocheckpoint", "0"),
                Checkpoints::InCommits => sqlite,
            };
            sqlite
                .journal_mode(SqliteJournalMode::Wal)
                .pragma("secure_delete", "ON")
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(std::time::Duration::from_secs(5))
                // Pages of the database file are read through a memory map
                // instead of a system call each. (A connection that finds the
                // write-ahead log changed by another one still drops its page
                // cache and unmaps the whole map at its next read transaction:
                // SQLite 3.51, `pagerBeginReadTransaction`. With the map off,
                // `passage bench notify` measured no difference beyond a noisy
                // day's spread, 2026-12-08.)
                .pragma("mmap_size", sqlite_map_bytes.to_string())
                .pragma("cache_size", "-16384")
        })
        .map_sqlx_postgres_opts(|postgres| postgres.statement_cache_capacity(STATEMENT_CACHE));
    let db = Database::connect(options).await?;
    if db.get_database_backend() == DbBackend::Sqlite {
        let missing = missing_sqlite_options(&db).await?;
        if !missing.is_empty() {
            tracing::warn!(
                missing = %missing.join(", "),
                "this build's SQLite lacks compile options Passage is built with \
                 (.cargo/config.toml sets them); it works, but re-prepares statements \
                 and is slower"
            );
        }
    }
    M::up(&db, None).await?;
    Ok(db)
}

/// The compile options Passage's builds give the bundled SQLite
/// (`LIBSQLITE3_FLAGS` in `.cargo/config.toml`), as `PRAGMA compile_options`
/// names them:
/// - `ENABLE_QPSG`: a statement's plan never depends on the values bound to it.
///   Without it SQLite 3.51 re-prepares a statement each time its `LIMIT ?`
///   (sea-orm binds every limit, `.one()` included) is bound, so the statement
///   cache saves nothing.
/// - `DEFAULT_MEMSTATUS=0`: no global lock around every allocation to keep
///   memory statistics no one reads.
pub const SQLITE_COMPILE_OPTIONS: [&str; 2] = ["ENABLE_QPSG", "DEFAULT_MEMSTATUS=0"];

/// Those of [`SQLITE_COMPILE_OPTIONS`] the linked SQLite was built without.
pub async fn missing_sqlite_options(db: &DatabaseConnection) -> Result<Vec<&'static str>, DbErr> {
    let rows = db
        .query_all_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT compile_options FROM pragma_compile_options",
        ))
        .await?;
    let built_with = rows
        .iter()
        .map(|row| row.try_get::<String>("", "compile_options"))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(SQLITE_COMPILE_OPTIONS
        .into_iter()
        .filter(|option| !built_with.iter().any(|built| built == option))
        .collect())
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

/// A write-ahead log of this many frames (64 MiB of 4 KiB pages) that the
/// checkpointer could not copy whole is reported.
const LARGE_LOG_FRAMES: i64 = 16_384;

/// How often a server's checkpointer copies SQLite's write-ahead log into the
/// database file.
pub const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// On SQLite, starts the task that checkpoints the write-ahead log every
/// [`CHECKPOINT_EVERY`], `PASSIVE` (it waits for no reader and no writer), for
/// as long as the returned [`Checkpointer`] is kept: a server keeps it while it
/// serves, on a pool of [`connect_server`]. Left to SQLite, the checkpoint ran
/// inside whichever commit took the log past 1,000 pages — copying them into
/// the database and waiting for the disk twice while that commit, and with it
/// the region's one write turn, waited. Here writers go on appending while the
/// log is copied. Nothing on PostgreSQL.
pub fn checkpoint_in_background(db: &DatabaseConnection) -> Option<Checkpointer> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return None;
    }
    let db = db.clone();
    Some(Checkpointer(tokio::spawn(async move {
        let file = database_file(&db).await.unwrap_or_else(|error| {
            tracing::warn!(
                %error,
                "the database's file could not be read: a scrub an erasure could not \
                 finish is not finished by the checkpointer"
            );
            None
        });
        // Each trouble is logged once, when it starts; the next round tries again.
        let (mut failing, mut lagging) = (false, false);
        loop {
            tokio::time::sleep(CHECKPOINT_EVERY).await;
            let done = db
                .query_one_raw(Statement::from_string(
                    DbBackend::Sqlite,
                    "PRAGMA wal_checkpoint(PASSIVE)",
                ))
                .await
                .and_then(|row| {
                    // busy, frames in the log, frames copied.
                    let Some(row) = row else { return Ok((0, 0)) };
                    Ok((
                        row.try_get_by_index::<i64>(1)?,
                        row.try_get_by_index::<i64>(2)?,
                    ))
                });
            match done {
                Ok((frames, copied)) => {
                    failing = false;
                    // An erasure's scrub that gave up while something held the
                    // log is finished once the whole log is copied (no reader
                    // holds an old snapshot, so the truncation waits for no
                    // long one): a copy alone leaves the erased rows' old pages
                    // in the log's file.
                    let owed = file.as_deref().filter(|file| scrub_owed(file));
                    if let (true, Some(file)) = (copied == frames, owed) {
                        finish_owed_scrub(&db, file).await;
                    }
                    // A reader that holds an old snapshot keeps the log from
                    // being copied, and it grows: say so once it is large.
                    let behind = frames >= LARGE_LOG_FRAMES && copied < frames;
                    if behind && !lagging {
                        tracing::warn!(
                            frames,
                            copied,
                            "the write-ahead log is large and not all of it could be \
                             copied: a long reader holds it"
                        );
                    }
                    lagging = behind;
                }
                Err(error) => {
                    if !failing {
                        tracing::warn!(%error, "the write-ahead log could not be checkpointed");
                    }
                    failing = true;
                }
            }
        }
    })))
}

/// Empties `file`'s log, which an erasure's scrub could not, and says so.
async fn finish_owed_scrub(db: &DatabaseConnection, file: &str) {
    match truncate_log(db).await {
        Ok(true) => {
            owe_scrub(file, false);
            tracing::info!("the write-ahead log an erasure could not empty is empty now");
        }
        Ok(false) => {}
        Err(error) => {
            tracing::warn!(%error, "emptying the write-ahead log after an erasure failed")
        }
    }
}

/// The task of [`checkpoint_in_background`]; it stops when this is dropped.
pub struct Checkpointer(tokio::task::JoinHandle<()>);

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Makes what an erasure just deleted unreadable in the database's files, after
/// its transaction committed. On SQLite (opened with `secure_delete`, so the
/// database file holds zeros where the rows were) the write-ahead log still holds
/// the pages as they were before: it is checkpointed into the database and
/// truncated to nothing (`wal_checkpoint(TRUNCATE)`, which waits for readers and
/// writers up to the busy timeout). Only one checkpoint runs at a time, and one
/// already running — a server's [`checkpoint_in_background`] — makes SQLite
/// answer busy at once, without waiting: the truncation is tried again until
/// [`SCRUB_PATIENCE`] has passed; after that, the server's checkpointer
/// empties it as soon as it has copied the whole log. Returns whether the log
/// was emptied now; on PostgreSQL it does nothing and returns true — there the
/// operator vacuums (deploy/RUNBOOK.md).
pub async fn scrub_after_erasure(db: &DatabaseConnection) -> Result<bool, DbErr> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return Ok(true);
    }
    let deadline = tokio::time::Instant::now() + SCRUB_PATIENCE;
    let emptied = loop {
        if truncate_log(db).await? {
            break true;
        }
        if tokio::time::Instant::now() >= deadline {
            break false;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    };
    if let Some(file) = database_file(db).await? {
        owe_scrub(&file, !emptied);
    }
    Ok(emptied)
}

/// One `wal_checkpoint(TRUNCATE)`: whether it emptied the log, rather than
/// being kept from it by a reader, a writer (each waited for up to the busy
/// timeout) or another checkpoint.
async fn truncate_log(db: &DatabaseConnection) -> Result<bool, DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA wal_checkpoint(TRUNCATE)",
        ))
        .await?;
    // One row: busy, frames in the log, frames checkpointed.
    let busy: i32 = match &row {
        Some(row) => row.try_get_by_index(0)?,
        None => 0,
    };
    Ok(busy == 0)
}

/// How long [`scrub_after_erasure`] tries to empty the write-ahead log while
/// another checkpoint holds it.
pub const SCRUB_PATIENCE: std::time::Duration = std::time::Duration::from_secs(5);

/// The SQLite databases (by file) whose write-ahead log an erasure could not
/// empty: their checkpointer empties it instead of copying it, as soon as it
/// can.
static SCRUBS_OWED: std::sync::Mutex<std::collections::BTreeSet<String>> =
    std::sync::Mutex::new(std::collections::BTreeSet::new());

/// Records that `file`'s log still holds an erasure's old pages (`owed`), or
/// that it was emptied.
fn owe_scrub(file: &str, owed: bool) {
    let mut owing = SCRUBS_OWED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if owed {
        owing.insert(file.to_owned());
    } else {
        owing.remove(file);
    }
}

fn scrub_owed(file: &str) -> bool {
    SCRUBS_OWED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .contains(file)
}

/// The file of a SQLite pool's main database (`PRAGMA database_list`); none
/// for a database in memory.
async fn database_file(db: &DatabaseConnection) -> Result<Option<String>, DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT file FROM pragma_database_list WHERE name = 'main'",
        ))
        .await?;
    let file: String = match row {
        Some(row) => row.try_get_by_index(0)?,
        None => String::new(),
    };
    Ok((!file.is_empty()).then_some(file))
}

/// The `audit_entry` table, the same on the gateway and on every node: one row per
/// audited call (who, what, when, about what, with what outcome), newest found by
/// time.
async fn audit_table(manager: &sea_orm_migration::SchemaManager<'_>) -> Result<(), DbErr> {
    use sea_orm_migration::{prelude::*, schema::*};
    manager
        .create_table(
            Table::create()
                .table("audit_entry")
                .col(uuid("id").primary_key())
                .col(timestamp_with_time_zone("at"))
                .col(string("caller_role"))
                .col(string("caller_region"))
                .col(string("caller_member_id"))
                .col(string("token_id"))
                .col(string("method"))
                .col(string("subject"))
                .col(string("outcome"))
                .to_owned(),
        )
        .await?;
    for (name, columns) in [
        ("audit_entry_at_idx", &["at"][..]),
        ("audit_entry_subject_idx", &["subject", "at"][..]),
        ("audit_entry_token_idx", &["token_id", "at"][..]),
    ] {
        let mut index = Index::create();
        index.name(name).table("audit_entry");
        for column in columns {
            index.col(*column);
        }
        manager.create_index(index.to_owned()).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A build without `.cargo/config.toml`'s flags would still pass every other
    /// test, only slower: this one says so.
    #[tokio::test]
    async fn the_bundled_sqlite_is_built_with_stable_plans_and_no_memory_statistics() {
        let db = connect::<NodeMigrator>("sqlite::memory:", 1).await.unwrap();
        assert_eq!(
            missing_sqlite_options(&db).await.unwrap(),
            Vec::<&str>::new(),
            "LIBSQLITE3_FLAGS from .cargo/config.toml did not reach libsqlite3-sys"
        );
    }
}
