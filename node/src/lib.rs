//! A Passage regional node: one region's members and local market, served over gRPC.
//!
//! The caller owns the socket and the shutdown signal ([`run`]), so one process can
//! hold a whole federation for tests and the demo.

pub mod convert;
pub mod error;
pub mod federation;
pub mod service;
pub mod settings;
pub mod store;
pub mod validate;

use std::future::Future;

use passage_proto::v1::{
    market_service_server::MarketServiceServer, member_service_server::MemberServiceServer,
};
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::Server;

pub use error::{Error, Result};
pub use settings::NodeSettings;

use service::{MarketApi, MemberApi, NodeContext};

/// Opens the node's database (applying migrations) and serves the node on
/// `listener` until `shutdown` completes.
pub async fn run(
    settings: NodeSettings,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<()> {
    let db = store::connect(&settings.database.url, settings.database.max_connections).await?;
    serve(settings, db, listener, shutdown).await
}

/// Serves the node with an already open, migrated database.
pub async fn serve(
    settings: NodeSettings,
    db: DatabaseConnection,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<()> {
    let mut context = NodeContext::new(db, settings.region.slug.clone());
    if let Some(link) = &settings.gateway {
        context.gateway = Some(federation::client::endpoint(link)?.connect_lazy());
    }
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
    let (reflection_v1, reflection_v1alpha) = passage_proto::reflection_services()
        .map_err(|e| Error::FailedPrecondition(format!("reflection: {e}")))?;

    let address = listener.local_addr().ok();
    tracing::info!(region = %settings.region.slug, ?address, "node serving");
    Server::builder()
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(MemberServiceServer::new(MemberApi::new(context.clone())))
        .add_service(MarketServiceServer::new(MarketApi::new(context)))
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), shutdown)
        .await?;
    let _ = stop_sync.send(());
    if let Some(sync) = sync {
        let _ = sync.await;
    }
    tracing::info!(region = %settings.region.slug, "node stopped");
    Ok(())
}
