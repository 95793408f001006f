//! `passage bench scale`: a federation of Refugee Start Force's size. `regions`
//! regions (50 by default) behind the gateway over mutual TLS, each importing a
//! members file of `members` rows (30,000 by default) as a chapter moving to
//! Passage does — one `ImportRecords` call through the gateway — in which every
//! `sharing`th member (a tenth by default) shares her profile across regions.
//! Every shared profile is replicated to every other region; the bench waits
//! until each region has applied all of them (the gateway says nothing is left
//! to apply, and each region's database holds exactly the others' shared
//! profiles), then prints the time, the disk used and each process's peak
//! memory. `--regions 10|20|50` shows how they grow; `--backend` and
//! `--processes` as for every bench ([`super::servers`]).

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use passage_proto::v1::{self, spreadsheet_service_client::SpreadsheetServiceClient};
use sea_orm::{ConnectionTrait, Database, Statement};
use tokio::sync::Semaphore;

use super::import::members_file;
use super::servers::{Backend, Place, Servers, Setup, federation_plan, run_in_place};
use super::sync::caught_up_within;
use crate::certs::{CertDir, ensure_demo_certs};
use crate::federation::POOL_PER_SERVER;

/// Chapters importing their members file at once: each import is one
/// transaction in its own region, and two cores serve them.
const IMPORTS_AT_ONCE: usize = 2;

/// How long the federation may take to converge after the last import.
const CONVERGE_WITHIN: Duration = Duration::from_secs(3_600);

/// What to measure.
#[derive(Debug, Clone)]
pub struct ScaleBench {
    pub regions: usize,
    /// Members of each region.
    pub members: usize,
    /// Every `sharing`th member shares her profile across regions.
    pub sharing: usize,
    pub setup: Setup,
}

impl ScaleBench {
    /// Shared profiles of one region.
    pub fn shared_per_region(&self) -> usize {
        self.members.div_ceil(self.sharing.max(1))
    }
}

/// What was measured; prints itself as the command's report.
#[derive(Debug, Clone)]
pub struct ScaleFigures {
    pub bench: ScaleBench,
    /// From the first import sent to the last one answered.
    pub import_seconds: f64,
    /// From the first import sent until every region had applied every other
    /// region's shared profiles.
    pub converged_seconds: f64,
    /// Shared profiles applied by the regions in all (each replica counted).
    pub replicas: u64,
    /// Bytes of every server's database (files on SQLite, databases on
    /// PostgreSQL), once converged.
    pub disk_bytes: u64,
    /// The gateway's database alone.
    pub gateway_disk_bytes: u64,
    /// Each process's peak resident memory, by name.
    pub peak_memory: Vec<(String, u64)>,
}

impl fmt::Display for ScaleFigures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ScaleBench {
            regions, members, ..
        } = &self.bench;
        let shared = self.bench.shared_per_region();
        writeln!(
            f,
            "passage bench scale ({regions} regions × {members} members, {shared} of each \
             shared across regions, replicated to the {} others; members files imported \
             through the gateway, mTLS, {}, {})",
            regions.saturating_sub(1),
            self.bench.setup.backend_name(),
            self.bench.setup.processes_name()
        )?;
        let all = regions * members;
        writeln!(
            f,
            "  imported: {all} members in {:.1} s, {:.0} members/s",
            self.import_seconds,
            all as f64 / self.import_seconds.max(1e-9)
        )?;
        writeln!(
            f,
            "  converged: every region holds the others' {} shared profiles after {:.1} s \
             ({} replicas applied, {:.0} replicas/s)",
            shared * regions.saturating_sub(1),
            self.converged_seconds,
            self.replicas,
            self.replicas as f64 / self.converged_seconds.max(1e-9)
        )?;
        writeln!(
            f,
            "  disk: {:.1} MiB in all, {:.1} MiB a region, gateway {:.1} MiB",
            mib(self.disk_bytes),
            mib(self.disk_bytes.saturating_sub(self.gateway_disk_bytes)) / (*regions).max(1) as f64,
            mib(self.gateway_disk_bytes)
        )?;
        let [(one, bytes)] = self.peak_memory.as_slice() else {
            return self.print_each_peak(f);
        };
        writeln!(f, "  peak memory: {one} {:.0} MiB", mib(*bytes))
    }
}

