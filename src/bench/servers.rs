//! Where a benchmark's servers run: their database (`--backend sqlite|postgres`) and
//! whether each is its own process (`--processes`).
//!
//! - SQLite: a file per server in the benchmark's temporary folder.
//! - PostgreSQL: a fresh database per server (the gateway and each node) on the
//!   server `--database-url` or `PASSAGE_TEST_POSTGRES` names, dropped afterwards —
//!   after an error, Ctrl-C or SIGTERM too.
//! - One process (the default): every server is a task of the `passage bench`
//!   process, as the demo runs them.
//! - `--processes`: the gateway and each node run as their own `passage gateway` /
//!   `passage node` child process (this very binary), each with its own settings
//!   file, as deployed; children are killed when the benchmark ends, fails or is
//!   interrupted.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use sea_orm::{ConnectionTrait, Database};
use tonic::transport::{Channel, Endpoint};

use crate::certs::CertDir;
use crate::federation::{Federation, FederationPlan, is_serving};

/// Which database every server of a benchmark uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    /// A SQLite file per server (the embedded default).
    #[default]
    Sqlite,
    /// A fresh PostgreSQL database per server (production's database).
    Postgres,
}

/// Where a benchmark's servers run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Setup {
    pub backend: Backend,
    /// The PostgreSQL server for `--backend postgres`, any database on it (such as
    /// `postgres://postgres@127.0.0.1:5432/postgres`); `PASSAGE_TEST_POSTGRES` when
    /// none is given.
    pub database_url: Option<String>,
    /// The gateway and each node as their own process.
    pub processes: bool,
}

impl Setup {
    /// "SQLite" or "PostgreSQL", for a header line.
    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }

    /// "one process" or "a process per server", for a header line.
    pub fn processes_name(&self) -> &'static str {
        if self.processes {
            "a process per server"
        } else {
            "one process"
        }
    }
}

/// A benchmark's temporary folder and databases; [`Place::clean_up`] removes both.
pub struct Place {
    pub dir: PathBuf,
    backend: Backend,
    /// The PostgreSQL server's URL (any database on it).
    admin_url: String,
    run: String,
    /// PostgreSQL databases made so far, to drop.
    made: Vec<String>,
}

impl Place {
    /// A new temporary folder for benchmark `name`; nothing is made on PostgreSQL yet.
    pub fn new(setup: &Setup, name: &str) -> anyhow::Result<Self> {
        let id = uuid::Uuid::now_v7().simple().to_string();
        // The random tail of a v7 id: two benchmarks started in the same
        // millisecond still differ.
        let run = id[id.len() - 10..].to_owned();
        let admin_url = match setup.backend {
            Backend::Sqlite => String::new(),
            Backend::Postgres => setup
                .database_url
                .clone()
                .or_else(|| std::env::var("PASSAGE_TEST_POSTGRES").ok())
                .context(
                    "--backend postgres needs --database-url or PASSAGE_TEST_POSTGRES \
                     (such as postgres://postgres@127.0.0.1:5432/postgres)",
                )?,
        };
        let dir = std::env::temp_dir().join(format!("passage-bench-{name}-{id}"));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(Place {
            dir,
            backend: setup.backend,
            admin_url,
            run,
            made: Vec::new(),
        })
    }

    /// A fresh database for `server` (such as `gateway` or `amsterdam`): its URL.
    pub async fn database(&mut self, server: &str) -> anyhow::Result<String> {
        match self.backend {
            Backend::Sqlite => Ok(format!(
                "sqlite://{}?mode=rwc",
                self.dir.join(format!("{server}.db")).display()
            )),
            Backend::Postgres => {
                let name = format!(
                    "passage_bench_{}_{}",
                    self.run,
                    server
                        .chars()
                        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                        .collect::<String>()
                );
                let admin = connect_admin(&self.admin_url)
                    .await
                    .with_context(|| format!("connecting to PostgreSQL at {}", self.admin_url))?;
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .with_context(|| format!("creating database {name}"))?;
                admin.close().await?;
                self.made.push(name.clone());
                eprintln!("bench: made PostgreSQL database {name}");
                Ok(database_url_on(&self.admin_url, &name))
            }
        }
    }

