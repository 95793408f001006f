//! A chapter admin runs her region's node as its own process: it will not start on
//! rules whose cases fail, and on SIGHUP it takes her edited rules — or, when the
//! edit is bad, keeps the rules it had and goes on serving.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use passage::credentials::SealedChapterAdmin;
use passage_proto::v1::{self, rules_service_client::RulesServiceClient};
use tonic::transport::Endpoint;

const WAITING_PERIOD: &str = "member.months_since_asylum_application < 6";

fn settings(dir: &Path, port: u16) -> std::path::PathBuf {
    let path = dir.join("amsterdam.toml");
    std::fs::write(
        &path,
        format!(
            r#"[region]
slug = "amsterdam"
name = "Amsterdam"
country = "NL"

[server]
listen = "127.0.0.1:{port}"

[database]
url = "sqlite://{}?mode=rwc"

[rules]
file = "amsterdam.rules.toml"

[auth]
gateway_key_file = "{}"
"#,
            dir.join("amsterdam.db").display(),
            dir.join("amsterdam.caller.key").display()
        ),
    )
    .unwrap();
    path
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn node(config: &Path) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_passage"));
    command
        .args(["node", "--config", &config.display().to_string()])
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("PASSAGE__") {
            command.env_remove(key);
        }
    }
    command
}

fn hang_up(child: &tokio::process::Child) {
    let pid = child.id().unwrap().to_string();
    let status = std::process::Command::new("kill")
        .args(["-HUP", &pid])
        .status()
        .unwrap();
    assert!(status.success());
}

/// The rules version and count the node serves, asked as the gateway passes on
/// the chapter admin's call.
async fn version(endpoint: &Endpoint, admin: &SealedChapterAdmin) -> (String, usize) {
    let channel = endpoint.connect().await.unwrap();
    let listed = RulesServiceClient::new(channel)
        .list_rules(admin.request(
            "/passage.v1.RulesService/ListRules",
            v1::ListRulesRequest::default(),
        ))
        .await
        .unwrap()
        .into_inner();
    (listed.version, listed.rules.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_takes_edited_rules_on_sighup_and_keeps_its_rules_when_the_edit_is_bad() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = settings(dir.path(), port);
    let admin =
        SealedChapterAdmin::new("amsterdam", &dir.path().join("amsterdam.caller.key")).unwrap();
    let rules_file = dir.path().join("amsterdam.rules.toml");
    let shipped = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/regions/amsterdam.rules.toml"),
    )
    .unwrap();

    // Rules whose cases fail: the node does not start, and says which rule and line.
    std::fs::write(
        &rules_file,
        shipped.replacen(
            WAITING_PERIOD,
            "member.months_since_asylum_application < 3",
            1,
        ),
    )
    .unwrap();
    let refused = node(&config).output().await.unwrap();
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("rule nl-asylum-paid-work-waiting-period"),
        "{said}"
    );
    assert!(said.contains("amsterdam.rules.toml:"), "{said}");

    // The shipped rules: it starts.
    std::fs::write(&rules_file, &shipped).unwrap();
    let child = node(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let endpoint = Endpoint::from_shared(format!("http://127.0.0.1:{port}")).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !passage::federation::is_serving(endpoint.clone()).await {
        assert!(Instant::now() < deadline, "the node did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (first, count) = version(&endpoint, &admin).await;

    // She adds a rule of Amsterdam's own, with its case, and sends SIGHUP.
    let edited = format!(
        "{shipped}\n[[rule]]\nid = \"ams-long-weeks\"\ndescription = \"Amsterdam's own: long weeks are talked through with the job coach.\"\nsource = \"Amsterdam chapter, 2026\"\neffective_from = \"2026-01-01\"\nwhen = 'opportunity.sector == \"night-logistics\"'\neffect = \"warn\"\nmessage = \"Talk a long week through with the job coach first.\"\n\n[[case]]\nname = \"a local on a 40-hour week\"\ndate = \"2026-11-24\"\nmember = {{ role = \"local\", residence_status = \"citizen_or_resident\" }}\nopportunity = {{ kind = \"job\", paid = true, hours_per_week = 40, hourly_wage = 20.0, sector = \"night-logistics\" }}\nexpect = {{ eligible = true, fired = [\"ams-long-weeks\"] }}\n"
    );
    std::fs::write(&rules_file, &edited).unwrap();
    hang_up(&child);
    let deadline = Instant::now() + Duration::from_secs(20);
    let second = loop {
        let (now, rules) = version(&endpoint, &admin).await;
        if now != first {
            assert_eq!(rules, count + 1);
            break now;
        }
        assert!(Instant::now() < deadline, "SIGHUP did not reload the rules");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };

    // A bad edit: SIGHUP is refused, the node keeps its rules and goes on serving.
    std::fs::write(
        &rules_file,
        edited.replacen(WAITING_PERIOD, "member.months <", 1),
    )
    .unwrap();
    hang_up(&child);
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(version(&endpoint, &admin).await, (second, count + 1));
    drop(child);
}
