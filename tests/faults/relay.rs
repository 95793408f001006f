//! A relay on a region's `Sync` stream that duplicates and reorders what travels
//! both ways and drops the stream now and then, to show that nothing delivered
//! again or late is applied twice to any effect.

use std::collections::{BTreeSet, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use passage_proto::v1::{
    self, Applied, ChangeBatch, LogBatch, LogEntry, SyncFromGateway, SyncFromNode,
    federation_service_client::FederationServiceClient,
    federation_service_server::{FederationService, FederationServiceServer},
    sync_from_gateway, sync_from_node,
};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio_stream::wrappers::{ReceiverStream, TcpListenerStream};
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint, Identity, Server};
use tonic::{Request, Response, Status, Streaming};

use crate::edits::Rng;
use crate::ms;
use crate::processes::Federation;

#[derive(Debug, Default)]
pub(crate) struct RelayStats {
    streams: AtomicU64,
    entries_to_node: AtomicU64,
    /// Log entries delivered to the node again.
    pub(crate) duplicates_to_node: AtomicU64,
    /// Log entries delivered after one with a later sequence.
    pub(crate) late_to_node: AtomicU64,
    /// Change batches sent to the gateway twice in a row.
    pub(crate) batches_repeated_to_gateway: AtomicU64,
    /// Earlier change batches sent to the gateway again, after later ones.
    pub(crate) batches_replayed_to_gateway: AtomicU64,
    pub(crate) streams_dropped: AtomicU64,
}

impl RelayStats {
    pub(crate) fn summary(&self) -> String {
        let n = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        format!(
            "{} streams, {} log entries to the node, {} of them again, {} late; \
             {} change batches repeated and {} replayed to the gateway; {} streams dropped",
            n(&self.streams),
            n(&self.entries_to_node),
            n(&self.duplicates_to_node),
            n(&self.late_to_node),
            n(&self.batches_repeated_to_gateway),
            n(&self.batches_replayed_to_gateway),
            n(&self.streams_dropped),
        )
    }
}

/// Sits between one region's node (plaintext) and the gateway (mTLS, with the
/// region's certificate) on the `Sync` stream. Towards the node it holds log
/// entries back and hands them over in random portions and order, with entries it
/// already delivered mixed in, and sometimes a whole batch twice; it tells the
/// gateway an entry is applied only once the node has applied it and every earlier
/// one. Towards the gateway it sends some change batches twice and replays earlier
/// ones later, and keeps the gateway's answers to those to itself. Now and then it
/// drops the stream, so the gateway re-sends from the region's cursor.
pub(crate) struct ChaosRelay {
    pub(crate) address: SocketAddr,
    pub(crate) stats: Arc<RelayStats>,
    drop_streams: watch::Sender<u64>,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

#[derive(Clone)]
struct RelayService {
    upstream: Endpoint,
    stats: Arc<RelayStats>,
    seed: u64,
    /// Every change batch the node sent, for replays.
    history: Arc<Mutex<Vec<ChangeBatch>>>,
    drop_streams: watch::Receiver<u64>,
}

impl ChaosRelay {
    pub(crate) async fn start(federation: &Federation, region: &str, seed: u64) -> ChaosRelay {
        let ca = federation.certs.ca();
        let own = federation.certs.region(region);
        let tls = ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(std::fs::read(ca.cert).unwrap()))
            .identity(Identity::from_pem(
                std::fs::read(own.cert).unwrap(),
                std::fs::read(own.key).unwrap(),
            ))
            .domain_name(passage_proto::GATEWAY_TLS_NAME);
        let upstream = Endpoint::from_shared(format!("https://{}", federation.gateway_address))
            .unwrap()
            .connect_timeout(ms(1_000))
            .tls_config(tls)
            .unwrap();
        let stats = Arc::new(RelayStats::default());
        let (drop_streams, dropped) = watch::channel(0);
        let service = RelayService {
            upstream,
            stats: stats.clone(),
            seed,
            history: Default::default(),
            drop_streams: dropped,
        };
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            Server::builder()
                .add_service(FederationServiceServer::new(service))
                .serve_with_incoming_shutdown(TcpListenerStream::new(listener), async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        ChaosRelay {
            address,
            stats,
            drop_streams,
            stop,
            task,
        }
    }