    /// A fresh database for each of `servers`: their URLs by name.
    pub async fn databases(
        &mut self,
        servers: impl IntoIterator<Item = String>,
    ) -> anyhow::Result<BTreeMap<String, String>> {
        let mut urls = BTreeMap::new();
        for server in servers {
            let url = self.database(&server).await?;
            urls.insert(server, url);
        }
        Ok(urls)
    }

    /// Drops every database made and removes the folder; returns `result`, or the
    /// clean-up's error when `result` was fine.
    pub async fn clean_up<T>(self, result: anyhow::Result<T>) -> anyhow::Result<T> {
        let mut failure = None;
        if !self.made.is_empty() {
            match connect_admin(&self.admin_url).await {
                Ok(admin) => {
                    for name in &self.made {
                        let dropped = admin
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            ))
                            .await;
                        match dropped {
                            Ok(_) => eprintln!("bench: dropped PostgreSQL database {name}"),
                            Err(error) => {
                                eprintln!("bench: could not drop database {name}: {error}");
                                failure.get_or_insert(anyhow::Error::from(error));
                            }
                        }
                    }
                    let _ = admin.close().await;
                }
                Err(error) => {
                    eprintln!(
                        "bench: could not reach PostgreSQL to drop {}: {error}",
                        self.made.join(", ")
                    );
                    failure.get_or_insert(anyhow::Error::from(error));
                }
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
        match (result, failure) {
            (Ok(_), Some(error)) => Err(error.context("dropping the benchmark's databases")),
            (result, _) => result,
        }
    }
}

/// A connection to the PostgreSQL server to make and drop databases with, without
/// sqlx's warning about slow statements (dropping a database takes a second).
async fn connect_admin(url: &str) -> Result<sea_orm::DatabaseConnection, sea_orm::DbErr> {
    let mut options = sea_orm::ConnectOptions::new(url.to_owned());
    options.max_connections(1).sqlx_logging(false);
    Database::connect(options).await
}

/// The URL of database `name` on the PostgreSQL server of `url` (same user, host,
/// port and parameters).
fn database_url_on(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |at| at + 3);
    let server = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    }
}

/// Runs `benchmark`, stopping it on Ctrl-C or SIGTERM (its servers are stopped and
/// its children killed as it is dropped), then cleans `place` up whatever happened.
pub async fn run_in_place<T>(
    place: Place,
    benchmark: impl Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    let result = tokio::select! {
        result = benchmark => result,
        _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
        _ = terminated() => Err(anyhow::anyhow!("terminated")),
    };
    place.clean_up(result).await
}

/// Resolves when this process is asked to terminate (SIGTERM, as `timeout` and
/// service managers ask); never where there is no such signal.
async fn terminated() {
    #[cfg(unix)]
    if let Ok(mut signal) =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
    {
        signal.recv().await;
        return;
    }
    std::future::pending::<()>().await
}

/// A free port on 127.0.0.1, for a child process to bind.
pub fn free_address() -> anyhow::Result<SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?)
}

/// Which server a child process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Gateway,
    Node,
    Web,
}

struct Child {
    process: tokio::process::Child,
    log: PathBuf,
}

/// Servers as child processes of this binary, each with its settings file and log
/// in `dir`; every child still running is killed when this is dropped.
pub struct Processes {
    binary: PathBuf,
    dir: PathBuf,
    running: BTreeMap<String, Child>,
}

impl Processes {
    pub fn new(dir: &Path) -> anyhow::Result<Self> {
        Ok(Processes {
            binary: std::env::current_exe().context("finding the passage binary")?,
            dir: dir.to_owned(),
            running: BTreeMap::new(),
        })
    }

    /// The settings file of server `name`.
    pub fn settings_file(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.toml"))
    }

