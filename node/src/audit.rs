//! The region's audit log: the access layer hands every audited call to an
//! [`AuditTrail`], whose writer task stores them in batches in `audit_entry`; the
//! chapter admin reads them with `AuditService.ListAuditEntries`.
//!
//! A full queue makes callers wait (back-pressure) rather than drop entries; when
//! the server stops, the writer stores what is queued before it ends.
//!
//! An erased member's id does not stay in the log: `DeleteMember` pseudonymises
//! the entries already stored, in its transaction; entries of calls that were
//! still queued then, and the `DeleteMember` entry itself (queued once the call
//! answered), are pseudonymised by the writer right after it stored them.

use passage_server::access::AuditRecord;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use tokio::sync::mpsc;

use crate::context::WriteTurns;
use crate::error::Result;
use crate::store::{Page, PageRequest};

pub use passage_migrations::audit::audit_entry;

/// Entries queued for the writer at most; past that, callers wait.
const QUEUE: usize = 4_096;
/// Entries stored in one statement at most.
const BATCH: usize = 500;
/// How long the writer waits, once an entry came, for more to store with it. On
/// SQLite every write empties the page cache of each of the region's other
/// connections, so one write per busy moment rather than one per call keeps the
/// readers' caches warm; an entry waits in memory at most this much longer.
const GATHER: std::time::Duration = std::time::Duration::from_millis(20);

/// Where the access layer sends audited calls.
#[derive(Clone)]
pub struct AuditTrail {
    queue: mpsc::Sender<AuditRecord>,
}

impl AuditTrail {
    /// Starts the writer on `db`; it ends once every trail is dropped and the
    /// queue is stored. It writes in the node's write turns (`turns`), as every
    /// writer of the region does, so that it never holds SQLite's lock while a
    /// change waits for it (a writer that finds the lock taken sleeps and
    /// retries, and a change would sleep holding its turn).
    pub fn start(
        db: DatabaseConnection,
        turns: WriteTurns,
    ) -> (AuditTrail, tokio::task::JoinHandle<()>) {
        let (queue, queued) = mpsc::channel(QUEUE);
        let writer = tokio::spawn(write_entries(db, turns, queued));
        (AuditTrail { queue }, writer)
    }

    /// Queues one record (waiting while the queue is full).
    pub async fn record(&self, record: AuditRecord) {
        if self.queue.send(record).await.is_err() {
            tracing::error!("the audit log writer has stopped; an entry was not stored");
        }
    }
}

async fn write_entries(
    db: DatabaseConnection,
    turns: WriteTurns,
    mut queued: mpsc::Receiver<AuditRecord>,
) {
    let mut batch = Vec::with_capacity(BATCH);
    while queued.recv_many(&mut batch, BATCH).await > 0 {
        if batch.len() < BATCH {
            tokio::time::sleep(GATHER).await;
            while batch.len() < BATCH {
                match queued.try_recv() {
                    Ok(record) => batch.push(record),
                    Err(_) => break,
                }
            }
        }
        let erased: Vec<String> = batch
            .iter()
            .filter(|record| {
                record.outcome == "OK" && record.method.ends_with("MemberService/DeleteMember")
            })
            .filter_map(|record| record.subject.clone())
            .collect();
        let rows: Vec<_> = batch
            .drain(..)
            .map(passage_migrations::audit::row)
            .collect();
        let count = rows.len();
        let mut attempt = 0;
        loop {
            let stored = {
                let _turn = turns.lock().await;
                audit_entry::Entity::insert_many(rows.clone())
                    .exec_without_returning(&db)
                    .await
            };
            match stored {
                Ok(_) => break,
                Err(error) if attempt < 5 => {
                    attempt += 1;
                    tracing::warn!(%error, attempt, "storing audit entries failed; retrying");
                    tokio::time::sleep(std::time::Duration::from_millis(100 << attempt)).await;
                }
                Err(error) => {
                    tracing::error!(%error, count, "audit entries could not be stored");
                    break;
                }
            }
        }
        for member_id in &erased {
            let _turn = turns.lock().await;
            if let Err(error) = passage_migrations::audit::pseudonymise(&db, member_id).await {
                tracing::error!(%error, "an erased member's audit entries kept their id");
            }
        }
    }
}

/// What a chapter admin asks of the audit log.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub subject: Option<String>,
    pub token_id: Option<String>,
}

/// One page of the audit log, newest first.
pub async fn list(
    db: &DatabaseConnection,
    page: PageRequest,
    query: AuditQuery,
) -> Result<Page<audit_entry::Model>> {
    let mut select = audit_entry::Entity::find()
        .order_by_desc(audit_entry::Column::Id)
        .limit(page.size + 1);
    if let Some(after) = page.after {
        select = select.filter(audit_entry::Column::Id.lt(after));
    }
    if let Some(subject) = query.subject {
        select = select.filter(audit_entry::Column::Subject.eq(subject));
    }
    if let Some(token_id) = query.token_id {
        select = select.filter(audit_entry::Column::TokenId.eq(token_id));
    }
    let rows = select.all(db).await?;
    Ok(Page::from_rows(rows, page.size, |row| row.id))
}
