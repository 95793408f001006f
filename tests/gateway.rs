//! The gateway as a client sees it: routing errors that say what to fix, a region
//! that is down named as such, and a server any standard gRPC tool can explore.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Backend, Cluster, amira, to};
use passage_proto::v1;
use tokio_stream::StreamExt;
use tonic::Code;
use tonic_reflection::pb::v1::{
    ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
    server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_region_that_is_down_is_named_as_unavailable_while_others_keep_working() {
    let mut cluster = Cluster::start(Backend::Sqlite).await;
    let mut gateway = cluster.members_via_gateway().await;
    cluster.federation.stop_region("miami").await.unwrap();

    let error = gateway
        .create_member(to(
            "miami",
            v1::CreateMemberRequest {
                member: Some(amira()),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(error.code(), Code::Unavailable);
    assert!(
        error.message().contains("region miami"),
        "{}",
        error.message()
    );

    let amsterdam = gateway
        .create_member(to(
            "amsterdam",
            v1::CreateMemberRequest {
                member: Some(amira()),
            },
        ))
        .await;
    assert!(
        amsterdam.is_ok(),
        "Amsterdam is unaffected by Miami's outage"
    );
    cluster.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reflection_on_the_gateway_lists_every_passage_service() {
    let cluster = Cluster::start(Backend::Sqlite).await;
    let mut reflection = ServerReflectionClient::new(cluster.gateway().await);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut answers = reflection
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let answer = answers.next().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = answer.message_response else {
        panic!("expected a list of services, got {answer:?}");
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for expected in [
        "passage.v1.MemberService",
        "passage.v1.MarketService",
        "passage.v1.ReviewService",
        "passage.v1.BuddyService",
        "passage.v1.CoachingService",
        "passage.v1.ExpertPoolService",
        "passage.v1.CaseService",
        "passage.v1.PlacementService",
        "passage.v1.HelpdeskService",
        "grpc.health.v1.Health",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
    cluster.stop().await;
}
