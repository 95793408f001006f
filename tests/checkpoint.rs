//! A server's SQLite write-ahead log is copied into the database by the
//! server's own checkpointer, never inside a commit: a commit that crossed
//! SQLite's mark used to copy the log and wait for the disk while the region's
//! one write turn waited with it. The checkpointer runs while it is kept, and
//! stops when dropped. Any other pool keeps SQLite's own checkpoints, so a
//! tool's bulk write never leaves a log of its whole size. An erasure's scrub
//! waits for the checkpointer's turn to end and empties the log.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use passage_migrations::{NodeMigrator, checkpoint_in_background};
use sea_orm::{ConnectionTrait, DatabaseConnection};

/// Bytes each write below adds: far past SQLite's own mark of 1,000 pages.
const WRITTEN: u64 = 8 << 20;

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

async fn write_eight_mebibytes(db: &DatabaseConnection) {
    db.execute_unprepared(&format!(
        "INSERT INTO scratch (bytes) SELECT randomblob({}) FROM (SELECT 1 UNION ALL SELECT 2 \
         UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL \
         SELECT 7 UNION ALL SELECT 8)",
        WRITTEN / 8
    ))
    .await
    .unwrap();
}

/// Whose pool a test opens.
enum Pool {
    /// A server's (`connect_server`).
    Server,
    /// Any other (`connect`).
    Tool,
}

/// Amsterdam's database in a folder of its own, with a table to fill.
struct Scratch {
    db: DatabaseConnection,
    /// The database's file and its write-ahead log.
    path: PathBuf,
    wal: PathBuf,
    _folder: tempfile::TempDir,
}

/// Amsterdam's database, opened as `pool` does.
async fn scratch_database(pool: Pool) -> Scratch {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("amsterdam.db");
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let db = match pool {
        Pool::Server => {
            passage_migrations::connect_server::<NodeMigrator>(
                &url,
                4,
                passage_migrations::SQLITE_MAP_BYTES,
            )
            .await
        }
        Pool::Tool => passage_migrations::connect::<NodeMigrator>(&url, 4).await,
    }
    .unwrap();
    db.execute_unprepared("CREATE TABLE scratch (bytes BLOB)")
        .await
        .unwrap();
    Scratch {
        db,
        wal: folder.path().join("amsterdam.db-wal"),
        path,
        _folder: folder,
    }
}

/// Runs `step` again and again on a task until `running` turns false.
fn until_stopped<F: Future<Output = ()> + Send>(
    running: &Arc<AtomicBool>,
    mut step: impl FnMut() -> F + Send + 'static,
) -> tokio::task::JoinHandle<()> {
    let running = Arc::clone(running);
    tokio::spawn(async move {
        while running.load(Ordering::Relaxed) {
            step().await;
        }
    })
}

