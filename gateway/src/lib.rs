//! The Passage gateway: routes client calls to the region they name, and (as the
//! federation grows) holds the sync hub, the member directory and global statistics.
//!
//! The caller owns the socket and the shutdown signal ([`run`]).

pub mod access;
pub mod accounts;
pub mod dashboard;
pub mod error;
pub mod http;
pub mod metrics;
pub mod notices;
pub mod observed;
pub mod personal_data;
pub mod registry;
pub mod revocations;
pub mod route;
pub mod settings;
pub mod stats;
pub mod store;
pub mod sync;
pub mod tokens;

use std::future::Future;
use std::time::Duration;

use passage_migrations::GatewayMigrator;
use tokio::net::TcpListener;
use tonic::transport::Server;

pub use error::{Error, Result};
pub use settings::GatewaySettings;

use passage_proto::v1::account_service_server::AccountServiceServer;
use passage_proto::v1::federation_admin_service_server::FederationAdminServiceServer;
use passage_proto::v1::federation_service_server::FederationServiceServer;
use passage_proto::v1::global_stats_service_server::GlobalStatsServiceServer;
use passage_proto::v1::move_service_server::MoveServiceServer;
use passage_proto::v1::personal_data_service_server::PersonalDataServiceServer;
use route::{Audit, Cases, Coaching, ExpertPool, Spreadsheets};
use route::{Buddies, Forward, Market, Matches, Members, RegionRouter, Reviews, Rules};
use route::{Events, Groups};
use route::{Helpdesk, Placements};

