//! Fault tests: Amsterdam, Washington DC and Miami each run their own node as a
//! separate `passage` process, synced over mTLS through a `passage gateway`
//! process, with certificates made by `passage certs`. Two chapter admins per
//! region keep registering, editing and deleting members on their own node while
//! something goes wrong:
//!
//! - a region's node is killed (SIGKILL) mid-edit and started again;
//! - the gateway is killed (SIGKILL) mid-sync and started again;
//! - Miami is cut off from the gateway by a TCP proxy, then the link heals;
//! - Miami's sync stream runs through a relay that duplicates and reorders what
//!   travels both ways, and drops the stream now and then.
//!
//! Every call a node acknowledged is tracked. When the trouble is over, every region
//! must hold the identical set of shared profiles — each exactly as its home region
//! holds it — and every home region must still hold every acknowledged edit: an edit
//! whose call failed may or may not have happened (either is fine, nothing else is),
//! and every answer a node gives is checked against the edits acknowledged before
//! it, so a restarted node that forgot one is caught at once. No deleted member may
//! come back, every outbox must be empty and no region may have a backlog at the
//! gateway. Nothing is applied twice to any effect: changes delivered again or late
//! (by the relay, or re-sent after a kill) leave every region with its home region's
//! profile, never an older value. Runs on SQLite and PostgreSQL.
//!
//! One more cut leaves Miami's connection open and silent, as a firewall that
//! forgets a connection does; HTTP/2 keep-alives on both ends find the dead stream
//! (`a_region_cut_off_silently_reconnects_once_the_link_heals`).
//!
//! And a region's node killed at every point of delivering its notification mail
//! sends each mail exactly once (`mail`, issue 16 point 3).
//!
//! The edits follow a seeded generator; `PASSAGE_FAULT_SEED=<n>` repeats a run's
//! edits (not its timing). Run with `--nocapture` for each scenario's figures.
//!
//! The scenarios are here; `processes` runs the federation as separate processes,
//! `edits` keeps the chapter admins at work, `convergence` checks the end state,
//! and `proxy` and `relay` bring trouble onto a region's sync link.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;
mod convergence;
mod edits;
mod mail;
mod processes;
mod proxy;
mod relay;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use common::Backend;
use tokio::time::Instant;

use edits::{Admin, Edits, Rng, Tally};
use mail::a_node_killed_at_every_point_of_delivery_sends_each_mail_exactly_once;
use processes::{Federation, SyncLink};
use proxy::TcpProxy;
use relay::ChaosRelay;

on_both_backends!(
    a_node_killed_mid_edit_and_restarted_loses_no_acknowledged_edit,
    the_gateway_killed_mid_sync_and_restarted_loses_no_acknowledged_edit,
    a_region_cut_off_from_the_gateway_catches_up_once_the_link_heals,
    duplicated_and_reordered_delivery_converges_to_the_home_regions_profiles,
    a_node_killed_at_every_point_of_delivery_sends_each_mail_exactly_once,
);

const REGIONS: [&str; 3] = ["amsterdam", "washington-dc", "miami"];

/// The scenarios start four processes each: one at a time is plenty for two cores.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

// ---------------------------------------------------------------------------
// The scenarios
// ---------------------------------------------------------------------------

async fn a_node_killed_mid_edit_and_restarted_loses_no_acknowledged_edit(backend: Backend) {
    let _turn = ONE_AT_A_TIME.lock().await;
    let scenario = Scenario::begin("node killed", backend);
    let mut federation = Federation::prepare(backend).await;
    federation.launch().await;
    let edits = Edits::start(&federation, scenario.seed).await;

    let mut rng = Rng::new(scenario.seed ^ 0x6b11);
    for _ in 0..3 {
        tokio::time::sleep(ms(500 + rng.below(700))).await;
        let region = *rng.pick(&REGIONS);
        federation.kill(region).await;
        tokio::time::sleep(ms(200 + rng.below(900))).await;
        federation.start(region).await;
    }
    tokio::time::sleep(ms(700)).await;

    let admins = edits.stop().await;
    federation.assert_converged(&admins).await;
    scenario.end(&federation, &admins).await;
    federation.stop().await;
}

async fn the_gateway_killed_mid_sync_and_restarted_loses_no_acknowledged_edit(backend: Backend) {
    let _turn = ONE_AT_A_TIME.lock().await;
    let scenario = Scenario::begin("gateway killed", backend);
    let mut federation = Federation::prepare(backend).await;
    federation.launch().await;
    let edits = Edits::start(&federation, scenario.seed).await;

    let mut rng = Rng::new(scenario.seed ^ 0x9a7e);
    for _ in 0..3 {
        tokio::time::sleep(ms(500 + rng.below(700))).await;
        federation.kill("gateway").await;
        tokio::time::sleep(ms(200 + rng.below(900))).await;
        federation.start("gateway").await;
    }
    tokio::time::sleep(ms(700)).await;

    let admins = edits.stop().await;
    federation.assert_converged(&admins).await;
    scenario.end(&federation, &admins).await;
    federation.stop().await;
}

