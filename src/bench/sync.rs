//! `passage bench sync`: the federation's sync measured end to end on this machine —
//! three regions and the gateway, over mTLS: by default in one process on SQLite, as
//! the demo runs; `--backend postgres` and `--processes` run them as deployed
//! ([`super::servers`]). Amsterdam writes through the public API; Washington DC and
//! Miami receive.
//!
//! - sustained rate: changes per second from the first write until both receivers
//!   have applied the last;
//! - propagation latency at a fixed rate: for each change, the time from its write
//!   at the origin (its HLC stamp) to its apply at a receiver (the replica row's
//!   `updated_at`), p50 and p99 over both receivers;
//! - catch-up: Miami is stopped while Amsterdam writes, then restarted; changes
//!   applied per second until it has caught up.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use passage_proto::v1::{
    self, ProfileState, federation_admin_service_client::FederationAdminServiceClient,
    member_service_client::MemberServiceClient,
};
use prost::Message;
use sea_orm::{ConnectionTrait, Database, Statement};
use tokio::sync::Semaphore;
use tonic::transport::Channel;

use passage_server::sync_stages::{self, Stage};

use crate::credentials::{SealedChannel, SealedChapterAdmin};

use super::quantile;
use super::servers::{Place, Servers, Setup, federation_plan, free_address, with_databases};
use crate::certs::{CertDir, ensure_demo_certs};
use crate::demo::{REGIONS, in_region};

/// What to measure.
#[derive(Debug, Clone)]
pub struct SyncBench {
    /// Members Amsterdam shares; every change updates one of them.
    pub members: usize,
    /// Changes for the sustained rate.
    pub changes: usize,
    /// Fixed rate (changes per second) for the latency measurement…
    pub rate: usize,
    /// …held for this many seconds.
    pub seconds: u64,
    /// Changes Miami misses while it is down.
    pub missed: usize,
    /// Writes in flight at once.
    pub concurrency: usize,
    /// Changes per call for the sustained rate and the missed changes: 1 sends
    /// each as its own `UpdateMember`; more send `BatchUpdateMembers` calls, as a
    /// chapter's import does. The fixed-rate latency always sends single updates.
    pub batch: usize,
    /// Where the writes enter.
    pub writes_via: WritesVia,
    /// Single `UpdateMember` calls sent through the gateway and then the same
    /// number straight at the writing node, `concurrency` in flight, to compare
    /// the two in one run; 0 skips them.
    pub single_calls: usize,
    /// The servers' database and processes.
    pub setup: Setup,
}

/// Where the writing region's changes enter the federation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum WritesVia {
    /// Through the gateway, over TLS, routed by `x-passage-region`, as clients call.
    Gateway,
    /// Straight at the writing region's node, as a chapter's own tools on its host
    /// would: the sync pipeline's rate without the gateway's routing in front.
    Node,
}

impl WritesVia {
    pub fn describe(self) -> &'static str {
        match self {
            WritesVia::Gateway => "gateway",
            WritesVia::Node => "writing region's node",
        }
    }
}

/// What was measured, and with which settings; prints itself as the command's
/// report.
#[derive(Debug, Clone)]
pub struct SyncFigures {
    pub bench: SyncBench,
    pub sustained_per_second: f64,
    pub latency_p50_ms: f64,
    pub latency_p99_ms: f64,
    pub latency_samples: usize,
    /// Where the latency goes, split at the gateway's log.
    pub breakdown: LatencyBreakdown,
    /// Single calls through the gateway against straight at the node.
    pub single: Option<SingleCalls>,
    pub catch_up_per_second: f64,
    /// Of the catch-up's time, how long the region took to start serving again.
    pub restart_seconds: f64,
}