impl ScaleFigures {
    /// The peaks of a process per server: the gateway, the nodes' range and sum,
    /// then every process's own.
    fn print_each_peak(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let gateway = self
            .peak_memory
            .iter()
            .find(|(name, _)| name == "gateway")
            .map_or(0, |(_, bytes)| *bytes);
        let nodes: Vec<u64> = self
            .peak_memory
            .iter()
            .filter(|(name, _)| name != "gateway")
            .map(|(_, bytes)| *bytes)
            .collect();
        writeln!(
            f,
            "  peak memory: gateway {:.0} MiB; nodes {:.0}–{:.0} MiB, {:.0} MiB together \
             ({} processes)",
            mib(gateway),
            mib(nodes.iter().copied().min().unwrap_or(0)),
            mib(nodes.iter().copied().max().unwrap_or(0)),
            mib(nodes.iter().sum()),
            self.peak_memory.len()
        )?;
        let each: Vec<String> = self
            .peak_memory
            .iter()
            .map(|(name, bytes)| format!("{name} {:.0}", mib(*bytes)))
            .collect();
        writeln!(f, "  each process (MiB): {}", each.join(", "))
    }
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn slug(index: usize) -> String {
    format!("region-{:02}", index + 1)
}

/// Runs the benchmark and returns its figures.
pub async fn run(bench: &ScaleBench) -> anyhow::Result<ScaleFigures> {
    anyhow::ensure!(bench.regions >= 2, "--regions must be at least 2");
    anyhow::ensure!(bench.members >= 1, "--members must be at least 1");
    anyhow::ensure!(bench.sharing >= 1, "--sharing must be at least 1");
    let mut place = Place::new(&bench.setup, "scale")?;
    let servers = std::iter::once("gateway".to_owned()).chain((0..bench.regions).map(slug));
    let urls = match place.databases(servers).await {
        Ok(urls) => urls,
        Err(error) => return place.clean_up(Err(error)).await,
    };
    if bench.setup.backend == Backend::Postgres {
        let servers = bench.regions + 1;
        let fits = match urls.get("gateway") {
            Some(url) => postgres_fits(url, servers).await,
            None => Ok(()),
        };
        if let Err(error) = fits {
            return place.clean_up(Err(error)).await;
        }
    }
    let dir = place.dir.clone();
    run_in_place(place, run_in(bench, &dir, &urls)).await
}

/// Each server keeps a pool of up to [`POOL_PER_SERVER`] connections: refuses, before
/// anything starts, a federation the PostgreSQL server cannot serve.
async fn postgres_fits(url: &str, servers: usize) -> anyhow::Result<()> {
    let allowed = number(
        url,
        "SELECT current_setting('max_connections')::bigint AS n".to_owned(),
    )
    .await?;
    let pool = POOL_PER_SERVER as usize;
    let needed = servers * pool;
    anyhow::ensure!(
        needed as u64 <= allowed,
        "--regions {}: the gateway and {} nodes may open {needed} connections ({pool} each), \
         but the PostgreSQL server allows {allowed} (max_connections); ask for at most {} \
         regions, or raise max_connections",
        servers - 1,
        servers - 1,
        (allowed / pool as u64).saturating_sub(1)
    );
    Ok(())
}

async fn run_in(
    bench: &ScaleBench,
    dir: &Path,
    urls: &BTreeMap<String, String>,
) -> anyhow::Result<ScaleFigures> {
    let slugs: Vec<String> = (0..bench.regions).map(slug).collect();
    let certs = CertDir(dir.join("certs"));
    ensure_demo_certs(
        &certs,
        &slugs.iter().map(String::as_str).collect::<Vec<_>>(),
    )?;
    let url = |name: &str| urls.get(name).cloned().unwrap_or_default();
    eprintln!(
        "bench scale: starting the gateway and {} regions",
        bench.regions
    );
    let federation = Servers::start(
        federation_plan(
            slugs
                .iter()
                .map(|slug| (slug.as_str(), slug.as_str(), "NL")),
            urls,
            &certs,
        ),
        &bench.setup,
        dir,
    )
    .await?;
    let channel = federation.gateway_channel().await?;
    let file = Arc::new(members_file(bench.members, bench.sharing));

    eprintln!(
        "bench scale: each region imports {} members ({} shared)",
        bench.members,
        bench.shared_per_region()
    );
    let started = Instant::now();
    let limit = Arc::new(Semaphore::new(IMPORTS_AT_ONCE));
    let mut imports = tokio::task::JoinSet::new();
    for slug in &slugs {
        let permit = limit.clone().acquire_owned().await?;
        let mut client = SpreadsheetServiceClient::new(channel.clone())
            .max_decoding_message_size(passage_proto::bounds::SYNC_MESSAGE_BYTES);
        let request = crate::demo::in_region(
            slug,
            v1::ImportRecordsRequest {
                kind: v1::ImportKind::Members as i32,
                file: file.as_bytes().to_vec(),
                apply: true,
            },
        )?;
        let slug = slug.clone();
        let members = bench.members;
        imports.spawn(async move {
            let _permit = permit;
            let report = client.import_records(request).await?.into_inner();
            anyhow::ensure!(
                report.applied && report.created.len() == members,
                "{slug}: the import created {} members of {members}; refused {:?}",
                report.created.len(),
                report.refused.first()
            );
            anyhow::Ok(())
        });
    }
    while let Some(done) = imports.join_next().await {
        done??;
    }
    let import_seconds = started.elapsed().as_secs_f64();
    eprintln!("bench scale: imported after {import_seconds:.1} s; waiting for every region");

    let expected_head = (bench.regions * bench.shared_per_region()) as u64;
    let regions: Vec<&str> = slugs.iter().map(String::as_str).collect();
    caught_up_within(&channel, &regions, expected_head, CONVERGE_WITHIN).await?;
    let converged_seconds = started.elapsed().as_secs_f64();
    let peak_memory = federation.peak_memory()?;

    // Converged means each region holds exactly the others' shared profiles.
    let others = (bench.shared_per_region() * (bench.regions - 1)) as u64;
    let mut replicas = 0;
    for slug in &slugs {
        let held = number(
            &url(slug),
            "SELECT COUNT(*) AS n FROM remote_profile".to_owned(),
        )
        .await?;
        anyhow::ensure!(
            held == others,
            "{slug} holds {held} shared profiles of other regions, not {others}"
        );
        replicas += held;
    }
    let mut disk_bytes = 0;
    let mut gateway_disk_bytes = 0;
    for (server, url) in urls {
        let bytes = database_bytes(bench.setup.backend, dir, server, url).await?;
        disk_bytes += bytes;
        if server == "gateway" {
            gateway_disk_bytes = bytes;
        }
    }
    federation.shutdown().await?;
    Ok(ScaleFigures {
        bench: bench.clone(),
        import_seconds,
        converged_seconds,
        replicas,
        disk_bytes,
        gateway_disk_bytes,
        peak_memory,
    })
}

/// The whole number that `sql` (one row, its column `n`) answers on `url`.
async fn number(url: &str, sql: String) -> anyhow::Result<u64> {
    let db = Database::connect(url)
        .await
        .with_context(|| format!("connecting to {url}"))?;
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            sql.clone(),
        ))
        .await?
        .with_context(|| format!("{sql} answered no row"))?;
    let n: i64 = row.try_get("", "n")?;
    db.close().await?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// The bytes of `server`'s database: its SQLite files (the database, its