    pub(crate) fn drop_streams(&self) {
        self.drop_streams.send_modify(|generation| *generation += 1);
    }

    pub(crate) async fn stop(self) {
        self.drop_streams();
        let _ = self.stop.send(());
        let _ = tokio::time::timeout(Duration::from_secs(5), self.task).await;
    }
}

#[tonic::async_trait]
impl FederationService for RelayService {
    type SyncStream = ReceiverStream<Result<SyncFromGateway, Status>>;

    async fn sync(
        &self,
        request: Request<Streaming<SyncFromNode>>,
    ) -> Result<Response<Self::SyncStream>, Status> {
        let mut from_node = request.into_inner();
        let hello = from_node
            .message()
            .await?
            .ok_or_else(|| Status::invalid_argument("no hello"))?;
        let channel = self
            .upstream
            .connect()
            .await
            .map_err(|e| Status::unavailable(format!("relay: gateway: {e}")))?;
        let (to_gateway, outbound) = mpsc::channel(16);
        let _ = to_gateway.send(hello).await;
        let from_gateway = FederationServiceClient::new(channel)
            .sync(ReceiverStream::new(outbound))
            .await?
            .into_inner();
        let (to_node, inbound) = mpsc::channel(4);
        let number = self.stats.streams.fetch_add(1, Ordering::Relaxed);
        let session = RelaySession {
            rng: Rng::new(self.seed ^ (0x5e55_1011 + number)),
            to_gateway,
            to_node,
            stats: self.stats.clone(),
            history: self.history.clone(),
            own_batches: VecDeque::new(),
            held: Vec::new(),
            delivered: Vec::new(),
            latest_delivered: 0,
            in_flight: VecDeque::new(),
            received: BTreeSet::new(),
            applied: BTreeSet::new(),
            floor: 0,
            reported: 0,
        };
        let mut drop_streams = self.drop_streams.clone();
        drop_streams.mark_unchanged();
        tokio::spawn(session.run(from_node, from_gateway, drop_streams));
        Ok(Response::new(ReceiverStream::new(inbound)))
    }

    async fn request_transfer(
        &self,
        request: Request<v1::RequestTransferRequest>,
    ) -> Result<Response<v1::RequestTransferResponse>, Status> {
        let channel = self
            .upstream
            .connect()
            .await
            .map_err(|e| Status::unavailable(format!("relay: gateway: {e}")))?;
        FederationServiceClient::new(channel)
            .request_transfer(request.into_inner())
            .await
    }
}

/// A batch handed to the node and not yet acknowledged by it.
enum Delivery {
    /// Ends with `marker`, its highest sequence (the node acknowledges a batch by
    /// its highest sequence, which is also its last); `fresh` are the sequences
    /// delivered for the first time.
    Batch { marker: u64, fresh: Vec<u64> },
    /// A snapshot, passed on as it came.
    Snapshot { through: u64 },
}

struct RelaySession {
    rng: Rng,
    to_gateway: mpsc::Sender<SyncFromNode>,
    to_node: mpsc::Sender<Result<SyncFromGateway, Status>>,
    stats: Arc<RelayStats>,
    history: Arc<Mutex<Vec<ChangeBatch>>>,
    /// For each change batch sent to the gateway, in order: whether it was the
    /// node's own (whose `Accepted` goes to the node) or the relay's extra copy.
    own_batches: VecDeque<bool>,
    /// Log entries from the gateway not yet delivered to the node.
    held: Vec<LogEntry>,
    /// Log entries delivered, for duplicates.
    delivered: Vec<LogEntry>,
    latest_delivered: u64,
    in_flight: VecDeque<Delivery>,
    /// Sequences received from the gateway and not yet reported applied.
    received: BTreeSet<u64>,
    /// Of those, the ones the node has applied.
    applied: BTreeSet<u64>,
    /// Every sequence up to here is applied (from a snapshot).
    floor: u64,
    /// The last sequence reported applied to the gateway.
    reported: u64,
}

fn to_gateway_message(message: sync_from_node::Message) -> SyncFromNode {
    SyncFromNode {
        message: Some(message),
    }
}

fn to_node_message(message: sync_from_gateway::Message) -> SyncFromGateway {
    SyncFromGateway {
        message: Some(message),
    }
}

impl RelaySession {
    async fn run(
        mut self,
        mut from_node: Streaming<SyncFromNode>,
        mut from_gateway: Streaming<SyncFromGateway>,
        mut drop_streams: watch::Receiver<u64>,
    ) {
        loop {
            let pause = ms(5 + self.rng.below(30));
            let holding = !self.held.is_empty();
            tokio::select! {
                message = from_node.message() => {
                    let Ok(Some(message)) = message else { return };
                    if self.on_node_message(message).await.is_err() {
                        return;
                    }
                }
                message = from_gateway.message() => match message {
                    Ok(Some(message)) => {
                        if self.on_gateway_message(message).await.is_err() {
                            return;
                        }
                    }
                    Ok(None) => return,
                    Err(status) => {
                        let _ = self.to_node.send(Err(status)).await;
                        return;
                    }
                },
                () = tokio::time::sleep(pause), if holding => {
                    if self.deliver().await.is_err() {
                        return;
                    }
                }
                _ = drop_streams.changed() => {
                    self.stats.streams_dropped.fetch_add(1, Ordering::Relaxed);
                    let _ = self
                        .to_node
                        .send(Err(Status::unavailable("the relay dropped the stream")))
                        .await;
                    return;
                }
            }
        }
    }

