//! Fault tests: Amsterdam, Washington DC and Miami each run their own node as a
//! separate `passage` process, synced over mTLS through a `passage gateway`
//! process, with certificates made by `passage certs`. Two chapter admins per
//! region keep registering, editing and deleting members on their own node while
//! something goes wrong:
//!
//! - a region's node is killed (SIGKILL) mid-edit and started again;
//! - the gateway is killed (SIGKILL) mid-sync and started again;
//! - Miami is cut off from the gateway by a TCP proxy, then the link heals;
//! - Miami's sync stream runs through a relay that duplicates and reorders what
//!   travels both ways, and drops the stream now and then.
//!
//! Every call a node acknowledged is tracked. When the trouble is over, every region
//! must hold the identical set of shared profiles — each exactly as its home region
//! holds it — and every home region must still hold every acknowledged edit: an edit
//! whose call failed may or may not have happened (either is fine, nothing else is),
//! and every answer a node gives is checked against the edits acknowledged before
//! it, so a restarted node that forgot one is caught at once. No deleted member may
//! come back, every outbox must be empty and no region may have a backlog at the
//! gateway. Nothing is applied twice to any effect: changes delivered again or late
//! (by the relay, or re-sent after a kill) leave every region with its home region's
//! profile, never an older value. Runs on SQLite and PostgreSQL.
//!
//! One more cut leaves Miami's connection open and silent, as a firewall that
//! forgets a connection does; HTTP/2 keep-alives on both ends find the dead stream
//! (`a_region_cut_off_silently_reconnects_once_the_link_heals`).
//!
//! The edits follow a seeded generator; `PASSAGE_FAULT_SEED=<n>` repeats a run's
//! edits (not its timing). Run with `--nocapture` for each scenario's figures.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::Backend;
use passage::certs::CertDir;
use passage::credentials::{SealedChannel, SealedChapterAdmin};
use passage_proto::merge::{SHARED_FIELDS, copy_field, is_shared};
use passage_proto::v1::{
    self, Applied, ChangeBatch, LogBatch, LogEntry, ProfileState, SharedProfile, SyncFromGateway,
    SyncFromNode,
    federation_admin_service_client::FederationAdminServiceClient,
    federation_service_client::FederationServiceClient,
    federation_service_server::{FederationService, FederationServiceServer},
    member_service_client::MemberServiceClient,
    sync_from_gateway, sync_from_node,
};
use prost::Message as _;
use prost_types::FieldMask;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_stream::wrappers::{ReceiverStream, TcpListenerStream};
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint, Identity, Server};
use tonic::{Code, Request, Response, Status, Streaming};

on_both_backends!(
    a_node_killed_mid_edit_and_restarted_loses_no_acknowledged_edit,
    the_gateway_killed_mid_sync_and_restarted_loses_no_acknowledged_edit,
    a_region_cut_off_from_the_gateway_catches_up_once_the_link_heals,
    duplicated_and_reordered_delivery_converges_to_the_home_regions_profiles,
);

const REGIONS: [&str; 3] = ["amsterdam", "washington-dc", "miami"];
/// Chapter admins editing at the same time in each region.
const ADMINS_PER_REGION: usize = 2;
/// Members each admin registers before the trouble starts.
const MEMBERS_AT_START: usize = 3;
/// An admin registers no more members than this.
const MEMBERS_PER_ADMIN: usize = 10;
/// How long every region may take to agree once the trouble is over.
const CONVERGENCE: Duration = Duration::from_secs(60);

/// The scenarios start four processes each: one at a time is plenty for two cores.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

// ---------------------------------------------------------------------------
// The scenarios
// ---------------------------------------------------------------------------

async fn a_node_killed_mid_edit_and_restarted_loses_no_acknowledged_edit(backend: Backend) {
    let _turn = ONE_AT_A_TIME.lock().await;
    let scenario = Scenario::begin("node killed", backend);
    let mut federation = Federation::prepare(backend).await;
    federation.launch().await;
    let edits = Edits::start(&federation, scenario.seed).await;

    let mut rng = Rng::new(scenario.seed ^ 0x6b11);
    for _ in 0..3 {
        tokio::time::sleep(ms(500 + rng.below(700))).await;
        let region = *rng.pick(&REGIONS);
        federation.kill(region).await;
        tokio::time::sleep(ms(200 + rng.below(900))).await;
        federation.start(region).await;
    }
    tokio::time::sleep(ms(700)).await;

    let admins = edits.stop().await;
    federation.assert_converged(&admins).await;
    scenario.end(&federation, &admins).await;
    federation.stop().await;
}

async fn the_gateway_killed_mid_sync_and_restarted_loses_no_acknowledged_edit(backend: Backend) {
    let _turn = ONE_AT_A_TIME.lock().await;
    let scenario = Scenario::begin("gateway killed", backend);
    let mut federation = Federation::prepare(backend).await;
    federation.launch().await;
    let edits = Edits::start(&federation, scenario.seed).await;

    let mut rng = Rng::new(scenario.seed ^ 0x9a7e);
    for _ in 0..3 {
        tokio::time::sleep(ms(500 + rng.below(700))).await;
        federation.kill("gateway").await;
        tokio::time::sleep(ms(200 + rng.below(900))).await;
        federation.start("gateway").await;
    }
    tokio::time::sleep(ms(700)).await;

    let admins = edits.stop().await;
    federation.assert_converged(&admins).await;
    scenario.end(&federation, &admins).await;
    federation.stop().await;
}

