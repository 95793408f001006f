//! The `passage` command line: every subcommand and its flags (clap). `main.rs`
//! dispatches them.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "passage",
    version,
    about = "Federated community server for newcomer labour-market networks"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Start a whole federation on this machine: gateway plus Amsterdam, Washington DC
    /// and Miami, each with its own SQLite file and demo data.
    Demo {
        /// Where the SQLite files live; a second run reuses them.
        #[arg(long, default_value = "data")]
        data_dir: PathBuf,
        /// The gateway's port; the regions take the next three.
        #[arg(long, default_value_t = 24050)]
        port_base: u16,
        /// Members in each region's eighteen months of imported history (0: none).
        #[arg(long, default_value_t = 1500)]
        members: usize,
    },
    /// Serve one region's node.
    Node {
        /// The region's settings, such as deploy/regions/amsterdam.toml.
        #[arg(long)]
        config: PathBuf,
        /// Overrides `server.listen`.
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// Overrides `database.url`.
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Serve the gateway.
    Gateway {
        /// The gateway's settings, such as deploy/gateway.toml.
        #[arg(long)]
        config: PathBuf,
        /// Overrides `server.listen`.
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// Overrides `database.url`.
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Serve the web app: Passage in the browser, a client of the gateway.
    Web {
        /// The web app's settings, such as deploy/web.toml.
        #[arg(long)]
        config: PathBuf,
        /// Overrides `server.listen`.
        #[arg(long)]
        listen: Option<SocketAddr>,
    },
    /// Read the federation's state off the gateway.
    Admin {
        /// The gateway's endpoint (the demo's `tokens.env` sets PASSAGE_GATEWAY).
        #[arg(
            long,
            env = "PASSAGE_GATEWAY",
            default_value = "https://127.0.0.1:24050",
            global = true
        )]
        gateway: String,
        /// The federation CA, to trust the gateway's certificate over https.
        #[arg(long, default_value = "data/certs/ca.pem", global = true)]
        ca: PathBuf,
        /// Your bearer token (an operator's; a central analyst's for `stats`).
        /// Better from the environment than on the command line.
        #[arg(long, env = "PASSAGE_TOKEN", hide_env_values = true, global = true)]
        token: Option<String>,
        #[command(subcommand)]
        action: AdminAction,
    },
    /// Measure, and print the figures.
    Bench {
        #[command(subcommand)]
        what: BenchTarget,
    },
    /// Make the federation's certificate authority and its certificates.
    Certs {
        #[command(subcommand)]
        action: CertsAction,
    },
    /// Check a region's labour-market rules file, or run its test cases.
    Rules {
        #[command(subcommand)]
        action: RulesAction,
    },
    /// Ask a node or the gateway whether it is serving (gRPC health), for probes:
    /// exits 0 when SERVING, 1 otherwise.
    Health {
        /// Such as https://127.0.0.1:24050 (the gateway, with --ca) or
        /// https://127.0.0.1:24051 (a node, with --region, --cert and --key).
        #[arg(long, default_value = "https://127.0.0.1:24050")]
        endpoint: String,
        /// The federation CA, to trust the server's certificate over https.
        #[arg(long, default_value = "data/certs/ca.pem")]
        ca: PathBuf,
        /// Ask a region's node (https only: nodes serve mutual TLS): the region
        /// whose certificate the node must show. Needs --cert and --key.
        #[arg(long, requires_all = ["cert", "key"])]
        region: Option<String>,
        /// A federation certificate to show the node, such as the node's own
        /// (certs/region-amsterdam.pem): a node answers health checks from any.
        #[arg(long, requires = "region")]
        cert: Option<PathBuf>,
        /// The key of --cert.
        #[arg(long, requires = "region")]
        key: Option<PathBuf>,
    },
    /// Bring a node's or the gateway's database to the newest schema.
    Migrate {
        #[command(subcommand)]
        target: MigrateTarget,
    },
}

