//! `passage.v1.FederationService/Sync`: one session per connected region.
//!
//! A session appends what the node sends (refusing changes for members whose home is
//! another region), acknowledges each batch once it is committed, and streams the
//! log to the node from the region's cursor. Sending waits for room in a small
//! per-session channel, so a slow region holds back only its own session and never
//! buffers more than a few batches.
//!
//! Several gateway replicas may share one PostgreSQL database: their appends take
//! turns on an advisory lock (`log::append`), and every hub reads the log head a few
//! times a second, so its sessions also wake for changes another replica appended.
//! Moves go through the database too (`transfer`): a move request is recorded
//! there, and whichever replica holds the old home region's stream sends the
//! hand-over.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use passage_proto::v1::{
    self, Accepted, LogBatch, Refused, SyncFromGateway, SyncFromNode,
    federation_service_server::FederationService, sync_from_gateway, sync_from_node,
};
use sea_orm::DatabaseConnection;
use tokio::sync::{Notify, mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};
use uuid::Uuid;

use passage_server::sync_stages::{Stage, SyncStages};

use super::catch_up::CatchUp;
use super::log::{self, Appended};
use crate::error::{Error, Result};

/// Log entries read for one batch to a node…
const LOG_ROWS: u64 = 20_000;
/// …merged into the states of at most this many members (and snapshot pages).
const BATCH_MEMBERS: usize = 5_000;
/// A region further behind the log's head than this catches up: each batch sends
/// the latest states of the members changed in the next `CATCH_UP_ROWS` entries,
/// read from the directory, rather than the entries (`catch_up`).
const CATCH_UP_BEHIND: i64 = BATCH_MEMBERS as i64;
/// Log entries whose members one catch-up batch looks at (read without their
/// states: about 100 bytes each).
const CATCH_UP_ROWS: u64 = 100_000;
/// Batches buffered per session before the session waits for the node.
const SESSION_BUFFER: usize = 4;
/// Recent appends whose commit time a hub keeps, to time the fan-out of their
/// entries (an entry handed over later than this many appends is not timed).
const COMMITS_KEPT: usize = 4_096;
/// How often at most a session writes its region's cursor (`PersistedCursor`).
const CURSOR_EVERY: std::time::Duration = std::time::Duration::from_millis(100);
/// How often a hub reads the log head, to learn of changes other gateway replicas
/// appended (its own appends wake its sessions at once).
const HEAD_POLL: std::time::Duration = std::time::Duration::from_millis(200);

use passage_proto::bounds::SYNC_BATCH_BYTES;

/// How long a new `Sync` stream may take to say hello before it is closed.
pub const HELLO_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Serves the `Sync` streams of every region.
#[derive(Clone)]
pub struct SyncHub {
    db: DatabaseConnection,
    /// The newest log sequence; sessions wake up when it moves.
    head: Arc<watch::Sender<i64>>,
    regions: Arc<BTreeSet<String>>,
    /// Accept a plaintext stream whose region is taken from its hello message.
    insecure: bool,
    /// How far beyond the gateway's clock a change's stamps may lie
    /// (`federation.max_clock_skew_ms`).
    max_clock_skew_ms: u64,
    /// Regions with an open session, with how many (a reconnecting node may briefly
    /// hold two).
    connected: Arc<std::sync::Mutex<std::collections::BTreeMap<String, usize>>>,
    /// Turns true when the gateway shuts down: every session ends, so that the
    /// server's graceful shutdown is not held open by the nodes' streams.
    pub(super) closing: watch::Receiver<bool>,
    /// The gateway's writers take turns here: appends then commit their sequences
    /// in order (a reader never passes a sequence that commits later), and SQLite
    /// never makes a writer sleep and retry on its lock. Across replicas on one
    /// PostgreSQL database the log's advisory lock does the same (`log::append`).
    pub(super) write_turn: Arc<tokio::sync::Mutex<()>>,
    /// Per connected region, the newest session's channel for messages the hub
    /// itself sends (hand-overs), with the session's number.
    pub(super) controls: Arc<std::sync::Mutex<HashMap<String, SessionControl>>>,
    sessions: Arc<AtomicU64>,
    /// The sequence the log is compacted through: a session whose region is behind
    /// it switches to a snapshot.
    compacted: Arc<AtomicI64>,
    /// Streams each region has opened since the gateway started.
    opened: Arc<std::sync::Mutex<HashMap<String, u64>>>,
    /// The revoked region certificates' serials, read every `REVOCATION_POLL`: a
    /// session whose certificate is revoked ends.
    revoked: Arc<watch::Sender<BTreeSet<String>>>,
    /// Woken when this replica records a move's outcome (the handed-over change
    /// appended, or a refusal), so a move waiting here reads its request at once.
    pub(super) moves_changed: Arc<Notify>,
    /// How long the nodes' batches take to append, and the log's entries to be
    /// handed to each receiving region, for `/metrics`.
    stages: SyncStages,
    /// This replica's recent appends, in sequence order: the log head before
    /// each, its newest sequence, and when it committed — where the fan-out of
    /// the entries it wrote starts.
    committed: Arc<std::sync::Mutex<VecDeque<(i64, i64, std::time::Instant)>>>,
}