/// The fixed-rate run's latency split where the gateway's log row is stamped
/// (`change_log.appended_at`): before it, the origin's commit, the outbox's wait
/// for the batch in flight, the send and the gateway's append; after it, the
/// gateway's commit, the fan-out to each receiver and its apply.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatencyBreakdown {
    pub to_log_p50_ms: f64,
    pub to_log_p99_ms: f64,
    pub to_applied_p50_ms: f64,
    pub to_applied_p99_ms: f64,
    /// Each stage as the servers time it (`passage_server::sync_stages`), over the
    /// fixed-rate run: outbox wait, gateway append, fan-out, apply.
    pub stages: [StageFigures; 4],
}

/// One stage of the way between regions, from the servers' histograms (so its
/// quantiles are interpolated within their buckets).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StageFigures {
    pub stage: Stage,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Changes the stage timed (the apply: each receiver's).
    pub changes: u64,
}

impl StageFigures {
    fn describe(&self) -> &'static str {
        match self.stage {
            Stage::OutboxWait => "outbox wait (writer: stamp to send)",
            Stage::Append => "gateway append (batch in to committed)",
            Stage::FanOut => "fan-out (committed to handed to a receiver)",
            Stage::Apply => "apply (batch in to committed, each receiver)",
        }
    }
}

/// Single `UpdateMember` calls answered per second, through the gateway and
/// straight at the writing node, in one run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SingleCalls {
    pub via_gateway_per_second: f64,
    pub via_node_per_second: f64,
}

impl fmt::Display for SyncFigures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let SyncBench {
            changes,
            rate,
            missed,
            batch,
            writes_via,
            ..
        } = &self.bench;
        writeln!(
            f,
            "passage bench sync (1 region writing, 2 receiving, {}, mTLS, {}; \
             writes via the {}, {})",
            self.bench.setup.backend_name(),
            self.bench.setup.processes_name(),
            writes_via.describe(),
            if *batch > 1 {
                format!("{batch} changes per BatchUpdateMembers call")
            } else {
                "one UpdateMember call per change".to_owned()
            }
        )?;
        writeln!(
            f,
            "  sustained: {:.0} changes/s applied end to end ({changes} changes)",
            self.sustained_per_second
        )?;
        writeln!(
            f,
            "  latency at {rate}/s (single UpdateMember calls): p50 {:.1} ms, p99 {:.1} ms ({} samples)",
            self.latency_p50_ms, self.latency_p99_ms, self.latency_samples
        )?;
        let breakdown = &self.breakdown;
        writeln!(
            f,
            "    written to the gateway's log (commit, outbox, send, append): p50 {:.1} ms, p99 {:.1} ms",
            breakdown.to_log_p50_ms, breakdown.to_log_p99_ms
        )?;
        writeln!(
            f,
            "    log to applied (gateway commit, fan-out, apply): p50 {:.1} ms, p99 {:.1} ms",
            breakdown.to_applied_p50_ms, breakdown.to_applied_p99_ms
        )?;
        writeln!(
            f,
            "    by stage, as each server times it (the network between them in none):"
        )?;
        for stage in &breakdown.stages {
            writeln!(
                f,
                "      {:<46} p50 {:.2} ms, p99 {:.2} ms ({} changes)",
                format!("{}:", stage.describe()),
                stage.p50_ms,
                stage.p99_ms,
                stage.changes
            )?;
        }
        if let Some(single) = &self.single {
            writeln!(
                f,
                "  single UpdateMember calls ({} in flight, {} each): {:.0}/s via the gateway, \
                 {:.0}/s straight at the node, ratio {:.2}",
                self.bench.concurrency,
                self.bench.single_calls,
                single.via_gateway_per_second,
                single.via_node_per_second,
                single.via_gateway_per_second / single.via_node_per_second
            )?;
        }
        writeln!(
            f,
            "  catch-up: {:.0} changes/s ({missed} missed changes; the region's start took {:.2} s of it)",
            self.catch_up_per_second, self.restart_seconds
        )
    }
}

const WRITER: &str = "amsterdam";
const RECEIVERS: [&str; 2] = ["washington-dc", "miami"];