    async fn send_up(&mut self, message: sync_from_node::Message) -> Result<(), ()> {
        self.to_gateway
            .send(to_gateway_message(message))
            .await
            .map_err(drop)
    }

    async fn send_down(&mut self, message: sync_from_gateway::Message) -> Result<(), ()> {
        self.to_node
            .send(Ok(to_node_message(message)))
            .await
            .map_err(drop)
    }

    async fn on_node_message(&mut self, message: SyncFromNode) -> Result<(), ()> {
        match message.message {
            Some(sync_from_node::Message::Changes(batch)) => {
                self.send_up(sync_from_node::Message::Changes(batch.clone()))
                    .await?;
                self.own_batches.push_back(true);
                if self.rng.chance(30) {
                    self.send_up(sync_from_node::Message::Changes(batch.clone()))
                        .await?;
                    self.own_batches.push_back(false);
                    self.stats
                        .batches_repeated_to_gateway
                        .fetch_add(1, Ordering::Relaxed);
                }
                let replay = {
                    let mut history = self.history.lock().unwrap();
                    let replay = (!history.is_empty() && self.rng.chance(30))
                        .then(|| history[self.rng.index(history.len())].clone());
                    history.push(batch);
                    replay
                };
                if let Some(old) = replay {
                    self.send_up(sync_from_node::Message::Changes(old)).await?;
                    self.own_batches.push_back(false);
                    self.stats
                        .batches_replayed_to_gateway
                        .fetch_add(1, Ordering::Relaxed);
                }
                Ok(())
            }
            Some(sync_from_node::Message::Applied(Applied { sequence })) => {
                self.node_applied(sequence).await
            }
            Some(other) => self.send_up(other).await,
            None => Ok(()),
        }
    }

    async fn on_gateway_message(&mut self, message: SyncFromGateway) -> Result<(), ()> {
        match message.message {
            Some(sync_from_gateway::Message::Accepted(accepted)) => {
                if self.own_batches.pop_front().unwrap_or(true) {
                    self.send_down(sync_from_gateway::Message::Accepted(accepted))
                        .await?;
                }
                Ok(())
            }
            Some(sync_from_gateway::Message::Log(batch))
                if batch.snapshot_through > 0 || batch.entries.iter().any(|e| e.sequence == 0) =>
            {
                self.in_flight.push_back(Delivery::Snapshot {
                    through: batch.snapshot_through,
                });
                self.send_down(sync_from_gateway::Message::Log(batch)).await
            }
            Some(sync_from_gateway::Message::Log(batch)) => {
                for entry in batch.entries {
                    self.received.insert(entry.sequence);
                    self.held.push(entry);
                }
                Ok(())
            }
            Some(other) => self.send_down(other).await,
            None => Ok(()),
        }
    }