    /// Writes `settings` (the keys of the server's settings file) to `name`'s
    /// settings file.
    pub fn write_settings(&self, name: &str, settings: &serde_json::Value) -> anyhow::Result<()> {
        let text = toml::to_string(settings)
            .with_context(|| format!("writing {name}'s settings as TOML"))?;
        std::fs::write(self.settings_file(name), text)?;
        Ok(())
    }

    /// Starts `passage gateway|node --config <name>.toml` from the settings file
    /// written before; its output goes to `<name>.log`.
    pub fn start(&mut self, name: &str, role: Role) -> anyhow::Result<()> {
        if self.running.contains_key(name) {
            bail!("{name} is running");
        }
        let log = self.dir.join(format!("{name}.log"));
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)?;
        let mut command = tokio::process::Command::new(&self.binary);
        command
            .arg(match role {
                Role::Gateway => "gateway",
                Role::Node => "node",
                Role::Web => "web",
            })
            .arg("--config")
            .arg(self.settings_file(name))
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .kill_on_drop(true);
        // The settings file alone says how it runs.
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("PASSAGE__") {
                command.env_remove(key);
            }
        }
        let process = command
            .spawn()
            .with_context(|| format!("starting {} for {name}", self.binary.display()))?;
        eprintln!(
            "bench: started {name} {}",
            process.id().map_or_else(String::new, |pid| pid.to_string())
        );
        self.running.insert(name.to_owned(), Child { process, log });
        Ok(())
    }

    /// Each running server's peak resident memory so far (Linux's `VmHWM`), by
    /// name.
    pub fn peak_memory(&self) -> anyhow::Result<Vec<(String, u64)>> {
        self.status_files()?
            .into_iter()
            .map(|(name, file)| Ok((name, peak_resident_bytes(&file)?)))
            .collect()
    }

    /// Each running server's `/proc/<pid>/status` file, by name.
    pub fn status_files(&self) -> anyhow::Result<Vec<(String, String)>> {
        let mut files = Vec::new();
        for (name, child) in &self.running {
            let pid = child
                .process
                .id()
                .with_context(|| format!("{name} has exited"))?;
            files.push((name.clone(), format!("/proc/{pid}/status")));
        }
        Ok(files)
    }

    /// Waits until `name` answers its health check SERVING at `endpoint`; fails with
    /// the end of its log when it exits first or takes longer than `limit`.
    pub async fn wait_serving(
        &mut self,
        name: &str,
        endpoint: Endpoint,
        limit: Duration,
    ) -> anyhow::Result<()> {
        self.wait_until(name, "report SERVING", limit, || {
            is_serving(endpoint.clone())
        })
        .await
    }

    /// Waits until `name` accepts connections at `address` (the web app, which has
    /// no gRPC health check); fails with the end of its log when it exits first or
    /// takes longer than `limit`.
    pub async fn wait_listening(
        &mut self,
        name: &str,
        address: SocketAddr,
        limit: Duration,
    ) -> anyhow::Result<()> {
        let what = format!("listen at {address}");
        self.wait_until(name, &what, limit, || async move {
            tokio::net::TcpStream::connect(address).await.is_ok()
        })
        .await
    }

    /// Polls `ready` until it holds; fails with the end of `name`'s log when it
    /// exits first or does not `what` within `limit`.
    async fn wait_until<F, Fut>(
        &mut self,
        name: &str,
        what: &str,
        limit: Duration,
        ready: F,
    ) -> anyhow::Result<()>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = bool>,
    {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let child = self
                .running
                .get_mut(name)
                .with_context(|| format!("{name} is not running"))?;
            if let Some(status) = child.process.try_wait()? {
                let log = log_tail(&child.log);
                self.running.remove(name);
                bail!("{name} exited ({status}) while starting:\n{log}");
            }
            if ready().await {
                return Ok(());
            }
            if tokio::time::Instant::now() > deadline {
                bail!(
                    "{name} did not {what} within {limit:?}:\n{}",
                    log_tail(&child.log)
                );
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Stops `name` as its service manager would (SIGTERM, SIGKILL after 10 s) and
    /// waits for it to exit.
    pub async fn stop(&mut self, name: &str) -> anyhow::Result<()> {
        let mut child = self
            .running
            .remove(name)
            .with_context(|| format!("{name} is not running"))?;
        if let Some(pid) = child.process.id() {
            // `kill` rather than a signal call: this crate has no unsafe code.
            let _ = tokio::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status()
                .await;
        }
        match tokio::time::timeout(Duration::from_secs(10), child.process.wait()).await {
            Ok(status) => {
                status?;
            }
            Err(_) => {
                child.process.kill().await?;
            }
        }
        Ok(())
    }

    /// Stops every child, the first given first.
    pub async fn stop_all(&mut self, first: &[&str]) -> anyhow::Result<()> {
        let mut result = Ok(());
        for name in first {
            if self.running.contains_key(*name)
                && let Err(error) = self.stop(name).await
            {
                result = Err(error);
            }
        }
        let rest: Vec<String> = self.running.keys().cloned().collect();
        for name in rest {
            if let Err(error) = self.stop(&name).await {
                result = Err(error);
            }
        }
        result
    }
}

/// The last lines of a child's log, for an error.
fn log_tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// A federation (the gateway and a node per region, over mTLS) as separate
/// processes, from the same plan as [`crate::federation::Federation::start`]: the
/// settings each gets are those the in-process federation gives it, written to its
/// own file.
pub struct ProcessFederation {
    processes: Processes,
    gateway_address: SocketAddr,
    nodes: BTreeMap<String, SocketAddr>,
    tls: CertDir,
}

impl ProcessFederation {
    /// Writes every settings file, starts the gateway, then every node, and waits
    /// until each is SERVING. `plan.listen` addresses are ignored: every server gets
    /// a free port.
    pub async fn start(plan: FederationPlan, dir: &Path) -> anyhow::Result<Self> {
        passage_proto::choose_tls_crypto();
        let tls = plan
            .tls
            .clone()
            .context("the federation in processes runs over mTLS")?;
        crate::certs::ensure_caller_key(&plan.keys)?;
        for region in &plan.regions {
            if !plan.keys.region_caller_key(&region.slug).exists() {
                crate::certs::issue_region_caller_key(&plan.keys, &region.slug)?;
            }
        }
        if plan.demo_credentials {
            let slugs: Vec<String> = plan.regions.iter().map(|r| r.slug.clone()).collect();
            crate::federation::give_demo_tokens(&plan.gateway_database_url, &slugs).await?;
        }
        let gateway_address = free_address()?;
        let mut nodes = BTreeMap::new();
        for region in &plan.regions {
            nodes.insert(region.slug.clone(), free_address()?);
        }
        let processes = Processes::new(dir)?;
        let ca = tls.ca().cert;
        let gateway = tls.gateway();
        // TOML has no null: an address not given is left out.
        let mut gateway_server = serde_json::json!({
            "listen": gateway_address.to_string(),
            "connect_timeout_ms": 2000,
        });
        if let Some(metrics) = plan.gateway_metrics_listen {
            gateway_server["metrics_listen"] = serde_json::json!(metrics.to_string());
        }
        processes.write_settings(
            "gateway",
            &serde_json::json!({
                "server": gateway_server,
                "database": {"url": plan.gateway_database_url, "max_connections": crate::federation::POOL_PER_SERVER},
                "regions": plan.regions.iter().map(|region| serde_json::json!({
                    "slug": region.slug,
                    "name": region.name,
                    "endpoint": format!("https://{}", nodes[&region.slug]),
                })).collect::<Vec<_>>(),
                "tls": {"ca_file": ca, "cert_file": gateway.cert, "key_file": gateway.key},
                "auth": {"caller_key_file": plan.keys.caller_key()},
            }),
        )?;
        for region in &plan.regions {
            let own = tls.region(&region.slug);
            let mut settings = serde_json::json!({
                "region": {"slug": region.slug, "name": region.name, "country": region.country},
                "server": {"listen": nodes[&region.slug].to_string()},
                "database": {"url": region.database_url, "max_connections": crate::federation::POOL_PER_SERVER},
                "gateway": {
                    "endpoint": format!("https://{gateway_address}"),
                    "tls": {"ca_file": ca, "cert_file": own.cert, "key_file": own.key},
                },
                "auth": {"gateway_key_file": plan.keys.region_caller_key(&region.slug)},
            });
            if let Some(metrics) = region.metrics_listen {
                settings["server"]["metrics_listen"] = serde_json::json!(metrics.to_string());
            }
            if let Some(rules) = &region.rules_file {
                settings["rules"] = serde_json::json!({ "file": rules });
            }
            let mut mail = serde_json::json!({
                "from": region.mail.from,
                "web_url": region.mail.web_url,
            });
            if let Some(smtp_url) = &region.mail.smtp_url {
                mail["smtp_url"] = serde_json::json!(smtp_url);
            }
            if let Some(folder) = &region.mail.folder {
                mail["folder"] = serde_json::json!(folder);
            }
            settings["mail"] = mail;
            processes.write_settings(&region.slug, &settings)?;
        }
        let mut federation = ProcessFederation {
            processes,
            gateway_address,
            nodes,
            tls,
        };
        federation.processes.start("gateway", Role::Gateway)?;
        let endpoint = crate::federation::gateway_endpoint(gateway_address, Some(&federation.tls))?;
        federation
            .processes
            .wait_serving("gateway", endpoint, Duration::from_secs(60))
            .await?;
        let regions: Vec<String> = federation.nodes.keys().cloned().collect();
        for region in &regions {
            federation.processes.start(region, Role::Node)?;
        }
        for region in &regions {
            federation.wait_node(region).await?;
        }
        Ok(federation)
    }

    async fn wait_node(&mut self, region: &str) -> anyhow::Result<()> {
        let endpoint = self.node_client_endpoint(region)?;
        self.processes
            .wait_serving(region, endpoint, Duration::from_secs(60))
            .await
    }

    /// A region's node called as the gateway calls it (mutual TLS, the gateway's
    /// certificate).
    fn node_client_endpoint(&self, region: &str) -> anyhow::Result<Endpoint> {
        let address = self
            .nodes
            .get(region)
            .with_context(|| format!("region {region} is not part of this federation"))?;
        crate::federation::node_endpoint(
            &address.to_string(),
            region,
            Some(&self.tls.ca().cert),
            Some(&self.tls.gateway()),
        )
    }

    /// The gateway's address as an https URI.
    pub fn gateway_endpoint(&self) -> String {
        format!("https://{}", self.gateway_address)
    }

    /// Starts one more server beside the federation (such as the web app in front
    /// of its gateway), stopped with it: its settings are written to `name`'s file.
    pub fn start_beside(
        &mut self,
        name: &str,
        role: Role,
        settings: &serde_json::Value,
    ) -> anyhow::Result<()> {
        self.processes.write_settings(name, settings)?;
        self.processes.start(name, role)
    }

    /// Waits until the server `name` started beside the federation listens at
    /// `address`.
    pub async fn wait_listening(&mut self, name: &str, address: SocketAddr) -> anyhow::Result<()> {
        self.processes
            .wait_listening(name, address, Duration::from_secs(60))
            .await
    }

    /// A client channel to the gateway (trusting the federation CA).
    pub async fn gateway_channel(&self) -> anyhow::Result<Channel> {
        Ok(
            crate::federation::gateway_endpoint(self.gateway_address, Some(&self.tls))?
                .connect()
                .await?,
        )
    }

    /// A region node's address as an https URI.
    pub fn node_endpoint(&self, region: &str) -> Option<String> {
        self.nodes
            .get(region)
            .map(|address| format!("https://{address}"))
    }

    /// Stops one region's node process, as an outage would.
    pub async fn stop_region(&mut self, region: &str) -> anyhow::Result<()> {
        self.processes.stop(region).await
    }

    /// Starts a stopped region's node process again, with its settings file, and
    /// waits until it is SERVING.
    pub async fn restart_region(&mut self, region: &str) -> anyhow::Result<()> {
        self.processes.start(region, Role::Node)?;
        self.wait_node(region).await
    }

    /// Stops the gateway, then every node.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        self.processes.stop_all(&["gateway"]).await
    }
}