/// Opens the database, registers the configured regions and serves the gateway on
/// `listener` (and its metrics on `server.metrics_listen`, when set) until
/// `shutdown` completes.
pub async fn run(
    settings: GatewaySettings,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<()> {
    let metrics = match settings.server.metrics_listen {
        Some(address) => Some(
            TcpListener::bind(address)
                .await
                .map_err(|e| Error::Settings {
                    field: "server.metrics_listen".into(),
                    reason: format!("cannot bind {address}: {e}"),
                })?,
        ),
        None => None,
    };
    run_with_metrics(settings, listener, metrics, shutdown).await
}

/// `federation.insecure` takes a sync stream's region from its hello: only for a
/// federation on one machine, so the gateway refuses to start with it on a listener
/// other machines can reach.
fn refuse_insecure_beyond_loopback(
    settings: &GatewaySettings,
    listener: &TcpListener,
) -> Result<()> {
    if !settings.federation.insecure {
        return Ok(());
    }
    let address = listener.local_addr().map_err(|e| Error::Settings {
        field: "server.listen".into(),
        reason: format!("cannot read the listener's address: {e}"),
    })?;
    if address.ip().is_loopback() {
        return Ok(());
    }
    Err(Error::Settings {
        field: "federation.insecure".into(),
        reason: format!(
            "true is only allowed on a loopback listener (127.0.0.1, ::1), not {address}: \
             give the nodes region certificates (`passage certs`) instead"
        ),
    })
}

/// [`run`] with the metrics socket, if any, bound by the caller.
pub async fn run_with_metrics(
    settings: GatewaySettings,
    listener: TcpListener,
    metrics: Option<TcpListener>,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<()> {
    settings.validate()?;
    passage_proto::choose_tls_crypto();
    refuse_insecure_beyond_loopback(&settings, &listener)?;
    let db = passage_migrations::connect_server::<GatewayMigrator>(
        &settings.database.url,
        settings.database.max_connections,
        settings.database.sqlite_map_mib << 20,
    )
    .await?;
    registry::register(&db, &settings.regions).await?;
    revocations::register(&db, &settings.federation.revoked_serials).await?;
    let caller_key = passage_server::access::read_key_file(&settings.auth.caller_key_file)
        .map_err(|reason| Error::Settings {
            field: "auth.caller_key_file".into(),
            reason,
        })?;
    let router = RegionRouter::new(
        &settings.regions,
        Duration::from_millis(settings.server.connect_timeout_ms),
        &caller_key,
        settings.tls.as_ref(),
    )?;
    let accounts = accounts::AccountStore::new(
        db.clone(),
        settings.accounts.clone(),
        settings.regions.iter().map(|r| r.slug.clone()).collect(),
    )
    .with_region_names(
        settings
            .regions
            .iter()
            .map(|r| (r.slug.clone(), r.name.clone())),
    );
    let gate = access::TokenGate::new(db.clone(), accounts.clone(), router.seals());
    // Central statistics: the gRPC service below, and whatever serves them over HTTP.
    let statistician =
        stats::Statistician::new(router.clone(), settings.stats.clone(), gate.clone());

    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter
        .set_service_status(
            <Forward<Members> as tonic::server::NamedService>::NAME,
            tonic_health::ServingStatus::Serving,
        )
        .await;
    health_reporter
        .set_service_status(
            <Forward<Market> as tonic::server::NamedService>::NAME,
            tonic_health::ServingStatus::Serving,
        )
        .await;
    for forwarded in [
        <Forward<Reviews> as tonic::server::NamedService>::NAME,
        <Forward<Buddies> as tonic::server::NamedService>::NAME,
        <Forward<Rules> as tonic::server::NamedService>::NAME,
        <Forward<Matches> as tonic::server::NamedService>::NAME,
        <Forward<Coaching> as tonic::server::NamedService>::NAME,
        <Forward<ExpertPool> as tonic::server::NamedService>::NAME,
        <Forward<Cases> as tonic::server::NamedService>::NAME,
        <Forward<Groups> as tonic::server::NamedService>::NAME,
        <Forward<Events> as tonic::server::NamedService>::NAME,
        <Forward<Placements> as tonic::server::NamedService>::NAME,
        <Forward<Helpdesk> as tonic::server::NamedService>::NAME,
        <Forward<Audit> as tonic::server::NamedService>::NAME,
        <Forward<Spreadsheets> as tonic::server::NamedService>::NAME,
        <Forward<route::Notifications> as tonic::server::NamedService>::NAME,
    ] {
        health_reporter
            .set_service_status(forwarded, tonic_health::ServingStatus::Serving)
            .await;
    }
    // The statistics ask every region at once: they are served once the
    // gateway has opened its channel to each region (or found it down or late
    // by the statistics' own deadline).
    let global_stats = passage_proto::v1::global_stats_service_server::SERVICE_NAME;
    health_reporter
        .set_service_status(global_stats, tonic_health::ServingStatus::NotServing)
        .await;
    tokio::spawn({
        let (router, health_reporter) = (router.clone(), health_reporter.clone());
        let within = Duration::from_millis(settings.stats.deadline_ms);
        async move {
            router.connect_all(within).await;
            health_reporter
                .set_service_status(global_stats, tonic_health::ServingStatus::Serving)
                .await;
        }
    });
    health_reporter
        .set_serving::<MoveServiceServer<sync::MoveConfirmations>>()
        .await;
    health_reporter
        .set_serving::<AccountServiceServer<accounts::service::Accounts>>()
        .await;
    let (reflection_v1, reflection_v1alpha) =
        passage_proto::reflection_services().map_err(|e| Error::Settings {
            field: "reflection".into(),
            reason: e.to_string(),
        })?;

    let (closing, closing_seen) = tokio::sync::watch::channel(false);
    let sync_hub = sync::SyncHub::new(
        db.clone(),
        settings.regions.iter().map(|r| r.slug.clone()),
        settings.federation.insecure,
        closing_seen,
    )
    .await?
    .with_max_clock_skew(settings.federation.max_clock_skew_ms);
    // Kept while the gateway serves.
    let _checkpointer = passage_migrations::checkpoint_in_background(&db);
    let calls = passage_server::call_metrics::CallMetrics::new();
    let metrics_task = metrics.map(|listener| {
        tracing::info!(address = ?listener.local_addr().ok(), "metrics and dashboard serving");
        let observed = observed::Observed {
            hub: sync_hub.clone(),
            calls: calls.clone(),
            statistician: statistician.clone(),
        };
        tokio::spawn(http::serve(listener, observed, closing.subscribe()))
    });
    let shutdown = async move {
        shutdown.await;
        let _ = closing.send(true);
    };
    if settings.federation.insecure {
        tracing::warn!("sync streams are plaintext and trust the region a node names (--insecure)");
    }
    let regions: Vec<&str> = router.regions().map(|r| r.slug.as_str()).collect();
    tracing::info!(address = ?listener.local_addr().ok(), ?regions, tls = settings.tls.is_some(), "gateway serving");
    // The gateway's own services decode requests up to `[limits]
    // max_message_bytes`; forwarded calls pass through as a stream of bytes and
    // the region's node applies its own limit.
    let max_message_bytes = settings.limits.max_message_bytes;
    // Keep-alive pings find a sync stream whose connection died without a word
    // (a NAT or firewall that forgot it): the session ends, the region shows as
    // disconnected, and the node reconnects.
    let mut server = Server::builder()
        .http2_keepalive_interval(Some(std::time::Duration::from_secs(5)))
        .http2_keepalive_timeout(Some(std::time::Duration::from_secs(5)));
    if let Some(tls) = &settings.tls {
        server = server.tls_config(tls_config(tls)?)?;
    }
    server
        .layer(calls.layer())
        .layer(passage_server::limits::Limits::new(settings.limits).layer())
        .layer(
            passage_server::access::AccessLayer::new(gate)
                .with_max_message_bytes(settings.limits.max_message_bytes),
        )
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(Forward::<Members>::new(router.clone()))
        .add_service(Forward::<Reviews>::new(router.clone()))
        .add_service(Forward::<Buddies>::new(router.clone()))
        .add_service(Forward::<Rules>::new(router.clone()))
        .add_service(Forward::<Matches>::new(router.clone()))
        .add_service(Forward::<Coaching>::new(router.clone()))
        .add_service(Forward::<ExpertPool>::new(router.clone()))
        .add_service(Forward::<Cases>::new(router.clone()))
        .add_service(Forward::<Groups>::new(router.clone()))
        .add_service(Forward::<Events>::new(router.clone()))
        .add_service(Forward::<Placements>::new(router.clone()))
        .add_service(Forward::<Helpdesk>::new(router.clone()))
        .add_service(Forward::<Audit>::new(router.clone()))
        .add_service(Forward::<Spreadsheets>::new(router.clone()))
        .add_service(Forward::<route::Notifications>::new(router.clone()))
        .add_service(Forward::<Market>::new(router.clone()))
        .add_service(
            FederationAdminServiceServer::new(sync::FederationAdmin::new(sync_hub.clone()))
                .max_decoding_message_size(max_message_bytes),
        )
        .add_service(
            MoveServiceServer::new(sync::MoveConfirmations::new(
                sync_hub.clone(),
                router.clone(),
                settings
                    .regions
                    .iter()
                    .map(|region| (region.slug.clone(), region.name.clone()))
                    .collect(),
            ))
            .max_decoding_message_size(max_message_bytes),
        )
        .add_service(
            PersonalDataServiceServer::new(personal_data::PersonalData::new(
                accounts.clone(),
                router.clone(),
                sync_hub.clone(),
            ))
            .max_decoding_message_size(max_message_bytes)
            .max_encoding_message_size(passage_proto::bounds::SYNC_MESSAGE_BYTES),
        )
        .add_service(
            AccountServiceServer::new(accounts::service::Accounts::new(accounts, router))
                .max_decoding_message_size(max_message_bytes),
        )
        .add_service(
            GlobalStatsServiceServer::new(statistician)
                .max_decoding_message_size(max_message_bytes),
        )
        .add_service(
            // A sync batch is bounded by bytes on both sides
            // (`passage_proto::bounds`), under what the stream decodes.
            FederationServiceServer::new(sync_hub)
                .max_decoding_message_size(passage_proto::bounds::SYNC_MESSAGE_BYTES)
                .max_encoding_message_size(passage_proto::bounds::SYNC_MESSAGE_BYTES),
        )
        .serve_with_incoming_shutdown(passage_proto::accept_without_delay(listener), shutdown)
        .await?;
    if let Some(task) = metrics_task {
        let _ = task.await;
    }
    tracing::info!("gateway stopped");
    Ok(())
}

/// Server TLS from the settings' PEM files: the gateway's identity, and the CA whose
/// region certificates it accepts (optional for client calls, required to sync).
fn tls_config(files: &settings::TlsFiles) -> Result<tonic::transport::ServerTlsConfig> {
    let pem = files.read()?;
    Ok(tonic::transport::ServerTlsConfig::new()
        .identity(tonic::transport::Identity::from_pem(pem.cert, pem.key))
        .client_ca_root(tonic::transport::Certificate::from_pem(pem.ca))
        .client_auth_optional(true))
}