async fn a_region_cut_off_from_the_gateway_catches_up_once_the_link_heals(backend: Backend) {
    let _turn = ONE_AT_A_TIME.lock().await;
    let scenario = Scenario::begin("region cut off", backend);
    let mut federation = Federation::prepare(backend).await;
    let proxy = TcpProxy::start(federation.gateway_address).await;
    federation.sync_link("miami", SyncLink::Tls(proxy.address));
    federation.launch().await;
    let edits = Edits::start(&federation, scenario.seed).await;

    let mut rng = Rng::new(scenario.seed ^ 0xc07);
    for _ in 0..2 {
        tokio::time::sleep(ms(400 + rng.below(600))).await;
        proxy.cut();
        federation
            .wait_for_sync_status("the gateway sees Miami gone", |status| {
                status
                    .regions
                    .iter()
                    .any(|r| r.region == "miami" && !r.connected)
            })
            .await;
        tokio::time::sleep(ms(800 + rng.below(800))).await;
        proxy.heal();
    }
    tokio::time::sleep(ms(700)).await;

    let admins = edits.stop().await;
    federation.assert_converged(&admins).await;
    scenario.end(&federation, &admins).await;
    federation.stop().await;
}

async fn duplicated_and_reordered_delivery_converges_to_the_home_regions_profiles(
    backend: Backend,
) {
    let _turn = ONE_AT_A_TIME.lock().await;
    let scenario = Scenario::begin("duplicated and reordered", backend);
    let mut federation = Federation::prepare(backend).await;
    let relay = ChaosRelay::start(&federation, "miami", scenario.seed).await;
    federation.sync_link("miami", SyncLink::Plaintext(relay.address));
    federation.launch().await;
    let edits = Edits::start(&federation, scenario.seed).await;

    tokio::time::sleep(ms(1_800)).await;
    relay.drop_streams();
    tokio::time::sleep(ms(1_800)).await;
    relay.drop_streams();
    tokio::time::sleep(ms(1_200)).await;

    let admins = edits.stop().await;
    federation.assert_converged(&admins).await;
    let stats = relay.stats.summary();
    eprintln!("  relay: {stats}");
    let count = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
    assert!(
        count(&relay.stats.duplicates_to_node) > 0,
        "the relay delivered no duplicate to Miami: {stats}"
    );
    assert!(
        count(&relay.stats.late_to_node) > 0,
        "the relay delivered nothing out of order to Miami: {stats}"
    );
    assert!(
        count(&relay.stats.batches_repeated_to_gateway) > 0
            && count(&relay.stats.batches_replayed_to_gateway) > 0,
        "the relay neither repeated nor replayed Miami's changes: {stats}"
    );
    assert!(
        count(&relay.stats.streams_dropped) > 0,
        "the relay never dropped the stream: {stats}"
    );
    scenario.end(&federation, &admins).await;
    federation.stop().await;
    relay.stop().await;
}

/// A cut that neither end hears of (a firewall that forgets the connection drops
/// its packets without a word): once the link heals, Miami must notice that its
/// stream is dead and sync on a new one.
/// Without keep-alives Miami would wait on the dead stream until TCP gives up (many
/// minutes) and the gateway would go on counting it as connected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_region_cut_off_silently_reconnects_once_the_link_heals() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let scenario = Scenario::begin("region cut off silently", Backend::Sqlite);
    let mut federation = Federation::prepare(Backend::Sqlite).await;
    let proxy = TcpProxy::start(federation.gateway_address).await;
    federation.sync_link("miami", SyncLink::Tls(proxy.address));
    federation.launch().await;
    let edits = Edits::start(&federation, scenario.seed).await;

    tokio::time::sleep(ms(800)).await;
    proxy.cut_silently();
    tokio::time::sleep(ms(2_000)).await;
    proxy.heal();
    tokio::time::sleep(ms(700)).await;

    let admins = edits.stop().await;
    federation.assert_converged(&admins).await;
    scenario.end(&federation, &admins).await;
    federation.stop().await;
}

/// A scenario's name, seed and clock, for its report.
struct Scenario {
    name: String,
    seed: u64,
    started: Instant,
}

impl Scenario {
    fn begin(name: &str, backend: Backend) -> Scenario {
        let name = format!("{name} ({backend:?})");
        let seed = std::env::var("PASSAGE_FAULT_SEED")
            .ok()
            .and_then(|seed| seed.parse().ok())
            .unwrap_or_else(|| {
                // FNV-1a of the name: a fixed seed per scenario.
                name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
                    (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
                })
            });
        eprintln!("{name}: seed {seed} (PASSAGE_FAULT_SEED={seed} repeats these edits)");
        Scenario {
            name,
            seed,
            started: Instant::now(),
        }
    }

    async fn end(&self, federation: &Federation, admins: &[Admin]) {
        let mut tally = Tally::default();
        for admin in admins {
            tally.add(&admin.tally);
        }
        let (entries, repeated) = federation.gateway_log_entries().await;
        eprintln!(
            "{}: {} calls acknowledged ({} registrations, {} edits, {} deletions), {} failed; \
             gateway log {} entries, {} repeating an earlier one exactly; {:.1} s",
            self.name,
            tally.registered + tally.edited + tally.deleted,
            tally.registered,
            tally.edited,
            tally.deleted,
            tally.failed,
            entries,
            repeated,
            self.started.elapsed().as_secs_f64()
        );
    }
}

// ---------------------------------------------------------------------------
// The federation: one process per server
// ---------------------------------------------------------------------------

/// How a region's node reaches the gateway.
#[derive(Debug, Clone, Copy)]
enum SyncLink {
    /// mTLS to this address (the gateway, or a proxy in front of it).
    Tls(SocketAddr),
    /// Plaintext to this address (a relay that speaks mTLS to the gateway).
    Plaintext(SocketAddr),
}

/// The gateway and three regions as separate `passage` processes, on ports and
/// databases of their own; every process is killed, and every PostgreSQL database
/// dropped, when this is dropped (a panicking test prints each server's log).
struct Federation {
    running: BTreeMap<String, tokio::process::Child>,
    gateway_address: SocketAddr,
    node_addresses: BTreeMap<String, SocketAddr>,
    links: BTreeMap<String, SyncLink>,
    database_urls: BTreeMap<String, String>,
    postgres_databases: Vec<String>,
    certs: CertDir,
    dir: tempfile::TempDir,
}

/// Free ports on 127.0.0.1, all different.
fn free_ports(count: usize) -> Vec<SocketAddr> {
    let listeners: Vec<std::net::TcpListener> = (0..count)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    listeners.iter().map(|l| l.local_addr().unwrap()).collect()
}