/// The peak resident memory in a `/proc/…/status` file (its `VmHWM` line).
pub fn peak_resident_bytes(status_file: &str) -> anyhow::Result<u64> {
    status_bytes(status_file, "VmHWM:")
}

/// The anonymous resident memory now (heap and stacks, not pages mapped from
/// files such as SQLite's database): the `RssAnon` line of a status file.
pub fn anonymous_resident_bytes(status_file: &str) -> anyhow::Result<u64> {
    status_bytes(status_file, "RssAnon:")
}

/// A `… kB` line of a `/proc/…/status` file, in bytes.
fn status_bytes(status_file: &str, key: &str) -> anyhow::Result<u64> {
    let status =
        std::fs::read_to_string(status_file).with_context(|| format!("reading {status_file}"))?;
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix(key))
        .and_then(|value| {
            value
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .with_context(|| format!("{status_file} has no {key} line"))?;
    Ok(kib * 1024)
}

/// The federation under measurement, in this process or as processes.
pub enum Servers {
    InProcess(Federation),
    Processes(ProcessFederation),
}

impl Servers {
    pub async fn start(plan: FederationPlan, setup: &Setup, dir: &Path) -> anyhow::Result<Self> {
        Ok(if setup.processes {
            Servers::Processes(ProcessFederation::start(plan, dir).await?)
        } else {
            Servers::InProcess(Federation::start(plan).await?)
        })
    }

    pub async fn gateway_channel(&self) -> anyhow::Result<Channel> {
        match self {
            Servers::InProcess(federation) => federation.gateway_channel().await,
            Servers::Processes(federation) => federation.gateway_channel().await,
        }
    }

    pub fn gateway_endpoint(&self) -> String {
        match self {
            Servers::InProcess(federation) => federation.gateway_endpoint(),
            Servers::Processes(federation) => federation.gateway_endpoint(),
        }
    }

    pub fn node_endpoint(&self, region: &str) -> Option<String> {
        match self {
            Servers::InProcess(federation) => federation.node_endpoint(region),
            Servers::Processes(federation) => federation.node_endpoint(region),
        }
    }

    pub async fn stop_region(&mut self, region: &str) -> anyhow::Result<()> {
        match self {
            Servers::InProcess(federation) => federation.stop_region(region).await,
            Servers::Processes(federation) => federation.stop_region(region).await,
        }
    }

    pub async fn restart_region(&mut self, region: &str) -> anyhow::Result<()> {
        match self {
            Servers::InProcess(federation) => federation.restart_region(region).await,
            Servers::Processes(federation) => federation.restart_region(region).await,
        }
    }

    /// Peak resident memory so far: of each server's process, or of this one
    /// process when every server runs in it.
    pub fn peak_memory(&self) -> anyhow::Result<Vec<(String, u64)>> {
        self.status_files()?
            .into_iter()
            .map(|(name, file)| Ok((name, peak_resident_bytes(&file)?)))
            .collect()
    }

    /// The `/proc/<pid>/status` file of each server's process, or of this one
    /// process when every server runs in it.
    pub fn status_files(&self) -> anyhow::Result<Vec<(String, String)>> {
        match self {
            Servers::InProcess(_) => Ok(vec![(
                "one process (gateway and every node)".to_owned(),
                "/proc/self/status".to_owned(),
            )]),
            Servers::Processes(federation) => federation.processes.status_files(),
        }
    }

    pub async fn shutdown(self) -> anyhow::Result<()> {
        match self {
            Servers::InProcess(federation) => federation.shutdown().await,
            Servers::Processes(federation) => federation.shutdown().await,
        }
    }
}

/// A federation of `regions` (slug, name, country) behind the gateway over mTLS
/// with the demo's credentials, every server on a free port of 127.0.0.1 and on
/// its database in `urls` (by server name: `gateway`, then each slug); the
/// benchmarks' plan, which each adjusts (rules, mail) where it measures them.
pub fn federation_plan<'a>(
    regions: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>,
    urls: &BTreeMap<String, String>,
    certs: &CertDir,
) -> FederationPlan {
    let url = |name: &str| urls.get(name).cloned().unwrap_or_default();
    let localhost = SocketAddr::from(([127, 0, 0, 1], 0));
    FederationPlan {
        gateway_listen: localhost,
        gateway_database_url: url("gateway"),
        gateway_metrics_listen: None,
        regions: regions
            .into_iter()
            .map(|(slug, name, country)| crate::federation::RegionPlan {
                slug: slug.to_owned(),
                name: name.to_owned(),
                country: country.to_owned(),
                database_url: url(slug),
                listen: localhost,
                rules_file: None,
                metrics_listen: None,
                mail: Default::default(),
            })
            .collect(),
        keys: certs.clone(),
        tls: Some(certs.clone()),
        demo_credentials: true,
        accounts: Default::default(),
    }
}

