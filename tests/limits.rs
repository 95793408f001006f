//! The `[limits]` of a node and of the gateway, as a chapter admin meets them when
//! a client misbehaves: a flood of calls past what a server takes at once is told
//! to retry later, a client calling faster than its rate is told to slow down, a
//! message larger than the node reads is refused before it is read, and a call
//! that never gets its answer is ended — and every time the server keeps serving.
//!
//! Each test starts its own servers with small limits, on SQLite in a temporary
//! folder. Outcomes are counted; no test depends on how fast the machine is.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::{IpAddr, SocketAddr};
use std::path::Path;

use common::{amira, chapter, to};
use passage::certs::CertDir;
use passage::credentials::{SealedChannel, SealedChapterAdmin};
use passage_proto::v1::{self, member_service_client::MemberServiceClient};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tonic::Code;
use tonic::transport::{Channel, Endpoint};

/// A node or the gateway, started by a test.
struct Server {
    address: SocketAddr,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), String>>,
}

impl Server {
    fn endpoint(&self) -> Endpoint {
        Endpoint::from_shared(format!("http://{}", self.address)).unwrap()
    }

    async fn channel(&self) -> Channel {
        self.endpoint().connect().await.unwrap()
    }

    /// Whether the server answers its health check with SERVING.
    async fn is_serving(&self) -> bool {
        passage::federation::channel_is_serving(self.channel().await).await
    }

    async fn until_serving(&self) {
        let endpoint = self.endpoint();
        common::eventually("the server answers its health check", || {
            passage::federation::is_serving(endpoint.clone())
        })
        .await;
    }

    /// Stops the server; it must end without an error.
    async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.unwrap().unwrap();
    }
}

/// The federation's caller key, as `passage certs init` writes it.
fn federation_keys(dir: &Path) -> CertDir {
    let keys = CertDir(dir.join("keys"));
    passage::certs::ensure_caller_key(&keys).unwrap();
    keys
}

/// Amsterdam's node on its own, with `limits` as its settings file's `[limits]`.
async fn amsterdam_node(dir: &Path, keys: &CertDir, limits: serde_json::Value) -> Server {
    let key_file = passage::certs::issue_region_caller_key(keys, "amsterdam").unwrap();
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let address = listener.local_addr().unwrap();
    let settings: passage_node::NodeSettings = serde_json::from_value(json!({
        "region": {"slug": "amsterdam", "name": "Amsterdam", "country": "NL"},
        "server": {"listen": address.to_string()},
        "database": {
            "url": format!("sqlite://{}?mode=rwc", dir.join("amsterdam.db").display()),
            "max_connections": 4,
        },
        "limits": limits,
        "auth": {"gateway_key_file": key_file},
    }))
    .unwrap();
    settings.validate().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        passage_node::run(settings, listener, async {
            let _ = stopped.await;
        })
        .await
        .map_err(|error| error.to_string())
    });
    let node = Server {
        address,
        stop,
        task,
    };
    node.until_serving().await;
    node
}

/// The gateway, routing to `regions` (slug, endpoint), with `limits` as its
/// `[limits]`, holding the demo's tokens.
async fn gateway(
    dir: &Path,
    keys: &CertDir,
    regions: &[(&str, String)],
    limits: serde_json::Value,
) -> Server {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let address = listener.local_addr().unwrap();
    let database_url = format!("sqlite://{}?mode=rwc", dir.join("gateway.db").display());
    let entries: Vec<serde_json::Value> = regions
        .iter()
        .map(|(slug, endpoint)| json!({"slug": slug, "name": slug, "endpoint": endpoint}))
        .collect();
    let settings: passage_gateway::GatewaySettings = serde_json::from_value(json!({
        "server": {"listen": address.to_string(), "connect_timeout_ms": 10_000},
        "database": {"url": database_url, "max_connections": 4},
        "regions": entries,
        "federation": {"insecure": true},
        "limits": limits,
        "auth": {"caller_key_file": keys.caller_key()},
    }))
    .unwrap();
    let slugs: Vec<String> = regions.iter().map(|(slug, _)| (*slug).to_owned()).collect();
    passage::federation::give_demo_tokens(&database_url, &slugs)
        .await
        .unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        passage_gateway::run(settings, listener, async {
            let _ = stopped.await;
        })
        .await
        .map_err(|error| error.to_string())
    });
    let gateway = Server {
        address,
        stop,
        task,
    };
    gateway.until_serving().await;
    gateway
}