/// The number of a region's newest session, and its channel for the hub's own
/// messages.
type SessionControl = (u64, mpsc::Sender<SyncFromGateway>);

impl SyncHub {
    pub async fn new(
        db: DatabaseConnection,
        regions: impl IntoIterator<Item = String>,
        insecure: bool,
        closing: watch::Receiver<bool>,
    ) -> Result<Self> {
        let head = log::head(&db).await?;
        let compacted = log::compacted_through(&db).await?;
        let revoked = crate::revocations::revoked(&db).await?;
        let hub = SyncHub {
            db,
            head: Arc::new(watch::Sender::new(head)),
            regions: Arc::new(regions.into_iter().collect()),
            insecure,
            max_clock_skew_ms: passage_proto::hlc::DEFAULT_MAX_SKEW_MS,
            connected: Default::default(),
            closing,
            write_turn: Default::default(),
            controls: Default::default(),
            sessions: Default::default(),
            compacted: Arc::new(AtomicI64::new(compacted)),
            opened: Default::default(),
            moves_changed: Default::default(),
            stages: SyncStages::new(),
            committed: Default::default(),
            revoked: Arc::new(watch::Sender::new(revoked)),
        };
        hub.follow_other_replicas();
        hub.follow_revocations();
        hub.hand_over_for_other_replicas();
        Ok(hub)
    }

    /// Refuses changes stamped more than `max_clock_skew_ms` beyond the gateway's
    /// clock (default five minutes).
    pub fn with_max_clock_skew(mut self, max_clock_skew_ms: u64) -> Self {
        self.max_clock_skew_ms = max_clock_skew_ms;
        self
    }

    /// Reads the log head and compaction point every `HEAD_POLL` and announces what
    /// moved, so sessions wake for changes other gateway replicas appended and switch
    /// to a snapshot when another replica compacted past them. Stops when the gateway
    /// closes or the hub is gone.
    fn follow_other_replicas(&self) {
        let db = self.db.clone();
        let head = Arc::downgrade(&self.head);
        let compacted = Arc::downgrade(&self.compacted);
        poll_until_closed(
            HEAD_POLL,
            self.closing.clone(),
            "the change log head",
            move || {
                let (db, head, compacted) = (db.clone(), head.upgrade(), compacted.upgrade());
                async move {
                    let (head, compacted) = (head?, compacted?);
                    let read = async {
                        let through = log::compacted_through(&db).await?;
                        Ok::<_, crate::Error>((log::head(&db).await?, through))
                    };
                    Some(read.await.map(|(newest, through)| {
                        compacted.fetch_max(through, Ordering::SeqCst);
                        head.send_if_modified(|known| {
                            let moved = newest > *known;
                            *known = (*known).max(newest);
                            moved
                        });
                    }))
                }
            },
        );
    }

    /// Reads the revoked certificates every `REVOCATION_POLL`, so that every
    /// replica closes the streams of a certificate revoked anywhere.
    fn follow_revocations(&self) {
        let db = self.db.clone();
        let revoked = Arc::downgrade(&self.revoked);
        poll_until_closed(
            crate::revocations::REVOCATION_POLL,
            self.closing.clone(),
            "the revoked certificates",
            move || {
                let (db, revoked) = (db.clone(), revoked.upgrade());
                async move {
                    let revoked = revoked?;
                    Some(crate::revocations::revoked(&db).await.map(|now| {
                        revoked.send_if_modified(|known| {
                            let changed = *known != now;
                            *known = now;
                            changed
                        });
                    }))
                }
            },
        );
    }

