//! `passage`: one binary, many roles — a regional node, the gateway, the demo
//! federation, and the operator's tools.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Parser, Subcommand};
use passage::demo::{self, DemoOptions};
use passage::settings_file::{self, SettingsError};
use passage_gateway::GatewaySettings;
use passage_migrations::{GatewayMigrator, NodeMigrator};
use passage_node::NodeSettings;
use tracing_subscriber::EnvFilter;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "passage",
    version,
    about = "Federated community server for newcomer labour-market networks"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start a whole federation on this machine: gateway plus Amsterdam, Washington DC
    /// and Miami, each with its own SQLite file and demo data.
    Demo {
        /// Where the SQLite files live; a second run reuses them.
        #[arg(long, default_value = "data")]
        data_dir: PathBuf,
        /// The gateway's port; the regions take the next three.
        #[arg(long, default_value_t = 50050)]
        port_base: u16,
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
    /// Read the federation's state off the gateway.
    Admin {
        /// The gateway's endpoint.
        #[arg(long, default_value = "https://127.0.0.1:50050", global = true)]
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
        /// Such as http://127.0.0.1:50051 (a node) or https://127.0.0.1:50050 (the
        /// gateway, with --ca).
        #[arg(long, default_value = "https://127.0.0.1:50050")]
        endpoint: String,
        /// The federation CA, to trust the gateway's certificate over https.
        #[arg(long, default_value = "data/certs/ca.pem")]
        ca: PathBuf,
    },
    /// Bring a node's or the gateway's database to the newest schema.
    Migrate {
        #[command(subcommand)]
        target: MigrateTarget,
    },
}

#[derive(Subcommand)]
enum BenchTarget {
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
    },
}