/// Amsterdam's chapter admin calling the node directly, sealed as the gateway
/// seals her calls.
async fn members_of(node: &Server, keys: &CertDir) -> MemberServiceClient<SealedChannel> {
    let admin =
        SealedChapterAdmin::from_key_file("amsterdam", &keys.region_caller_key("amsterdam"))
            .unwrap();
    MemberServiceClient::new(SealedChannel::new(node.channel().await, admin))
}

/// A newcomer's registration ([`chapter::newcomer`]).
fn newcomer(name: &str) -> v1::CreateMemberRequest {
    v1::CreateMemberRequest {
        member: Some(chapter::newcomer(name)),
    }
}

/// Every member the node lists, page by page.
async fn everyone(members: &mut MemberServiceClient<SealedChannel>) -> Vec<v1::Member> {
    let mut everyone = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = members
            .list_members(tonic::Request::new(v1::ListMembersRequest {
                page_size: 500,
                page_token,
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        everyone.extend(page.members);
        if page.next_page_token.is_empty() {
            return everyone;
        }
        page_token = page.next_page_token;
    }
}

/// A bulk import fires dozens of registrations at once at a node that takes two
/// calls at a time: those past the two are told the node is overloaded, the
/// others are registered, and exactly the registered ones are listed afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_import_past_what_the_node_takes_at_once_is_shed_and_nothing_is_half_written() {
    let dir = tempfile::tempdir().unwrap();
    let keys = federation_keys(dir.path());
    let node = amsterdam_node(dir.path(), &keys, json!({"max_concurrent_calls": 2})).await;
    let members = members_of(&node, &keys).await;

    // Waves of 48 registrations at once, until one is shed (the first wave, all
    // but always): the claim is that a flood is shed, not how many calls are.
    let (mut registered, mut shed) = (0, 0);
    for wave in 0..10 {
        let mut calls = tokio::task::JoinSet::new();
        for index in 0..48 {
            let mut members = members.clone();
            let name = format!("Imported newcomer {wave}-{index}");
            calls.spawn(async move { members.create_member(newcomer(&name)).await });
        }
        while let Some(answer) = calls.join_next().await {
            match answer.unwrap() {
                Ok(_) => registered += 1,
                Err(status) => {
                    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
                    assert!(
                        status.message().contains("overloaded")
                            && status.message().contains("retry later"),
                        "the refusal says why and what to do: {status:?}"
                    );
                    shed += 1;
                }
            }
        }
        if shed > 0 {
            break;
        }
    }
    assert!(shed > 0, "no call of ten waves of 48 was shed");
    assert!(registered > 0, "every call was shed");

    assert!(node.is_serving().await, "the node still reports SERVING");
    let mut members = members.clone();
    assert_eq!(
        everyone(&mut members).await.len(),
        registered,
        "a shed registration wrote nothing; an accepted one wrote its member"
    );
    // Once the flood has passed, a single registration is taken as usual.
    members
        .create_member(newcomer("Amira after the flood"))
        .await
        .unwrap();
    assert_eq!(everyone(&mut members).await.len(), registered + 1);
    node.stop().await;
}

/// A client that keeps calling past its rate (a burst of five, then one call
/// every ten seconds) is told to slow down, naming the rate; health checks are
/// answered all the while, and a client from another address has its own rate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_calling_past_its_rate_is_told_to_slow_down_while_health_is_still_answered() {
    let dir = tempfile::tempdir().unwrap();
    let keys = federation_keys(dir.path());
    let node = amsterdam_node(
        dir.path(),
        &keys,
        json!({"calls_per_second": 0.1, "burst": 5.0}),
    )
    .await;
    let mut members = members_of(&node, &keys).await;

    let mut answers = Vec::new();
    for _ in 0..8 {
        let answer = members
            .list_members(tonic::Request::new(v1::ListMembersRequest::default()))
            .await;
        answers.push(answer.map(|_| ()));
    }
    for (call, answer) in answers.iter().enumerate().take(5) {
        assert!(
            answer.is_ok(),
            "call {call} is within the burst: {answer:?}"
        );
    }
    for answer in &answers[5..] {
        let status = answer.as_ref().unwrap_err();
        assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
        assert!(
            status.message().contains("rate limit")
                && status.message().contains("0.1 calls a second")
                && status.message().contains("bursts of 5"),
            "the refusal names the rate: {status:?}"
        );
    }

    // The same client, out of calls, still gets its health checks answered.
    let channel = node.channel().await;
    for _ in 0..10 {
        assert!(
            passage::federation::channel_is_serving(channel.clone()).await,
            "a health check is never rate limited"
        );
    }
    let refused = members
        .list_members(tonic::Request::new(v1::ListMembersRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::ResourceExhausted);

    // Another office, calling from another address, has a full burst of its own.
    let other_office = node
        .endpoint()
        .local_address(Some(IpAddr::from([127, 0, 0, 2])))
        .connect()
        .await
        .unwrap();
    let admin =
        SealedChapterAdmin::from_key_file("amsterdam", &keys.region_caller_key("amsterdam"))
            .unwrap();
    let mut other_office = MemberServiceClient::new(SealedChannel::new(other_office, admin));
    other_office
        .list_members(tonic::Request::new(v1::ListMembersRequest::default()))
        .await
        .unwrap();
    node.stop().await;
}

/// A registration far larger than the node reads (a 200 KiB name, or thousands of
/// skills, against a 64 KiB limit) is refused before it is read, saying the
/// message is too large; nothing is written, and a normal registration is taken.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_larger_than_the_node_reads_is_refused_unread_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let keys = federation_keys(dir.path());
    let node = amsterdam_node(dir.path(), &keys, json!({"max_message_bytes": 65_536})).await;
    let mut members = members_of(&node, &keys).await;

    let mut long_name = amira();
    long_name.profile.as_mut().unwrap().display_name = "A".repeat(200 * 1024);
    let mut many_skills = amira();
    many_skills.profile.as_mut().unwrap().skills = (0..10_000)
        .map(|index| format!("skill number {index}"))
        .collect();
    for oversized in [long_name, many_skills] {
        let refused = members
            .create_member(tonic::Request::new(v1::CreateMemberRequest {
                member: Some(oversized),
            }))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::OutOfRange, "{refused:?}");
        assert!(
            refused.message().contains("message length too large")
                && refused.message().contains("the limit is: 65536 bytes"),
            "the refusal says the message is too large and names the limit: {refused:?}"
        );
    }

    assert!(node.is_serving().await, "the node still reports SERVING");
    assert!(
        everyone(&mut members).await.is_empty(),
        "nothing was written"
    );
    let registered = members
        .create_member(tonic::Request::new(v1::CreateMemberRequest {
            member: Some(amira()),
        }))
        .await
        .unwrap()
        .into_inner();
    let listed = everyone(&mut members).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, registered.id);
    node.stop().await;
}

