//! The central team opens the gateway's dashboard in a browser: the demo
//! federation, with its seed data and a few more members in Miami, shown by
//! Debian's headless Chromium, which must be installed (`.ci/run` installs it):
//! every region appears, small counts show as "<10", and the page draws. The
//! figures are for the central team only: without the analyst's token the
//! gateway refuses them and the page asks for it.
//!
//! `PASSAGE_UPDATE_SCREENSHOT=1` copies the screenshot to `docs/dashboard.png`.
//! SQLite only (the demo's backend): the page shows the same JSON on either
//! backend, and the statistics themselves are tested on both.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::time::Duration;

use common::{create, member_named};
use passage::demo::{self, DemoOptions};
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

/// Runs headless Chromium with `args` and returns what it printed; fails the test
/// when Chromium is missing or does not finish within a minute.
async fn chromium(profile: &Path, args: &[&str]) -> String {
    let mut command = tokio::process::Command::new("chromium");
    command
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .kill_on_drop(true);
    let output = tokio::time::timeout(Duration::from_secs(60), command.output())
        .await
        .expect("chromium did not finish within a minute")
        .unwrap_or_else(|error| {
            panic!(
                "cannot run chromium ({error}): install it with \
                 `apt-get install chromium` (.ci/run does)"
            )
        });
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_central_team_sees_every_region_with_small_counts_suppressed() {
    let dir = tempfile::tempdir().unwrap();
    let running = demo::start(&DemoOptions {
        data_dir: dir.path().join("data"),
        port_base: 0,
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

    let dashboard = federation
        .metrics_endpoint()
        .unwrap()
        .trim_end_matches("metrics")
        .to_owned();
    // The figures are the central team's: without a token, with a token the
    // gateway does not know, or with a chapter admin's, they are refused and the
    // answer says why.
    let stats_url = format!("{dashboard}api/stats");
    let sync_url = format!("{dashboard}api/sync");
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

    // What the page reads with the analyst's token: the statistics, with cells
    // below the threshold suppressed, and every region's sync status.
    let analyst = passage::credentials::demo().central_analyst();
    let (status, stats) = get(&stats_url, Some(analyst)).await;
    assert_eq!(status, 200, "{stats}");
    assert!(stats.contains("\"shown\":\"<10\""), "{stats}");
    let (status, sync) = get(&sync_url, Some(analyst)).await;
    assert_eq!(status, 200, "{sync}");
    for region in REGIONS {
        assert!(
            stats.contains(&format!("\"region\":\"{region}\"")),
            "{stats}"
        );
        assert!(sync.contains(&format!("\"region\":\"{region}\"")), "{sync}");
    }

    // Opened without signing in, the page asks for the token and shows nothing.
    let profile = dir.path().join("chromium");
    let dom = chromium(
        &profile,
        &["--virtual-time-budget=10000", "--dump-dom", &dashboard],
    )
    .await;
    assert!(
        dom.contains("<form id=\"signin\">")
            && dom.contains(
                "<label for=\"token\">Your token (a central analyst's or an operator's)</label>"
            ),
        "the page does not ask for a token:\n{dom}"
    );
    assert!(
        !dom.contains("<td class=\"suppressed\""),
        "figures shown without signing in:\n{dom}"
    );

    // The analyst signs in (a link carrying the token, as the form would keep
    // it): the page reads the figures with it.
    let signed_in = format!("{dashboard}#token={analyst}");
    let dom = chromium(
        &profile,
        &["--virtual-time-budget=10000", "--dump-dom", &signed_in],
    )
    .await;
    assert!(
        dom.contains("<form id=\"signin\" hidden=\"\">"),
        "the sign-in form is still shown:\n{dom}"
    );
    // The DOM as the page left it (the script's own text is part of it, so each
    // check looks for markup only the script's output has).
    assert!(dom.contains("<h1>Passage · central figures</h1>"), "{dom}");
    for region in REGIONS {
        assert!(
            dom.contains(&format!("{region}</th>")),
            "{region} has no row in\n{dom}"
        );
    }
    assert!(
        dom.contains("<td class=\"suppressed\" title=\"fewer than 10\">&lt;10</td>"),
        "no suppressed cell shows as <10 in\n{dom}"
    );
    assert!(
        dom.contains("aria-live=\"polite\">updated "),
        "the page never finished loading:\n{dom}"
    );
    assert!(
        dom.contains("<p id=\"error\" role=\"alert\"></p>"),
        "the page could not read its data:\n{dom}"
    );
    assert!(dom.contains("<caption>Members by role, per region</caption>"));
    assert!(
        dom.contains("<svg viewBox=") && dom.contains("<rect "),
        "no chart was drawn:\n{dom}"
    );

    let screenshot = dir.path().join("dashboard.png");
    chromium(
        &profile,
        &[
            "--virtual-time-budget=10000",
            &format!("--screenshot={}", screenshot.display()),
            "--window-size=1280,1600",
            &signed_in,
        ],
    )
    .await;
    let png = std::fs::read(&screenshot).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(
        png.len() > 40_000,
        "a {} byte screenshot is too small to show the page",
        png.len()
    );
    if std::env::var("PASSAGE_UPDATE_SCREENSHOT").as_deref() == Ok("1") {
        let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/dashboard.png");
        std::fs::copy(&screenshot, &docs).unwrap();
    }

    running.shutdown().await.unwrap();
}
