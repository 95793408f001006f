//! `passage bench` as an operator runs it, small: on PostgreSQL (every database it
//! made is dropped afterwards) and with a process per server (every child is gone
//! afterwards), also when the benchmark fails halfway. Every bench that starts a
//! federation takes both flags: sync, notify (mail from a node process), search
//! and import are run here with them.

#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::process::Output;

use sea_orm::{ConnectionTrait, Database, Statement};

fn postgres_admin_url() -> String {
    std::env::var("PASSAGE_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// `passage bench sync` with a small federation and `extra` flags.
fn bench_sync(sizes: &[&str], extra: &[&str]) -> Output {
    bench(&sync_args(sizes, extra))
}

/// `sync`, then `sizes` and `extra`.
fn sync_args<'a>(sizes: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
    std::iter::once("sync")
        .chain(sizes.iter().copied())
        .chain(extra.iter().copied())
        .collect()
}

const SMALL: &[&str] = &[
    "--members",
    "60",
    "--changes",
    "200",
    "--rate",
    "50",
    "--seconds",
    "1",
    "--missed",
    "200",
    "--concurrency",
    "4",
    "--batch",
    "10",
    "--single-calls",
    "100",
];

/// Fewer members than the paced phase needs: the benchmark fails after its
/// sustained phase, with every server running.
const FAILS_HALFWAY: &[&str] = &[
    "--members",
    "20",
    "--changes",
    "40",
    "--rate",
    "50",
    "--seconds",
    "1",
    "--concurrency",
    "4",
    "--batch",
    "10",
    "--single-calls",
    "0",
];

/// What the benchmark said it did on stderr: lines after `prefix`.
fn reported(output: &Output, prefix: &str) -> Vec<String> {
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter_map(|line| line.strip_prefix(prefix).map(str::to_owned))
        .collect()
}

fn describe(output: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The figures' lines, as the benchmark prints them.
fn assert_figures(output: &Output, header: &str) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 12, "{}", describe(output));
    assert!(lines[0].starts_with(header), "{}", describe(output));
    let expected = [
        "  sustained: ",
        "  latency at 50/s",
        "    written to the gateway's log ",
        "    log to applied ",
        "    by stage, as each server times it",
        "      outbox wait ",
        "      gateway append ",
        "      fan-out ",
        "      apply ",
        "  single UpdateMember calls (4 in flight, 100 each): ",
        "  catch-up: ",
    ];
    for (line, start) in lines[1..].iter().zip(expected) {
        assert!(line.starts_with(start), "{start}\n{}", describe(output));
    }
    // Every server's metrics were read: each stage timed the paced changes.
    for stage in &lines[6..10] {
        assert!(
            !stage.contains("NaN") && !stage.contains("(0 changes)"),
            "{stage}\n{}",
            describe(output)
        );
    }
}

/// Which of `names` still exist on the PostgreSQL server.
async fn existing_databases(names: &[String]) -> Vec<String> {
    let admin = Database::connect(postgres_admin_url()).await.unwrap();
    let rows = admin
        .query_all_raw(Statement::from_string(
            admin.get_database_backend(),
            "SELECT datname FROM pg_database",
        ))
        .await
        .unwrap();
    let existing: Vec<String> = rows
        .iter()
        .map(|row| row.try_get::<String>("", "datname").unwrap())
        .collect();
    names
        .iter()
        .filter(|name| existing.contains(name))
        .cloned()
        .collect()
}

/// The servers `passage bench sync` started as processes (`name pid`) that still
/// run a second after it exited (a killed child may take a moment to go).
fn running_children(output: &Output) -> Vec<String> {
    running_children_of(output, "sync")
}