/// Through the gateway, which has its own per-caller rate: a chapter admin's
/// client past it is refused at the gateway, naming the rate, while the gateway
/// still answers its health checks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_slows_down_a_client_past_its_rate_and_keeps_answering_health_checks() {
    let dir = tempfile::tempdir().unwrap();
    let keys = federation_keys(dir.path());
    let node = amsterdam_node(dir.path(), &keys, json!({})).await;
    let gateway = gateway(
        dir.path(),
        &keys,
        &[("amsterdam", format!("http://{}", node.address))],
        json!({"calls_per_second": 0.1, "burst": 3.0}),
    )
    .await;
    let mut members = MemberServiceClient::new(gateway.channel().await);

    for call in 0..3 {
        members
            .create_member(to("amsterdam", newcomer(&format!("Newcomer {call}"))))
            .await
            .unwrap();
    }
    for call in 3..6 {
        let refused = members
            .create_member(to("amsterdam", newcomer(&format!("Newcomer {call}"))))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::ResourceExhausted, "{refused:?}");
        assert!(
            refused.message().contains("0.1 calls a second")
                && refused.message().contains("bursts of 3"),
            "the refusal names the gateway's rate: {refused:?}"
        );
        assert!(
            gateway.is_serving().await,
            "the gateway answers health checks"
        );
    }

    // The refused registrations never reached the node.
    let mut at_the_node = members_of(&node, &keys).await;
    assert_eq!(everyone(&mut at_the_node).await.len(), 3);
    gateway.stop().await;
    node.stop().await;
}