    /// Hands the node a random portion of the held entries, in random order, with
    /// some entries it already has.
    async fn deliver(&mut self) -> Result<(), ()> {
        let count = 1 + self.rng.index(self.held.len());
        let mut fresh = Vec::with_capacity(count);
        for _ in 0..count {
            let index = self.rng.index(self.held.len());
            fresh.push(self.held.swap_remove(index));
        }
        fresh.sort_by_key(|entry| entry.sequence);
        let marker = fresh.pop().unwrap();
        let fresh_sequences: Vec<u64> = fresh
            .iter()
            .chain(std::iter::once(&marker))
            .map(|e| e.sequence)
            .collect();
        let mut entries: Vec<(LogEntry, bool)> = fresh.into_iter().map(|e| (e, false)).collect();
        let earlier: Vec<&LogEntry> = self
            .delivered
            .iter()
            .filter(|e| e.sequence < marker.sequence)
            .collect();
        if !earlier.is_empty() && self.rng.chance(50) {
            for _ in 0..1 + self.rng.below(3) {
                entries.push(((*self.rng.pick(&earlier)).clone(), true));
            }
        }
        self.rng.shuffle(&mut entries);
        entries.push((marker.clone(), false));

        for (entry, again) in &entries {
            if *again {
                self.stats
                    .duplicates_to_node
                    .fetch_add(1, Ordering::Relaxed);
            } else {
                if entry.sequence < self.latest_delivered {
                    self.stats.late_to_node.fetch_add(1, Ordering::Relaxed);
                }
                self.latest_delivered = self.latest_delivered.max(entry.sequence);
                self.delivered.push(entry.clone());
            }
            self.stats.entries_to_node.fetch_add(1, Ordering::Relaxed);
        }
        let batch = LogBatch {
            entries: entries.into_iter().map(|(entry, _)| entry).collect(),
            snapshot_through: 0,
        };
        let twice = self.rng.chance(15);
        self.in_flight.push_back(Delivery::Batch {
            marker: marker.sequence,
            fresh: fresh_sequences,
        });
        self.send_down(sync_from_gateway::Message::Log(batch.clone()))
            .await?;
        if twice {
            let len = batch.entries.len() as u64;
            self.stats
                .duplicates_to_node
                .fetch_add(len, Ordering::Relaxed);
            self.stats.entries_to_node.fetch_add(len, Ordering::Relaxed);
            self.in_flight.push_back(Delivery::Batch {
                marker: marker.sequence,
                fresh: Vec::new(),
            });
            self.send_down(sync_from_gateway::Message::Log(batch))
                .await?;
        }
        Ok(())
    }

    /// The node applied every batch up to the one it names; tells the gateway how
    /// far every entry it sent has been applied.
    async fn node_applied(&mut self, sequence: u64) -> Result<(), ()> {
        // The node applies batches in order: an acknowledgement covers every batch
        // before the one it names (a snapshot's pages are acknowledged once, by
        // the sequence it runs through).
        let position = self.in_flight.iter().position(|delivery| match delivery {
            Delivery::Batch { marker, .. } => *marker == sequence,
            Delivery::Snapshot { through } => *through > 0 && *through == sequence,
        });
        let done = match position {
            Some(position) => position + 1,
            None => {
                eprintln!("relay: the node acknowledged {sequence}, which no batch ends with");
                0
            }
        };
        for delivery in self.in_flight.drain(..done) {
            match delivery {
                Delivery::Batch { fresh, .. } => self.applied.extend(fresh),
                Delivery::Snapshot { through } => self.floor = self.floor.max(through),
            }
        }
        let mut through = self.floor;
        for sequence in &self.received {
            if *sequence <= self.floor || self.applied.contains(sequence) {
                through = through.max(*sequence);
            } else {
                break;
            }
        }
        if through > self.reported {
            self.reported = through;
            self.received = self.received.split_off(&(through + 1));
            self.applied = self.applied.split_off(&(through + 1));
            self.send_up(sync_from_node::Message::Applied(Applied {
                sequence: through,
            }))
            .await?;
        }
        Ok(())
    }
}