fn passage_command(args: &[&str]) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_passage"));
    command.args(args);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("PASSAGE__") {
            command.env_remove(key);
        }
    }
    command
}

fn quoted(path: &Path) -> String {
    format!("\"{}\"", path.display())
}

impl Federation {
    /// Ports, databases, certificates; nothing runs yet.
    async fn prepare(backend: Backend) -> Federation {
        let dir = tempfile::tempdir().unwrap();
        let ports = free_ports(1 + REGIONS.len());
        let gateway_address = ports[0];
        let node_addresses: BTreeMap<String, SocketAddr> = REGIONS
            .iter()
            .zip(&ports[1..])
            .map(|(region, address)| ((*region).to_owned(), *address))
            .collect();

        let mut postgres_databases = Vec::new();
        let mut database_urls = BTreeMap::new();
        for server in std::iter::once("gateway").chain(REGIONS) {
            let url = match backend {
                Backend::Sqlite => format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join(format!("{server}.db")).display()
                ),
                Backend::Postgres => {
                    let database = format!(
                        "passage_fault_{}_{}",
                        server.replace('-', "_"),
                        uuid::Uuid::now_v7().simple()
                    );
                    postgres_databases.push(database.clone());
                    let admin = common::postgres_admin_url();
                    let base = admin
                        .rsplit_once('/')
                        .map(|(base, _)| base)
                        .unwrap_or(&admin);
                    format!("{base}/{database}")
                }
            };
            database_urls.insert(server.to_owned(), url);
        }
        if backend == Backend::Postgres {
            let admin = Database::connect(common::postgres_admin_url())
                .await
                .expect("PostgreSQL must be running on 127.0.0.1:5432 (see .ci/run)");
            for database in &postgres_databases {
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {database}"))
                    .await
                    .unwrap();
            }
        }

        // The federation's CA and certificates, as an operator makes them.
        let certs = CertDir(dir.path().join("certs"));
        let certs_dir = certs.0.display().to_string();
        let mut steps = vec![
            vec!["certs", "init", "--dir", &certs_dir],
            vec!["certs", "issue", "--dir", &certs_dir, "--gateway"],
        ];
        for region in REGIONS {
            steps.push(vec![
                "certs", "issue", "--dir", &certs_dir, "--region", region,
            ]);
        }
        for step in steps {
            let output = passage_command(&step).output().unwrap();
            assert!(
                output.status.success(),
                "passage {}: {}",
                step.join(" "),
                String::from_utf8_lossy(&output.stderr)
            );
        }

        // The demo's tokens, as an operator would make them with `passage admin
        // token create`.
        let regions: Vec<String> = REGIONS.iter().map(|r| (*r).to_owned()).collect();
        passage::federation::give_demo_tokens(&database_urls["gateway"], &regions)
            .await
            .unwrap();