/// A federation of one region, `REGION`, as [`federation_plan`] makes it, with
/// `mail` as the region's mail settings: the plan of the benchmarks that
/// measure one region's calls (search, import, notify).
pub fn one_region_plan(
    urls: &BTreeMap<String, String>,
    certs: &CertDir,
    mail: passage_node::settings::MailSettings,
) -> FederationPlan {
    let mut plan = federation_plan([(REGION, "Amsterdam", "NL")], urls, certs);
    for region in &mut plan.regions {
        region.mail = mail.clone();
    }
    plan
}

/// The region of [`one_region_plan`].
pub const REGION: &str = "amsterdam";

/// Makes the gateway's and [`REGION`]'s databases in `place`, runs `benchmark`
/// with their URLs in the place's folder, and cleans up whatever happened.
pub async fn in_one_region_place<T, F, Fut>(place: Place, benchmark: F) -> anyhow::Result<T>
where
    F: FnOnce(PathBuf, BTreeMap<String, String>) -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    with_databases(place, ["gateway", REGION].map(str::to_owned), benchmark).await
}

/// Makes a fresh database in `place` for each of `servers`, runs `benchmark`
/// with the place's folder and their URLs by name ([`run_in_place`]), and cleans
/// up whatever happened, a failure to make the databases included.
pub async fn with_databases<T, F, Fut>(
    mut place: Place,
    servers: impl IntoIterator<Item = String>,
    benchmark: F,
) -> anyhow::Result<T>
where
    F: FnOnce(PathBuf, BTreeMap<String, String>) -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let urls = match place.databases(servers).await {
        Ok(urls) => urls,
        Err(error) => return place.clean_up(Err(error)).await,
    };
    let dir = place.dir.clone();
    run_in_place(place, benchmark(dir, urls)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_is_named_on_the_same_server() {
        assert_eq!(
            database_url_on("postgres://postgres@127.0.0.1:5432/postgres", "b"),
            "postgres://postgres@127.0.0.1:5432/b"
        );
        assert_eq!(
            database_url_on("postgres://u:p@db:5432/x?sslmode=disable", "b"),
            "postgres://u:p@db:5432/b?sslmode=disable"
        );
        assert_eq!(database_url_on("postgres://db", "b"), "postgres://db/b");
    }

    #[test]
    fn the_header_names_backend_and_processes() {
        let setup = Setup::default();
        assert_eq!(
            (setup.backend_name(), setup.processes_name()),
            ("SQLite", "one process")
        );
        let setup = Setup {
            backend: Backend::Postgres,
            database_url: None,
            processes: true,
        };
        assert_eq!(
            (setup.backend_name(), setup.processes_name()),
            ("PostgreSQL", "a process per server")
        );
    }
}