/// The servers `passage bench <bench>` started as processes that still run.
fn running_children_of(output: &Output, bench: &str) -> Vec<String> {
    let folder = format!("passage-bench-{bench}");
    let still_running = || -> Vec<String> {
        reported(output, "bench: started ")
            .into_iter()
            .filter(|started| {
                let pid = started.rsplit(' ').next().unwrap_or_default();
                // Gone (or a zombie, whose command line is empty), or its pid
                // taken by something else: not running.
                std::fs::read(format!("/proc/{pid}/cmdline"))
                    .map(|cmdline| String::from_utf8_lossy(&cmdline).contains(&folder))
                    .unwrap_or(false)
            })
            .collect()
    };
    for _ in 0..20 {
        if still_running().is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    still_running()
}

#[tokio::test]
async fn sync_on_postgres_drops_its_databases() {
    let output = bench_ok(&sync_args(SMALL, &["--backend", "postgres"]));
    assert_figures(
        &output,
        "passage bench sync (1 region writing, 2 receiving, PostgreSQL, mTLS, one process;",
    );
    let made = reported(&output, "bench: made PostgreSQL database ");
    assert_eq!(made.len(), 4, "the gateway's and each region's: {made:?}");
    assert_eq!(
        reported(&output, "bench: dropped PostgreSQL database "),
        made
    );
    assert_eq!(existing_databases(&made).await, Vec::<String>::new());
}

#[tokio::test]
async fn sync_in_processes_leaves_no_process_behind() {
    let output = bench_ok(&sync_args(SMALL, &["--processes"]));
    assert_figures(
        &output,
        "passage bench sync (1 region writing, 2 receiving, SQLite, mTLS, a process per server;",
    );
    let started = reported(&output, "bench: started ");
    // The gateway, three regions, and Miami again after its outage.
    assert_eq!(started.len(), 5, "{started:?}");
    assert_eq!(running_children(&output), Vec::<String>::new());
}

#[tokio::test]
async fn a_failing_bench_kills_its_processes_and_drops_its_databases() {
    let output = bench_sync(FAILS_HALFWAY, &["--backend", "postgres", "--processes"]);
    assert!(!output.status.success(), "{}", describe(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("--members must be at least"),
        "{}",
        describe(&output)
    );
    let made = reported(&output, "bench: made PostgreSQL database ");
    assert_eq!(made.len(), 4, "{}", describe(&output));
    assert_eq!(reported(&output, "bench: started ").len(), 4);
    assert_eq!(running_children(&output), Vec::<String>::new());
    assert_eq!(existing_databases(&made).await, Vec::<String>::new());
}

/// `passage bench import`, small: the file imported once through the gateway,
/// then again without creating anything.
#[test]
fn import_prints_its_figures() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_passage"))
        .args(["bench", "import", "--members", "300"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", describe(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", describe(&output));
    assert!(
        lines[0].starts_with("passage bench import (300 member rows"),
        "{}",
        describe(&output)
    );
    assert!(
        lines[1].starts_with("  import: ") && lines[1].ends_with("rows/s"),
        "{}",
        describe(&output)
    );
    assert!(
        lines[2].starts_with("  again: ") && lines[2].ends_with("nothing created"),
        "{}",
        describe(&output)
    );
}

/// The header line a benchmark printed first.
fn header(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// `passage bench <args>`, with the test's PostgreSQL server.
fn bench(args: &[&str]) -> Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_passage"));
    command.arg("bench").args(args);
    command.env("PASSAGE_TEST_POSTGRES", postgres_admin_url());
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("PASSAGE__") {
            command.env_remove(key);
        }
    }
    command.output().unwrap()
}

/// [`bench`], which must succeed (else what it printed is shown).
fn bench_ok(args: &[&str]) -> Output {
    let output = bench(args);
    assert!(output.status.success(), "{}", describe(&output));
    output
}

/// `passage bench notify` on PostgreSQL with the node as its own process: the
/// node process mails every asker over SMTP to the bench's receiver, and
/// nothing is left behind.
#[tokio::test]
async fn notify_on_postgres_in_processes_mails_every_answer() {
    let output = bench_ok(&[
        "notify",
        "--changes",
        "20",
        "--clients",
        "2",
        "--runs",
        "1",
        "--backend",
        "postgres",
        "--processes",
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{}", describe(&output));
    assert!(
        lines[0].starts_with("passage bench notify (20 answered helpdesk questions per run")
            && lines[0].contains("node on PostgreSQL")
            && lines[0].ends_with("a process per server)"),
        "{}",
        describe(&output)
    );
    assert!(
        lines[1].contains("every mail accepted after"),
        "{}",
        describe(&output)
    );
    assert!(lines[3].starts_with("  median: 20 mails accepted in "));
    let made = reported(&output, "bench: made PostgreSQL database ");
    assert_eq!(made.len(), 2, "the gateway's and Amsterdam's: {made:?}");
    assert_eq!(existing_databases(&made).await, Vec::<String>::new());
    assert_eq!(reported(&output, "bench: started ").len(), 2);
    assert_eq!(running_children_of(&output, "notify"), Vec::<String>::new());
}

/// `passage bench search` on PostgreSQL and `passage bench import` in processes,
/// small: their header lines say where they ran.
#[tokio::test]
async fn search_and_import_say_where_they_ran() {
    let output = bench_ok(&[
        "search",
        "--members",
        "300",
        "--calls",
        "20",
        "--backend",
        "postgres",
    ]);
    let first = header(&output);
    assert!(
        first.starts_with("passage bench search (300 members in one region, node on PostgreSQL;")
            && first.ends_with("one process)"),
        "{}",
        describe(&output)
    );
    let made = reported(&output, "bench: made PostgreSQL database ");
    assert_eq!(existing_databases(&made).await, Vec::<String>::new());

    let output = bench_ok(&["import", "--members", "200", "--processes"]);
    let first = header(&output);
    assert!(
        first.starts_with("passage bench import (200 member rows")
            && first.ends_with("node on SQLite; a process per server)"),
        "{}",
        describe(&output)
    );
    assert_eq!(running_children_of(&output, "import"), Vec::<String>::new());
}

/// `passage bench web` on PostgreSQL with every server its own process, the web
/// app included: members sign in and every page answers 200.
#[tokio::test]
async fn web_on_postgres_in_processes_answers_every_page() {
    let output = bench_ok(&[
        "web",
        "--clients",
        "4",
        "--seconds",
        "1",
        "--backend",
        "postgres",
        "--processes",
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].starts_with("passage bench web (4 signed-in members")
            && lines[0].ends_with("mutual TLS, PostgreSQL, a process per server)"),
        "{}",
        describe(&output)
    );
    assert!(
        lines[1].ends_with(", 0 not answered 200"),
        "{}",
        describe(&output)
    );
    let started = reported(&output, "bench: started ");
    assert_eq!(
        started.len(),
        5,
        "the gateway, three nodes and the web app: {started:?}"
    );
    assert_eq!(running_children_of(&output, "web"), Vec::<String>::new());
    let made = reported(&output, "bench: made PostgreSQL database ");
    assert_eq!(existing_databases(&made).await, Vec::<String>::new());
}

/// `passage bench scale`, small: four regions of 200 members, a tenth shared,
/// each on PostgreSQL in its own process — every region converges (the bench
/// checks each holds the others' 60 shared profiles), and its figures, disk and
/// each process's peak memory print; nothing is left behind.
#[tokio::test]
async fn scale_on_postgres_in_processes_converges_every_region() {
    let output = bench_ok(&[
        "scale",
        "--regions",
        "4",
        "--members",
        "200",
        "--backend",
        "postgres",
        "--processes",
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 6, "{}", describe(&output));
    assert!(
        lines[0].starts_with("passage bench scale (4 regions × 200 members, 20 of each shared")
            && lines[0].ends_with("PostgreSQL, a process per server)"),
        "{}",
        describe(&output)
    );
    assert!(
        lines[1].starts_with("  imported: 800 members in "),
        "{}",
        describe(&output)
    );
    assert!(
        lines[2].starts_with("  converged: every region holds the others' 60 shared profiles")
            && lines[2].contains("(240 replicas applied,"),
        "{}",
        describe(&output)
    );
    assert!(lines[3].starts_with("  disk: "), "{}", describe(&output));
    assert!(
        lines[4].starts_with("  peak memory: gateway ") && lines[4].ends_with("(5 processes)"),
        "{}",
        describe(&output)
    );
    assert!(
        lines[5].starts_with("  each process (MiB): gateway ") && lines[5].contains(", region-04 "),
        "{}",
        describe(&output)
    );
    let made = reported(&output, "bench: made PostgreSQL database ");
    assert_eq!(made.len(), 5, "the gateway's and four regions': {made:?}");
    assert_eq!(existing_databases(&made).await, Vec::<String>::new());
    assert_eq!(running_children_of(&output, "scale"), Vec::<String>::new());
}

/// `passage bench snapshot`, small: Miami joins and takes every shared profile
/// of Amsterdam from the gateway's directory, then says how fast and how much
/// memory each process took.
#[test]
fn snapshot_prints_its_figures() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_passage"))
        .args(["bench", "snapshot", "--profiles", "3000", "--processes"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", describe(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 6, "{}", describe(&output));
    assert!(lines[0].starts_with(
        "passage bench snapshot (a new region's snapshot of 3000 shared profiles, SQLite, mTLS, \
         a process per server)"
    ));
    assert!(
        lines[1].starts_with("  snapshot: ") && lines[1].contains("(3000 profiles in "),
        "{}",
        describe(&output)
    );
    let processes: Vec<&str> = lines[2..5]
        .iter()
        .filter_map(|line| line.strip_prefix("  peak memory: "))
        .map(|rest| rest.split(' ').next().unwrap_or_default())
        .collect();
    assert_eq!(processes.len(), 3, "{}", describe(&output));
    assert!(processes.contains(&"gateway"), "{}", describe(&output));
    assert_eq!(
        running_children_of(&output, "snapshot"),
        Vec::<String>::new()
    );
}