    /// Refuses a region certificate that was revoked.
    async fn check_not_revoked(&self, serial: Option<&str>) -> Result<(), Status> {
        let Some(serial) = serial else {
            return Ok(());
        };
        if crate::revocations::is_revoked(&self.db, serial).await? {
            return Err(Error::Unauthenticated(format!(
                "the region certificate with serial {serial} was revoked"
            ))
            .into());
        }
        Ok(())
    }

    /// The timing of the stages the gateway sees (`passage_server::sync_stages`).
    pub fn stages(&self) -> &SyncStages {
        &self.stages
    }

    /// Records that this replica's append of the entries after `head` through
    /// `sequence` committed at `at`.
    fn appended_at(&self, head: i64, sequence: i64, at: std::time::Instant) {
        let mut committed = self
            .committed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        committed.push_back((head, sequence, at));
        if committed.len() > COMMITS_KEPT {
            committed.pop_front();
        }
    }

    /// Times the fan-out of the entries `sequences`, just handed to a region's
    /// stream: each from the commit of the append that wrote it, when this
    /// replica made it recently (another replica's appends are not timed here).
    fn time_fan_out(&self, sequences: &[u64]) {
        let committed = self
            .committed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = std::time::Instant::now();
        for &sequence in sequences {
            let sequence = i64::try_from(sequence).unwrap_or(i64::MAX);
            // The append that wrote it: the first kept whose newest is at least
            // its sequence, if it began after it.
            let at = committed.partition_point(|(_, newest, _)| *newest < sequence);
            if let Some((_, _, when)) = committed.get(at).filter(|(head, ..)| *head < sequence) {
                self.stages.observe(Stage::FanOut, now - *when, 1);
            }
        }
    }

    /// The gateway's database.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Every region of the federation, in slug order.
    pub fn regions(&self) -> Vec<String> {
        self.regions.iter().cloned().collect()
    }