#[derive(Subcommand)]
pub enum BenchTarget {
    /// Central statistics: the gateway asking many regions at once.
    Stats {
        /// Regions, each a node on its own SQLite file.
        #[arg(long, default_value_t = 50)]
        regions: usize,
        /// Members in each region.
        #[arg(long, default_value_t = 300)]
        members: usize,
        /// GetGlobalStats calls timed.
        #[arg(long, default_value_t = 200)]
        calls: usize,
        #[command(flatten)]
        setup: BenchSetup,
    },
    /// Matching: one member against a region's published opportunities with the
    /// full Amsterdam rule set, through a node's MatchService.
    Match {
        /// Published opportunities in the region.
        #[arg(long, default_value_t = 100_000)]
        opportunities: usize,
        /// Calls timed.
        #[arg(long, default_value_t = 300)]
        calls: usize,
        #[command(flatten)]
        setup: BenchSetup,
    },
    /// The web app as members use it: signed-in members opening their profile and
    /// matches through the web app, the gateway and their home nodes.
    Web {
        /// Signed-in members, each a closed-loop client.
        #[arg(long, default_value_t = 100)]
        clients: usize,
        /// How long they run, after a second's warm-up.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[command(flatten)]
        setup: BenchSetup,
    },
    /// Search: a chapter admin's SearchMembers through the gateway, over a region
    /// of Refugee Start Force's size.
    Search {
        /// Members of the region.
        #[arg(long, default_value_t = 30_000)]
        members: usize,
        /// Calls timed.
        #[arg(long, default_value_t = 2_000)]
        calls: usize,
        /// Clients calling at once, each waiting for its answer (closed loop).
        #[arg(long, default_value_t = 1)]
        concurrency: usize,
        #[command(flatten)]
        setup: BenchSetup,
    },
    /// Notification mail: answered helpdesk questions, each telling its asker by
    /// mail through an SMTP receiver in this process, timed with mail on and off.
    Notify {
        /// Changes per run, each one notification (and mail, when on).
        #[arg(long, default_value_t = 10_000)]
        changes: usize,
        /// Changes in flight at once.
        #[arg(long, default_value_t = 8)]
        clients: usize,
        /// Runs with mail on, and as many with it off; medians are printed.
        #[arg(long, default_value_t = 5)]
        runs: usize,
        #[command(flatten)]
        setup: BenchSetup,
    },
    /// Import: a chapter admin's members file through the gateway in one
    /// ImportRecords call (one transaction), then the same file again.
    Import {
        /// Member rows in the file.
        #[arg(long, default_value_t = 30_000)]
        members: usize,
        #[command(flatten)]
        setup: BenchSetup,
    },
    /// Refugee Start Force's size: many regions each importing its members, a
    /// share of them replicated to every other region, until all converge.
    Scale {
        /// Regions, each a node with its own database.
        #[arg(long, default_value_t = 50)]
        regions: usize,
        /// Members each region imports.
        #[arg(long, default_value_t = 30_000)]
        members: usize,
        /// Every so many members shares her profile across regions (10: a tenth).
        #[arg(long, default_value_t = 10)]
        sharing: usize,
        #[command(flatten)]
        setup: BenchSetup,
    },
    /// A new region's snapshot: every shared profile of the other regions, from
    /// the gateway's directory, before it follows the log.
    Snapshot {
        /// Shared profiles in the gateway's directory.
        #[arg(long, default_value_t = 1_000_000)]
        profiles: usize,
        #[command(flatten)]
        setup: BenchSetup,
    },
    /// Sync end to end: sustained rate, latency at a fixed rate, catch-up rate.
    Sync {
        /// Members Amsterdam shares (at least rate × seconds).
        #[arg(long, default_value_t = 5_000)]
        members: usize,
        /// Changes for the sustained rate.
        #[arg(long, default_value_t = 20_000)]
        changes: usize,
        /// Fixed rate for the latency measurement, changes per second.
        #[arg(long, default_value_t = 1_000)]
        rate: usize,
        /// How long the fixed rate is held.
        #[arg(long, default_value_t = 5)]
        seconds: u64,
        /// Changes Miami misses while it is down.
        #[arg(long, default_value_t = 100_000)]
        missed: usize,
        /// Calls in flight at once.
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        /// Changes per call for the sustained rate: 1 sends single UpdateMember
        /// calls, more send BatchUpdateMembers calls of that many.
        #[arg(long, default_value_t = 100)]
        batch: usize,
        /// Where Amsterdam's writes enter: through the gateway (TLS, routed, as
        /// clients call) or straight at Amsterdam's node.
        #[arg(long, value_enum, default_value_t = passage::bench::sync::WritesVia::Gateway)]
        writes_via: passage::bench::sync::WritesVia,
        /// Single UpdateMember calls sent through the gateway, then as many straight
        /// at Amsterdam's node, to compare the two in one run (0 skips them).
        #[arg(long, default_value_t = 10_000)]
        single_calls: usize,
        #[command(flatten)]
        setup: BenchSetup,
    },
}

