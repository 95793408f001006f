//! The gateway and every node count their gRPC calls for Prometheus: per method,
//! how many arrived, how many failed and with which code, and how long they took;
//! a node's page adds its outbox backlog and sync cursor; each server times its
//! stage of a shared change's way between regions. Runs on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Backend, Cluster, amira, create, http_get, to};
use passage_proto::v1;
use tonic::Code;

on_both_backends!(a_chapter_admins_calls_show_in_the_gateways_and_the_nodes_metrics);

const CREATE_MEMBER: &str = "/passage.v1.MemberService/CreateMember";

/// Region `region`'s node's metrics page.
async fn node_page(cluster: &Cluster, region: &str) -> String {
    http_get(&cluster.federation.node_metrics_endpoint(region).unwrap()).await
}

/// The value of the sample `series` (name and labels, as written) on a metrics page.
fn sample(page: &str, series: &str) -> Option<f64> {
    page.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map(|value| value.parse().unwrap())
}

async fn a_chapter_admins_calls_show_in_the_gateways_and_the_nodes_metrics(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let mut members = cluster.members_via_gateway().await;

    // The Amsterdam chapter admin registers Amira, then a member whose hours do not
    // add up, which the node refuses.
    create(&mut members, "amsterdam", amira()).await;
    let mut overworked = amira();
    overworked
        .profile
        .as_mut()
        .unwrap()
        .available_hours_per_week = -5;
    let refused = members
        .create_member(to(
            "amsterdam",
            v1::CreateMemberRequest {
                member: Some(overworked),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);

    // The gateway counted both calls, the refusal by its code, and timed both.
    let gateway = http_get(&cluster.federation.metrics_endpoint().unwrap()).await;
    for (series, value) in [
        (
            format!("passage_grpc_requests_total{{method=\"{CREATE_MEMBER}\"}}"),
            2.0,
        ),
        (
            format!(
                "passage_grpc_errors_total{{method=\"{CREATE_MEMBER}\",code=\"INVALID_ARGUMENT\"}}"
            ),
            1.0,
        ),
        (
            format!(
                "passage_grpc_request_duration_seconds_bucket{{method=\"{CREATE_MEMBER}\",le=\"+Inf\"}}"
            ),
            2.0,
        ),
        (
            format!("passage_grpc_request_duration_seconds_count{{method=\"{CREATE_MEMBER}\"}}"),
            2.0,
        ),
    ] {
        assert_eq!(
            sample(&gateway, &series),
            Some(value),
            "{series} in\n{gateway}"
        );
    }
    assert!(gateway.contains("# TYPE passage_grpc_request_duration_seconds histogram"));
    assert!(
        gateway.contains(&format!(
            "passage_grpc_request_duration_seconds_bucket{{method=\"{CREATE_MEMBER}\",le=\"0.001\"}}"
        )),
        "{gateway}"
    );
    assert_eq!(
        sample(
            &gateway,
            &format!("passage_grpc_errors_total{{method=\"{CREATE_MEMBER}\",code=\"OK\"}}")
        ),
        None,
        "a call that succeeded is not an error"
    );
    // Each region's sync stream is a call too, counted as it opens; the sync
    // figures are still there.
    let streams = sample(
        &gateway,
        "passage_grpc_requests_total{method=\"/passage.v1.FederationService/Sync\"}",
    )
    .unwrap();
    assert!(streams >= 3.0, "{gateway}");
    assert!(gateway.contains("passage_sync_connected{region=\"amsterdam\"} 1"));

    // Amsterdam's node answered the same two calls the gateway forwarded to it.
    let amsterdam = node_page(&cluster, "amsterdam").await;
    assert_eq!(
        sample(
            &amsterdam,
            &format!("passage_grpc_requests_total{{method=\"{CREATE_MEMBER}\"}}")
        ),
        Some(2.0),
        "{amsterdam}"
    );
    assert_eq!(
        sample(
            &amsterdam,
            &format!(
                "passage_grpc_errors_total{{method=\"{CREATE_MEMBER}\",code=\"INVALID_ARGUMENT\"}}"
            )
        ),
        Some(1.0),
        "{amsterdam}"
    );
    assert_eq!(
        sample(
            &amsterdam,
            &format!("passage_grpc_request_duration_seconds_count{{method=\"{CREATE_MEMBER}\"}}")
        ),
        Some(2.0),
        "{amsterdam}"
    );
    // Its side of the sync: what waits in its outbox, and how far it has applied
    // the gateway's log.
    assert!(
        sample(
            &amsterdam,
            "passage_node_outbox_backlog{region=\"amsterdam\"}"
        )
        .is_some(),
        "{amsterdam}"
    );
    assert!(
        sample(&amsterdam, "passage_node_sync_cursor{region=\"amsterdam\"}").is_some(),
        "{amsterdam}"
    );
    // The rules past their review_by (a count, whatever the calendar says).
    assert!(
        sample(&amsterdam, "passage_rules_stale{region=\"amsterdam\"}").is_some(),
        "{amsterdam}"
    );
    // Miami saw none of it.
    let miami = node_page(&cluster, "miami").await;
    assert_eq!(
        sample(
            &miami,
            &format!("passage_grpc_requests_total{{method=\"{CREATE_MEMBER}\"}}")
        ),
        None,
        "{miami}"
    );
    assert!(miami.contains("passage_node_outbox_backlog{region=\"miami\"} "));

    // Amira shares her profile: on its way to Miami each server timed its stage
    // of it — Amsterdam's outbox, the gateway's append and fan-out, Miami's apply.
    let stage = |page: &str, labels: &str| {
        sample(
            page,
            &format!("passage_sync_stage_seconds_count{{{labels}}}"),
        )
        .unwrap_or(0.0)
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let miami = loop {
        let page = node_page(&cluster, "miami").await;
        if stage(&page, "region=\"miami\",stage=\"apply\"") >= 1.0 {
            break page;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "Miami never applied Amira's profile"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert!(
        miami.contains("# TYPE passage_sync_stage_seconds histogram")
            && miami.contains(
                "passage_sync_stage_seconds_bucket{region=\"miami\",stage=\"apply\",le=\"+Inf\"}"
            ),
        "{miami}"
    );
    let amsterdam = node_page(&cluster, "amsterdam").await;
    assert!(
        stage(&amsterdam, "region=\"amsterdam\",stage=\"outbox_wait\"") >= 1.0,
        "{amsterdam}"
    );
    assert_eq!(
        stage(&amsterdam, "region=\"amsterdam\",stage=\"apply\""),
        0.0,
        "nothing came to Amsterdam from elsewhere: {amsterdam}"
    );
    let gateway = http_get(&cluster.federation.metrics_endpoint().unwrap()).await;
    assert!(stage(&gateway, "stage=\"append\"") >= 1.0, "{gateway}");
    assert!(stage(&gateway, "stage=\"fan_out\"") >= 1.0, "{gateway}");

    cluster.stop().await;
}