    /// Regions that hold a `Sync` stream now.
    pub fn connected_regions(&self) -> BTreeSet<String> {
        self.connected
            .lock()
            .map(|c| c.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Streams `region` has opened since the gateway started.
    pub fn streams_opened(&self, region: &str) -> u64 {
        self.opened
            .lock()
            .ok()
            .and_then(|opened| opened.get(region).copied())
            .unwrap_or(0)
    }

    /// Whether `region` holds a `Sync` stream now.
    pub fn is_connected(&self, region: &str) -> bool {
        self.connected
            .lock()
            .map(|c| c.contains_key(region))
            .unwrap_or(false)
    }

    /// The channel for the hub's own messages on the newest session of `region`, if
    /// this replica holds one.
    pub(super) fn control_of(&self, region: &str) -> Option<mpsc::Sender<SyncFromGateway>> {
        self.controls
            .lock()
            .ok()
            .and_then(|controls| controls.get(region).map(|(_, tx)| tx.clone()))
    }

    /// Compacts the log (see `log::compact`); sessions behind the new compaction
    /// point switch to a snapshot.
    pub async fn compact(&self, older_than: chrono::DateTime<chrono::Utc>) -> Result<(i64, u64)> {
        let regions = self.regions();
        let (through, removed) = self
            .exclusive(log::compact(&self.db, &regions, older_than))
            .await?;
        self.compacted.fetch_max(through, Ordering::SeqCst);
        Ok((through, removed))
    }

    /// Runs the write `f` in the gateway's turn (see `write_turn`).
    pub(super) async fn exclusive<T>(&self, f: impl Future<Output = T>) -> T {
        let _turn = self.write_turn.lock().await;
        f.await
    }

    fn mark_connected(&self, region: &str, connected: bool) {
        if let Ok(mut sessions) = self.connected.lock() {
            let count = sessions.entry(region.to_owned()).or_default();
            if connected {
                *count += 1;
            } else {
                *count = count.saturating_sub(1);
                if *count == 0 {
                    sessions.remove(region);
                }
            }
        }
    }

    /// The region a stream speaks for: from the client certificate; from the hello
    /// only on an insecure gateway and a connection without a certificate. A stream
    /// without a region certificate is refused before any of its messages is read,
    /// and one that sends no hello within [`HELLO_TIMEOUT`] is closed.
    async fn region_of(
        &self,
        certified: Option<String>,
        inbound: &mut Streaming<SyncFromNode>,
    ) -> Result<String, Status> {
        if certified.is_none() && !self.insecure {
            return Err(Error::Unauthenticated(
                "sync needs a region's client certificate signed by the federation CA".into(),
            )
            .into());
        }
        let first = tokio::time::timeout(HELLO_TIMEOUT, inbound.message())
            .await
            .map_err(|_| Error::InvalidField {
                field: "hello",
                reason: format!(
                    "no hello within {} s of opening the stream",
                    HELLO_TIMEOUT.as_secs()
                ),
            })??
            .and_then(|m| m.message)
            .ok_or_else(|| Error::InvalidField {
                field: "hello",
                reason: "the first message must be a hello".into(),
            })?;
        let sync_from_node::Message::Hello(hello) = first else {
            return Err(Error::InvalidField {
                field: "hello",
                reason: "the first message must be a hello".into(),
            }
            .into());
        };
        let region = certified.unwrap_or(hello.region);
        if !self.regions.contains(&region) {
            return Err(Error::PermissionDenied(format!(
                "region {region:?} is not a region of this federation"
            ))
            .into());
        }
        Ok(region)
    }
}

/// The region named by the client certificate of a call, if it has one.
/// The serial number of the client certificate a call came with, normalised.
fn certified_serial<T>(request: &Request<T>) -> Option<String> {
    let certificates = request.peer_certs()?;
    crate::revocations::serial_of(certificates.first()?.as_ref())
}

fn certified_region<T>(request: &Request<T>) -> Option<String> {
    let certificates = request.peer_certs()?;
    let leaf = certificates.first()?;
    let (_, certificate) = x509_parser::parse_x509_certificate(leaf.as_ref()).ok()?;
    let names = certificate.subject_alternative_name().ok()??;
    names
        .value
        .general_names
        .iter()
        .find_map(|name| match name {
            x509_parser::extensions::GeneralName::DNSName(dns) => {
                passage_proto::region_from_tls_name(dns).map(str::to_owned)
            }
            _ => None,
        })
}

#[tonic::async_trait]
impl FederationService for SyncHub {
    type SyncStream = ReceiverStream<Result<SyncFromGateway, Status>>;

    async fn sync(
        &self,
        request: Request<Streaming<SyncFromNode>>,
    ) -> Result<Response<Self::SyncStream>, Status> {
        let certified = certified_region(&request);
        let serial = certified_serial(&request);
        self.check_not_revoked(serial.as_deref()).await?;
        let mut inbound = request.into_inner();
        let region = self.region_of(certified, &mut inbound).await?;
        let (outbound, stream) = mpsc::channel(SESSION_BUFFER);
        let (control, controlled) = mpsc::channel(SESSION_BUFFER);
        let number = self.sessions.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut controls) = self.controls.lock() {
            controls.insert(region.clone(), (number, control));
        }
        if let Ok(mut opened) = self.opened.lock() {
            *opened.entry(region.clone()).or_default() += 1;
        }
        let hub = self.clone();
        tokio::spawn(async move {
            tracing::info!(%region, "region connected");
            hub.mark_connected(&region, true);
            let outcome = hub
                .session(&region, serial.as_deref(), inbound, outbound, controlled)
                .await;
            hub.mark_connected(&region, false);
            if let Ok(mut controls) = hub.controls.lock()
                && controls.get(&region).is_some_and(|(n, _)| *n == number)
            {
                controls.remove(&region);
            }
            match outcome {
                Ok(()) => tracing::info!(%region, "region disconnected"),
                Err(error) => tracing::warn!(%region, %error, "sync session ended"),
            }
        });
        Ok(Response::new(ReceiverStream::new(stream)))
    }

    async fn request_transfer(
        &self,
        request: Request<v1::RequestTransferRequest>,
    ) -> Result<Response<v1::RequestTransferResponse>, Status> {
        let certified = certified_region(&request);
        self.check_not_revoked(certified_serial(&request).as_deref())
            .await?;
        let request = request.into_inner();
        let region = match certified {
            Some(region) => region,
            None if self.insecure => request.region.clone(),
            None => {
                return Err(Error::Unauthenticated(
                    "a move needs a region's client certificate signed by the federation CA".into(),
                )
                .into());
            }
        };
        Ok(Response::new(self.transfer(&region, &request).await?))
    }
}

fn reply(message: sync_from_gateway::Message) -> SyncFromGateway {
    SyncFromGateway {
        message: Some(message),
    }
}

impl SyncHub {
    async fn session(
        &self,
        region: &str,
        serial: Option<&str>,
        inbound: Streaming<SyncFromNode>,
        outbound: mpsc::Sender<Result<SyncFromGateway, Status>>,
        controlled: mpsc::Receiver<SyncFromGateway>,
    ) -> Result<()> {
        let sent = log::cursor(&self.db, region).await?;
        self.exclusive(log::advance_cursor(&self.db, region, sent))
            .await?;
        let mut cursor = PersistedCursor::new(region, sent);
        let outcome = self
            .follow(region, serial, inbound, outbound, controlled, &mut cursor)
            .await;
        // What the node acknowledged last is kept, however the session ended.
        let kept = cursor.write_due(self).await;
        outcome.and(kept)
    }