async fn a_region_cut_off_from_the_gateway_catches_up_once_the_link_heals(backend: Backend) {
    let _turn = ONE_AT_A_TIME.lock().await;
    let scenario = Scenario::begin("region cut off", backend);
    let mut federation = Federation::prepare(backend).await;
    let proxy = TcpProxy::start(federation.gateway_address).await;
    federation.sync_link("miami", SyncLink::Tls(proxy.address));
    federation.launch().await;
    let edits = Edits::start(&federation, scenario.seed).await;

    let mut rng = Rng::new(scenario.seed ^ 0xc07);
    for _ in 0..2 {
        tokio::time::sleep(ms(400 + rng.below(600))).await;
        proxy.cut();
        federation
            .wait_for_sync_status("the gateway sees Miami gone", |status| {
                status
                    .regions
                    .iter()
                    .any(|r| r.region == "miami" && !r.connected)
            })
            .await;
        tokio::time::sleep(ms(800 + rng.below(800))).await;
        proxy.heal();
    }
    tokio::time::sleep(ms(700)).await;

    let admins = edits.stop().await;
    federation.assert_converged(&admins).await;
    scenario.end(&federation, &admins).await;
    federation.stop().await;
}

async fn duplicated_and_reordered_delivery_converges_to_the_home_regions_profiles(
    backend: Backend,
) {
    let _turn = ONE_AT_A_TIME.lock().await;
    let scenario = Scenario::begin("duplicated and reordered", backend);
    let mut federation = Federation::prepare(backend).await;
    let relay = ChaosRelay::start(&federation, "miami", scenario.seed).await;
    federation.sync_link("miami", SyncLink::Plaintext(relay.address));
    federation.launch().await;
    let edits = Edits::start(&federation, scenario.seed).await;

    tokio::time::sleep(ms(1_800)).await;
    relay.drop_streams();
    tokio::time::sleep(ms(1_800)).await;
    relay.drop_streams();
    tokio::time::sleep(ms(1_200)).await;

    let admins = edits.stop().await;
    federation.assert_converged(&admins).await;
    let stats = relay.stats.summary();
    eprintln!("  relay: {stats}");
    let count = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
    assert!(
        count(&relay.stats.duplicates_to_node) > 0,
        "the relay delivered no duplicate to Miami: {stats}"
    );
    assert!(
        count(&relay.stats.late_to_node) > 0,
        "the relay delivered nothing out of order to Miami: {stats}"
    );
    assert!(
        count(&relay.stats.batches_repeated_to_gateway) > 0
            && count(&relay.stats.batches_replayed_to_gateway) > 0,
        "the relay neither repeated nor replayed Miami's changes: {stats}"
    );
    assert!(
        count(&relay.stats.streams_dropped) > 0,
        "the relay never dropped the stream: {stats}"
    );
    scenario.end(&federation, &admins).await;
    federation.stop().await;
    relay.stop().await;
}

/// A cut that neither end hears of (a firewall that forgets the connection drops
/// its packets without a word): once the link heals, Miami must notice that its
/// stream is dead and sync on a new one.
/// Without keep-alives Miami would wait on the dead stream until TCP gives up (many
/// minutes) and the gateway would go on counting it as connected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_region_cut_off_silently_reconnects_once_the_link_heals() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let scenario = Scenario::begin("region cut off silently", Backend::Sqlite);
    let mut federation = Federation::prepare(Backend::Sqlite).await;
    let proxy = TcpProxy::start(federation.gateway_address).await;
    federation.sync_link("miami", SyncLink::Tls(proxy.address));
    federation.launch().await;
    let edits = Edits::start(&federation, scenario.seed).await;

    tokio::time::sleep(ms(800)).await;
    proxy.cut_silently();
    tokio::time::sleep(ms(2_000)).await;
    proxy.heal();
    tokio::time::sleep(ms(700)).await;

    let admins = edits.stop().await;
    federation.assert_converged(&admins).await;
    scenario.end(&federation, &admins).await;
    federation.stop().await;
}

/// A scenario's name, seed and clock, for its report.
struct Scenario {
    name: String,
    seed: u64,
    started: Instant,
}

impl Scenario {
    fn begin(name: &str, backend: Backend) -> Scenario {
        let name = format!("{name} ({backend:?})");
        let seed = std::env::var("PASSAGE_FAULT_SEED")
            .ok()
            .and_then(|seed| seed.parse().ok())
            .unwrap_or_else(|| {
                // FNV-1a of the name: a fixed seed per scenario.
                name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
                    (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
                })
            });
        eprintln!("{name}: seed {seed} (PASSAGE_FAULT_SEED={seed} repeats these edits)");
        Scenario {
            name,
            seed,
            started: Instant::now(),
        }
    }

    async fn end(&self, federation: &Federation, admins: &[Admin]) {
        let mut tally = Tally::default();
        for admin in admins {
            tally.add(&admin.tally);
        }
        let (entries, repeated) = federation.gateway_log_entries().await;
        eprintln!(
            "{}: {} calls acknowledged ({} registrations, {} edits, {} deletions), {} failed; \
             gateway log {} entries, {} repeating an earlier one exactly; {:.1} s",
            self.name,
            tally.registered + tally.edited + tally.deleted,
            tally.registered,
            tally.edited,
            tally.deleted,
            tally.failed,
            entries,
            repeated,
            self.started.elapsed().as_secs_f64()
        );
    }
}
