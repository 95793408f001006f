//! `passage bench snapshot`: a region that joins (or comes back after the log was
//! compacted) gets every other region's shared profiles as a snapshot — each
//! member's latest state from the gateway's directory, page by page — before it
//! follows the log. Measured with the gateway and two regions: Amsterdam is the
//! home of `profiles` shared profiles, written straight into the gateway's
//! directory (as years of sync would have left them); Miami starts with nothing
//! and takes the snapshot. Prints the profiles applied per second and each
//! process's peak memory (the gateway's must not grow with the profiles: it holds
//! one page at a time).

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use passage_gateway::store::entity::{change_log, directory};
use passage_proto::hlc::{Hlc, wall_millis};
use passage_proto::v1::{self, ProfileState, Stamp};
use prost::Message;
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait};

use super::servers::{Place, Servers, Setup, federation_plan, with_databases};
use super::sync::{open_database, read_i64};
use crate::certs::{CertDir, ensure_demo_certs};
use crate::demo::REGIONS;

/// What to measure.
#[derive(Debug, Clone)]
pub struct SnapshotBench {
    /// Shared profiles whose home is Amsterdam.
    pub profiles: usize,
    pub setup: Setup,
}

/// What was measured.
#[derive(Debug, Clone)]
pub struct SnapshotFigures {
    pub bench: SnapshotBench,
    /// Writing the profiles into the gateway's directory (not part of the figure).
    pub seed_seconds: f64,
    /// From Miami's start until it had applied every profile.
    pub snapshot_seconds: f64,
    /// Peak resident memory of each process (or of the one process), and the
    /// most of it that was anonymous while the snapshot was taken (sampled):
    /// the rest is database pages SQLite maps from its file.
    pub peak_memory: Vec<(String, u64, u64)>,
}

impl fmt::Display for SnapshotFigures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let profiles = self.bench.profiles;
        writeln!(
            f,
            "passage bench snapshot (a new region's snapshot of {profiles} shared profiles, {}, mTLS, {})",
            self.bench.setup.backend_name(),
            self.bench.setup.processes_name(),
        )?;
        writeln!(
            f,
            "  snapshot: {:.0} profiles/s ({profiles} profiles in {:.1} s, the region's start included)",
            profiles as f64 / self.snapshot_seconds,
            self.snapshot_seconds
        )?;
        let mib = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
        for (process, peak, anonymous) in &self.peak_memory {
            writeln!(
                f,
                "  peak memory: {process} {:.0} MiB, at most {:.0} MiB of it anonymous \
                 (the rest is mapped from files: the program, and SQLite's database)",
                mib(*peak),
                mib(*anonymous)
            )?;
        }
        writeln!(
            f,
            "  (writing the profiles into the gateway's directory first took {:.1} s)",
            self.seed_seconds
        )
    }
}

const HOME: &str = "amsterdam";
const JOINING: &str = "miami";

/// Profiles written to the directory in one statement.
const SEED_CHUNK: usize = 2_000;

/// Runs the benchmark and returns its figures.
pub async fn run(bench: &SnapshotBench) -> anyhow::Result<SnapshotFigures> {
    let place = Place::new(&bench.setup, "snapshot")?;
    let servers = ["gateway", HOME, JOINING].map(str::to_owned);
    with_databases(place, servers, async |dir, urls| {
        run_in(bench, &dir, &urls).await
    })
    .await
}

