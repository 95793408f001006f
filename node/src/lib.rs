//! A Passage regional node: one region's members and local market, served over gRPC.
//!
//! The caller owns the socket and the shutdown signal ([`run`]), so one process can
//! hold a whole federation for tests and the demo.

pub mod access;
pub mod answering;
pub mod application_stages;
pub mod audit;
pub mod community;
pub mod context;
pub mod convert;
pub mod error;
pub mod federation;
pub mod knowledge_base;
pub mod mail_clock;
pub mod matching;
pub mod membership;
pub mod metrics;
pub mod notify;
pub mod quiet_hours;
pub mod retention;
pub mod review_policy;
pub mod rules;
pub mod search;
pub mod service;
pub mod serving;
pub mod settings;
pub mod spreadsheets;
pub mod store;
pub mod validate;
pub mod words;

use std::future::Future;

use passage_proto::v1::{
    market_service_server::MarketServiceServer, member_service_server::MemberServiceServer,
};
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;
use tonic::transport::Server;

pub use error::{Error, Result};
pub use settings::NodeSettings;

use context::NodeContext;
use passage_proto::v1::audit_service_server::AuditServiceServer;
use passage_proto::v1::notification_service_server::NotificationServiceServer;
use passage_proto::v1::region_stats_service_server::RegionStatsServiceServer;
use passage_proto::v1::spreadsheet_service_server::SpreadsheetServiceServer;
use passage_proto::v1::{
    buddy_service_server::BuddyServiceServer, review_service_server::ReviewServiceServer,
};
use passage_proto::v1::{
    case_service_server::CaseServiceServer, coaching_service_server::CoachingServiceServer,
    expert_pool_service_server::ExpertPoolServiceServer,
};
use passage_proto::v1::{
    event_service_server::EventServiceServer, group_service_server::GroupServiceServer,
};
use passage_proto::v1::{
    helpdesk_service_server::HelpdeskServiceServer,
    placement_service_server::PlacementServiceServer,
};
use passage_proto::v1::{
    match_service_server::MatchServiceServer, rules_service_server::RulesServiceServer,
};
use service::NotificationApi;
use service::{AuditApi, BuddyApi, MatchApi, RegionStatsApi, ReviewApi, RulesApi};
use service::{CaseApi, CoachingApi, ExpertPoolApi};
use service::{EventApi, GroupApi};
use service::{HelpdeskApi, PlacementApi};
use service::{MarketApi, MemberApi, SpreadsheetApi};