/// Where every benchmark's servers run.
#[derive(clap::Args)]
pub struct BenchSetup {
    /// The servers' database: a SQLite file each, or a fresh PostgreSQL database
    /// each (dropped afterwards).
    #[arg(long, value_enum, default_value_t = passage::bench::servers::Backend::Sqlite)]
    pub backend: passage::bench::servers::Backend,
    /// The PostgreSQL server for --backend postgres (any database on it, such as
    /// postgres://postgres@127.0.0.1:5432/postgres); PASSAGE_TEST_POSTGRES when left out.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Run the gateway and each node as their own `passage gateway` / `passage
    /// node` process with their own settings files, as deployed, instead of all in
    /// this process.
    #[arg(long)]
    pub processes: bool,
}

impl From<BenchSetup> for passage::bench::servers::Setup {
    fn from(setup: BenchSetup) -> Self {
        passage::bench::servers::Setup {
            backend: setup.backend,
            database_url: setup.database_url,
            processes: setup.processes,
        }
    }
}

#[derive(Subcommand)]
pub enum TokenAction {
    /// Make a token and print it, once.
    Create {
        /// The gateway's settings file (its database holds the tokens).
        #[arg(long, default_value = "deploy/gateway.toml")]
        config: PathBuf,
        /// member, organisation, chapter_admin, central_analyst or operator.
        #[arg(long)]
        role: String,
        /// The region of a member, an organisation or a chapter admin.
        #[arg(long)]
        region: Option<String>,
        /// The member a member token speaks for (their id).
        #[arg(long)]
        member: Option<String>,
        /// The organisation an organisation token speaks for (its id, of the
        /// region).
        #[arg(long)]
        organisation: Option<String>,
        /// Who holds it, such as "Amira, Amsterdam chapter".
        #[arg(long)]
        label: String,
        /// How long it lives: 30d, 12h (at most 366d).
        #[arg(long, default_value = "90d")]
        expires_in: String,
    },
    /// Revoke a token by its id; it stops working at once.
    Revoke {
        #[arg(long, default_value = "deploy/gateway.toml")]
        config: PathBuf,
        /// The token's id (from `create` or `list`).
        id: String,
    },
    /// Every token: id, role, region, member, expiry, state, label (never secrets).
    List {
        #[arg(long, default_value = "deploy/gateway.toml")]
        config: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum AccountAction {
    /// Invite a person: prints a single-use invitation code (valid seven days)
    /// with which they choose a passphrase. Inviting an existing login again (a
    /// forgotten passphrase) ends its sessions.
    Invite {
        /// The gateway's settings file (its database holds the accounts).
        #[arg(long, default_value = "deploy/gateway.toml")]
        config: PathBuf,
        /// How the person signs in: 3 to 120 letters, digits, '.', '-', '_', '@'.
        #[arg(long)]
        login: String,
        /// member, organisation, chapter_admin, central_analyst or operator.
        #[arg(long)]
        kind: String,
        /// The region of a member (their home), an organisation or a chapter admin.
        #[arg(long)]
        region: Option<String>,
        /// The member a member account speaks for (their id).
        #[arg(long)]
        member: Option<String>,
        /// The organisation an organisation's contact speaks for (its id).
        #[arg(long)]
        organisation: Option<String>,
        /// Their language, such as ar, nl, uk or es (default en).
        #[arg(long)]
        language: Option<String>,
    },
    /// Lift the lock on an account after wrong passphrases.
    Unlock {
        #[arg(long, default_value = "deploy/gateway.toml")]
        config: PathBuf,
        #[arg(long)]
        login: String,
    },
}

#[derive(Subcommand)]
pub enum AdminAction {
    /// Bearer tokens, on the gateway's host (against its database).
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// People's accounts, on the gateway's host (against its database).
    Account {
        #[command(subcommand)]
        action: AccountAction,
    },
    /// Stop trusting a region certificate (its key leaked, the node was retired):
    /// its sync stream is closed within a second on every gateway replica and no new
    /// one is accepted. On the gateway's host (against its database).
    RevokeCertificate {
        #[arg(long, default_value = "deploy/gateway.toml")]
        config: PathBuf,
        /// The certificate's serial number, as `passage certs issue` printed it.
        #[arg(long)]
        serial: String,
        /// Why, for the record.
        #[arg(long)]
        reason: String,
    },
    /// Per region: connected, last seen, cursor, backlog and lag.
    Sync,
    /// Every erasure, with the regions that confirmed it and those still pending.
    Erasures,
    /// Every move of a member between home regions: who asked, when, from, to.
    Transfers {
        /// Only this member's moves.
        #[arg(long)]
        member: Option<String>,
    },
    /// Drop log entries every region has applied, and entries older than
    /// --keep-hours (a region behind them gets a snapshot when it reconnects).
    Compact {
        #[arg(long, default_value_t = 168)]
        keep_hours: u32,
    },
    /// A region's audit log, newest first (with that region's chapter admin token).
    Audit {
        /// The region whose log to read.
        #[arg(long)]
        region: String,
        /// Only calls about this member (or other subject).
        #[arg(long)]
        subject: Option<String>,
        /// Only calls made with this token id.
        #[arg(long)]
        token_id: Option<String>,
        /// At most this many entries.
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// A region's notification mail (with that region's chapter admin token): the
    /// mails waiting and the last failures, addresses masked.
    Mail {
        /// The region whose mail queue to read.
        #[arg(long)]
        region: String,
        /// At most this many mails of each list.
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Import a chapter's CSV file of members, organisations or opportunities
    /// (with that region's chapter admin token): a dry run that names every
    /// refused line, unless --apply.
    Import {
        #[arg(value_enum)]
        what: passage::spreadsheets_cli::ImportWhat,
        /// The CSV file (UTF-8 or Windows-1252; `,` or `;` between cells).
        file: PathBuf,
        /// The region to import into.
        #[arg(long)]
        region: String,
        /// Write it (in one transaction; nothing when a line is refused).
        #[arg(long)]
        apply: bool,
    },
    /// A CSV report on standard output (with that region's chapter admin token):
    /// `> file.csv`.
    Export {
        #[arg(value_enum)]
        what: passage::spreadsheets_cli::ExportWhat,
        /// The region to report on.
        #[arg(long)]
        region: String,
        /// Why the members' region-local fields are needed; recorded in the
        /// region's audit log. Without it, shared fields only.
        #[arg(long)]
        purpose: Option<String>,
        /// The cohort, for `cohort`.
        #[arg(long, required_if_eq("what", "cohort"))]
        cohort: Option<String>,
        /// The event, for `attendance`.
        #[arg(long, required_if_eq("what", "attendance"))]
        event: Option<String>,
    },
    /// The central statistics every region reports, with small counts suppressed.
    Stats {
        /// Only this region (repeat for several); every region by default.
        #[arg(long = "region")]
        regions: Vec<String>,
        /// Print the statistics as JSON (as the dashboard serves them).
        #[arg(long)]
        json: bool,
        /// First month, YYYY-MM (with --to; the last 12 months by default).
        #[arg(long)]
        from: Option<String>,
        /// Last month, YYYY-MM.
        #[arg(long)]
        to: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum CertsAction {
    /// Create a new CA (ca.pem, ca.key) in DIR.
    Init {
        #[arg(long, default_value = "certs")]
        dir: PathBuf,
    },
    /// Issue a region's client certificate, the gateway's server certificate, or
    /// the web app's client certificate.
    Issue {
        #[arg(long, default_value = "certs")]
        dir: PathBuf,
        /// The region slug the certificate speaks for.
        #[arg(long, conflicts_with_all = ["gateway", "web"])]
        region: Option<String>,
        /// Issue the gateway's certificate instead.
        #[arg(long, conflicts_with = "web")]
        gateway: bool,
        /// Issue the web app's client certificate (web.passage) instead: the
        /// gateway takes the browser's address for sign-in locks only from it.
        #[arg(long)]
        web: bool,
        /// Extra names or addresses the gateway is reached by (with --gateway).
        #[arg(long = "host")]
        hosts: Vec<String>,
    },
}

#[derive(Subcommand)]
pub enum RulesAction {
    /// Compile every rule's expression and check every field it names; list the
    /// rules past their `review_by` (a warning: the exit code stays 0).
    Check {
        file: PathBuf,
        /// The day to check staleness against (YYYY-MM-DD); today when left out.
        #[arg(long)]
        today: Option<String>,
    },
    /// Run the file's test cases and print a pass/fail table; fails when a case
    /// fails or a rule fires in no case.
    Test { file: PathBuf },
    /// Decide for one person and one opportunity, and explain every rule that fired.
    Explain {
        file: PathBuf,
        /// The day to decide for (YYYY-MM-DD).
        #[arg(long)]
        date: String,
        /// The person, as inside a case's `member = { … }`, e.g.
        /// 'residence_status = "asylum_seeker", asylum_application_date = "2026-03-10"'.
        #[arg(long)]
        member: String,
        /// The opportunity, as inside a case's `opportunity = { … }`.
        #[arg(long)]
        opportunity: String,
        /// The language of the explanations (nl, es, de, ar, uk, …); English when
        /// a rule has none in it.
        #[arg(long, default_value = "en")]
        language: String,
    },
}

#[derive(Subcommand)]
pub enum MigrateTarget {
    /// A region node's database, from its settings file.
    Node {
        #[arg(long)]
        config: PathBuf,
    },
    /// The gateway's database, from its settings file.
    Gateway {
        #[arg(long)]
        config: PathBuf,
    },
}