    /// Serves a session from `cursor` on until it ends.
    async fn follow(
        &self,
        region: &str,
        serial: Option<&str>,
        mut inbound: Streaming<SyncFromNode>,
        outbound: mpsc::Sender<Result<SyncFromGateway, Status>>,
        mut controlled: mpsc::Receiver<SyncFromGateway>,
        cursor: &mut PersistedCursor,
    ) -> Result<()> {
        let mut sent = cursor.written;
        // What the node has acknowledged as applied.
        let mut acked = sent;
        // A region the compacted log cannot bring up to date, or a new one, starts
        // from the latest state of every member, then follows the log from there.
        let through = log::head(&self.db).await?;
        let mut snapshot = (sent == 0 && through > 0).then_some((None::<Uuid>, through));
        let mut head = self.head.subscribe();
        let mut closing = self.closing.clone();
        let mut revoked = self.revoked.subscribe();
        let mut replies: VecDeque<SyncFromGateway> = VecDeque::new();
        let mut pending_log: Option<SyncFromGateway> = None;
        // The sequences of a pending batch read from the log, to time their fan-out.
        let mut pending_sequences: Vec<u64> = Vec::new();
        // A window of the log being sent as its members' latest states.
        let mut catching_up: Option<CatchUp> = None;
        loop {
            if cursor.is_due() {
                cursor.write_due(self).await?;
            }
            if snapshot.is_none()
                && pending_log.is_none()
                && sent < self.compacted.load(Ordering::SeqCst)
            {
                // Compacted past what this region was sent (at connection, or while
                // it lagged): the entries it misses are gone, their result is not.
                // The snapshot supersedes a catch-up window under way.
                snapshot = Some((None, log::head(&self.db).await?));
                catching_up = None;
            }
            if let (Some((None, through)), None) = (snapshot, &pending_log) {
                tracing::info!(%region, cursor = sent, through, "sending a snapshot");
            }
            if pending_log.is_none()
                && let Some((after, through)) = snapshot
            {
                let (entries, full) = log::snapshot_page(
                    &self.db,
                    region,
                    after,
                    BATCH_MEMBERS as u64,
                    SYNC_BATCH_BYTES,
                )
                .await?;
                let last = entries
                    .last()
                    .and_then(|e| e.state.as_ref())
                    .and_then(|s| Uuid::try_parse(&s.member_id).ok());
                let done = !full || last.is_none();
                snapshot = (!done).then_some((last, through));
                if done {
                    sent = sent.max(through);
                }
                pending_log = Some(reply(sync_from_gateway::Message::Log(LogBatch {
                    entries,
                    snapshot_through: if done { through as u64 } else { 0 },
                })));
            }
            // The head, read before the log: everything up to it is committed.
            let mut known_head = None;
            if pending_log.is_none() && catching_up.is_none() {
                let head_now = *head.borrow_and_update();
                known_head = Some(head_now);
                if head_now - sent > CATCH_UP_BEHIND {
                    catching_up = CatchUp::start(&self.db, region, sent, CATCH_UP_ROWS).await?;
                    if let Some(window) = &catching_up {
                        tracing::info!(
                            %region, cursor = sent, through = window.through,
                            members = window.members(), "catching up from the directory"
                        );
                    }
                }
            }
            if pending_log.is_none()
                && let Some(window) = catching_up.as_mut()
            {
                let (entries, last) = window
                    .next_page(&self.db, region, BATCH_MEMBERS, SYNC_BATCH_BYTES)
                    .await?;
                let through = window.through;
                if last {
                    sent = sent.max(through);
                    catching_up = None;
                }
                pending_log = Some(reply(sync_from_gateway::Message::Log(LogBatch {
                    entries,
                    snapshot_through: if last { through as u64 } else { 0 },
                })));
            }
            if pending_log.is_none()
                && let Some(known_head) = known_head
            {
                let entries = log::entries_for(
                    &self.db,
                    region,
                    sent,
                    LOG_ROWS,
                    BATCH_MEMBERS,
                    SYNC_BATCH_BYTES,
                )
                .await?;
                if let Some(last) = entries.iter().map(|e| e.sequence).max() {
                    sent = last as i64;
                    pending_sequences = entries.iter().map(|e| e.sequence).collect();
                    pending_log = Some(reply(sync_from_gateway::Message::Log(LogBatch {
                        entries,
                        snapshot_through: 0,
                    })));
                } else if known_head > sent {
                    // Only the region's own changes since what was sent: nothing
                    // to apply there. Once the node has applied everything sent,
                    // it is up to date through the head (a cursor that never moves
                    // would make every backlog count scan the whole log).
                    let all_applied = acked >= sent;
                    sent = known_head;
                    if all_applied {
                        acked = sent;
                        cursor.advance(sent);
                    }
                }
            }
            let has_output = !replies.is_empty() || pending_log.is_some();
            tokio::select! {
                permit = outbound.reserve(), if has_output => {
                    let Ok(permit) = permit else { return Ok(()) };
                    if let Some(next) = replies.pop_front() {
                        permit.send(Ok(next));
                    } else if let Some(next) = pending_log.take() {
                        permit.send(Ok(next));
                        self.time_fan_out(&pending_sequences);
                        pending_sequences.clear();
                    }
                }
                message = inbound.message() => {
                    let Some(message) = message.map_err(|status| {
                        crate::error::Error::RegionUnavailable {
                            region: region.to_owned(),
                            reason: status.message().to_owned(),
                        }
                    })? else {
                        // The node closed its side: answer what it sent, then end.
                        for pending in replies.drain(..) {
                            if outbound.send(Ok(pending)).await.is_err() {
                                break;
                            }
                        }
                        return Ok(());
                    };
                    if let Some(applied) = self.handle(region, message, &mut replies).await? {
                        acked = acked.max(applied);
                        cursor.advance(applied);
                    }
                    // The node sends no more until its batch is acknowledged: the
                    // answer goes out now, before this session reads the log again.
                    while !replies.is_empty() {
                        let Ok(permit) = outbound.try_reserve() else { break };
                        if let Some(next) = replies.pop_front() {
                            permit.send(Ok(next));
                        }
                    }
                }
                Some(control) = controlled.recv() => replies.push_back(control),
                () = tokio::time::sleep_until(cursor.next_write()), if cursor.has_due() => {}
                changed = closing.changed() => {
                    if changed.is_err() || *closing.borrow() {
                        return Ok(());
                    }
                }
                changed = head.changed(), if pending_log.is_none() => {
                    if changed.is_err() {
                        return Ok(());
                    }
                }
                changed = revoked.changed(), if serial.is_some() => {
                    let now_revoked = serial.is_some_and(|s| revoked.borrow_and_update().contains(s));
                    if changed.is_err() || now_revoked {
                        let refusal = Error::Unauthenticated(format!(
                            "the region certificate with serial {} was revoked",
                            serial.unwrap_or_default()
                        ));
                        tracing::warn!(%region, serial = serial.unwrap_or_default(), "revoked certificate: stream closed");
                        let _ = outbound.send(Err(Status::from(refusal))).await;
                        return Ok(());
                    }
                }
            }
        }
    }