/// write-ahead log and shared memory) or its PostgreSQL database.
async fn database_bytes(
    backend: Backend,
    dir: &Path,
    server: &str,
    url: &str,
) -> anyhow::Result<u64> {
    match backend {
        Backend::Sqlite => {
            let mut bytes = 0;
            for suffix in ["db", "db-wal", "db-shm"] {
                if let Ok(meta) = std::fs::metadata(dir.join(format!("{server}.{suffix}"))) {
                    bytes += meta.len();
                }
            }
            Ok(bytes)
        }
        Backend::Postgres => {
            number(
                url,
                "SELECT pg_database_size(current_database()) AS n".to_owned(),
            )
            .await
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::bench::servers::Backend;

    #[test]
    fn the_figures_print_as_the_readme_shows_them() {
        let figures = ScaleFigures {
            bench: ScaleBench {
                regions: 10,
                members: 30_000,
                sharing: 10,
                setup: Setup {
                    backend: Backend::Sqlite,
                    database_url: None,
                    processes: false,
                },
            },
            import_seconds: 20.0,
            converged_seconds: 50.0,
            replicas: 270_000,
            disk_bytes: 11 * 100 * 1024 * 1024,
            gateway_disk_bytes: 100 * 1024 * 1024,
            peak_memory: vec![("one process (gateway and every node)".into(), 900 << 20)],
        };
        let printed = figures.to_string();
        assert!(
            printed.starts_with(
                "passage bench scale (10 regions × 30000 members, 3000 of each shared across \
                 regions, replicated to the 9 others;"
            ),
            "{printed}"
        );
        assert!(
            printed.contains("  imported: 300000 members in 20.0 s, 15000 members/s\n"),
            "{printed}"
        );
        assert!(
            printed.contains(
                "  converged: every region holds the others' 27000 shared profiles after 50.0 s \
                 (270000 replicas applied, 5400 replicas/s)\n"
            ),
            "{printed}"
        );
        assert!(
            printed.contains("  disk: 1100.0 MiB in all, 100.0 MiB a region, gateway 100.0 MiB\n"),
            "{printed}"
        );
        assert!(
            printed.contains("  peak memory: one process (gateway and every node) 900 MiB\n"),
            "{printed}"
        );

        let in_processes = ScaleFigures {
            peak_memory: vec![
                ("gateway".into(), 100 << 20),
                ("region-01".into(), 200 << 20),
                ("region-02".into(), 250 << 20),
            ],
            ..figures
        };
        let printed = in_processes.to_string();
        assert!(
            printed.ends_with(
                "  peak memory: gateway 100 MiB; nodes 200–250 MiB, 450 MiB together (3 processes)\n\
                 \x20 each process (MiB): gateway 100, region-01 200, region-02 250\n"
            ),
            "{printed}"
        );
    }
}
