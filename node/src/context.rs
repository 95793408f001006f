//! What every part of a node shares while it serves: the database, the region,
//! the clock, the rules, the catalogue for matching, the link to the gateway, and
//! the one way to open a write transaction ([`NodeContext::begin_write`]).

use std::sync::Arc;

use passage_proto::hlc::HlcClock;
use sea_orm::{DatabaseConnection, DatabaseTransaction};
use tokio::sync::{Mutex, Notify, OwnedMutexGuard};
use tonic::transport::Channel;

use crate::matching::Catalogue;
use crate::review_policy::ReviewPolicy;
use crate::rules::ActiveRules;

/// What every service of a node shares.
#[derive(Clone)]
pub struct NodeContext {
    pub db: DatabaseConnection,
    /// The region this node serves, as its slug.
    pub region: String,
    /// Stamps shared-profile writes.
    pub clock: Arc<HlcClock>,
    /// Poked after a commit that added to the outbox.
    pub outbox_ready: Arc<Notify>,
    /// Poked after a commit that may have queued mail (`crate::notify`).
    pub mail_ready: Arc<Notify>,
    /// Where mail is written as `.eml` files, when the node writes any; erasure
    /// removes a member's files from it.
    pub mail_folder: Option<std::path::PathBuf>,
    /// Where the mail task sends mail, `smtp` or `file` (`notify::delivery::Channel`).
    pub mail_channel: &'static str,
    /// The gateway, for requests outside the `Sync` stream (moves); connected
    /// lazily. None for a region outside any federation.
    pub gateway: Option<Channel>,
    /// How many community approvals publish an opportunity, and rejections close
    /// it (settings `[review]`).
    pub review_policy: ReviewPolicy,
    /// The region's labour-market rules, swapped whole on reload.
    pub rules: Arc<ActiveRules>,
    /// The published opportunities, in memory for matching; refreshed after every
    /// write that can change what is published.
    pub catalogue: Arc<Catalogue>,
    /// How long this node's changes wait in its outbox and the gateway's log
    /// batches take to apply here, for `/metrics`.
    pub sync_stages: passage_server::sync_stages::SyncStages,
    /// Member and federation writes take turns here rather than in the database:
    /// SQLite makes a writer that finds the database locked sleep and retry, which
    /// costs milliseconds per write under load.
    write_turn: WriteTurns,
}

/// Where a node's writers take turns ([`NodeContext::begin_write`]).
pub type WriteTurns = Arc<Mutex<()>>;

/// Held while a write transaction is open; the next writer waits for it.
pub type WriteTurn = OwnedMutexGuard<()>;

impl NodeContext {
    /// Waits for this node's turn to write, then starts the write transaction.
    /// Keep the turn until the transaction is committed or dropped.
    pub async fn begin_write(&self) -> crate::Result<(WriteTurn, DatabaseTransaction)> {
        let turn = self.write_turn.clone().lock_owned().await;
        let txn = passage_migrations::begin_write(&self.db).await?;
        Ok((turn, txn))
    }

    /// Where this node's writers take turns, for a writer that holds no
    /// context (the audit log's).
    pub fn write_turns(&self) -> WriteTurns {
        self.write_turn.clone()
    }

    /// Waits for this node's turn to write a single statement.
    pub async fn write_turn(&self) -> WriteTurn {
        self.write_turn.clone().lock_owned().await
    }
}

impl NodeContext {
    pub fn new(db: DatabaseConnection, region: String) -> Self {
        let rules = Arc::new(ActiveRules::none(&region));
        NodeContext {
            db,
            region,
            clock: Arc::new(HlcClock::default()),
            outbox_ready: Arc::new(Notify::new()),
            mail_ready: Arc::new(Notify::new()),
            mail_folder: None,
            mail_channel: "file",
            gateway: None,
            review_policy: ReviewPolicy::default(),
            rules,
            catalogue: Arc::new(Catalogue::default()),
            sync_stages: Default::default(),
            write_turn: Arc::new(Mutex::new(())),
        }
    }
}