/// Waits up to five seconds for `done`.
async fn within_five_seconds(mut done: impl FnMut() -> bool) -> bool {
    for _ in 0..100 {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    done()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_is_copied_by_the_checkpointer_while_it_runs_and_never_by_a_commit() {
    let amsterdam = scratch_database(Pool::Server).await;
    let (db, path) = (&amsterdam.db, &amsterdam.path);
    let before = file_size(path);

    // Eight mebibytes committed: they stay in the log, however far past the mark.
    write_eight_mebibytes(db).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(
        file_size(path) < before + WRITTEN / 2,
        "a commit checkpointed: the database grew from {before} to {} bytes",
        file_size(path)
    );

    // The server's checkpointer copies them.
    let checkpointer = checkpoint_in_background(db).expect("SQLite is checkpointed");
    assert!(
        within_five_seconds(|| file_size(path) >= before + WRITTEN).await,
        "the checkpointer copied nothing: the database is {} bytes",
        file_size(path)
    );

    // Dropped, it copies no more.
    drop(checkpointer);
    let stopped = file_size(path);
    write_eight_mebibytes(db).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(
        file_size(path) < stopped + WRITTEN / 2,
        "the log was copied after the checkpointer stopped: {stopped} then {} bytes",
        file_size(path)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tools_bulk_write_is_checkpointed_by_sqlite_as_it_commits() {
    let amsterdam = scratch_database(Pool::Tool).await;
    let (db, path) = (&amsterdam.db, &amsterdam.path);
    let before = file_size(path);
    write_eight_mebibytes(db).await;
    assert!(
        file_size(path) >= before + WRITTEN,
        "a tool's commit left its log uncopied: the database is {} bytes",
        file_size(path)
    );
}

/// Chapters erase members while the server's checkpointer is copying the log.
/// SQLite lets one checkpoint run at a time and answers a second one busy at
/// once; the erasure's scrub waits its turn, and the log it leaves is empty —
/// the erased rows' old pages are in no byte of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_erasures_scrub_empties_the_log_even_while_another_checkpoint_runs() {
    let amsterdam = scratch_database(Pool::Server).await;
    let (db, wal) = (&amsterdam.db, &amsterdam.wal);

    // Another connection checkpoints without pause while a writer adds eight
    // mebibytes every 50 ms: a checkpointer far busier than a server's.
    let running = Arc::new(AtomicBool::new(true));
    let copier = until_stopped(&running, {
        let db = db.clone();
        move || {
            let db = db.clone();
            async move {
                db.execute_unprepared("PRAGMA wal_checkpoint(PASSIVE)")
                    .await
                    .unwrap();
            }
        }
    });
    let writer = until_stopped(&running, {
        let db = db.clone();
        move || {
            let db = db.clone();
            async move {
                write_eight_mebibytes(&db).await;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    });

    let mut left_full = 0;
    for _ in 0..30 {
        db.execute_unprepared("INSERT INTO scratch (bytes) SELECT randomblob(1048576)")
            .await
            .unwrap();
        if !passage_migrations::scrub_after_erasure(db).await.unwrap() {
            left_full += 1;
        }
    }
    running.store(false, Ordering::Relaxed);
    copier.await.unwrap();
    writer.await.unwrap();
    assert_eq!(
        left_full, 0,
        "{left_full} of 30 scrubs left the log as it was"
    );

    // With nothing else running, the last scrub leaves no byte in the log.
    assert!(passage_migrations::scrub_after_erasure(db).await.unwrap());
    assert_eq!(file_size(wal), 0, "the write-ahead log still holds pages");
}

/// A report reads for a long while when a member is erased: the erasure's scrub
/// cannot empty the log under that reader and gives up after its patience. The
/// server's checkpointer, which otherwise only copies the log, empties it once
/// the reader is done.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scrub_a_long_reader_kept_from_the_log_is_finished_by_the_checkpointer() {
    use sea_orm::TransactionTrait;
    let amsterdam = scratch_database(Pool::Server).await;
    let (db, wal) = (&amsterdam.db, &amsterdam.wal);
    let _checkpointer = checkpoint_in_background(db).expect("SQLite is checkpointed");
    db.execute_unprepared("INSERT INTO scratch (bytes) SELECT randomblob(65536)")
        .await
        .unwrap();

    // The report's snapshot predates the erasure's writes.
    let report = db.begin().await.unwrap();
    report
        .execute_unprepared("SELECT count(*) FROM scratch")
        .await
        .unwrap();
    db.execute_unprepared("DELETE FROM scratch").await.unwrap();
    assert!(
        !passage_migrations::scrub_after_erasure(db).await.unwrap(),
        "the log was emptied under a reader's old snapshot"
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(
        file_size(wal) > 0,
        "the log was emptied while the reader still read"
    );

    report.commit().await.unwrap();
    assert!(
        within_five_seconds(|| file_size(wal) == 0).await,
        "the checkpointer left {} bytes in the log the erasure could not empty",
        file_size(wal)
    );
}