        let links = REGIONS
            .iter()
            .map(|region| ((*region).to_owned(), SyncLink::Tls(gateway_address)))
            .collect();
        Federation {
            running: BTreeMap::new(),
            gateway_address,
            node_addresses,
            links,
            database_urls,
            postgres_databases,
            certs,
            dir,
        }
    }

    /// Sends `region`'s sync stream somewhere else than straight to the gateway.
    fn sync_link(&mut self, region: &str, link: SyncLink) {
        self.links.insert(region.to_owned(), link);
    }

    fn config_path(&self, server: &str) -> PathBuf {
        self.dir.path().join(format!("{server}.toml"))
    }

    fn log_path(&self, server: &str) -> PathBuf {
        self.dir.path().join(format!("{server}.log"))
    }

    /// Writes every settings file and starts every server.
    async fn launch(&mut self) {
        let ca = self.certs.ca();
        let gateway = self.certs.gateway();
        let mut text = format!(
            "[server]\nlisten = \"{}\"\n\n[database]\nurl = \"{}\"\nmax_connections = 8\n",
            self.gateway_address, self.database_urls["gateway"]
        );
        for (slug, name, _) in passage::demo::REGIONS {
            text += &format!(
                "\n[[regions]]\nslug = \"{slug}\"\nname = \"{name}\"\nendpoint = \"http://{}\"\n",
                self.node_addresses[slug]
            );
        }
        text += &format!(
            "\n[tls]\nca_file = {}\ncert_file = {}\nkey_file = {}\n",
            quoted(&ca.cert),
            quoted(&gateway.cert),
            quoted(&gateway.key)
        );
        text += &format!(
            "\n[auth]\ncaller_key_file = {}\n",
            quoted(&self.certs.caller_key())
        );
        std::fs::write(self.config_path("gateway"), text).unwrap();

        for (slug, name, country) in passage::demo::REGIONS {
            let mut text = format!(
                "[region]\nslug = \"{slug}\"\nname = \"{name}\"\ncountry = \"{country}\"\n\n\
                 [server]\nlisten = \"{}\"\n\n[database]\nurl = \"{}\"\nmax_connections = 8\n",
                self.node_addresses[slug], self.database_urls[slug]
            );
            text += &format!(
                "\n[auth]\ngateway_key_file = {}\n",
                quoted(&self.certs.region_caller_key(slug))
            );
            match self.links[slug] {
                SyncLink::Tls(address) => {
                    let own = self.certs.region(slug);
                    text += &format!(
                        "\n[gateway]\nendpoint = \"https://{address}\"\n\n[gateway.tls]\n\
                         ca_file = {}\ncert_file = {}\nkey_file = {}\n",
                        quoted(&ca.cert),
                        quoted(&own.cert),
                        quoted(&own.key)
                    );
                }
                SyncLink::Plaintext(address) => {
                    text += &format!("\n[gateway]\nendpoint = \"http://{address}\"\n");
                }
            }
            std::fs::write(self.config_path(slug), text).unwrap();
        }

        self.start("gateway").await;
        for region in REGIONS {
            self.start(region).await;
        }
    }

    fn health_endpoint(&self, server: &str) -> Endpoint {
        if server == "gateway" {
            passage::federation::gateway_endpoint(self.gateway_address, Some(&self.certs)).unwrap()
        } else {
            Endpoint::from_shared(format!("http://{}", self.node_addresses[server])).unwrap()
        }
    }

    /// Starts `server` (the gateway or a region) on its port and database, and waits
    /// until it answers SERVING.
    async fn start(&mut self, server: &str) {
        assert!(!self.running.contains_key(server), "{server} is running");
        let log_path = self.log_path(server);
        let mut log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .unwrap();
        std::io::Write::write_all(
            &mut log,
            format!("===== {server} starts =====\n").as_bytes(),
        )
        .unwrap();
        let role = if server == "gateway" {
            "gateway"
        } else {
            "node"
        };
        let config = self.config_path(server).display().to_string();
        let mut command: tokio::process::Command =
            passage_command(&[role, "--config", &config]).into();
        command
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .kill_on_drop(true);
        let mut child = command.spawn().unwrap();

        let endpoint = self.health_endpoint(server);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                panic!(
                    "{server} exited with {status} while starting:\n{}",
                    tail(&log_path, 40)
                );
            }
            if passage::federation::is_serving(endpoint.clone()).await {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{server} did not report SERVING:\n{}",
                tail(&log_path, 40)
            );
            tokio::time::sleep(ms(25)).await;
        }
        self.running.insert(server.to_owned(), child);
    }

    /// Kills `server` with SIGKILL, as a crash would, and waits until it is gone.
    async fn kill(&mut self, server: &str) {
        let mut running = self
            .running
            .remove(server)
            .unwrap_or_else(|| panic!("{server} is not running"));
        running.start_kill().unwrap();
        running.wait().await.unwrap();
        let mut log = std::fs::OpenOptions::new()
            .append(true)
            .open(self.log_path(server))
            .unwrap();
        std::io::Write::write_all(
            &mut log,
            format!("===== {server} killed =====\n").as_bytes(),
        )
        .unwrap();
    }

    /// A chapter admin's client, straight to a region's node.
    /// A chapter admin's client of `region`'s node, its calls sealed as the
    /// gateway seals them.
    fn member_client(&self, region: &str) -> MemberServiceClient<SealedChannel> {
        let channel = Endpoint::from_shared(format!("http://{}", self.node_addresses[region]))
            .unwrap()
            .connect_timeout(ms(1_000))
            .timeout(Duration::from_secs(30))
            .connect_lazy();
        let admin =
            SealedChapterAdmin::from_key_file(region, &self.certs.region_caller_key(region))
                .unwrap();
        MemberServiceClient::new(SealedChannel::new(channel, admin))
    }

    async fn sync_status(&self) -> Result<v1::GetSyncStatusResponse, String> {
        let channel =
            passage::federation::gateway_endpoint(self.gateway_address, Some(&self.certs))
                .unwrap()
                .connect_timeout(ms(1_000))
                .connect()
                .await
                .map_err(|e| format!("gateway: {e}"))?;
        FederationAdminServiceClient::new(channel)
            .get_sync_status(common::operator(v1::GetSyncStatusRequest {}))
            .await
            .map(Response::into_inner)
            .map_err(|e| format!("gateway: {e}"))
    }

    async fn wait_for_sync_status(
        &self,
        what: &str,
        check: impl Fn(&v1::GetSyncStatusResponse) -> bool,
    ) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let status = self.sync_status().await;
            if status.as_ref().is_ok_and(&check) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting until {what}: {status:?}"
            );
            tokio::time::sleep(ms(50)).await;
        }
    }

    /// The gateway's log: how many entries, and how many of them repeat an earlier
    /// one (a batch re-sent after a kill, or replayed by the relay).
    async fn gateway_log_entries(&self) -> (usize, usize) {
        let db = Database::connect(self.database_urls["gateway"].as_str())
            .await
            .unwrap();
        let rows = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT state FROM change_log",
            ))
            .await
            .unwrap();
        let mut seen = HashSet::new();
        let repeated = rows
            .iter()
            .map(|row| {
                let bytes: Vec<u8> = row.try_get("", "state").unwrap();
                let state = ProfileState::decode(bytes.as_slice()).unwrap();
                // The same state, whatever order its stamps were encoded in.
                let stamps: BTreeMap<&String, (u64, &String)> = state
                    .stamps
                    .iter()
                    .map(|(field, stamp)| (field, (stamp.hlc, &stamp.region)))
                    .collect();
                format!(
                    "{} {stamps:?} {:?} {:?}",
                    state.member_id, state.profile, state.erased
                )
            })
            .filter(|state| !seen.insert(state.clone()))
            .count();
        (rows.len(), repeated)
    }

    /// Kills every server and drops the databases.
    async fn stop(mut self) {
        for (_, mut running) in std::mem::take(&mut self.running) {
            let _ = running.start_kill();
            let _ = running.wait().await;
        }
    }
}

/// The last `lines` lines of a log file.
fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

impl Drop for Federation {
    fn drop(&mut self) {
        for running in self.running.values_mut() {
            let _ = running.start_kill();
        }
        if std::thread::panicking() {
            for server in std::iter::once("gateway").chain(REGIONS) {
                eprintln!(
                    "----- {server} log (last lines) -----\n{}",
                    tail(&self.log_path(server), 60)
                );
            }
        }
        let databases = std::mem::take(&mut self.postgres_databases);
        if !databases.is_empty() {
            // Dropping needs a runtime of its own: this may run while a test panics.
            let dropped = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(async {
                    let admin = Database::connect(common::postgres_admin_url()).await?;
                    for database in databases {
                        admin
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS {database} WITH (FORCE)"
                            ))
                            .await?;
                    }
                    Ok::<(), sea_orm::DbErr>(())
                })
            });
            if let Ok(Err(error)) = dropped.join() {
                eprintln!("could not drop the test databases: {error}");
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The edits: chapter admins at work, and what they were told
// ---------------------------------------------------------------------------

/// A small, seeded generator (xorshift64*).
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        // splitmix64, so that nearby seeds give unrelated streams
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Rng((z ^ (z >> 31)) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.index(items.len())]
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.index(i + 1);
            items.swap(i, j);
        }
    }

    fn some_of(&mut self, items: &[&str], most: usize) -> Vec<String> {
        let mut all: Vec<&str> = items.to_vec();
        self.shuffle(&mut all);
        let count = self.index(most + 1);
        all[..count].iter().map(|s| (*s).to_owned()).collect()
    }
}

