//! `passage`: one binary, many roles — a regional node, the gateway, the demo
//! federation, and the operator's tools.

use std::net::SocketAddr;
use std::path::Path;

use anyhow::Context;
use clap::Parser;
use passage::demo::{self, DemoOptions};
use passage::settings_file::{self, SettingsError};
use passage_gateway::GatewaySettings;
use passage_migrations::{GatewayMigrator, NodeMigrator};
use passage_node::NodeSettings;
use tracing_subscriber::EnvFilter;

mod cli;

use cli::{
    AccountAction, AdminAction, BenchTarget, CertsAction, Cli, Command, MigrateTarget, RulesAction,
    TokenAction,
};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Transparent huge pages off for this process. mimalloc asks the kernel for
/// them on the memory it maps, and the kernel then zeroes 2 MiB at the first
/// touch of each: on the test machine that was 20–40 ms of the first
/// statistics call (a 431 KiB answer decoded into fresh memory), where 4 KiB
/// pages cost well under a millisecond. A server's latency matters more here
/// than the few TLB misses huge pages would save. Where the kernel refuses, the
/// process runs as before (it only costs speed) and says so in its log.
fn without_huge_pages() {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    if let Err(error) = rustix::thread::disable_transparent_huge_pages(true) {
        tracing::info!(
            %error,
            "transparent huge pages stay on: a first call may wait while the kernel zeroes memory"
        );
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    passage_proto::choose_tls_crypto();
    // The demo prints what matters itself; servers log their work.
    let default_filter = match cli.command {
        Command::Demo { .. }
        | Command::Bench { .. }
        | Command::Rules { .. }
        | Command::Health { .. } => "warn",
        _ => "warn,passage=info,passage_node=info,passage_gateway=info,passage_web=info",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("PASSAGE_LOG")
                .unwrap_or_else(|_| EnvFilter::new(default_filter)),
        )
        .with_writer(std::io::stderr)
        .init();
    without_huge_pages();
    match cli.command {
        Command::Demo {
            data_dir,
            port_base,
            members,
        } => {
            run_demo(DemoOptions {
                data_dir,
                port_base,
                history_members: members,
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
        Command::Web { config, listen } => {
            let settings: passage_web::WebSettings =
                load_settings(&config, listen, None, passage_web::WebSettings::validate)?;
            let listener = tokio::net::TcpListener::bind(settings.server.listen)
                .await
                .with_context(|| format!("binding {}", settings.server.listen))?;
            println!("web  http://{}/", listener.local_addr()?);
            passage_web::run(settings, listener, shutdown_signal())
                .await
                .map_err(anyhow::Error::msg)?;
            Ok(())
        }
        Command::Migrate { target } => migrate(target).await,
        Command::Health {
            endpoint,
            ca,
            region,
            cert,
            key,
        } => {
            let channel = match (region, cert, key) {
                (Some(region), Some(cert), Some(key)) => {
                    node_health_channel(&endpoint, &ca, &region, &cert, &key).await?
                }
                _ => admin_channel(&endpoint, &ca).await?,
            };
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
            action: RulesAction::Check { file, today },
        } => {
            print!("{}", passage::rules_cli::check(&file, today.as_deref())?);
            Ok(())
        }
        Command::Rules {
            action:
                RulesAction::Explain {
                    file,
                    date,
                    member,
                    opportunity,
                    language,
                },
        } => {
            let question = passage::rules_cli::Question {
                date: &date,
                member: &member,
                opportunity: &opportunity,
            };
            print!(
                "{}",
                passage::rules_cli::explain_in(&file, &question, &language)?
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
                    single_calls,
                    setup,
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
                single_calls,
                setup: setup.into(),
            })
            .await?;
            print!("{figures}");
            Ok(())
        }
        Command::Bench {
            what: BenchTarget::Snapshot { profiles, setup },
        } => {
            let figures = passage::bench::snapshot::run(&passage::bench::snapshot::SnapshotBench {
                profiles,
                setup: setup.into(),
            })
            .await?;
            print!("{figures}");
            Ok(())
        }
        Command::Bench {
            what:
                BenchTarget::Stats {
                    regions,
                    members,
                    calls,
                    setup,
                },
        } => {
            let figures = passage::bench::stats::run(&passage::bench::stats::StatsBench {
                regions,
                members,
                calls,
                setup: setup.into(),
            })
            .await?;
            print!("{figures}");
            Ok(())
        }
        Command::Bench {
            what:
                BenchTarget::Match {
                    opportunities,
                    calls,
                    setup,
                },
        } => {
            let figures = passage::bench::matching::run(&passage::bench::matching::MatchBench {
                opportunities,
                calls,
                setup: setup.into(),
            })
            .await?;
            print!("{figures}");
            Ok(())
        }
        Command::Bench {
            what:
                BenchTarget::Web {
                    clients,
                    seconds,
                    setup,
                },
        } => {
            let figures = passage::bench::web::run(&passage::bench::web::WebBench {
                clients,
                seconds,
                setup: setup.into(),
            })
            .await?;
            print!("{figures}");
            Ok(())
        }
        Command::Bench {
            what:
                BenchTarget::Search {
                    members,
                    calls,
                    concurrency,
                    setup,
                },
        } => {
            let figures = passage::bench::search::run(&passage::bench::search::SearchBench {
                members,
                calls,
                concurrency,
                setup: setup.into(),
            })
            .await?;
            print!("{figures}");
            Ok(())
        }
        Command::Bench {
            what:
                BenchTarget::Notify {
                    changes,
                    clients,
                    runs,
                    setup,
                },
        } => {
            let figures = passage::bench::notify::run(&passage::bench::notify::NotifyBench {
                changes,
                clients,
                runs,
                setup: setup.into(),
            })
            .await?;
            print!("{figures}");
            Ok(())
        }
        Command::Bench {
            what:
                BenchTarget::Scale {
                    regions,
                    members,
                    sharing,
                    setup,
                },
        } => {
            let figures = passage::bench::scale::run(&passage::bench::scale::ScaleBench {
                regions,
                members,
                sharing,
                setup: setup.into(),
            })
            .await?;
            print!("{figures}");
            Ok(())
        }
        Command::Bench {
            what: BenchTarget::Import { members, setup },
        } => {
            let figures = passage::bench::import::run(&passage::bench::import::ImportBench {
                members,
                setup: setup.into(),
            })
            .await?;
            print!("{figures}");
            Ok(())
        }
        Command::Admin {
            action:
                AdminAction::RevokeCertificate {
                    config,
                    serial,
                    reason,
                },
            ..
        } => {
            let settings = gateway_settings(&config, None, None)?;
            print!(
                "{}",
                passage::token_cli::revoke_certificate(&settings, &serial, &reason).await?
            );
            Ok(())
        }
        Command::Admin {
            action: AdminAction::Account { action },
            ..
        } => {
            use passage::account_cli;
            let printed = match action {
                AccountAction::Invite {
                    config,
                    login,
                    kind,
                    region,
                    member,
                    organisation,
                    language,
                } => {
                    let settings = gateway_settings(&config, None, None)?;
                    let request = account_cli::InviteRequest {
                        login,
                        kind,
                        region,
                        member,
                        organisation,
                        language,
                    };
                    account_cli::invite(&settings, request).await?
                }
                AccountAction::Unlock { config, login } => {
                    account_cli::unlock(&gateway_settings(&config, None, None)?, &login).await?
                }
            };
            print!("{printed}");
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
                    organisation,
                    label,
                    expires_in,
                } => {
                    let settings = gateway_settings(&config, None, None)?;
                    let request = token_cli::TokenRequest {
                        role,
                        region,
                        member,
                        organisation,
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
                AdminAction::Token { .. }
                | AdminAction::Account { .. }
                | AdminAction::RevokeCertificate { .. } => {
                    anyhow::bail!(
                        "token, account and certificate commands run against the database"
                    )
                }
                AdminAction::Import {
                    what,
                    file,
                    region,
                    apply,
                } => {
                    let (report, complete) =
                        passage::spreadsheets_cli::import(channel, what, &file, &region, apply)
                            .await?;
                    print!("{report}");
                    anyhow::ensure!(complete, "{}: lines refused", file.display());
                    String::new()
                }
                AdminAction::Export {
                    what,
                    region,
                    purpose,
                    cohort,
                    event,
                } => {
                    let request = passage::spreadsheets_cli::ExportRequest {
                        what,
                        region,
                        purpose,
                        cohort,
                        event,
                    };
                    let rows = passage::spreadsheets_cli::export(
                        channel,
                        request,
                        &mut std::io::stdout().lock(),
                    )
                    .await?;
                    eprintln!("{rows} rows exported");
                    String::new()
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
                AdminAction::Mail { region, limit } => {
                    passage::mail_cli::mail_table(channel, &region, limit).await?
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
    println!("web  http://{}/", started.web);
    println!("  gateway        {}", federation.gateway_endpoint());
    if let Some(metrics) = federation.metrics_endpoint() {
        println!("  metrics        {metrics}");
        println!("  dashboard      http://{}/figures", started.web);
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
    passage::credentials::write_demo_token_file(
        &token_file,
        &federation.gateway_endpoint(),
        &regions,
    )?;
    println!(
        "  tokens         {} (chapter admins, operator, central analyst)",
        token_file.display()
    );
    println!(
        "  accounts       {} (kind, region, login, passphrase: a member and a chapter admin per region, the central analyst, the operator)",
        started.accounts_file.display()
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
    started.shutdown().await
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

/// A channel to a region's node at `endpoint` over mutual TLS, showing `cert`.
async fn node_health_channel(
    endpoint: &str,
    ca: &Path,
    region: &str,
    cert: &Path,
    key: &Path,
) -> anyhow::Result<tonic::transport::Channel> {
    let Some(address) = endpoint.strip_prefix("https://") else {
        anyhow::bail!("--endpoint {endpoint:?}: a node serves https only");
    };
    let identity = passage::certs::CertFiles {
        cert: cert.to_path_buf(),
        key: key.to_path_buf(),
    };
    passage::federation::node_endpoint(
        address.trim_end_matches('/'),
        region,
        Some(ca),
        Some(&identity),
    )?
    .connect()
    .await
    .with_context(|| format!("connecting to region {region}'s node at {endpoint}"))
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
        CertsAction::Issue { dir, web: true, .. } => certs::issue_web(&CertDir(dir))?,
        CertsAction::Issue { .. } => {
            anyhow::bail!("issue needs --region <slug>, --gateway or --web")
        }
    };
    println!("wrote {} and {}", files.cert.display(), files.key.display());
    let pem = std::fs::read(&files.cert)?;
    if let Some(serial) = passage_gateway::revocations::serial_of_pem(&pem) {
        // What `passage admin certs revoke` takes, should the key ever leak.
        println!("serial {serial}");
    }
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