/// Runs the benchmark and returns its figures.
pub async fn run(bench: &SyncBench) -> anyhow::Result<SyncFigures> {
    let place = Place::new(&bench.setup, "sync")?;
    let servers = std::iter::once("gateway").chain(REGIONS.iter().map(|r| r.0));
    with_databases(place, servers.map(str::to_owned), async |dir, urls| {
        run_in(bench, &dir, &urls).await
    })
    .await
}

async fn run_in(
    bench: &SyncBench,
    dir: &Path,
    urls: &BTreeMap<String, String>,
) -> anyhow::Result<SyncFigures> {
    let certs = CertDir(dir.join("certs"));
    let slugs: Vec<&str> = REGIONS.iter().map(|r| r.0).collect();
    ensure_demo_certs(&certs, &slugs)?;
    // Every server serves its metrics, where the stages of the latency are read.
    let mut plan = federation_plan(REGIONS.iter().copied(), urls, &certs);
    plan.gateway_metrics_listen = Some(free_address()?);
    for region in &mut plan.regions {
        region.metrics_listen = Some(free_address()?);
    }
    let stage_pages = StagePages::of(&plan);
    let mut federation = Servers::start(plan, &bench.setup, dir).await?;
    let channel = federation.gateway_channel().await?;
    let progress = Progress::open(urls).await?;
    let via_gateway = SealedChannel::as_is(channel.clone());
    let via_node = {
        let endpoint = federation
            .node_endpoint(WRITER)
            .context("the writing region runs")?;
        // Over mutual TLS with the gateway's certificate, the only one a node
        // answers, as the gateway calls it.
        let tls = endpoint.starts_with("https://");
        let address = endpoint
            .trim_start_matches("https://")
            .trim_start_matches("http://");
        let ca = tls.then(|| certs.ca().cert);
        let node = crate::federation::node_endpoint(
            address,
            WRITER,
            ca.as_deref(),
            tls.then(|| certs.gateway()).as_ref(),
        )?
        .tcp_nodelay(true)
        .connect()
        .await?;
        // Sealed as the gateway seals the chapter admin's calls.
        let admin = SealedChapterAdmin::from_key_file(WRITER, &certs.region_caller_key(WRITER))?;
        SealedChannel::new(node, admin)
    };
    let writes = match bench.writes_via {
        WritesVia::Gateway => via_gateway.clone(),
        WritesVia::Node => via_node.clone(),
    };

    eprintln!(
        "bench sync: registering {} members in {WRITER}",
        bench.members
    );
    // Every change below updates a consenting member, so it adds exactly one entry
    // to the gateway's log: the expected log head says when the writer is done.
    let mut expected_head = bench.members as u64;
    let ids = register_members(&writes, bench.members, bench.concurrency).await?;
    progress.applied(&RECEIVERS, expected_head).await?;

    eprintln!("bench sync: {} changes as fast as they go", bench.changes);
    let started = Instant::now();
    write_changes(
        &writes,
        &ids,
        bench.changes,
        None,
        bench.concurrency,
        bench.batch,
        1,
    )
    .await?;
    eprintln!(
        "bench sync: the writer was answered for every change after {:.2} s",
        started.elapsed().as_secs_f64()
    );
    expected_head += bench.changes as u64;
    progress.applied(&RECEIVERS, expected_head).await?;
    let sustained_per_second = bench.changes as f64 / started.elapsed().as_secs_f64();

    let single = if bench.single_calls > 0 {
        let mut rates = [0.0; 2];
        for (round, (rate, (writes, via))) in rates
            .iter_mut()
            .zip([(&via_gateway, "the gateway"), (&via_node, "the node")])
            .enumerate()
        {
            eprintln!(
                "bench sync: {} single UpdateMember calls straight at {via}",
                bench.single_calls
            );
            let started = Instant::now();
            write_changes(
                writes,
                &ids,
                bench.single_calls,
                None,
                bench.concurrency,
                1,
                4 + round as i32,
            )
            .await?;
            *rate = bench.single_calls as f64 / started.elapsed().as_secs_f64();
            expected_head += bench.single_calls as u64;
            progress.applied(&RECEIVERS, expected_head).await?;
        }
        Some(SingleCalls {
            via_gateway_per_second: rates[0],
            via_node_per_second: rates[1],
        })
    } else {
        None
    };

    let paced = bench.rate * bench.seconds as usize;
    if paced > ids.len() {
        bail!("--members must be at least --rate × --seconds ({paced}) to time each change");
    }
    eprintln!("bench sync: {paced} changes at {} per second", bench.rate);
    let since = chrono::Utc::now();
    let stages_before = stage_pages.read().await?;
    write_changes(
        &writes,
        &ids,
        paced,
        Some(bench.rate),
        bench.concurrency * 4,
        1,
        2,
    )
    .await?;
    expected_head += paced as u64;
    progress.applied(&RECEIVERS, expected_head).await?;
    let stages_after = stage_pages.read().await?;
    let appended = appended_since(&progress.gateway, since).await?;
    let (mut latencies, mut to_log, mut to_applied) = (Vec::new(), Vec::new(), Vec::new());
    for receiver in RECEIVERS {
        for change in changes_applied_since(progress.region(receiver)?, since).await? {
            latencies.push(change.applied_ms - change.written_ms);
            if let Some(appended_ms) = appended.get(&change.member_id) {
                to_log.push(appended_ms - change.written_ms);
                to_applied.push(change.applied_ms - appended_ms);
            }
        }
    }
    let latency_samples = latencies.len();
    let breakdown = LatencyBreakdown {
        to_log_p50_ms: quantile(&mut to_log, 0.50),
        to_log_p99_ms: quantile(&mut to_log, 0.99),
        to_applied_p50_ms: quantile(&mut to_applied, 0.50),
        to_applied_p99_ms: quantile(&mut to_applied, 0.99),
        stages: Stage::ALL.map(|stage| {
            let between = sync_stages::difference(
                &sync_stages::read_buckets(&stages_after, stage),
                &sync_stages::read_buckets(&stages_before, stage),
            );
            let ms = |q| sync_stages::quantile(&between, q).map_or(f64::NAN, |s| s * 1000.0);
            StageFigures {
                stage,
                p50_ms: ms(0.50),
                p99_ms: ms(0.99),
                changes: between.last().map_or(0, |(_, count)| *count),
            }
        }),
    };

    eprintln!("bench sync: miami misses {} changes", bench.missed);
    federation.stop_region("miami").await?;
    write_changes(
        &writes,
        &ids,
        bench.missed,
        None,
        bench.concurrency,
        bench.batch,
        3,
    )
    .await?;
    expected_head += bench.missed as u64;
    progress.applied(&["washington-dc"], expected_head).await?;
    eprintln!("bench sync: miami restarts and catches up");
    let started = Instant::now();
    federation.restart_region("miami").await?;
    let restart_seconds = started.elapsed().as_secs_f64();
    progress.applied(&["miami"], expected_head).await?;
    let catch_up_per_second = bench.missed as f64 / started.elapsed().as_secs_f64();

    progress.close().await?;
    federation.shutdown().await?;
    Ok(SyncFigures {
        bench: bench.clone(),
        sustained_per_second,
        latency_p50_ms: quantile(&mut latencies, 0.50),
        latency_p99_ms: quantile(&mut latencies, 0.99),
        latency_samples,
        breakdown,
        single,
        catch_up_per_second,
        restart_seconds,
    })
}