const FIRST_NAMES: [&str; 12] = [
    "Amira",
    "Yusuf",
    "Olena",
    "Tesfaye",
    "Mariam",
    "Jean-Baptiste",
    "Farida",
    "Dmytro",
    "Rahel",
    "Omar",
    "Nadia",
    "Bashir",
];
const LAST_NAMES: [&str; 10] = [
    "Haddad",
    "Kovalenko",
    "Pierre",
    "Tesfamariam",
    "Rahimi",
    "Osman",
    "Nguyen",
    "Bakr",
    "Hakimi",
    "Petrenko",
];
const PROFESSIONS: [&str; 8] = [
    "civil engineer",
    "nurse",
    "electrician",
    "teacher",
    "software developer",
    "accountant",
    "chef",
    "pharmacist",
];
const SECTORS: [&str; 6] = [
    "construction",
    "healthcare",
    "education",
    "it-and-data",
    "hospitality",
    "logistics",
];
const SKILLS: [&str; 8] = [
    "AutoCAD",
    "wound care",
    "Python",
    "bookkeeping",
    "forklift licence",
    "first aid",
    "Dutch B1",
    "project planning",
];
const LANGUAGES: [&str; 8] = ["ar", "uk", "ti", "fa", "fr", "en", "nl", "es"];
/// The shared fields an admin edits, with `update_mask` paths `profile.<field>`.
const EDITABLE: [&str; 8] = [
    "display_name",
    "profession",
    "sectors",
    "skills",
    "languages",
    "education_level",
    "experience_years",
    "available_hours_per_week",
];

/// A value for one field, in a profile that holds nothing else.
fn random_value(rng: &mut Rng, field: &str, serial: u64) -> SharedProfile {
    let mut value = SharedProfile::default();
    match field {
        "display_name" => {
            value.display_name = format!(
                "{} {} #{serial}",
                rng.pick(&FIRST_NAMES),
                rng.pick(&LAST_NAMES)
            )
        }
        "profession" => value.profession = (*rng.pick(&PROFESSIONS)).to_owned(),
        "sectors" => value.sectors = rng.some_of(&SECTORS, 3),
        "skills" => value.skills = rng.some_of(&SKILLS, 4),
        "languages" => value.languages = rng.some_of(&LANGUAGES, 4),
        "education_level" => value.education_level = 1 + rng.below(7) as i32,
        "experience_years" => value.experience_years = rng.below(41) as i32,
        "available_hours_per_week" => value.available_hours_per_week = rng.below(81) as i32,
        "share_across_regions" => value.share_across_regions = rng.chance(50),
        other => panic!("no values for {other}"),
    }
    value
}

/// One field of a profile, alone.
fn field_of(profile: &SharedProfile, field: &str) -> SharedProfile {
    let mut only = SharedProfile::default();
    copy_field(profile, &mut only, field);
    only
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Live,
    /// The deletion was acknowledged.
    Deleted,
    /// A deletion was asked and the call failed: it may or may not have happened.
    MaybeDeleted,
}

/// A member as their chapter admin knows them from the node's answers.
#[derive(Debug)]
struct Tracked {
    id: String,
    /// The profile as the last acknowledged call returned it.
    known: SharedProfile,
    /// Per field, values sent since by calls that failed (each may have committed).
    unsettled: BTreeMap<&'static str, Vec<SharedProfile>>,
    fate: Fate,
}

impl Tracked {
    /// Whether `held` can be this member's profile: every field as acknowledged
    /// last, or as a failed call after it tried to set it.
    fn explains(&self, held: &SharedProfile) -> Result<(), String> {
        let mut wrong = Vec::new();
        for field in SHARED_FIELDS {
            let value = field_of(held, field);
            let possible = value == field_of(&self.known, field)
                || self
                    .unsettled
                    .get(field)
                    .is_some_and(|values| values.contains(&value));
            if !possible {
                wrong.push(format!(
                    "{field}: holds {value:?}, acknowledged {:?}, unsettled {:?}",
                    field_of(&self.known, field),
                    self.unsettled.get(field)
                ));
            }
        }
        if wrong.is_empty() {
            Ok(())
        } else {
            Err(format!("member {}: {}", self.id, wrong.join("; ")))
        }
    }
}

#[derive(Debug, Default, Clone)]
struct Tally {
    registered: u64,
    edited: u64,
    deleted: u64,
    failed: u64,
}

impl Tally {
    fn add(&mut self, other: &Tally) {
        self.registered += other.registered;
        self.edited += other.edited;
        self.deleted += other.deleted;
        self.failed += other.failed;
    }
}

/// A chapter admin at one region's node: registers, edits and deletes that region's
/// members one call at a time, and remembers what the node acknowledged.
struct Admin {
    region: &'static str,
    client: MemberServiceClient<SealedChannel>,
    rng: Rng,
    serial: u64,
    members: Vec<Tracked>,
    tally: Tally,
    /// Answers that contradict what was acknowledged before.
    problems: Vec<String>,
}

impl Admin {
    fn live(&self) -> Vec<usize> {
        (0..self.members.len())
            .filter(|i| self.members[*i].fate == Fate::Live)
            .collect()
    }