    async fn handle(
        &self,
        region: &str,
        message: SyncFromNode,
        replies: &mut VecDeque<SyncFromGateway>,
    ) -> Result<Option<i64>> {
        match message.message {
            Some(sync_from_node::Message::Changes(batch)) => {
                let arrived = std::time::Instant::now();
                // What this append writes comes after the head known now (and
                // before its newest); another replica's may lie between too.
                let head_before = *self.head.borrow();
                let Appended {
                    newest,
                    refused,
                    moved,
                } = self
                    .exclusive(log::append(
                        &self.db,
                        region,
                        &batch.changes,
                        &self.regions,
                        self.max_clock_skew_ms,
                    ))
                    .await?;
                self.stages
                    .observe(Stage::Append, arrived.elapsed(), batch.changes.len() as u64);
                for (member_id, home, epoch) in &moved {
                    tracing::info!(%member_id, from = %region, to = %home, epoch, "member moved");
                }
                if !moved.is_empty() {
                    self.moves_changed.notify_waiters();
                }
                for (member_id, reason) in refused {
                    tracing::warn!(%region, %member_id, %reason, "change refused");
                    replies.push_back(reply(sync_from_gateway::Message::Refused(Refused {
                        member_id,
                        reason,
                    })));
                }
                replies.push_back(reply(sync_from_gateway::Message::Accepted(Accepted {
                    last_outbox_id: batch.last_outbox_id,
                })));
                if let Some(sequence) = newest {
                    self.appended_at(head_before, sequence, std::time::Instant::now());
                    self.head.send_if_modified(|head| {
                        let moved = sequence > *head;
                        *head = (*head).max(sequence);
                        moved
                    });
                }
            }
            Some(sync_from_node::Message::Applied(v1::Applied { sequence })) => {
                // Kept by the session's `PersistedCursor`.
                return Ok(Some(sequence as i64));
            }
            Some(sync_from_node::Message::HandoffRefused(refused)) => {
                tracing::warn!(%region, member_id = %refused.member_id, reason = %refused.reason, "hand-over refused");
                // The refusal answers the request wherever it was made: the replica
                // waiting for it reads it from the request's row.
                if let Ok(member_id) = Uuid::try_parse(&refused.member_id) {
                    self.exclusive(super::moves::refuse(
                        &self.db,
                        member_id,
                        region,
                        &refused.reason,
                    ))
                    .await?;
                    self.moves_changed.notify_waiters();
                }
            }
            Some(sync_from_node::Message::Hello(_)) | None => {}
        }
        Ok(None)
    }
}

/// A region's cursor as its session keeps it in the database. An advance is
/// written at once when the last write is `CURSOR_EVERY` old, else when that
/// time comes or the session ends: a region applying a batch every millisecond
/// costs the gateway a few cursor writes a second, not one per batch. A cursor
/// written late only makes the region be sent again, after a restart of the
/// gateway, what it applied in those last milliseconds — which it applies
/// again to the same result — and compaction keep a little more.
pub(super) struct PersistedCursor {
    region: String,
    /// The cursor in the database.
    written: i64,
    /// An advance not written yet.
    due: Option<i64>,
    last_write: tokio::time::Instant,
}

impl PersistedCursor {
    fn new(region: &str, written: i64) -> Self {
        PersistedCursor {
            region: region.to_owned(),
            written,
            due: None,
            last_write: tokio::time::Instant::now(),
        }
    }

