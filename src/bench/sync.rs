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

use crate::credentials::{SealedChannel, SealedChapterAdmin};

use super::quantile;
use super::servers::{Place, Servers, Setup, federation_plan, run_in_place};
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
    pub catch_up_per_second: f64,
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
        writeln!(
            f,
            "  catch-up: {:.0} changes/s ({missed} missed changes)",
            self.catch_up_per_second
        )
    }
}

const WRITER: &str = "amsterdam";
const RECEIVERS: [&str; 2] = ["washington-dc", "miami"];

/// Runs the benchmark and returns its figures.
pub async fn run(bench: &SyncBench) -> anyhow::Result<SyncFigures> {
    let mut place = Place::new(&bench.setup, "sync")?;
    let servers = std::iter::once("gateway").chain(REGIONS.iter().map(|r| r.0));
    let urls = match place.databases(servers.map(str::to_owned)).await {
        Ok(urls) => urls,
        Err(error) => return place.clean_up(Err(error)).await,
    };
    let dir = place.dir.clone();
    run_in_place(place, run_in(bench, &dir, &urls)).await
}

async fn run_in(
    bench: &SyncBench,
    dir: &Path,
    urls: &BTreeMap<String, String>,
) -> anyhow::Result<SyncFigures> {
    let certs = CertDir(dir.join("certs"));
    let slugs: Vec<&str> = REGIONS.iter().map(|r| r.0).collect();
    ensure_demo_certs(&certs, &slugs)?;
    let url = |name: &str| urls.get(name).cloned().unwrap_or_default();
    let mut federation = Servers::start(
        federation_plan(REGIONS.iter().copied(), urls, &certs),
        &bench.setup,
        dir,
    )
    .await?;
    let channel = federation.gateway_channel().await?;
    let writes = match bench.writes_via {
        WritesVia::Gateway => SealedChannel::as_is(channel.clone()),
        WritesVia::Node => {
            let endpoint = federation
                .node_endpoint(WRITER)
                .context("the writing region runs")?;
            let node = tonic::transport::Endpoint::from_shared(endpoint)?
                .tcp_nodelay(true)
                .connect()
                .await?;
            // Sealed as the gateway seals the chapter admin's calls.
            let admin =
                SealedChapterAdmin::from_key_file(WRITER, &certs.region_caller_key(WRITER))?;
            SealedChannel::new(node, admin)
        }
    };

    eprintln!(
        "bench sync: registering {} members in {WRITER}",
        bench.members
    );
    // Every change below updates a consenting member, so it adds exactly one entry
    // to the gateway's log: the expected log head says when the writer is done.
    let mut expected_head = bench.members as u64;
    let ids = register_members(&writes, bench.members, bench.concurrency).await?;
    caught_up(&channel, &RECEIVERS, expected_head).await?;

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
    caught_up(&channel, &RECEIVERS, expected_head).await?;
    let sustained_per_second = bench.changes as f64 / started.elapsed().as_secs_f64();

    let paced = bench.rate * bench.seconds as usize;
    if paced > ids.len() {
        bail!("--members must be at least --rate × --seconds ({paced}) to time each change");
    }
    eprintln!("bench sync: {paced} changes at {} per second", bench.rate);
    let since = chrono::Utc::now();
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
    caught_up(&channel, &RECEIVERS, expected_head).await?;
    let mut latencies = Vec::new();
    for receiver in RECEIVERS {
        latencies.extend(latencies_since(&url(receiver), since).await?);
    }
    let latency_samples = latencies.len();

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
    caught_up(&channel, &["washington-dc"], expected_head).await?;
    let started = Instant::now();
    federation.restart_region("miami").await?;
    caught_up(&channel, &["miami"], expected_head).await?;
    let catch_up_per_second = bench.missed as f64 / started.elapsed().as_secs_f64();

    federation.shutdown().await?;
    Ok(SyncFigures {
        bench: bench.clone(),
        sustained_per_second,
        latency_p50_ms: quantile(&mut latencies, 0.50),
        latency_p99_ms: quantile(&mut latencies, 0.99),
        latency_samples,
        catch_up_per_second,
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

/// Waits until the log holds `expected_head` entries (every change has left the
/// writer) and `regions` are connected with nothing left to apply.
async fn caught_up(channel: &Channel, regions: &[&str], expected_head: u64) -> anyhow::Result<()> {
    caught_up_within(channel, regions, expected_head, Duration::from_secs(600)).await
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

/// Propagation latency (ms) of the newest change to every replica updated since
/// `since` in the receiver at `url`.
async fn latencies_since(
    url: &str,
    since: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<Vec<f64>> {
    let db = Database::connect(url).await?;
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT state, updated_at FROM remote_profile",
        ))
        .await?;
    let mut latencies = Vec::new();
    for row in rows {
        let applied: chrono::DateTime<chrono::Utc> = row.try_get("", "updated_at")?;
        if applied < since {
            continue;
        }
        let bytes: Vec<u8> = row.try_get("", "state")?;
        let state = ProfileState::decode(bytes.as_slice())?;
        let written_ms = state
            .stamps
            .values()
            .map(|s| passage_proto::hlc::Hlc::from_u64(s.hlc).millis())
            .max()
            .unwrap_or(0);
        let applied_ms = applied.timestamp_millis() as f64
            + f64::from(applied.timestamp_subsec_micros() % 1000) / 1000.0;
        latencies.push(applied_ms - written_ms as f64);
    }
    db.close().await?;
    Ok(latencies)
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
            catch_up_per_second: 63_839.4,
        };
        assert_eq!(
            figures.to_string(),
            "passage bench sync (1 region writing, 2 receiving, SQLite, mTLS, one process; \
             writes via the gateway, 100 changes per BatchUpdateMembers call)\n  \
             sustained: 6401 changes/s applied end to end (20000 changes)\n  \
             latency at 1000/s (single UpdateMember calls): p50 7.5 ms, p99 25.8 ms (10000 samples)\n  \
             catch-up: 63839 changes/s (100000 missed changes)\n"
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
