//! The central team reads the federation's figures in the web app, behind
//! sign-in: the demo federation, with its seed data and a few more members in
//! Miami, in a real headless Chromium (WebDriver) with axe-core. Not signed in,
//! `/figures` leads to the sign-in page; the demo's central analyst signs in and
//! sees every region, small counts shown as "<10", and downloads a table as CSV,
//! suppressed exactly as shown; in Arabic the page reads right to left; a member
//! who opens it is refused by the gateway. The gateway's own listener keeps only
//! `/metrics` and the JSON for scripts, which needs an analyst's token or session.
//!
//! `PASSAGE_UPDATE_SCREENSHOT=1` renews `docs/screenshots/web-figures*.png`.
//! SQLite only (the demo's backend): the statistics are tested on both.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod browser;
mod common;

use browser::Browser;
use common::{create, member_named};
use passage::demo::{self, DemoOptions, accounts};
use passage_proto::v1::{self, member_service_client::MemberServiceClient};

const REGIONS: [&str; 3] = ["amsterdam", "washington-dc", "miami"];

/// `GET url`, with `token` as its bearer token when given: the status code and
/// the body.
async fn get(url: &str, token: Option<&str>) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.trim_start_matches("http://");
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let authorization = token
        .map(|token| format!("Authorization: Bearer {token}\r\n"))
        .unwrap_or_default();
    let request =
        format!("GET /{path} HTTP/1.1\r\nHost: {host}\r\n{authorization}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("GET {url}: no status in {response}"));
    let body = response.split_once("\r\n\r\n").unwrap().1.to_owned();
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_central_team_signs_in_and_sees_every_region_with_small_counts_suppressed() {
    let dir = tempfile::tempdir().unwrap();
    let running = demo::start(&DemoOptions {
        data_dir: dir.path().join("data"),
        port_base: 0,
        history_members: 0,
    })
    .await
    .unwrap();
    let federation = &running.federation;

    // Miami's chapter registers a few volunteer coaches: too few to publish.
    let mut members = MemberServiceClient::new(federation.gateway_channel().await.unwrap());
    for name in ["Rosa Jean-Louis", "Marc Etienne", "Nadia Celestin"] {
        create(
            &mut members,
            "miami",
            member_named(name, v1::MemberRole::VolunteerCoach),
        )
        .await;
    }

    // The gateway's internal listener: no page any more, and the figures' JSON
    // only for the central team's token.
    let listener = federation
        .metrics_endpoint()
        .unwrap()
        .trim_end_matches("metrics")
        .to_owned();
    let (status, _) = get(&listener, None).await;
    assert_eq!(status, 404, "the gateway no longer serves an open page");
    let stats_url = format!("{listener}api/stats");
    let sync_url = format!("{listener}api/sync");
    for url in [&stats_url, &sync_url] {
        let (status, body) = get(url, None).await;
        assert_eq!(status, 401, "GET {url} without a token: {body}");
        assert!(body.contains("Bearer"), "{body}");
    }
    let unknown = format!("psg_{}_{}", "0".repeat(16), "0".repeat(64));
    let (status, body) = get(&stats_url, Some(&unknown)).await;
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("is not known"), "{body}");
    let amsterdam_admin = passage::credentials::demo().chapter_admin("amsterdam");
    let (status, body) = get(&stats_url, Some(&amsterdam_admin)).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("chapter_admin"), "{body}");
    let analyst = passage::credentials::demo().central_analyst();
    let (status, stats) = get(&stats_url, Some(analyst)).await;
    assert_eq!(status, 200, "{stats}");
    assert!(stats.contains("\"shown\":\"<10\""), "{stats}");
    let (status, sync) = get(&sync_url, Some(analyst)).await;
    assert_eq!(status, 200, "{sync}");
    for region in REGIONS {
        assert!(sync.contains(&format!("\"region\":\"{region}\"")), "{sync}");
    }

    let people = accounts::read(&running.accounts_file);
    let account = |kind: &str| {
        people
            .iter()
            .find(|account| account.kind == kind)
            .unwrap_or_else(|| panic!("the demo has no {kind} account"))
            .clone()
    };
    let central = account("central_analyst");
    let member = account("member");
    let base = format!("http://{}", running.web);
    let shots = tempfile::tempdir().unwrap();

    // Not signed in, the figures lead to the sign-in page; the analyst signs in
    // and is taken back to them.
    let browser = Browser::start("en").await;
    browser.open(&format!("{base}/figures")).await;
    assert_eq!(browser.path().await, "/sign-in");
    browser.fill("login", &central.login).await;
    browser.fill("passphrase", &central.passphrase).await;
    browser.press("main button[type=submit]").await;
    assert_eq!(browser.path().await, "/figures");
    assert_eq!(browser.text("h1").await, "Central figures");
    let page = browser
        .run("return document.querySelector('main').innerText;")
        .await;
    let page = page.as_str().unwrap();
    for region in REGIONS {
        assert!(
            page.contains(region),
            "{region} is not on the page:\n{page}"
        );
    }
    assert!(page.contains("Members by role"), "{page}");
    assert!(
        browser.has("table.figures td.suppressed").await,
        "no count shows as suppressed:\n{page}"
    );
    assert!(page.contains("<10"), "{page}");
    assert!(
        browser.has("figure.chart svg rect").await,
        "no chart was drawn"
    );
    browser.check_page("the figures").await;
    browser.screenshot(shots.path(), "web-figures").await;

    // A table as a spreadsheet: every region and the total, "<10" as shown.
    let csv = browser
        .run("return fetch('/figures/members_by_role.csv').then(r => r.text());")
        .await;
    let csv = csv.as_str().unwrap();
    assert!(
        csv.starts_with("month,region,newcomer,local,volunteer_coach,total\r\n"),
        "{csv}"
    );
    for region in REGIONS.iter().chain(&["total"]) {
        assert!(
            csv.contains(&format!(",{region},")),
            "{region} missing:\n{csv}"
        );
    }
    assert!(csv.contains("<10"), "{csv}");
    let missing = browser
        .run("return fetch('/figures/no_such_table.csv').then(r => r.status);")
        .await;
    assert_eq!(missing, serde_json::json!(404));

    // In Arabic, right to left.
    browser
        .open(&format!("{base}/language/ar?back=/figures"))
        .await;
    assert_eq!(browser.path().await, "/figures");
    assert_eq!(
        browser.run("return document.documentElement.dir;").await,
        serde_json::json!("rtl")
    );
    assert_eq!(browser.text("h1").await, "الأرقام المركزية");
    browser.check_page("the figures in Arabic").await;
    browser.screenshot(shots.path(), "web-figures-ar").await;
    browser.press("form[action='/sign-out'] button").await;

    // A member who finds the address is refused: the gateway decides.
    browser
        .open(&format!("{base}/language/en?back=/sign-in"))
        .await;
    browser.fill("login", &member.login).await;
    browser.fill("passphrase", &member.passphrase).await;
    browser.press("main button[type=submit]").await;
    browser.open(&format!("{base}/figures")).await;
    let status = browser
        .run("return fetch('/figures').then(r => r.status);")
        .await;
    assert_eq!(status, serde_json::json!(403));
    assert!(!browser.has("table.figures").await);
    browser.close().await;

    running.shutdown().await.unwrap();
}
