//! Several gateway replicas on one PostgreSQL database, as the Kubernetes deployment
//! runs them: a profile Amsterdam's node sends through one replica reaches Miami,
//! whose sync stream is held by another replica, and when Amsterdam and Washington DC
//! send through different replicas at the same time, every profile reaches Miami, in
//! sequence order. A member moves between regions whose streams are held by
//! different replicas: the hand-over travels through the database.
//!
//! Each replica is the gateway's sync hub served on its own port with its own
//! connection pool; the regions' nodes are played by plain sync streams.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use passage_gateway::sync::SyncHub;
use passage_migrations::GatewayMigrator;
use passage_proto::v1::{
    self, ChangeBatch, NodeHello, ProfileState, SharedProfile, SyncFromGateway, SyncFromNode,
    federation_service_client::FederationServiceClient,
    federation_service_server::FederationServiceServer, sync_from_gateway, sync_from_node,
};
use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::{ReceiverStream, TcpListenerStream};
use tonic::Streaming;
use tonic::transport::{Channel, Server};

/// One gateway replica: its sync hub on its own port and its own pool.
struct Replica {
    endpoint: String,
    closing: watch::Sender<bool>,
    server: tokio::task::JoinHandle<()>,
}

impl Replica {
    async fn start(database_url: &str) -> Replica {
        let db = passage_migrations::connect::<GatewayMigrator>(database_url, 5)
            .await
            .unwrap();
        let (closing, closing_seen) = watch::channel(false);
        let regions = passage::demo::REGIONS.iter().map(|r| r.0.to_owned());
        // Insecure: the streams below name their region in the hello, as a node
        // without a certificate may only on an insecure gateway.
        let hub = SyncHub::new(db, regions, true, closing_seen.clone())
            .await
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let mut stop = closing_seen;
        let server = tokio::spawn(async move {
            Server::builder()
                .add_service(FederationServiceServer::new(hub))
                .serve_with_incoming_shutdown(TcpListenerStream::new(listener), async move {
                    let _ = stop.wait_for(|closing| *closing).await;
                })
                .await
                .unwrap();
        });
        Replica {
            endpoint,
            closing,
            server,
        }
    }

    async fn stop(self) {
        let _ = self.closing.send(true);
        self.server.await.unwrap();
    }
}

/// A region's sync stream, as its node holds it.
struct RegionStream {
    outbound: mpsc::Sender<SyncFromNode>,
    inbound: Streaming<SyncFromGateway>,
    next_outbox_id: u64,
}

impl RegionStream {
    async fn open(gateway: String, region: &str) -> RegionStream {
        let (outbound, requests) = mpsc::channel(16);
        outbound
            .send(SyncFromNode {
                message: Some(sync_from_node::Message::Hello(NodeHello {
                    region: region.to_owned(),
                })),
            })
            .await
            .unwrap();
        let channel = Channel::from_shared(gateway)
            .unwrap()
            .connect()
            .await
            .unwrap();
        let inbound = FederationServiceClient::new(channel)
            .sync(ReceiverStream::new(requests))
            .await
            .unwrap()
            .into_inner();
        RegionStream {
            outbound,
            inbound,
            next_outbox_id: 1,
        }
    }

    /// Sends the shared profiles of `names` (new members of this region) and waits
    /// until the gateway accepted them; returns their member ids.
    async fn share(&mut self, region: &str, names: &[String]) -> Vec<String> {
        let changes: Vec<ProfileState> = names.iter().map(|n| new_profile(region, n)).collect();
        let ids = changes.iter().map(|c| c.member_id.clone()).collect();
        self.send(region, changes).await;
        ids
    }

    /// Sends `changes` from this region's outbox and waits until the gateway
    /// accepted them.
    async fn send(&mut self, region: &str, changes: Vec<ProfileState>) {
        let last_outbox_id = self.next_outbox_id;
        self.next_outbox_id += 1;
        self.outbound
            .send(SyncFromNode {
                message: Some(sync_from_node::Message::Changes(ChangeBatch {
                    last_outbox_id,
                    changes,
                })),
            })
            .await
            .unwrap();
        loop {
            match self.inbound.message().await.unwrap().unwrap().message {
                Some(sync_from_gateway::Message::Accepted(accepted))
                    if accepted.last_outbox_id == last_outbox_id =>
                {
                    return;
                }
                Some(sync_from_gateway::Message::Refused(refused)) => {
                    panic!("{region}'s change was refused: {}", refused.reason)
                }
                _ => {}
            }
        }
    }

