//! The node's `Sync` stream to the gateway: pushes the outbox in batches (one in
//! flight, deleted once acknowledged), applies the log the gateway streams back and
//! acknowledges it. Reconnects with exponential back-off and jitter.

use std::future::Future;
use std::time::Duration;

use passage_proto::bounds::{MAX_CHANGE_BYTES, SYNC_BATCH_BYTES};
use passage_proto::v1::{
    self, ChangeBatch, NodeHello, ProfileState, SyncFromNode,
    federation_service_client::FederationServiceClient, sync_from_gateway, sync_from_node,
};
use passage_server::sync_stages::Stage;
use prost::Message;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint, Identity};

use super::{moves, replica};
use crate::context::NodeContext;
use crate::error::{Error, Result};
use crate::settings::{GatewayLink, TlsFiles};
use crate::store::entity::outbox;

/// Outbox rows sent in one batch.
const OUTBOX_BATCH: u64 = 2_000;
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// Keeps a `Sync` stream to the gateway open until `shutdown` completes.
pub async fn run(context: NodeContext, link: GatewayLink, shutdown: impl Future<Output = ()>) {
    let gateway = link.endpoint.clone();
    tokio::pin!(shutdown);
    let mut failures: u32 = 0;
    loop {
        let session = session(&context, &link, &mut failures);
        let outcome = tokio::select! {
            outcome = session => outcome,
            () = &mut shutdown => return,
        };
        match outcome {
            Ok(()) => tracing::info!(%gateway, "sync stream closed by the gateway"),
            Err(error) => {
                tracing::warn!(%gateway, %error, attempt = failures, "sync stream failed")
            }
        }
        failures = failures.saturating_add(1);
        let delay = backoff(failures);
        tracing::info!(%gateway, ?delay, "reconnecting to the gateway");
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = &mut shutdown => return,
        }
    }
}

/// 100 ms doubling up to 10 s, each scaled by a random factor in [0.5, 1.5).
fn backoff(failures: u32) -> Duration {
    let base = Duration::from_millis(100)
        .saturating_mul(1 << failures.min(7))
        .min(MAX_BACKOFF);
    let jitter = u64::from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
            % 1000,
    );
    base.mul_f64(0.5 + jitter as f64 / 1000.0)
}

fn to_gateway(message: sync_from_node::Message) -> SyncFromNode {
    SyncFromNode {
        message: Some(message),
    }
}

/// The gateway's endpoint, with the node's mTLS identity when it has one.
pub fn endpoint(link: &GatewayLink) -> Result<Endpoint> {
    let gateway = link.endpoint.as_str();
    let mut endpoint = Endpoint::from_shared(gateway.to_owned())
        .map_err(|e| Error::FailedPrecondition(format!("gateway endpoint {gateway:?}: {e}")))?
        .connect_timeout(Duration::from_secs(2))
        .tcp_nodelay(true)
        // A stream whose connection died silently fails within ten seconds
        // instead of waiting for TCP to give up.
        .http2_keep_alive_interval(Duration::from_secs(5))
        .keep_alive_timeout(Duration::from_secs(5))
        .keep_alive_while_idle(true);
    // The region's certificate goes with an https gateway (a plaintext endpoint is
    // a relay on this machine; the certificate then only serves the node's port).
    if let Some(tls) = &link.tls
        && gateway.starts_with("https://")
    {
        endpoint = endpoint.tls_config(client_tls(tls)?)?;
    }
    Ok(endpoint)
}