    async fn register(&mut self) -> bool {
        let mut profile = SharedProfile {
            share_across_regions: !self.rng.chance(15),
            ..Default::default()
        };
        self.serial += 1;
        for field in EDITABLE {
            copy_field(
                &random_value(&mut self.rng, field, self.serial),
                &mut profile,
                field,
            );
        }
        let member = v1::Member {
            profile: Some(profile.clone()),
            regional: Some(v1::RegionalRecord {
                role: v1::MemberRole::Newcomer as i32,
                residence_status: v1::ResidenceStatus::StatusHolder as i32,
                ..Default::default()
            }),
            ..Default::default()
        };
        let answer = self
            .client
            .create_member(v1::CreateMemberRequest {
                member: Some(member),
            })
            .await;
        match answer {
            Ok(answer) => {
                let created = answer.into_inner();
                let held = created.profile.clone().unwrap_or_default();
                let expected = SharedProfile {
                    home_region: self.region.to_owned(),
                    ..profile
                };
                if held != expected {
                    self.problems.push(format!(
                        "{} registered {expected:?} and answered {held:?}",
                        self.region
                    ));
                }
                self.members.push(Tracked {
                    id: created.id,
                    known: held,
                    unsettled: BTreeMap::new(),
                    fate: Fate::Live,
                });
                self.tally.registered += 1;
                true
            }
            Err(_) => {
                // It may exist all the same: the final check reads every member the
                // home region holds, tracked or not.
                self.tally.failed += 1;
                false
            }
        }
    }

    async fn edit(&mut self) -> bool {
        let live = self.live();
        if live.is_empty() {
            return self.register().await;
        }
        let index = *self.rng.pick(&live);
        let mut fields: Vec<&'static str> = EDITABLE.to_vec();
        self.rng.shuffle(&mut fields);
        fields.truncate(1 + self.rng.index(3));
        if self.rng.chance(8) {
            fields.push("share_across_regions");
        }
        self.serial += 1;
        let mut wanted = SharedProfile::default();
        for field in &fields {
            let value = if *field == "share_across_regions" {
                SharedProfile {
                    share_across_regions: !self.members[index].known.share_across_regions,
                    ..Default::default()
                }
            } else {
                random_value(&mut self.rng, field, self.serial)
            };
            copy_field(&value, &mut wanted, field);
        }
        let request = v1::UpdateMemberRequest {
            member: Some(v1::Member {
                id: self.members[index].id.clone(),
                profile: Some(wanted.clone()),
                ..Default::default()
            }),
            update_mask: Some(FieldMask {
                paths: fields.iter().map(|f| format!("profile.{f}")).collect(),
            }),
        };
        let answer = self.client.update_member(request).await;
        let member = &mut self.members[index];
        match answer {
            Ok(answer) => {
                let held = answer.into_inner().profile.unwrap_or_default();
                for field in SHARED_FIELDS {
                    let value = field_of(&held, field);
                    let agrees = if fields.contains(&field) {
                        value == field_of(&wanted, field)
                    } else {
                        value == field_of(&member.known, field)
                            || member
                                .unsettled
                                .get(field)
                                .is_some_and(|values| values.contains(&value))
                    };
                    if !agrees {
                        self.problems.push(format!(
                            "{}: member {} answered {field} = {value:?} after an edit of {fields:?}; \
                             acknowledged before: {:?}, unsettled: {:?}",
                            self.region,
                            member.id,
                            field_of(&member.known, field),
                            member.unsettled.get(field)
                        ));
                    }
                }
                member.known = held;
                member.unsettled.clear();
                self.tally.edited += 1;
                true
            }
            Err(_) => {
                for field in &fields {
                    member
                        .unsettled
                        .entry(*field)
                        .or_default()
                        .push(field_of(&wanted, field));
                }
                self.tally.failed += 1;
                false
            }
        }
    }

    async fn erase(&mut self) -> bool {
        let live = self.live();
        if live.len() < 3 {
            return self.edit().await;
        }
        let index = *self.rng.pick(&live);
        let id = self.members[index].id.clone();
        match self
            .client
            .delete_member(v1::DeleteMemberRequest { id })
            .await
        {
            Ok(_) => {
                self.members[index].fate = Fate::Deleted;
                self.tally.deleted += 1;
                true
            }
            Err(_) => {
                // Not edited again: whether it is gone is settled at the end.
                self.members[index].fate = Fate::MaybeDeleted;
                self.tally.failed += 1;
                false
            }
        }
    }

    /// Works until told to stop: mostly edits, some registrations and deletions.
    async fn run(mut self, mut stop: watch::Receiver<bool>) -> Admin {
        while !*stop.borrow_and_update() {
            let roll = self.rng.below(100);
            let room = self.members.len() < MEMBERS_PER_ADMIN;
            let acknowledged = if roll < 5 && room {
                self.register().await
            } else if roll < 7 {
                self.erase().await
            } else {
                self.edit().await
            };
            // After a failure, wait a little as an admin would before trying again.
            let pause = if acknowledged {
                ms(30 + self.rng.below(60))
            } else {
                ms(150)
            };
            tokio::select! {
                () = tokio::time::sleep(pause) => {}
                _ = stop.changed() => {}
            }
        }
        self
    }
}

/// Every admin of every region at work.
struct Edits {
    stop: watch::Sender<bool>,
    admins: Vec<JoinHandle<Admin>>,
}

impl Edits {
    /// Registers the first members (before anything goes wrong), then sets every
    /// admin to work.
    async fn start(federation: &Federation, seed: u64) -> Edits {
        let (stop, stopped) = watch::channel(false);
        let mut admins = Vec::new();
        for (number, region) in REGIONS.into_iter().enumerate() {
            for desk in 0..ADMINS_PER_REGION {
                let mut admin = Admin {
                    region,
                    client: federation.member_client(region),
                    rng: Rng::new(seed.wrapping_add((number * ADMINS_PER_REGION + desk) as u64)),
                    serial: 0,
                    members: Vec::new(),
                    tally: Tally::default(),
                    problems: Vec::new(),
                };
                for _ in 0..MEMBERS_AT_START {
                    assert!(admin.register().await, "{region} registers a member");
                }
                admins.push(tokio::spawn(admin.run(stopped.clone())));
            }
        }
        Edits { stop, admins }
    }

    async fn stop(self) -> Vec<Admin> {
        self.stop.send_replace(true);
        let mut admins = Vec::new();
        for admin in self.admins {
            admins.push(admin.await.unwrap());
        }
        admins
    }
}

// ---------------------------------------------------------------------------
// The end state: one set of shared profiles everywhere, nothing acknowledged lost
// ---------------------------------------------------------------------------