    /// Reads what the gateway sends until it asks this region to hand a member over
    /// (or ten seconds pass).
    async fn handoff(&mut self, what: &str) -> v1::Handoff {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let message = tokio::time::timeout_at(deadline, self.inbound.message())
                .await
                .unwrap_or_else(|_| panic!("timed out waiting until {what}"))
                .unwrap()
                .unwrap();
            if let Some(sync_from_gateway::Message::Handoff(handoff)) = message.message {
                return handoff;
            }
        }
    }

    /// Reads the log batches the gateway sends until every member of `expected`
    /// arrived (or ten seconds pass); returns the sequences in the order received.
    async fn receive(&mut self, expected: &BTreeSet<String>, what: &str) -> Vec<u64> {
        let mut arrived = BTreeSet::new();
        let mut sequences = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while !expected.is_subset(&arrived) {
            let message = tokio::time::timeout_at(deadline, self.inbound.message())
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "timed out waiting until {what}: {} of {} arrived",
                        expected.intersection(&arrived).count(),
                        expected.len()
                    )
                })
                .unwrap()
                .unwrap();
            if let Some(sync_from_gateway::Message::Log(batch)) = message.message {
                for entry in batch.entries {
                    sequences.push(entry.sequence);
                    arrived.insert(entry.state.unwrap_or_default().member_id);
                }
            }
        }
        sequences
    }
}

/// Waits for every chapter's task and returns what each sent.
async fn futures_join<T>(tasks: impl IntoIterator<Item = tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    results
}