/// Opens the node's database (applying migrations) and serves the node on
/// `listener` until `shutdown` completes.
pub async fn run(
    settings: NodeSettings,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<()> {
    let metrics = bind_metrics(&settings).await?;
    run_with_metrics(settings, listener, metrics, shutdown).await
}

/// [`run`] with the metrics socket, if any, bound by the caller.
pub async fn run_with_metrics(
    settings: NodeSettings,
    listener: TcpListener,
    metrics: Option<TcpListener>,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<()> {
    let db =
        store::connect_server(&settings.database.url, settings.database.max_connections).await?;
    serve_with_metrics(settings, db, listener, metrics, shutdown).await
}

/// Serves the node with an already open, migrated database (and its metrics on
/// `server.metrics_listen`, when set).
pub async fn serve(
    settings: NodeSettings,
    db: DatabaseConnection,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<()> {
    let metrics = bind_metrics(&settings).await?;
    serve_with_metrics(settings, db, listener, metrics, shutdown).await
}

/// Binds `server.metrics_listen`, when set.
async fn bind_metrics(settings: &NodeSettings) -> Result<Option<TcpListener>> {
    match settings.server.metrics_listen {
        Some(address) => TcpListener::bind(address).await.map(Some).map_err(|e| {
            Error::FailedPrecondition(format!("server.metrics_listen: cannot bind {address}: {e}"))
        }),
        None => Ok(None),
    }
}

/// [`serve`] with the metrics socket, if any, bound by the caller.
pub async fn serve_with_metrics(
    settings: NodeSettings,
    db: DatabaseConnection,
    listener: TcpListener,
    metrics: Option<TcpListener>,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<()> {
    passage_proto::choose_tls_crypto();
    let region_key = passage_server::access::read_key_file(&settings.auth.gateway_key_file)
        .map_err(|reason| Error::invalid("auth.gateway_key_file", reason))?;
    let unsubscribe_key = std::sync::Arc::new(notify::unsubscribe::Key::derive(&region_key)?);
    let mut context = NodeContext::new(db, settings.region.slug.clone());
    let (audit_trail, audit_writer) =
        audit::AuditTrail::start(context.db.clone(), context.write_turns());
    let gate = access::SealGate::new(
        settings.region.slug.clone(),
        passage_server::access::CallerSeal::new(region_key),
        audit_trail,
    );
    context.review_policy = settings.review;
    if let Some(link) = &settings.gateway {
        context.clock = std::sync::Arc::new(passage_proto::hlc::HlcClock::with_max_skew(
            link.max_clock_skew_ms,
        ));
    }
    federation::publish::seed_clock(&context.db, &context.clock).await?;
    federation::replica::erase_leftovers(&context).await?;
    // The review hours kept were counted under one review policy; under another,
    // every kept figure is counted again before the first call.
    let approvals = context.review_policy.approvals_to_publish;
    if passage_migrations::tallies::counted_policy(&context.db).await? != Some(approvals) {
        service::count_again(&context.db, approvals).await?;
        tracing::info!(
            approvals,
            "statistics counted again under the review policy"
        );
    }
    if let Some((members, opportunities)) =
        store::search_index::rebuild_if_outdated(&context.db).await?
    {
        tracing::info!(
            members,
            opportunities,
            version = store::search_index::VERSION,
            "search index rebuilt"
        );
    }
    if let Some(rules) = &settings.rules {
        let loaded = rules::ActiveRules::load(&rules.file, &settings.region.slug)?;
        let current = loaded.current();
        tracing::info!(
            region = %settings.region.slug,
            file = %current.path,
            rules = current.rules.len(),
            cases = current.cases.len(),
            "labour-market rules loaded; every case passes"
        );
        context.rules = std::sync::Arc::new(loaded);
    }
    context.catalogue = std::sync::Arc::new(matching::Catalogue::load(&context.db).await?);
    let reload_on_hangup = tokio::spawn(rules_reload_on_hangup(context.rules.clone()));
    if let Some(link) = &settings.gateway {
        context.gateway = Some(federation::client::endpoint(link)?.connect_lazy());
        // The gateway's directory knows the home of every member, sharing or not.
        federation::publish::announce_unlisted(&context).await?;
    }
    let mail_counters = notify::counters::MailCounters::default();
    let mail_task = start_mail(
        &mut context,
        &settings,
        unsubscribe_key.clone(),
        mail_counters.clone(),
    )?;
    // Reminders of tomorrow and digests, as time passes (after the mail task,
    // whose folder erasure needs).
    let timed_task = tokio::spawn(notify::timed::run(context.clone()));
    // Kept while the node serves.
    let _checkpointer = passage_migrations::checkpoint_in_background(&context.db);
    let (stop_sync, sync_stopped) = tokio::sync::oneshot::channel::<()>();
    let sync = settings.gateway.as_ref().map(|link| {
        tokio::spawn(federation::client::run(
            context.clone(),
            link.clone(),
            async {
                let _ = sync_stopped.await;
            },
        ))
    });
    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter
        .set_serving::<MemberServiceServer<MemberApi>>()
        .await;
    health_reporter
        .set_serving::<MarketServiceServer<MarketApi>>()
        .await;
    health_reporter
        .set_serving::<ReviewServiceServer<ReviewApi>>()
        .await;
    health_reporter
        .set_serving::<BuddyServiceServer<BuddyApi>>()
        .await;
    health_reporter
        .set_serving::<RulesServiceServer<RulesApi>>()
        .await;
    health_reporter
        .set_serving::<MatchServiceServer<MatchApi>>()
        .await;
    health_reporter
        .set_serving::<CoachingServiceServer<CoachingApi>>()
        .await;
    health_reporter
        .set_serving::<ExpertPoolServiceServer<ExpertPoolApi>>()
        .await;
    health_reporter
        .set_serving::<CaseServiceServer<CaseApi>>()
        .await;
    health_reporter
        .set_serving::<RegionStatsServiceServer<RegionStatsApi>>()
        .await;
    health_reporter
        .set_serving::<GroupServiceServer<GroupApi>>()
        .await;
    health_reporter
        .set_serving::<EventServiceServer<EventApi>>()
        .await;
    health_reporter
        .set_serving::<PlacementServiceServer<PlacementApi>>()
        .await;
    health_reporter
        .set_serving::<HelpdeskServiceServer<HelpdeskApi>>()
        .await;
    health_reporter
        .set_serving::<AuditServiceServer<AuditApi>>()
        .await;
    health_reporter
        .set_serving::<NotificationServiceServer<NotificationApi>>()
        .await;
    let (reflection_v1, reflection_v1alpha) = passage_proto::reflection_services()
        .map_err(|e| Error::FailedPrecondition(format!("reflection: {e}")))?;

    let calls = passage_server::call_metrics::CallMetrics::new();
    let (closing, closing_seen) = tokio::sync::watch::channel(false);
    let metrics_task = metrics.map(|listener| {
        tracing::info!(address = ?listener.local_addr().ok(), "node metrics serving");
        tokio::spawn(metrics::serve(
            listener,
            metrics::Scraped {
                db: context.db.clone(),
                region: settings.region.slug.clone(),
                calls: calls.clone(),
                stages: context.sync_stages.clone(),
                rules: context.rules.clone(),
                mail: mail_counters,
            },
            closing_seen,
        ))
    });
    let shutdown = async move {
        shutdown.await;
        let _ = closing.send(true);
    };

    let address = listener.local_addr().ok();
    tracing::info!(region = %settings.region.slug, ?address, "node serving");
    // Every service decodes requests up to `[limits] max_message_bytes`; a larger
    // one is refused before it is read into memory.
    let max_message_bytes = settings.limits.max_message_bytes;
    macro_rules! sized {
        ($server:ident, $api:expr) => {
            $server::new($api).max_decoding_message_size(max_message_bytes)
        };
    }
    let tls = serving::tls(&settings)?;
    let mut server = Server::builder();
    if let Some(tls) = tls {
        server = server.tls_config(tls)?;
    }
    // Over TLS, only the gateway's certificate gets past this layer; plaintext is
    // only ever served on a loopback address (`NodeSettings::validate`).
    let only_the_gateway = settings
        .gateway
        .as_ref()
        .and_then(|link| link.tls.as_ref())
        .is_some();
    server
        .layer(calls.layer())
        .layer(tower::util::option_layer(only_the_gateway.then(|| {
            passage_server::peer::PeerNameLayer::new(passage_proto::GATEWAY_TLS_NAME)
        })))
        .layer(passage_server::limits::Limits::new(settings.limits).layer())
        .layer(
            passage_server::access::AccessLayer::new(gate)
                .with_max_message_bytes(settings.limits.max_message_bytes),
        )
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(sized!(MemberServiceServer, MemberApi::new(context.clone())))
        .add_service(sized!(ReviewServiceServer, ReviewApi::new(context.clone())))
        .add_service(sized!(BuddyServiceServer, BuddyApi::new(context.clone())))
        .add_service(sized!(RulesServiceServer, RulesApi::new(context.clone())))
        .add_service(sized!(MatchServiceServer, MatchApi::new(context.clone())))
        .add_service(sized!(
            CoachingServiceServer,
            CoachingApi::new(context.clone(),)
        ))
        .add_service(sized!(
            ExpertPoolServiceServer,
            ExpertPoolApi::new(context.clone(),)
        ))
        .add_service(sized!(CaseServiceServer, CaseApi::new(context.clone())))
        .add_service(sized!(GroupServiceServer, GroupApi::new(context.clone())))
        .add_service(sized!(EventServiceServer, EventApi::new(context.clone())))
        .add_service(sized!(
            PlacementServiceServer,
            PlacementApi::new(context.clone(),)
        ))
        .add_service(sized!(
            HelpdeskServiceServer,
            HelpdeskApi::new(context.clone(),)
        ))
        .add_service(sized!(
            RegionStatsServiceServer,
            RegionStatsApi::new(context.clone(),)
        ))
        .add_service(sized!(AuditServiceServer, AuditApi::new(context.clone())))
        // A spreadsheet arrives whole in one request, so it may be larger.
        .add_service(
            SpreadsheetServiceServer::new(SpreadsheetApi::new(context.clone()))
                .max_decoding_message_size(
                    max_message_bytes.max(spreadsheets::csv_file::MAX_FILE_BYTES + 4096),
                ),
        )
        .add_service(sized!(
            NotificationServiceServer,
            NotificationApi::new(context.clone(), unsubscribe_key)
        ))
        .add_service(sized!(MarketServiceServer, MarketApi::new(context)))
        .serve_with_incoming_shutdown(passage_proto::accept_without_delay(listener), shutdown)
        .await?;
    reload_on_hangup.abort();
    mail_task.abort();
    timed_task.abort();
    // Every clone of the audit trail went with the server: the writer stores
    // what is queued and ends.
    let _ = audit_writer.await;
    if let Some(task) = metrics_task {
        let _ = task.await;
    }
    let _ = stop_sync.send(());
    if let Some(sync) = sync {
        let _ = sync.await;
    }
    tracing::info!(region = %settings.region.slug, "node stopped");
    Ok(())
}

/// Starts the mail task of `[mail]`: over SMTP, or into `.eml` files in the mail
/// folder, which erasure then also clears.
fn start_mail(
    context: &mut NodeContext,
    settings: &NodeSettings,
    unsubscribe_key: std::sync::Arc<notify::unsubscribe::Key>,
    counters: notify::counters::MailCounters,
) -> Result<tokio::task::JoinHandle<()>> {
    let folder = settings.mail.folder_for(&settings.database.url);
    let mailer = notify::Mailer {
        smtp_url: settings.mail.smtp_url.clone(),
        from: settings.mail.from.clone(),
        folder: folder.clone(),
        web_url: settings.mail.web_url.clone(),
        region: settings.region.slug.clone(),
        unsubscribe_key,
        ready: context.mail_ready.clone(),
        counters,
    };
    let channel = notify::delivery::Channel::of(&mailer)?;
    context.mail_folder = Some(folder);
    context.mail_channel = channel.name();
    mailer.counters.sends_by(channel.name());
    tracing::info!(?mailer, "mail task started");
    Ok(tokio::spawn(notify::delivery::run(
        context.clone(),
        mailer,
        channel,
    )))
}

/// Reloads the rules on every SIGHUP; a bad file is logged and the old rules stay.
async fn rules_reload_on_hangup(rules: std::sync::Arc<rules::ActiveRules>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut hangups) = signal(SignalKind::hangup()) else {
            tracing::warn!("cannot listen for SIGHUP; reload rules with RulesService.Reload");
            return;
        };
        while hangups.recv().await.is_some() {
            if rules.path().is_none() {
                continue;
            }
            let active = rules.clone();
            match tokio::task::spawn_blocking(move || active.reload()).await {
                Ok(Ok(current)) => tracing::info!(
                    file = %current.path,
                    version = %current.version,
                    rules = current.rules.len(),
                    "SIGHUP: rules reloaded"
                ),
                Ok(Err(error)) => tracing::error!(
                    %error,
                    "SIGHUP: the new rules were refused; the old ones stay in force"
                ),
                Err(error) => tracing::error!(%error, "SIGHUP: reloading the rules failed"),
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = rules;
    }
}
