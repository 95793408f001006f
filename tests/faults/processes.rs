//! The federation of the fault tests as separate processes: the gateway and each
//! region's node run as their own `passage` process, with their own ports,
//! databases and mTLS certificates, so that a scenario can kill one (SIGKILL) and
//! start it again, or route a region's sync link through a proxy or a relay.

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use passage::certs::CertDir;
use passage::credentials::{SealedChannel, SealedChapterAdmin};
use passage_proto::v1::{
    self, ProfileState, federation_admin_service_client::FederationAdminServiceClient,
    member_service_client::MemberServiceClient,
};
use prost::Message as _;
use sea_orm::{ConnectionTrait, Database, Statement};
use tokio::time::Instant;
use tonic::Response;
use tonic::transport::Endpoint;

use crate::common::{self, Backend};
use crate::{REGIONS, ms};

/// How a region's node reaches the gateway.
#[derive(Debug, Clone, Copy)]
pub(crate) enum SyncLink {
    /// mTLS to this address (the gateway, or a proxy in front of it).
    Tls(SocketAddr),
    /// Plaintext to this address (a relay that speaks mTLS to the gateway).
    Plaintext(SocketAddr),
}

/// The gateway and three regions as separate `passage` processes, on ports and
/// databases of their own; every process is killed, and every PostgreSQL database
/// dropped, when this is dropped (a panicking test prints each server's log).
pub(crate) struct Federation {
    running: BTreeMap<String, tokio::process::Child>,
    pub(crate) gateway_address: SocketAddr,
    node_addresses: BTreeMap<String, SocketAddr>,
    links: BTreeMap<String, SyncLink>,
    /// The SMTP server each region sends its mail to (`[mail] smtp_url`), if any.
    smtp_urls: BTreeMap<String, String>,
    pub(crate) database_urls: BTreeMap<String, String>,
    postgres_databases: Vec<String>,
    pub(crate) certs: CertDir,
    dir: tempfile::TempDir,
}

/// Free ports on 127.0.0.1, all different, below the ephemeral range: a process
/// killed and started again binds its old one.
fn free_ports(count: usize) -> Vec<SocketAddr> {
    (0..count)
        .map(|_| crate::common::ports::quiet_address())
        .collect()
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
    pub(crate) async fn prepare(backend: Backend) -> Federation {
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
            smtp_urls: BTreeMap::new(),
            database_urls,
            postgres_databases,
            certs,
            dir,
        }
    }

    /// Sends `region`'s sync stream somewhere else than straight to the gateway.
    pub(crate) fn sync_link(&mut self, region: &str, link: SyncLink) {
        self.links.insert(region.to_owned(), link);
    }

    /// Sends `region`'s notification mail to the SMTP server at `smtp_url`.
    pub(crate) fn send_mail_to(&mut self, region: &str, smtp_url: &str) {
        self.smtp_urls
            .insert(region.to_owned(), smtp_url.to_owned());
    }

    fn config_path(&self, server: &str) -> PathBuf {
        self.dir.path().join(format!("{server}.toml"))
    }

    fn log_path(&self, server: &str) -> PathBuf {
        self.dir.path().join(format!("{server}.log"))
    }

    /// Writes every settings file and starts every server.
    pub(crate) async fn launch(&mut self) {
        let ca = self.certs.ca();
        let gateway = self.certs.gateway();
        let mut text = format!(
            "[server]\nlisten = \"{}\"\n\n[database]\nurl = \"{}\"\nmax_connections = 8\n",
            self.gateway_address, self.database_urls["gateway"]
        );
        for (slug, name, _) in passage::demo::REGIONS {
            text += &format!(
                "\n[[regions]]\nslug = \"{slug}\"\nname = \"{name}\"\nendpoint = \"https://{}\"\n",
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
            // Every node serves its port over mutual TLS with its region's
            // certificate; it syncs over TLS too unless it speaks to a plaintext relay.
            let endpoint = match self.links[slug] {
                SyncLink::Tls(address) => format!("https://{address}"),
                SyncLink::Plaintext(address) => format!("http://{address}"),
            };
            let own = self.certs.region(slug);
            text += &format!(
                "\n[gateway]\nendpoint = \"{endpoint}\"\n\n[gateway.tls]\n\
                 ca_file = {}\ncert_file = {}\nkey_file = {}\n",
                quoted(&ca.cert),
                quoted(&own.cert),
                quoted(&own.key)
            );
            if let Some(smtp_url) = self.smtp_urls.get(slug) {
                text += &format!(
                    "\n[mail]\nsmtp_url = \"{smtp_url}\"\nfrom = \"Passage {name} <passage@{slug}.example>\"\n"
                );
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
            self.node_endpoint(server)
        }
    }

    /// `region`'s node, called as the gateway calls it (mutual TLS, the gateway's
    /// certificate).
    fn node_endpoint(&self, region: &str) -> Endpoint {
        passage::federation::node_endpoint(
            &self.node_addresses[region].to_string(),
            region,
            Some(&self.certs.ca().cert),
            Some(&self.certs.gateway()),
        )
        .unwrap()
    }

    /// Starts `server` (the gateway or a region) on its port and database, and waits
    /// until it answers SERVING.
    pub(crate) async fn start(&mut self, server: &str) {
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
    pub(crate) async fn kill(&mut self, server: &str) {
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
    pub(crate) fn member_client(&self, region: &str) -> MemberServiceClient<SealedChannel> {
        MemberServiceClient::new(self.chapter_admin_channel(region))
    }

    /// A channel to `region`'s node whose every call is sealed as the gateway
    /// seals its chapter admin's.
    pub(crate) fn chapter_admin_channel(&self, region: &str) -> SealedChannel {
        let channel = self
            .node_endpoint(region)
            .connect_timeout(ms(1_000))
            .timeout(Duration::from_secs(30))
            .connect_lazy();
        let admin =
            SealedChapterAdmin::from_key_file(region, &self.certs.region_caller_key(region))
                .unwrap();
        SealedChannel::new(channel, admin)
    }

    pub(crate) async fn sync_status(&self) -> Result<v1::GetSyncStatusResponse, String> {
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

    pub(crate) async fn wait_for_sync_status(
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
    pub(crate) async fn gateway_log_entries(&self) -> (usize, usize) {
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
    pub(crate) async fn stop(mut self) {
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