#[derive(Subcommand)]
enum TokenAction {
    /// Make a token and print it, once.
    Create {
        /// The gateway's settings file (its database holds the tokens).
        #[arg(long, default_value = "deploy/gateway.toml")]
        config: PathBuf,
        /// member, chapter_admin, central_analyst or operator.
        #[arg(long)]
        role: String,
        /// The region of a member or chapter admin.
        #[arg(long)]
        region: Option<String>,
        /// The member a member token speaks for (their id).
        #[arg(long)]
        member: Option<String>,
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
enum AdminAction {
    /// Bearer tokens, on the gateway's host (against its database).
    Token {
        #[command(subcommand)]
        action: TokenAction,
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
enum CertsAction {
    /// Create a new CA (ca.pem, ca.key) in DIR.
    Init {
        #[arg(long, default_value = "certs")]
        dir: PathBuf,
    },
    /// Issue a region's client certificate, or the gateway's server certificate.
    Issue {
        #[arg(long, default_value = "certs")]
        dir: PathBuf,
        /// The region slug the certificate speaks for.
        #[arg(long, conflicts_with = "gateway")]
        region: Option<String>,
        /// Issue the gateway's certificate instead.
        #[arg(long)]
        gateway: bool,
        /// Extra names or addresses the gateway is reached by (with --gateway).
        #[arg(long = "host")]
        hosts: Vec<String>,
    },
}

#[derive(Subcommand)]
enum RulesAction {
    /// Compile every rule's expression and check every field it names.
    Check { file: PathBuf },
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
    },
}

#[derive(Subcommand)]
enum MigrateTarget {
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

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // The demo prints what matters itself; servers log their work.
    let default_filter = match cli.command {
        Command::Demo { .. }
        | Command::Bench { .. }
        | Command::Rules { .. }
        | Command::Health { .. } => "warn",
        _ => "warn,passage=info,passage_node=info,passage_gateway=info",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("PASSAGE_LOG")
                .unwrap_or_else(|_| EnvFilter::new(default_filter)),
        )
        .with_writer(std::io::stderr)
        .init();
    match cli.command {
        Command::Demo {
            data_dir,
            port_base,
        } => {
            run_demo(DemoOptions {
                data_dir,
                port_base,
            })
            .await
        }
        Command::Node {
            config,
            listen,
            database_url,
        } => {
            let settings = node_settings(&config, listen, database_url)?;
            let listener = tokio::net::TcpListener::bind(settings.server.listen)
                .await
                .with_context(|| format!("binding {}", settings.server.listen))?;
            passage_node::run(settings, listener, shutdown_signal()).await?;
            Ok(())
        }
        Command::Gateway {
            config,
            listen,
            database_url,
        } => {
            let settings = gateway_settings(&config, listen, database_url)?;
            let listener = tokio::net::TcpListener::bind(settings.server.listen)
                .await
                .with_context(|| format!("binding {}", settings.server.listen))?;
            passage_gateway::run(settings, listener, shutdown_signal()).await?;
            Ok(())
        }
        Command::Migrate { target } => migrate(target).await,
        Command::Health { endpoint, ca } => {
            let channel = admin_channel(&endpoint, &ca).await?;
            let serving = passage::federation::channel_is_serving(channel).await;
            println!(
                "{endpoint}: {}",
                if serving { "SERVING" } else { "NOT SERVING" }
            );
            if !serving {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Rules {
            action: RulesAction::Check { file },
        } => {
            print!("{}", passage::rules_cli::check(&file)?);
            Ok(())
        }
        Command::Rules {
            action:
                RulesAction::Explain {
                    file,
                    date,
                    member,
                    opportunity,
                },
        } => {
            print!(
                "{}",
                passage::rules_cli::explain(&file, &date, &member, &opportunity)?
            );
            Ok(())
        }
        Command::Rules {
            action: RulesAction::Test { file },
        } => {
            let (table, passed) = passage::rules_cli::test(&file)?;
            print!("{table}");
            if !passed {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Certs { action } => certs(action),
        Command::Bench {
            what:
                BenchTarget::Sync {
                    members,
                    changes,
                    rate,
                    seconds,
                    missed,
                    concurrency,
                    batch,
                    writes_via,
                },
        } => {
            let figures = passage::bench::sync::run(&passage::bench::sync::SyncBench {
                members,
                changes,
                rate,
                seconds,
                missed,
                concurrency,
                batch,
                writes_via,
            })
            .await?;
            println!(
                "passage bench sync (1 region writing, 2 receiving, SQLite, mTLS, one process; \
                 writes via the {}, {})",
                writes_via.describe(),
                if batch > 1 {
                    format!("{batch} changes per BatchUpdateMembers call")
                } else {
                    "one UpdateMember call per change".to_owned()
                }
            );
            println!(
                "  sustained: {:.0} changes/s applied end to end ({changes} changes)",
                figures.sustained_per_second
            );
            println!(
                "  latency at {rate}/s (single UpdateMember calls): p50 {:.1} ms, p99 {:.1} ms ({} samples)",
                figures.latency_p50_ms, figures.latency_p99_ms, figures.latency_samples
            );
            println!(
                "  catch-up: {:.0} changes/s ({missed} missed changes)",
                figures.catch_up_per_second
            );
            Ok(())
        }
        Command::Bench {
            what:
                BenchTarget::Stats {
                    regions,
                    members,
                    calls,
                },
        } => {
            let figures = passage::bench::stats::run(&passage::bench::stats::StatsBench {
                regions,
                members,
                calls,
            })
            .await?;
            println!(
                "passage bench stats ({regions} regions, each a node on SQLite with {members} \
                 members; one gateway asking every region at once; one process)"
            );
            println!("  start-up: {:.1} s", figures.startup_seconds);
            println!(
                "  first call, every region counting from its database: {:.1} ms",
                figures.first_call_ms
            );
            println!(
                "  GetGlobalStats: p50 {:.1} ms, p99 {:.1} ms ({} calls, {} tables each; regions \
                 answer with figures they counted at most 5 s before)",
                figures.p50_ms, figures.p99_ms, figures.calls, figures.tables
            );
            println!(
                "  regions answered: {} of {regions} in every call ({} calls with a region missing)",
                figures.regions_answered, figures.calls_with_a_region_missing
            );
            Ok(())
        }
        Command::Bench {
            what:
                BenchTarget::Match {
                    opportunities,
                    calls,
                },
        } => {
            let figures = passage::bench::matching::run(&passage::bench::matching::MatchBench {
                opportunities,
                calls,
            })
            .await?;
            println!(
                "passage bench match (one member against {opportunities} published \
                 opportunities, Amsterdam's {} rules in force, SQLite node, gRPC, one process)",
                figures.rules
            );
            println!(
                "  latency: p50 {:.1} ms, p99 {:.1} ms ({} calls; {} opportunities eligible for the last)",
                figures.p50_ms, figures.p99_ms, figures.calls, figures.eligible
            );
            println!(
                "  rule evaluations: {:.0} CEL evaluations/s run, {:.0} per match \
                 (rules are decided once per member and per kind of opportunity)",
                figures.evaluations_per_second, figures.evaluations_per_call
            );
            println!(
                "  rule evaluations without the memo: {:.0}/s (every rule in force, for each \
                 member and opportunity pair)",
                figures.unmemoised_evaluations_per_second
            );
            println!(
                "  decisions: {:.0} (opportunity × rule) decisions/s covered by a match",
                figures.decisions_per_second
            );
            Ok(())
        }
        Command::Admin {
            action: AdminAction::Token { action },
            ..
        } => {
            use passage::token_cli;
            let printed = match action {
                TokenAction::Create {
                    config,
                    role,
                    region,
                    member,
                    label,
                    expires_in,
                } => {
                    let settings = gateway_settings(&config, None, None)?;
                    let request = token_cli::TokenRequest {
                        role,
                        region,
                        member,
                        label,
                        expires_in,
                    };
                    token_cli::create(&settings, request).await?
                }
                TokenAction::Revoke { config, id } => {
                    token_cli::revoke(&gateway_settings(&config, None, None)?, &id).await?
                }
                TokenAction::List { config } => {
                    token_cli::list(&gateway_settings(&config, None, None)?).await?
                }
            };
            print!("{printed}");
            Ok(())
        }
        Command::Admin {
            gateway,
            ca,
            token,
            action,
        } => {
            let token = token.context(
                "--token (or PASSAGE_TOKEN): the gateway answers only callers with a token",
            )?;
            let channel = passage::admin::link(admin_channel(&gateway, &ca).await?, &token)?;
            let table = match action {
                AdminAction::Token { .. } => {
                    anyhow::bail!("token commands run against the database")
                }
                AdminAction::Sync => passage::admin::sync_table(channel).await?,
                AdminAction::Erasures => passage::admin::erasures_table(channel).await?,
                AdminAction::Transfers { member } => {
                    passage::admin::transfers_table(channel, member).await?
                }
                AdminAction::Compact { keep_hours } => {
                    passage::admin::compact(channel, keep_hours).await?
                }
                AdminAction::Audit {
                    region,
                    subject,
                    token_id,
                    limit,
                } => {
                    passage::admin::audit_table(channel, &region, subject, token_id, limit).await?
                }
                AdminAction::Stats {
                    regions,
                    json,
                    from,
                    to,
                } => {
                    let request = passage_proto::v1::GetGlobalStatsRequest {
                        months: Some(passage_proto::v1::MonthRange {
                            from_month: from.unwrap_or_default(),
                            to_month: to.unwrap_or_default(),
                        }),
                        regions,
                    };
                    passage::admin::stats_report(channel, request, json).await?
                }
            };
            print!("{table}");
            Ok(())
        }
    }
}

async fn run_demo(options: DemoOptions) -> anyhow::Result<()> {
    let started = demo::start(&options).await?;
    let federation = &started.federation;
    println!(
        "Passage demo federation (data in {})",
        options.data_dir.display()
    );
    println!("  gateway        {}", federation.gateway_endpoint());
    if let Some(metrics) = federation.metrics_endpoint() {
        println!("  metrics        {metrics}");
        println!("  dashboard      {}", metrics.trim_end_matches("metrics"));
    }
    for region in federation.regions() {
        println!(
            "  {:<14} {}",
            region,
            federation.node_endpoint(region).unwrap_or_default()
        );
    }
    for report in &started.seeded {
        if report.reused {
            println!(
                "  {}: reusing the data already in {}",
                report.region,
                options.data_dir.display()
            );
        } else {
            println!(
                "  {}: seeded {} members, {} organisations, {} opportunities",
                report.region, report.members, report.organisations, report.opportunities
            );
        }
    }
    let token_file = options.data_dir.join("tokens.env");
    let regions: Vec<&str> = federation.regions().collect();
    passage::credentials::write_demo_token_file(&token_file, &regions)?;
    println!(
        "  tokens         {} (chapter admins, operator, central analyst)",
        token_file.display()
    );
    let gateway = federation.gateway_endpoint();
    let host = gateway.trim_start_matches("https://");
    let ca = options.data_dir.join("certs").join("ca.pem");
    let ca = ca.display();
    println!("Try:");
    println!("  . {}", token_file.display());
    println!("  grpcurl -cacert {ca} {host} list");
    println!(
        "  grpcurl -cacert {ca} -H \"authorization: Bearer $AMSTERDAM_TOKEN\" -H 'x-passage-region: amsterdam' -d '{{\"page_size\": 3}}' {host} passage.v1.MemberService/ListMembers"
    );
    println!("ready");
    shutdown_signal().await;
    println!("stopping");
    started.federation.shutdown().await
}

/// Settings from `file`, the environment and the `--listen`/`--database-url` flags.
fn load_settings<T: serde::de::DeserializeOwned>(
    file: &Path,
    listen: Option<SocketAddr>,
    database_url: Option<String>,
    check: impl Fn(&T) -> Result<(), (String, String)>,
) -> Result<T, SettingsError> {
    let mut overrides = Vec::new();
    if let Some(listen) = listen {
        overrides.push(("server.listen", listen.to_string()));
    }
    if let Some(url) = database_url {
        overrides.push(("database.url", url));
    }
    settings_file::load(
        file,
        &settings_file::process_environment(),
        &overrides,
        check,
    )
}

fn node_settings(
    file: &Path,
    listen: Option<SocketAddr>,
    database_url: Option<String>,
) -> Result<NodeSettings, SettingsError> {
    let mut settings: NodeSettings =
        load_settings(file, listen, database_url, NodeSettings::validate)?;
    settings.resolve_paths(file);
    Ok(settings)
}

fn gateway_settings(
    file: &Path,
    listen: Option<SocketAddr>,
    database_url: Option<String>,
) -> Result<GatewaySettings, SettingsError> {
    load_settings(file, listen, database_url, GatewaySettings::check)
}

async fn migrate(target: MigrateTarget) -> anyhow::Result<()> {
    match target {
        MigrateTarget::Node { config } => {
            let settings = node_settings(&config, None, None)?;
            passage_migrations::connect::<NodeMigrator>(&settings.database.url, 1).await?;
            println!("region {}: schema up to date", settings.region.slug);
        }
        MigrateTarget::Gateway { config } => {
            let settings = gateway_settings(&config, None, None)?;
            passage_migrations::connect::<GatewayMigrator>(&settings.database.url, 1).await?;
            println!("gateway: schema up to date");
        }
    }
    Ok(())
}

async fn admin_channel(gateway: &str, ca: &Path) -> anyhow::Result<tonic::transport::Channel> {
    let mut endpoint = tonic::transport::Endpoint::from_shared(gateway.to_owned())
        .with_context(|| format!("--gateway {gateway:?}"))?;
    if gateway.starts_with("https://") {
        let ca = std::fs::read(ca).with_context(|| format!("reading --ca {}", ca.display()))?;
        endpoint = endpoint.tls_config(
            tonic::transport::ClientTlsConfig::new()
                .ca_certificate(tonic::transport::Certificate::from_pem(ca))
                .domain_name(passage_proto::GATEWAY_TLS_NAME),
        )?;
    }
    endpoint
        .connect()
        .await
        .with_context(|| format!("connecting to the gateway at {gateway}"))
}

fn certs(action: CertsAction) -> anyhow::Result<()> {
    use passage::certs::{self, CertDir};
    let files = match action {
        CertsAction::Init { dir } => certs::init(&CertDir(dir))?,
        CertsAction::Issue {
            dir,
            region: Some(region),
            ..
        } => certs::issue_region(&CertDir(dir), &region)?,
        CertsAction::Issue {
            dir,
            gateway: true,
            hosts,
            ..
        } => certs::issue_gateway(&CertDir(dir), &hosts)?,
        CertsAction::Issue { .. } => anyhow::bail!("issue needs --region <slug> or --gateway"),
    };
    println!("wrote {} and {}", files.cert.display(), files.key.display());
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