async fn register_members(
    channel: &SealedChannel,
    count: usize,
    concurrency: usize,
) -> anyhow::Result<Arc<Vec<String>>> {
    let template = consenting_member();
    let limit = Arc::new(Semaphore::new(concurrency));
    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..count {
        let permit = limit.clone().acquire_owned().await?;
        let mut client = MemberServiceClient::new(channel.clone());
        let mut member = template.clone();
        if let Some(profile) = member.profile.as_mut() {
            profile.display_name = format!("Bench member {index}");
        }
        tasks.spawn(async move {
            let _permit = permit;
            let created = client
                .create_member(in_region(
                    WRITER,
                    v1::CreateMemberRequest {
                        member: Some(member),
                    },
                )?)
                .await?
                .into_inner();
            anyhow::Ok((index, created.id))
        });
    }
    let mut ids = vec![String::new(); count];
    while let Some(done) = tasks.join_next().await {
        let (index, id) = done??;
        ids[index] = id;
    }
    Ok(Arc::new(ids))
}

/// Writes `count` changes (each a new value of one member's weekly hours), at most
/// `concurrency` calls in flight, `batch` changes a call, paced to `rate` changes
/// per second when given.
async fn write_changes(
    channel: &SealedChannel,
    ids: &Arc<Vec<String>>,
    count: usize,
    rate: Option<usize>,
    concurrency: usize,
    batch: usize,
    round: i32,
) -> anyhow::Result<()> {
    let batch = batch.max(1);
    let limit = Arc::new(Semaphore::new(concurrency));
    let mut tasks = tokio::task::JoinSet::new();
    let started = tokio::time::Instant::now();
    let mut index = 0;
    while index < count {
        if let Some(rate) = rate {
            let due = started + Duration::from_secs_f64(index as f64 / rate as f64);
            tokio::time::sleep_until(due).await;
        }
        let permit = limit.clone().acquire_owned().await?;
        let mut client = MemberServiceClient::new(channel.clone());
        let end = (index + batch).min(count);
        let requests: Vec<v1::UpdateMemberRequest> = (index..end)
            .map(|change| hours_change(&ids[change % ids.len()], change, round))
            .collect();
        index = end;
        tasks.spawn(async move {
            let _permit = permit;
            if requests.len() == 1 {
                let request = requests.into_iter().next().context("one request")?;
                client.update_member(in_region(WRITER, request)?).await?;
            } else {
                client
                    .batch_update_members(in_region(
                        WRITER,
                        v1::BatchUpdateMembersRequest { requests },
                    )?)
                    .await?;
            }
            anyhow::Ok(())
        });
        while let Some(done) = tasks.try_join_next() {
            done??;
        }
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    Ok(())
}

/// The `index`th change: member `id`'s weekly hours set to a new value.
fn hours_change(id: &str, index: usize, round: i32) -> v1::UpdateMemberRequest {
    let hours = 1 + ((index as i32 + round) % 40);
    v1::UpdateMemberRequest {
        member: Some(v1::Member {
            id: id.to_owned(),
            profile: Some(v1::SharedProfile {
                available_hours_per_week: hours,
                ..Default::default()
            }),
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["profile.available_hours_per_week".into()],
        }),
    }
}

/// Every server's `/metrics` page, where the stages of a change's way between
/// regions are read.
struct StagePages {
    addresses: Vec<std::net::SocketAddr>,
}

impl StagePages {
    fn of(plan: &crate::federation::FederationPlan) -> Self {
        let regions = plan
            .regions
            .iter()
            .filter_map(|region| region.metrics_listen);
        StagePages {
            addresses: plan
                .gateway_metrics_listen
                .into_iter()
                .chain(regions)
                .collect(),
        }
    }

    /// Every server's metrics, one text after the other.
    async fn read(&self) -> anyhow::Result<String> {
        let mut pages = String::new();
        for address in &self.addresses {
            pages.push_str(&metrics_page(*address).await?);
        }
        Ok(pages)
    }
}

/// The `/metrics` page served at `address`, over plain HTTP/1.0.
async fn metrics_page(address: std::net::SocketAddr) -> anyhow::Result<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let read = async {
        let mut socket = tokio::net::TcpStream::connect(address).await?;
        socket
            .write_all(b"GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            .await?;
        let mut answer = Vec::new();
        socket.read_to_end(&mut answer).await?;
        anyhow::Ok(String::from_utf8_lossy(&answer).into_owned())
    };
    let answer = tokio::time::timeout(Duration::from_secs(30), read)
        .await
        .with_context(|| format!("metrics at {address} did not answer"))?
        .with_context(|| format!("reading the metrics at {address}"))?;
    let (head, body) = answer
        .split_once("\r\n\r\n")
        .with_context(|| format!("metrics at {address}: no HTTP answer"))?;
    if !head.starts_with("HTTP/1.0 200") && !head.starts_with("HTTP/1.1 200") {
        bail!(
            "metrics at {address}: {}",
            head.lines().next().unwrap_or_default()
        );
    }
    Ok(body.to_owned())
}

/// The gateway's and the receivers' databases, read to tell when the receivers
/// have applied the log. Reading a cursor costs the servers nothing, where the
/// gateway's `GetSyncStatus` counts every region's backlog — a scan of all it
/// has not applied, which on a catch-up of 100,000 changes polled every 100 ms
/// took a good part of the machine from what it measured.
struct Progress {
    gateway: sea_orm::DatabaseConnection,
    regions: BTreeMap<String, sea_orm::DatabaseConnection>,
}

impl Progress {
    async fn open(urls: &BTreeMap<String, String>) -> anyhow::Result<Self> {
        let mut regions = BTreeMap::new();
        for receiver in RECEIVERS {
            regions.insert(receiver.to_owned(), open_database(urls, receiver).await?);
        }
        Ok(Progress {
            gateway: open_database(urls, "gateway").await?,
            regions,
        })
    }

    /// Waits until the log holds `expected_head` entries (every change has left
    /// the writer) and each of `regions` has applied it through its newest.
    async fn applied(&self, regions: &[&str], expected_head: u64) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(600);
        let head = loop {
            let head = read_i64(
                &self.gateway,
                "SELECT COALESCE(MAX(sequence), 0) AS value FROM change_log",
            )
            .await?;
            if head >= expected_head as i64 {
                break head;
            }
            waited(deadline, || {
                format!("the log holds {head} of {expected_head} entries")
            })
            .await?;
        };
        for region in regions {
            let db = self.region(region)?;
            loop {
                let applied = read_i64(
                    db,
                    "SELECT COALESCE(MAX(applied_sequence), 0) AS value FROM sync_cursor \
                     WHERE peer = 'gateway'",
                )
                .await?;
                if applied >= head {
                    break;
                }
                waited(deadline, || {
                    format!("{region} applied the log through {applied} of {head}")
                })
                .await?;
            }
        }
        Ok(())
    }

    /// Receiver `region`'s database.
    fn region(&self, region: &str) -> anyhow::Result<&sea_orm::DatabaseConnection> {
        self.regions
            .get(region)
            .with_context(|| format!("{region} is not a receiver"))
    }

    async fn close(self) -> anyhow::Result<()> {
        self.gateway.close().await?;
        for db in self.regions.into_values() {
            db.close().await?;
        }
        Ok(())
    }
}