/// A region whose node has hung (it takes the connection and never answers): a
/// call routed to it through a gateway with a 300 ms call timeout ends with
/// DEADLINE_EXCEEDED instead of hanging, and — the gateway taking one call at a
/// time — the hung calls give their place back, so a call to a healthy region is
/// answered after each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_to_a_hung_region_times_out_at_the_gateway_and_frees_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let keys = federation_keys(dir.path());
    let node = amsterdam_node(dir.path(), &keys, json!({})).await;
    // Miami's "node": it takes connections and never says a word.
    let hung = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let hung_address = hung.local_addr().unwrap();
    let silence = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((connection, _)) = hung.accept().await {
            held.push(connection);
        }
    });
    let gateway = gateway(
        dir.path(),
        &keys,
        &[
            ("amsterdam", format!("http://{}", node.address)),
            ("miami", format!("http://{hung_address}")),
        ],
        json!({"max_concurrent_calls": 1, "call_timeout_ms": 300}),
    )
    .await;
    let mut members = MemberServiceClient::new(gateway.channel().await);

    for attempt in 0..2 {
        let timed_out = members
            .list_members(to("miami", v1::ListMembersRequest::default()))
            .await
            .unwrap_err();
        assert_eq!(
            timed_out.code(),
            Code::DeadlineExceeded,
            "attempt {attempt}: {timed_out:?}"
        );
        assert!(
            timed_out.message().contains("longer than 300 ms"),
            "the answer names the call timeout: {timed_out:?}"
        );
        members
            .create_member(to("amsterdam", newcomer(&format!("Newcomer {attempt}"))))
            .await
            .unwrap();
    }
    assert!(
        gateway.is_serving().await,
        "the gateway still reports SERVING"
    );
    gateway.stop().await;
    silence.abort();
    node.stop().await;
}

/// `federation.insecure` takes a sync stream's region from its hello: a gateway
/// that other machines can reach refuses to start with it, naming the key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_insecure_gateway_refuses_to_listen_beyond_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let listener = TcpListener::bind(("0.0.0.0", 0)).await.unwrap();
    let address = listener.local_addr().unwrap();
    let database_url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("gateway.db").display()
    );
    let settings: passage_gateway::GatewaySettings = serde_json::from_value(json!({
        "server": {"listen": address.to_string(), "connect_timeout_ms": 10_000},
        "database": {"url": database_url, "max_connections": 4},
        "regions": [{"slug": "amsterdam", "name": "Amsterdam", "endpoint": "http://127.0.0.1:9"}],
        "federation": {"insecure": true},
        "auth": {"caller_key_file": dir.path().join("caller.key")},
    }))
    .unwrap();
    let refused = passage_gateway::run(settings, listener, async {})
        .await
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains("federation.insecure") && refused.contains("loopback"),
        "{refused}"
    );
}