/// What every region holds, read from the nodes (members) and their databases
/// (shared profiles of other regions' members).
struct View {
    /// Per region, its own members' profiles, from `ListMembers`.
    homes: BTreeMap<String, BTreeMap<String, SharedProfile>>,
    /// Per region, the shared profiles it holds of other regions' members.
    replicas: BTreeMap<String, BTreeMap<String, SharedProfile>>,
    /// Per region, changes still in its outbox.
    outbox: BTreeMap<String, i64>,
}

impl View {
    /// Every shared profile, by member, as its home region holds it.
    fn shared(&self) -> BTreeMap<String, (String, SharedProfile)> {
        let mut shared = BTreeMap::new();
        for (region, members) in &self.homes {
            for (id, profile) in members {
                if profile.share_across_regions {
                    shared.insert(id.clone(), (region.clone(), profile.clone()));
                }
            }
        }
        shared
    }

    /// What is still different between the regions; empty once they agree.
    fn differences(&self) -> Vec<String> {
        let shared = self.shared();
        let mut differences = Vec::new();
        for region in REGIONS {
            let expected: BTreeMap<&String, &SharedProfile> = shared
                .iter()
                .filter(|(_, (home, _))| home != region)
                .map(|(id, (_, profile))| (id, profile))
                .collect();
            let held = &self.replicas[region];
            for (id, profile) in &expected {
                match held.get(*id) {
                    None => differences.push(format!("{region} lacks {id}")),
                    Some(copy) if copy != *profile => differences.push(format!(
                        "{region} holds {id} as {copy:?}, its home as {profile:?}"
                    )),
                    Some(_) => {}
                }
            }
            for id in held.keys() {
                if !expected.contains_key(id) {
                    differences.push(format!(
                        "{region} still shows {id}, which its home region does not share"
                    ));
                }
            }
            if self.outbox[region] > 0 {
                differences.push(format!(
                    "{region} has {} changes in its outbox",
                    self.outbox[region]
                ));
            }
        }
        differences
    }
}

impl Federation {
    async fn view(&self, databases: &BTreeMap<String, DatabaseConnection>) -> Result<View, String> {
        let mut homes = BTreeMap::new();
        let mut replicas = BTreeMap::new();
        let mut outbox = BTreeMap::new();
        for region in REGIONS {
            let mut client = self.member_client(region);
            let mut members = BTreeMap::new();
            let mut page_token = String::new();
            loop {
                let page = client
                    .list_members(v1::ListMembersRequest {
                        page_size: 500,
                        page_token,
                        ..Default::default()
                    })
                    .await
                    .map_err(|e| format!("{region}: {e}"))?
                    .into_inner();
                for member in page.members {
                    members.insert(member.id, member.profile.unwrap_or_default());
                }
                if page.next_page_token.is_empty() {
                    break;
                }
                page_token = page.next_page_token;
            }
            homes.insert(region.to_owned(), members);

            let db = &databases[region];
            let rows = db
                .query_all_raw(Statement::from_string(
                    db.get_database_backend(),
                    "SELECT state FROM remote_profile",
                ))
                .await
                .map_err(|e| format!("{region}: {e}"))?;
            let mut shared = BTreeMap::new();
            for row in rows {
                let bytes: Vec<u8> = row.try_get("", "state").map_err(|e| e.to_string())?;
                let state = ProfileState::decode(bytes.as_slice()).map_err(|e| e.to_string())?;
                if is_shared(&state) {
                    shared.insert(state.member_id.clone(), state.profile.unwrap_or_default());
                }
            }
            replicas.insert(region.to_owned(), shared);

            let count = db
                .query_one_raw(Statement::from_string(
                    db.get_database_backend(),
                    "SELECT COUNT(*) AS waiting FROM outbox",
                ))
                .await
                .map_err(|e| format!("{region}: {e}"))?
                .map(|row| row.try_get::<i64>("", "waiting"))
                .transpose()
                .map_err(|e| e.to_string())?
                .unwrap_or(0);
            outbox.insert(region.to_owned(), count);
        }
        Ok(View {
            homes,
            replicas,
            outbox,
        })
    }