    /// The region is up to date through `sequence`.
    fn advance(&mut self, sequence: i64) {
        if sequence > self.written {
            self.due = Some(self.due.map_or(sequence, |due| due.max(sequence)));
        }
    }

    fn has_due(&self) -> bool {
        self.due.is_some()
    }

    /// When an advance not written yet may be written.
    fn next_write(&self) -> tokio::time::Instant {
        self.last_write + CURSOR_EVERY
    }

    /// Whether an advance waits and may be written now.
    fn is_due(&self) -> bool {
        self.has_due() && tokio::time::Instant::now() >= self.next_write()
    }

    /// Writes the advance that waits, if any.
    async fn write_due(&mut self, hub: &SyncHub) -> Result<()> {
        if let Some(sequence) = self.due.take() {
            hub.exclusive(log::advance_cursor(&hub.db, &self.region, sequence))
                .await?;
            self.written = sequence;
            self.last_write = tokio::time::Instant::now();
        }
        Ok(())
    }
}

/// Runs `step` every `period` until the gateway closes or `step` answers `None`
/// (its hub is gone). A step that fails is logged once per outage, as failing to
/// read `what`: the sessions' own reads and waiting callers report the rest.
pub(super) fn poll_until_closed<F, Fut>(
    period: std::time::Duration,
    mut closing: watch::Receiver<bool>,
    what: &'static str,
    mut step: F,
) where
    F: FnMut() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Option<crate::Result<()>>> + Send,
{
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(period);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut failing = false;
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                changed = closing.changed() => {
                    if changed.is_err() || *closing.borrow() {
                        return;
                    }
                    continue;
                }
            }
            match step().await {
                None => return,
                Some(Ok(())) => failing = false,
                Some(Err(error)) if !failing => {
                    failing = true;
                    tracing::warn!(%error, "cannot read {what}");
                }
                Some(Err(_)) => {}
            }
        }
    });
}