async fn session(context: &NodeContext, link: &GatewayLink, failures: &mut u32) -> Result<()> {
    let gateway = link.endpoint.as_str();
    let channel = endpoint(link)?.connect().await?;
    let (outbound, outbound_stream) = mpsc::channel(4);
    let hello = to_gateway(sync_from_node::Message::Hello(NodeHello {
        region: context.region.clone(),
    }));
    let _ = outbound.send(hello).await;
    let mut inbound = FederationServiceClient::new(channel)
        .max_decoding_message_size(passage_proto::bounds::SYNC_MESSAGE_BYTES)
        .max_encoding_message_size(passage_proto::bounds::SYNC_MESSAGE_BYTES)
        .sync(ReceiverStream::new(outbound_stream))
        .await
        .map_err(|status| Error::FailedPrecondition(format!("gateway refused sync: {status}")))?
        .into_inner();
    *failures = 0;
    tracing::info!(region = %context.region, %gateway, "sync stream open");

    let mut in_flight: Option<i64> = None;
    loop {
        if in_flight.is_none() {
            in_flight = send_outbox(context, &outbound).await?;
        }
        tokio::select! {
            message = inbound.message() => {
                let message = message.map_err(|status| {
                    Error::FailedPrecondition(format!("sync stream: {status}"))
                })?;
                let Some(message) = message.and_then(|m| m.message) else {
                    return Ok(());
                };
                match message {
                    sync_from_gateway::Message::Accepted(accepted) => {
                        let _turn = context.write_turn().await;
                        outbox::Entity::delete_many()
                            .filter(outbox::Column::Id.lte(accepted.last_outbox_id as i64))
                            .exec(&context.db)
                            .await?;
                        in_flight = None;
                    }
                    sync_from_gateway::Message::Log(batch) => {
                        let arrived = std::time::Instant::now();
                        let applied = replica::apply_batch(context, &batch).await?;
                        context.sync_stages.observe(
                            Stage::Apply,
                            arrived.elapsed(),
                            batch.entries.len() as u64,
                        );
                        if let Some(sequence) = applied {
                            let ack = sync_from_node::Message::Applied(v1::Applied { sequence });
                            if outbound.send(to_gateway(ack)).await.is_err() {
                                return Ok(());
                            }
                        }
                    }
                    sync_from_gateway::Message::Handoff(handoff) => {
                        let outcome =
                            moves::release(context, &handoff.member_id, &handoff.to_region).await?;
                        if let Err(reason) = outcome {
                            tracing::warn!(member_id = %handoff.member_id, %reason, "hand-over refused");
                            let refused = sync_from_node::Message::HandoffRefused(v1::HandoffRefused {
                                member_id: handoff.member_id,
                                reason,
                            });
                            if outbound.send(to_gateway(refused)).await.is_err() {
                                return Ok(());
                            }
                        }
                    }
                    sync_from_gateway::Message::Refused(refused) => {
                        tracing::warn!(
                            member_id = %refused.member_id,
                            reason = %refused.reason,
                            "gateway refused a change"
                        );
                    }
                }
            }
            () = context.outbox_ready.notified(), if in_flight.is_none() => {}
            () = tokio::time::sleep(Duration::from_secs(1)), if in_flight.is_none() => {}
        }
    }
}

/// Sends the oldest outbox rows as one batch; returns the id of the last one sent.
async fn send_outbox(
    context: &NodeContext,
    outbound: &mpsc::Sender<SyncFromNode>,
) -> Result<Option<i64>> {
    let rows = outbox::Entity::find()
        .order_by_asc(outbox::Column::Id)
        .limit(OUTBOX_BATCH)
        .all(&context.db)
        .await?;
    // At most a batch's worth of bytes (always at least one row): the rows after
    // the last one taken wait for the next batch.
    let mut last = None;
    let mut bytes = 0usize;
    let mut changes = Vec::new();
    let mut stamped = Vec::new();
    for row in &rows {
        if last.is_some() && bytes + row.state.len() > SYNC_BATCH_BYTES {
            break;
        }
        last = Some(row.id);
        bytes += row.state.len();
        if row.state.len() > MAX_CHANGE_BYTES {
            // The gateway would refuse it; a home node's validation never makes one.
            tracing::error!(
                outbox_id = row.id,
                bytes = row.state.len(),
                "outbox row larger than the federation carries dropped"
            );
            continue;
        }
        match ProfileState::decode(row.state.as_slice()) {
            Ok(state) => {
                // A notice without stamps is not a change to time.
                stamped.extend(passage_proto::hlc::written_millis(&state));
                changes.push(state);
            }
            Err(error) => {
                tracing::error!(outbox_id = row.id, %error, "undecodable outbox row dropped");
            }
        }
    }
    let Some(last) = last else {
        return Ok(None);
    };
    let batch = sync_from_node::Message::Changes(ChangeBatch {
        last_outbox_id: last as u64,
        changes,
    });
    if outbound.send(to_gateway(batch)).await.is_err() {
        return Ok(None);
    }
    let sent_ms = passage_proto::hlc::wall_millis();
    for stamped_ms in stamped {
        context
            .sync_stages
            .observe_since(Stage::OutboxWait, stamped_ms, sent_ms);
    }
    Ok(Some(last))
}

/// The node's mTLS identity and the CA it trusts for the gateway.
fn client_tls(files: &TlsFiles) -> Result<ClientTlsConfig> {
    let read = |field: &str, path: &std::path::Path| {
        std::fs::read(path).map_err(|e| {
            Error::FailedPrecondition(format!(
                "gateway.tls.{field}: cannot read {}: {e}",
                path.display()
            ))
        })
    };
    Ok(ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(read("ca_file", &files.ca_file)?))
        .identity(Identity::from_pem(
            read("cert_file", &files.cert_file)?,
            read("key_file", &files.key_file)?,
        ))
        .domain_name(passage_proto::GATEWAY_TLS_NAME))
}