/// The shared profile of a new member of `region`, as its node would send it.
fn new_profile(region: &str, name: &str) -> ProfileState {
    let mut state = ProfileState {
        member_id: uuid::Uuid::now_v7().to_string(),
        profile: Some(SharedProfile {
            display_name: name.to_owned(),
            profession: "civil engineer".into(),
            share_across_regions: true,
            ..Default::default()
        }),
        ..Default::default()
    };
    for field in ["display_name", "profession", "share_across_regions"] {
        state.stamps.insert(
            field.into(),
            v1::Stamp {
                hlc: 1,
                region: region.to_owned(),
            },
        );
    }
    state
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_sent_through_one_replica_reaches_a_region_on_another() {
    let (url, database) = common::fresh_postgres_database("passage_test_replicas").await;
    let first = Replica::start(&url).await;
    let second = Replica::start(&url).await;

    // Miami's node holds its stream on the second replica and has caught up with
    // what Washington DC shared there: its session now waits for the log to move.
    let mut miami = RegionStream::open(second.endpoint.clone(), "miami").await;
    let mut washington = RegionStream::open(second.endpoint.clone(), "washington-dc").await;
    let earlier = washington
        .share("washington-dc", &["Dawit Bekele".to_owned()])
        .await;
    miami
        .receive(
            &earlier.into_iter().collect(),
            "Dawit's profile reaches Miami",
        )
        .await;

    // Amsterdam's node is on the first replica; the second learns of the append
    // only from the database.
    let mut amsterdam = RegionStream::open(first.endpoint.clone(), "amsterdam").await;
    let amira = amsterdam
        .share("amsterdam", &["Amira Haddad".to_owned()])
        .await;
    miami
        .receive(
            &amira.into_iter().collect(),
            "Amira's profile, sent through the first replica, reaches Miami on the second",
        )
        .await;

    first.stop().await;
    second.stop().await;
    common::drop_postgres_database(&database).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profiles_sent_through_two_replicas_at_once_all_reach_miami_in_order() {
    let (url, database) = common::fresh_postgres_database("passage_test_replicas").await;
    let first = Replica::start(&url).await;
    let second = Replica::start(&url).await;
    // Miami's node, on the first replica, has caught up with a profile Washington DC
    // shared there before: its session follows the log from here.
    let mut miami = RegionStream::open(first.endpoint.clone(), "miami").await;
    let earlier = RegionStream::open(first.endpoint.clone(), "washington-dc")
        .await
        .share("washington-dc", &["Dawit Bekele".to_owned()])
        .await;
    miami
        .receive(
            &earlier.into_iter().collect(),
            "Dawit's profile reaches Miami",
        )
        .await;

    // Both chapters register newcomers at the same time, each through both
    // replicas (as a node that reconnects may land on either): the appends
    // interleave on the database.
    let chapter = |gateway: &Replica, region: &'static str| {
        let gateway = gateway.endpoint.clone();
        tokio::spawn(async move {
            let mut stream = RegionStream::open(gateway, region).await;
            let mut ids = Vec::new();
            for batch in 0..50 {
                let names: Vec<String> = (0..2)
                    .map(|n| format!("Newcomer {n} of batch {batch} in {region}"))
                    .collect();
                ids.extend(stream.share(region, &names).await);
            }
            ids
        })
    };
    let chapters = [
        chapter(&first, "amsterdam"),
        chapter(&second, "amsterdam"),
        chapter(&first, "washington-dc"),
        chapter(&second, "washington-dc"),
    ];
    let mut expected = BTreeSet::new();
    for ids in futures_join(chapters).await {
        expected.extend(ids);
    }
    assert_eq!(expected.len(), 400);

    let sequences = miami
        .receive(&expected, "every newcomer's profile reaches Miami")
        .await;
    assert!(
        sequences.windows(2).all(|pair| pair[0] < pair[1]),
        "Miami receives the log in sequence order: {sequences:?}"
    );

    first.stop().await;
    second.stop().await;
    common::drop_postgres_database(&database).await;
}

/// The member's own confirmation of her move to `region`, as the gateway records it
/// when she confirms with her own credential.
async fn member_confirms(url: &str, member_id: &str, region: &str) {
    let db = sea_orm::Database::connect(url).await.unwrap();
    passage_gateway::sync::confirm::confirm(
        &db,
        uuid::Uuid::try_parse(member_id).unwrap(),
        region,
        chrono::Utc::now(),
    )
    .await
    .unwrap();
}

/// Asks `gateway` to move `member_id` to `region`, as that region's node does.
fn request_transfer(
    gateway: &Replica,
    region: &'static str,
    member_id: &str,
) -> tokio::task::JoinHandle<Result<v1::RequestTransferResponse, tonic::Status>> {
    let gateway = gateway.endpoint.clone();
    let request = v1::RequestTransferRequest {
        member_id: member_id.to_owned(),
        requested_by: format!("chapter admin of {region}"),
        region: region.to_owned(),
    };
    tokio::spawn(async move {
        let channel = Channel::from_shared(gateway)
            .unwrap()
            .connect()
            .await
            .unwrap();
        FederationServiceClient::new(channel)
            .request_transfer(request)
            .await
            .map(tonic::Response::into_inner)
    })
}

/// The change a home region publishes when it hands `member_id` over to `to`: the
/// profile naming its new home.
fn handed_over(from: &str, member_id: &str, name: &str, to: &str) -> ProfileState {
    let mut state = new_profile(from, name);
    state.member_id = member_id.to_owned();
    if let Some(profile) = state.profile.as_mut() {
        profile.home_region = to.to_owned();
    }
    for stamp in state.stamps.values_mut() {
        stamp.hlc = 2;
    }
    state.stamps.insert(
        "home_region".into(),
        v1::Stamp {
            hlc: 2,
            region: from.to_owned(),
        },
    );
    state
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_moves_to_a_region_whose_stream_is_on_another_replica() {
    let (url, database) = common::fresh_postgres_database("passage_test_replicas").await;
    let first = Replica::start(&url).await;
    let second = Replica::start(&url).await;

    // Amira's home is Amsterdam, whose node holds its stream on the first replica;
    // Miami's node is on the second.
    let mut amsterdam = RegionStream::open(first.endpoint.clone(), "amsterdam").await;
    let _miami = RegionStream::open(second.endpoint.clone(), "miami").await;
    let amira = amsterdam
        .share("amsterdam", &["Amira Haddad".to_owned()])
        .await
        .remove(0);

    // Miami asks the second replica for her; the first sends Amsterdam the
    // hand-over, and Amsterdam refuses it: the refusal reaches Miami with
    // Amsterdam's reason.
    member_confirms(&url, &amira, "miami").await;
    let asked = request_transfer(&second, "miami", &amira);
    let handoff = amsterdam
        .handoff("Amsterdam is asked to hand Amira over")
        .await;
    assert_eq!(
        (handoff.member_id.as_str(), handoff.to_region.as_str()),
        (amira.as_str(), "miami")
    );
    let reason = format!("member {amira} has an open appointment with the Amsterdam chapter");
    amsterdam
        .outbound
        .send(SyncFromNode {
            message: Some(sync_from_node::Message::HandoffRefused(
                v1::HandoffRefused {
                    member_id: amira.clone(),
                    reason: reason.clone(),
                },
            )),
        })
        .await
        .unwrap();
    let refused = asked.await.unwrap().unwrap_err();
    assert_eq!(refused.code(), tonic::Code::FailedPrecondition);
    assert_eq!(refused.message(), reason);

    // Miami asks again; this time Amsterdam hands her over, publishing her profile
    // naming Miami through the first replica, and the second answers Miami with
    // the completed move.
    member_confirms(&url, &amira, "miami").await;
    let asked = request_transfer(&second, "miami", &amira);
    let handoff = amsterdam
        .handoff("Amsterdam is asked again to hand Amira over")
        .await;
    assert_eq!(handoff.to_region, "miami");
    amsterdam
        .send(
            "amsterdam",
            vec![handed_over("amsterdam", &amira, "Amira Haddad", "miami")],
        )
        .await;
    let moved = asked.await.unwrap().unwrap();
    let record = moved.transfer.unwrap();
    assert_eq!(
        (
            record.member_id.as_str(),
            record.from_region.as_str(),
            record.to_region.as_str(),
            record.epoch
        ),
        (amira.as_str(), "amsterdam", "miami", 2)
    );
    assert_eq!(record.requested_by, "chapter admin of miami");
    assert!(record.completed_time.is_some());
    assert_eq!(moved.state.unwrap().profile.unwrap().home_region, "miami");

    // Amsterdam was asked once per request, not once per replica or per poll.
    let again = tokio::time::timeout(
        Duration::from_secs(1),
        amsterdam.handoff("a second hand-over"),
    )
    .await;
    assert!(again.is_err(), "Amsterdam was asked twice: {again:?}");

    first.stop().await;
    second.stop().await;
    common::drop_postgres_database(&database).await;
}