    /// Waits until every region holds the same shared profiles as their home
    /// regions, with nothing left to send or apply, then checks every acknowledged
    /// call against what the home regions hold and what every region answers.
    async fn assert_converged(&self, admins: &[Admin]) {
        let problems: Vec<&String> = admins.iter().flat_map(|a| &a.problems).collect();
        assert!(
            problems.is_empty(),
            "nodes answered against earlier acknowledged edits:\n{problems:#?}"
        );

        let mut databases = BTreeMap::new();
        for region in REGIONS {
            let db = Database::connect(self.database_urls[region].as_str())
                .await
                .unwrap();
            databases.insert(region.to_owned(), db);
        }
        let deadline = Instant::now() + CONVERGENCE;
        let view = loop {
            let view = self.view(&databases).await;
            let status = self.sync_status().await;
            // The gateway's view first: it tells why the regions differ.
            let mut waiting = match &status {
                Ok(status) => status
                    .regions
                    .iter()
                    .filter(|region| !region.connected || region.backlog > 0)
                    .map(|region| {
                        format!(
                            "gateway: {} connected {}, cursor {}, backlog {} (log head {})",
                            region.region,
                            region.connected,
                            region.cursor,
                            region.backlog,
                            status.log_head
                        )
                    })
                    .collect(),
                Err(error) => vec![error.clone()],
            };
            match &view {
                Ok(view) => waiting.extend(view.differences()),
                Err(error) => waiting.push(error.clone()),
            }
            if waiting.is_empty() {
                break view.unwrap();
            }
            assert!(
                Instant::now() < deadline,
                "the regions did not agree within {CONVERGENCE:?}; {} differences, such as:\n{}",
                waiting.len(),
                waiting[..waiting.len().min(15)].join("\n")
            );
            tokio::time::sleep(ms(250)).await;
        };

        // No acknowledged edit lost, no deleted member back.
        let mut lost = Vec::new();
        for admin in admins {
            let home = &view.homes[admin.region];
            for member in &admin.members {
                match (member.fate, home.get(&member.id)) {
                    (Fate::Live, None) => lost.push(format!(
                        "{}: member {} was acknowledged and is gone",
                        admin.region, member.id
                    )),
                    (Fate::Deleted, Some(_)) => lost.push(format!(
                        "{}: member {} was deleted and is back",
                        admin.region, member.id
                    )),
                    (_, Some(held)) => {
                        if let Err(error) = member.explains(held) {
                            lost.push(format!("{}: {error}", admin.region));
                        }
                    }
                    (_, None) => {}
                }
            }
        }
        assert!(lost.is_empty(), "acknowledged edits lost:\n{lost:#?}");

        // What every region answers a client.
        let shared = view.shared();
        let mut wrong = Vec::new();
        for region in REGIONS {
            let mut client = self.member_client(region);
            for (id, (home, profile)) in &shared {
                if home == region {
                    continue;
                }
                match client
                    .get_member(v1::GetMemberRequest { id: id.clone() })
                    .await
                {
                    Ok(answer) => {
                        let answer = answer.into_inner();
                        if answer.profile.as_ref() != Some(profile) || answer.regional.is_some() {
                            wrong.push(format!("{region} answers {id} with {answer:?}"));
                        }
                    }
                    Err(status) => wrong.push(format!("{region} answers {id} with {status}")),
                }
            }
            let hidden = view
                .homes
                .iter()
                .filter(|(home, _)| home.as_str() != region)
                .flat_map(|(_, members)| members.iter())
                .filter(|(_, profile)| !profile.share_across_regions)
                .map(|(id, _)| id.clone());
            let deleted = admins
                .iter()
                .flat_map(|a| &a.members)
                .filter(|m| m.fate == Fate::Deleted)
                .map(|m| m.id.clone());
            for id in hidden.chain(deleted) {
                match client
                    .get_member(v1::GetMemberRequest { id: id.clone() })
                    .await
                {
                    Err(status) if status.code() == Code::NotFound => {}
                    other => wrong.push(format!(
                        "{region} answers {id}, which is not shared with it, with {other:?}"
                    )),
                }
            }
        }
        assert!(wrong.is_empty(), "regions answer wrongly:\n{wrong:#?}");
        eprintln!(
            "  converged: {} shared profiles, {} members in all",
            shared.len(),
            view.homes.values().map(BTreeMap::len).sum::<usize>()
        );
    }
}

// ---------------------------------------------------------------------------
// A TCP proxy that can cut a region off
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, Default)]
struct LinkState {
    open: bool,
    /// Moves on at every cut: connections of an older generation stop carrying.
    generation: u64,
    /// Whether the last cut left the connections it broke open but silent, as a
    /// firewall that forgets a connection does, instead of closing them.
    silent: bool,
    /// The proxy is gone: every connection closes.
    closed: bool,
}

/// Carries TCP connections to `upstream`. `cut` closes every live connection and
/// holds new ones without carrying a byte, as a broken network would; `heal` carries
/// them again. `cut_silently` also holds new ones, but leaves the live connections
/// open and silent for ever, so that neither end hears of the cut.
struct TcpProxy {
    address: SocketAddr,
    state: watch::Sender<LinkState>,
    task: JoinHandle<()>,
}

impl TcpProxy {
    async fn start(upstream: SocketAddr) -> TcpProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (state, link) = watch::channel(LinkState {
            open: true,
            ..Default::default()
        });
        let task = tokio::spawn(async move {
            loop {
                let Ok((inbound, _)) = listener.accept().await else {
                    continue;
                };
                let _ = inbound.set_nodelay(true);
                tokio::spawn(carry(inbound, upstream, link.clone()));
            }
        });
        TcpProxy {
            address,
            state,
            task,
        }
    }

    fn cut(&self) {
        self.state.send_modify(|state| {
            state.open = false;
            state.silent = false;
            state.generation += 1;
        });
    }

    fn cut_silently(&self) {
        self.state.send_modify(|state| {
            state.open = false;
            state.silent = true;
            state.generation += 1;
        });
    }

    fn heal(&self) {
        self.state.send_modify(|state| state.open = true);
    }
}

async fn carry(mut inbound: TcpStream, upstream: SocketAddr, mut link: watch::Receiver<LinkState>) {
    let Ok(Some(generation)) = link
        .wait_for(|state| state.open || state.closed)
        .await
        .map(|s| (!s.closed).then_some(s.generation))
    else {
        return;
    };
    let Ok(mut outbound) = TcpStream::connect(upstream).await else {
        return;
    };
    let _ = outbound.set_nodelay(true);
    let silent = tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => return,
        state = link.wait_for(|state| state.generation != generation) => {
            state.map(|s| s.silent && !s.closed).unwrap_or(false)
        }
    };
    if silent {
        let _ = link.wait_for(|state| state.closed).await;
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.task.abort();
        self.state.send_modify(|state| {
            state.closed = true;
            state.generation += 1;
        });
    }
}

// ---------------------------------------------------------------------------
// A relay that duplicates and reorders sync traffic
// ---------------------------------------------------------------------------

#[derive(Debug, Default)]
struct RelayStats {
    streams: AtomicU64,
    entries_to_node: AtomicU64,
    /// Log entries delivered to the node again.
    duplicates_to_node: AtomicU64,
    /// Log entries delivered after one with a later sequence.
    late_to_node: AtomicU64,
    /// Change batches sent to the gateway twice in a row.
    batches_repeated_to_gateway: AtomicU64,
    /// Earlier change batches sent to the gateway again, after later ones.
    batches_replayed_to_gateway: AtomicU64,
    streams_dropped: AtomicU64,
}

impl RelayStats {
    fn summary(&self) -> String {
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
struct ChaosRelay {
    address: SocketAddr,
    stats: Arc<RelayStats>,
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
    async fn start(federation: &Federation, region: &str, seed: u64) -> ChaosRelay {
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

    fn drop_streams(&self) {
        self.drop_streams.send_modify(|generation| *generation += 1);
    }

    async fn stop(self) {
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