async fn run_in(
    bench: &SnapshotBench,
    dir: &Path,
    urls: &BTreeMap<String, String>,
) -> anyhow::Result<SnapshotFigures> {
    let certs = CertDir(dir.join("certs"));
    let regions: Vec<(&str, &str, &str)> = REGIONS
        .iter()
        .copied()
        .filter(|(slug, _, _)| [HOME, JOINING].contains(slug))
        .collect();
    let slugs: Vec<&str> = regions.iter().map(|r| r.0).collect();
    ensure_demo_certs(&certs, &slugs)?;
    let mut federation = Servers::start(
        federation_plan(regions.iter().copied(), urls, &certs),
        &bench.setup,
        dir,
    )
    .await?;
    // Miami has seen an empty log; when it comes back to a log with entries and
    // a cursor of 0, the gateway sends it the snapshot first.
    federation.stop_region(JOINING).await?;

    eprintln!(
        "bench snapshot: writing {} shared profiles into the gateway's directory",
        bench.profiles
    );
    let gateway = open_database(urls, "gateway").await?;
    let started = Instant::now();
    let head = seed_directory(&gateway, bench.profiles).await?;
    let seed_seconds = started.elapsed().as_secs_f64();
    gateway.close().await?;

    eprintln!("bench snapshot: {JOINING} starts and takes the snapshot");
    let joining = open_database(urls, JOINING).await?;
    let started = Instant::now();
    federation.restart_region(JOINING).await?;
    let deadline = started + Duration::from_secs(1_800);
    let status_files = federation.status_files()?;
    let mut anonymous = vec![0u64; status_files.len()];
    loop {
        for ((_, file), most) in status_files.iter().zip(anonymous.iter_mut()) {
            *most = (*most).max(super::servers::anonymous_resident_bytes(file)?);
        }
        let cursor = read_i64(
            &joining,
            "SELECT COALESCE(MAX(applied_sequence), 0) AS value FROM sync_cursor \
             WHERE peer = 'gateway'",
        )
        .await?;
        if cursor >= head {
            break;
        }
        if Instant::now() > deadline {
            bail!(
                "{JOINING} did not take the snapshot within 30 minutes (cursor {cursor} of {head})"
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let snapshot_seconds = started.elapsed().as_secs_f64();
    let replicas = read_i64(&joining, "SELECT COUNT(*) AS value FROM remote_profile").await?;
    joining.close().await?;
    if replicas != bench.profiles as i64 {
        bail!(
            "{JOINING} holds {replicas} replicas after the snapshot, not {}",
            bench.profiles
        );
    }
    let peak_memory = federation
        .peak_memory()?
        .into_iter()
        .zip(anonymous)
        .map(|((name, peak), anonymous)| (name, peak, anonymous))
        .collect();
    federation.shutdown().await?;
    Ok(SnapshotFigures {
        bench: bench.clone(),
        seed_seconds,
        snapshot_seconds,
        peak_memory,
    })
}

/// Member `index`'s shared state, stamped a minute ago at Amsterdam.
fn profile(index: usize, hlc: u64) -> (uuid::Uuid, Vec<u8>) {
    let id = uuid::Uuid::from_u128(0x5a5a_0000_0000_4000_8000_0000_0000_0000 | index as u128);
    let stamp = || Stamp {
        hlc,
        region: HOME.to_owned(),
    };
    let state = ProfileState {
        member_id: id.to_string(),
        profile: Some(v1::SharedProfile {
            display_name: format!("Snapshot member {index}"),
            profession: "caregiver".into(),
            sectors: vec!["healthcare".into()],
            skills: vec!["personal care".into(), "first aid".into()],
            languages: vec!["ar".into(), "nl".into(), "en".into()],
            available_hours_per_week: 1 + (index % 40) as i32,
            share_across_regions: true,
            ..Default::default()
        }),
        stamps: [
            "display_name",
            "profession",
            "sectors",
            "skills",
            "languages",
            "available_hours_per_week",
            "share_across_regions",
        ]
        .into_iter()
        .map(|field| (field.to_owned(), stamp()))
        .collect(),
        ..Default::default()
    };
    (id, state.encode_to_vec())
}

/// Writes `profiles` shared profiles of Amsterdam into the gateway's directory,
/// and the last of them into its log too (a log with an entry is what makes the
/// gateway send a region with nothing the snapshot). Returns the log's head.
async fn seed_directory(db: &DatabaseConnection, profiles: usize) -> anyhow::Result<i64> {
    let hlc = Hlc::new(wall_millis().saturating_sub(60_000), 0).as_u64();
    let now = chrono::Utc::now();
    let mut last = None;
    let mut start = 0;
    while start < profiles {
        let end = (start + SEED_CHUNK).min(profiles);
        let rows = (start..end).map(|index| {
            let (id, state) = profile(index, hlc);
            last = Some((id, state.clone()));
            directory::ActiveModel {
                member_id: Set(id),
                home_region: Set(HOME.to_owned()),
                epoch: Set(1),
                updated_at: Set(now),
                state: Set(Some(state)),
            }
        });
        directory::Entity::insert_many(rows.collect::<Vec<_>>())
            .exec_without_returning(db)
            .await
            .context("writing profiles into the gateway's directory")?;
        start = end;
    }
    let Some((id, state)) = last else {
        bail!("--profiles must be at least 1");
    };
    let entry = change_log::Entity::insert(change_log::ActiveModel {
        member_id: Set(id),
        origin_region: Set(HOME.to_owned()),
        state: Set(state),
        appended_at: Set(now),
        erasure: Set(false),
        recipient: Set(None),
        ..Default::default()
    })
    .exec(db)
    .await
    .context("writing the log's entry")?;
    Ok(entry.last_insert_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_figures_print_each_process_and_the_rate() {
        let figures = SnapshotFigures {
            bench: SnapshotBench {
                profiles: 1_000_000,
                setup: Setup::default(),
            },
            seed_seconds: 21.5,
            snapshot_seconds: 25.0,
            peak_memory: vec![("gateway".into(), 700 * 1024 * 1024, 96 * 1024 * 1024)],
        };
        assert_eq!(
            figures.to_string(),
            "passage bench snapshot (a new region's snapshot of 1000000 shared profiles, SQLite, \
             mTLS, one process)\n  \
             snapshot: 40000 profiles/s (1000000 profiles in 25.0 s, the region's start included)\n  \
             peak memory: gateway 700 MiB, at most 96 MiB of it anonymous (the rest is mapped \
             from files: the program, and SQLite's database)\n  \
             (writing the profiles into the gateway's directory first took 21.5 s)\n"
        );
    }
}