/// Server `name`'s database, to follow the sync.
pub(super) async fn open_database(
    urls: &BTreeMap<String, String>,
    name: &str,
) -> anyhow::Result<sea_orm::DatabaseConnection> {
    let url = urls.get(name).cloned().unwrap_or_default();
    Database::connect(url)
        .await
        .with_context(|| format!("opening {name}'s database to follow the sync"))
}

/// The one number `sql` reads (as `value`).
pub(super) async fn read_i64(db: &sea_orm::DatabaseConnection, sql: &str) -> anyhow::Result<i64> {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?
        .context("a count answers one row")?;
    Ok(row.try_get("", "value")?)
}

/// Sleeps a moment before the next look, or fails with `what` past `deadline`.
async fn waited(deadline: Instant, what: impl Fn() -> String) -> anyhow::Result<()> {
    if Instant::now() > deadline {
        bail!("the federation did not catch up within 600 s: {}", what());
    }
    tokio::time::sleep(Duration::from_millis(10)).await;
    Ok(())
}

/// Waits until the gateway's log has `expected_head` entries and every one of
/// `regions` is connected with nothing left to apply; fails after `limit`.
pub(super) async fn caught_up_within(
    channel: &Channel,
    regions: &[&str],
    expected_head: u64,
    limit: Duration,
) -> anyhow::Result<()> {
    let mut admin = FederationAdminServiceClient::new(channel.clone());
    let deadline = Instant::now() + limit;
    loop {
        let status = admin
            .get_sync_status(crate::credentials::as_operator(
                v1::GetSyncStatusRequest {},
            )?)
            .await?
            .into_inner();
        let applied = status
            .regions
            .iter()
            .filter(|r| regions.contains(&r.region.as_str()))
            .all(|r| r.backlog == 0 && r.connected);
        if status.log_head >= expected_head && applied {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!(
                "the federation did not catch up within {} s: log head {} of {expected_head}, \
                 regions {:?}",
                limit.as_secs(),
                status.log_head,
                status
                    .regions
                    .iter()
                    .filter(|r| r.backlog > 0 || !r.connected)
                    .map(|r| (&r.region, r.backlog, r.connected))
                    .collect::<Vec<_>>()
            );
        }
        // Each poll counts every region's backlog; polling faster would slow what
        // it measures.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A change as a receiver applied it: whose, when written (its newest stamp's
/// HLC time, in whole milliseconds) and when applied (ms since the epoch).
struct AppliedChange {
    member_id: uuid::Uuid,
    written_ms: f64,
    applied_ms: f64,
}

/// The newest change to every replica updated since `since` in a receiver's
/// database.
async fn changes_applied_since(
    db: &sea_orm::DatabaseConnection,
    since: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<Vec<AppliedChange>> {
    use passage_node::store::entity::remote_profile;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let rows = remote_profile::Entity::find()
        .filter(remote_profile::Column::UpdatedAt.gte(since))
        .all(db)
        .await?;
    let mut changes = Vec::with_capacity(rows.len());
    for row in rows {
        let state = ProfileState::decode(row.state.as_slice())?;
        let written_ms = passage_proto::hlc::written_millis(&state).unwrap_or(0);
        changes.push(AppliedChange {
            member_id: row.member_id,
            written_ms: written_ms as f64,
            applied_ms: millis(row.updated_at),
        });
    }
    Ok(changes)
}

/// When the gateway's log took each member's newest change appended since
/// `since` (ms since the epoch), from the gateway's database.
async fn appended_since(
    db: &sea_orm::DatabaseConnection,
    since: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<std::collections::HashMap<uuid::Uuid, f64>> {
    use passage_gateway::store::entity::change_log;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let rows = change_log::Entity::find()
        .filter(change_log::Column::AppendedAt.gte(since))
        .order_by_asc(change_log::Column::Sequence)
        .all(db)
        .await?;
    let mut appended = std::collections::HashMap::new();
    for row in rows {
        appended.insert(row.member_id, millis(row.appended_at));
    }
    Ok(appended)
}

/// Milliseconds since the epoch, to the microsecond.
fn millis(at: chrono::DateTime<chrono::Utc>) -> f64 {
    at.timestamp_micros() as f64 / 1000.0
}

/// The bench's members are all this one: a newcomer with a residence permit who
/// shares her profile across regions.
fn consenting_member() -> v1::Member {
    v1::Member {
        profile: Some(v1::SharedProfile {
            display_name: "Bench member".into(),
            profession: "caregiver".into(),
            sectors: vec!["healthcare".into()],
            skills: vec![
                "personal care".into(),
                "elderly care".into(),
                "first aid".into(),
            ],
            languages: vec!["ar".into(), "nl".into(), "en".into()],
            education_level: v1::EducationLevel::Secondary as i32,
            experience_years: 5,
            available_hours_per_week: 20,
            share_across_regions: true,
            ..Default::default()
        }),
        regional: Some(v1::RegionalRecord {
            role: v1::MemberRole::Newcomer as i32,
            residence_status: v1::ResidenceStatus::StatusHolder as i32,
            nationality: "SY".into(),
            asylum_application_date: "2024-02-06".into(),
            civic_integration: v1::CivicIntegration::None as i32,
            permits: vec![v1::Permit {
                kind: "Verblijfsvergunning asiel bepaalde tijd".into(),
                valid_until: "2029-02-06".into(),
            }],
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bench(batch: usize, writes_via: WritesVia) -> SyncBench {
        SyncBench {
            members: 5_000,
            changes: 20_000,
            rate: 1_000,
            seconds: 5,
            missed: 100_000,
            concurrency: 32,
            batch,
            writes_via,
            single_calls: 10_000,
            setup: Setup::default(),
        }
    }

    #[test]
    fn the_figures_print_as_the_readme_shows_them() {
        let figures = SyncFigures {
            bench: bench(100, WritesVia::Gateway),
            sustained_per_second: 6401.2,
            latency_p50_ms: 7.5,
            latency_p99_ms: 25.8,
            latency_samples: 10_000,
            breakdown: LatencyBreakdown {
                to_log_p50_ms: 3.1,
                to_log_p99_ms: 12.0,
                to_applied_p50_ms: 4.4,
                to_applied_p99_ms: 13.8,
                stages: [
                    (Stage::OutboxWait, 1.2, 9.5, 5_000),
                    (Stage::Append, 0.61, 3.0, 5_000),
                    (Stage::FanOut, 2.05, 7.25, 10_000),
                    (Stage::Apply, 0.83, 4.1, 10_000),
                ]
                .map(|(stage, p50_ms, p99_ms, changes)| StageFigures {
                    stage,
                    p50_ms,
                    p99_ms,
                    changes,
                }),
            },
            single: Some(SingleCalls {
                via_gateway_per_second: 2785.0,
                via_node_per_second: 3891.0,
            }),
            catch_up_per_second: 63_839.4,
            restart_seconds: 0.42,
        };
        assert_eq!(
            figures.to_string(),
            "passage bench sync (1 region writing, 2 receiving, SQLite, mTLS, one process; \
             writes via the gateway, 100 changes per BatchUpdateMembers call)\n  \
             sustained: 6401 changes/s applied end to end (20000 changes)\n  \
             latency at 1000/s (single UpdateMember calls): p50 7.5 ms, p99 25.8 ms (10000 samples)\n    \
             written to the gateway's log (commit, outbox, send, append): p50 3.1 ms, p99 12.0 ms\n    \
             log to applied (gateway commit, fan-out, apply): p50 4.4 ms, p99 13.8 ms\n    \
             by stage, as each server times it (the network between them in none):\n      \
             outbox wait (writer: stamp to send):           p50 1.20 ms, p99 9.50 ms (5000 changes)\n      \
             gateway append (batch in to committed):        p50 0.61 ms, p99 3.00 ms (5000 changes)\n      \
             fan-out (committed to handed to a receiver):   p50 2.05 ms, p99 7.25 ms (10000 changes)\n      \
             apply (batch in to committed, each receiver):  p50 0.83 ms, p99 4.10 ms (10000 changes)\n  \
             single UpdateMember calls (32 in flight, 10000 each): 2785/s via the gateway, \
             3891/s straight at the node, ratio 0.72\n  \
             catch-up: 63839 changes/s (100000 missed changes; the region's start took 0.42 s of it)\n"
        );
        let single = SyncFigures {
            bench: bench(1, WritesVia::Node),
            ..figures
        };
        assert!(single.to_string().starts_with(
            "passage bench sync (1 region writing, 2 receiving, SQLite, mTLS, one process; \
             writes via the writing region's node, one UpdateMember call per change)\n"
        ));
        let deployed = SyncFigures {
            bench: SyncBench {
                setup: Setup {
                    backend: super::super::servers::Backend::Postgres,
                    database_url: None,
                    processes: true,
                },
                ..bench(1, WritesVia::Gateway)
            },
            ..single
        };
        assert!(deployed.to_string().starts_with(
            "passage bench sync (1 region writing, 2 receiving, PostgreSQL, mTLS, a process \
             per server; writes via the gateway, one UpdateMember call per change)\n"
        ));
    }
}
