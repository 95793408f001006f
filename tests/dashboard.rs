//! The central team opens the gateway's dashboard in a browser: the demo
//! federation, with its seed data and a few more members in Miami, shown by
//! Debian's headless Chromium, which must be installed (`.ci/run` installs it):
//! every region appears, small counts show as "<10", and the page draws.
//!
//! `PASSAGE_UPDATE_SCREENSHOT=1` copies the screenshot to `docs/dashboard.png`.
//! SQLite only (the demo's backend): the page shows the same JSON on either
//! backend, and the statistics themselves are tested on both.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::time::Duration;

use common::{create, http_get, member_named};
use passage::demo::{self, DemoOptions};
use passage_proto::v1::{self, member_service_client::MemberServiceClient};

const REGIONS: [&str; 3] = ["amsterdam", "washington-dc", "miami"];

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
    // What the page reads: the statistics, with cells below the threshold
    // suppressed, and every region's sync status.
    let stats = http_get(&format!("{dashboard}api/stats")).await;
    assert!(stats.contains("\"shown\":\"<10\""), "{stats}");
    let sync = http_get(&format!("{dashboard}api/sync")).await;
    for region in REGIONS {
        assert!(
            stats.contains(&format!("\"region\":\"{region}\"")),
            "{stats}"
        );
        assert!(sync.contains(&format!("\"region\":\"{region}\"")), "{sync}");
    }

    let profile = dir.path().join("chromium");
    let dom = chromium(
        &profile,
        &["--virtual-time-budget=10000", "--dump-dom", &dashboard],
    )
    .await;
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
            &dashboard,
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

    running.federation.shutdown().await.unwrap();
}
