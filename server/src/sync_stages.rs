//! Where a shared profile's change spends its time on its way between regions, as
//! Prometheus histograms (`passage_sync_stage_seconds{stage=…}`). Each server
//! records the stages it sees:
//!
//! - `outbox_wait` (the writing node): from the change's stamp to its send to the
//!   gateway — the origin's commit, and the wait for the batch in flight to be
//!   acknowledged;
//! - `append` (the gateway): from a node's batch arriving to its entries committed
//!   in the log — the wait for the gateway's write turn, the directory's read, the
//!   write;
//! - `fan_out` (the gateway): from the commit of an entry's append to its
//!   hand-over to a receiving region's stream — the session's wake-up and read
//!   of the log, and the wait for room in the session's channel (timed for the
//!   appends the same gateway replica made);
//! - `apply` (a receiving node): from a log batch arriving to its apply committed.
//!
//! The stages are timed one by one, each by the server it happens on; the
//! network between them is in none. An operator sees which of them holds a
//! region's changes back; `passage bench sync` prints their quantiles.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the buckets, in seconds: fine below 10 ms, where a change
/// between regions on one machine spends its time, then up to a minute.
pub const STAGE_BUCKETS: [f64; 24] = [
    0.00025, 0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.015, 0.02,
    0.03, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 60.0,
];

/// The metric's name.
pub const METRIC: &str = "passage_sync_stage_seconds";

/// A stage of a change's way between regions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    OutboxWait,
    Append,
    FanOut,
    Apply,
}

impl Stage {
    pub const ALL: [Stage; 4] = [
        Stage::OutboxWait,
        Stage::Append,
        Stage::FanOut,
        Stage::Apply,
    ];

    /// The stage's label value.
    pub fn label(self) -> &'static str {
        match self {
            Stage::OutboxWait => "outbox_wait",
            Stage::Append => "append",
            Stage::FanOut => "fan_out",
            Stage::Apply => "apply",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

#[derive(Debug, Default)]
struct StageFigures {
    /// Changes per bucket (not cumulative; the last one is `+Inf`).
    buckets: [AtomicU64; STAGE_BUCKETS.len() + 1],
    sum_micros: AtomicU64,
}

/// One server's stage histograms, shared by the code that times the stages and
/// its `/metrics` page; updated without a lock.
#[derive(Debug, Clone, Default)]
pub struct SyncStages {
    stages: Arc<[StageFigures; 4]>,
}

impl SyncStages {
    pub fn new() -> Self {
        Self::default()
    }

    /// `changes` changes spent `took` in `stage`.
    pub fn observe(&self, stage: Stage, took: Duration, changes: u64) {
        if changes == 0 {
            return;
        }
        let figures = &self.stages[stage.index()];
        let seconds = took.as_secs_f64();
        let bucket = STAGE_BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(STAGE_BUCKETS.len());
        figures.buckets[bucket].fetch_add(changes, Ordering::Relaxed);
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        figures
            .sum_micros
            .fetch_add(micros.saturating_mul(changes), Ordering::Relaxed);
    }

    /// A change stamped at `stamped_ms` (ms since the epoch) spent from then until
    /// `now_ms` in `stage`; a stamp ahead of the clock counts as no time.
    pub fn observe_since(&self, stage: Stage, stamped_ms: u64, now_ms: u64) {
        self.observe(
            stage,
            Duration::from_millis(now_ms.saturating_sub(stamped_ms)),
            1,
        );
    }

    /// The Prometheus text of the stages this server has timed, with `labels`
    /// (such as `region="amsterdam"`, or empty) before the stage's.
    pub fn render(&self, labels: &str) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP {METRIC} Time a shared profile's change spent in each stage between \
             regions (fan_out: the entries this gateway replica appended)."
        );
        let _ = writeln!(out, "# TYPE {METRIC} histogram");
        let prefix = if labels.is_empty() {
            String::new()
        } else {
            format!("{labels},")
        };
        for stage in Stage::ALL {
            let figures = &self.stages[stage.index()];
            if figures
                .buckets
                .iter()
                .all(|bucket| bucket.load(Ordering::Relaxed) == 0)
            {
                continue;
            }
            let seconds = figures.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
            crate::call_metrics::write_histogram(
                &mut out,
                METRIC,
                &format!("{prefix}stage=\"{}\"", stage.label()),
                &STAGE_BUCKETS,
                &figures.buckets,
                seconds,
            );
        }
        out
    }
}

/// One stage's cumulative bucket counts read back from `/metrics` text, summed
/// over every server and label set that reported it: `(upper bound, changes at
/// or below it)`, `+Inf` last as `f64::INFINITY`.
pub fn read_buckets(text: &str, stage: Stage) -> Vec<(f64, u64)> {
    let wanted = format!("stage=\"{}\"", stage.label());
    let mut sums: Vec<(f64, u64)> = Vec::new();
    for line in text.lines() {
        let Some(rest) = line
            .strip_prefix(METRIC)
            .and_then(|r| r.strip_prefix("_bucket{"))
        else {
            continue;
        };
        let Some((labels, value)) = rest.split_once("} ") else {
            continue;
        };
        if !labels.split(',').any(|label| label == wanted) {
            continue;
        }
        let Some(bound) = labels
            .split(',')
            .find_map(|label| label.strip_prefix("le=\""))
            .and_then(|b| b.strip_suffix('"'))
        else {
            continue;
        };
        let bound = if bound == "+Inf" {
            f64::INFINITY
        } else {
            match bound.parse::<f64>() {
                Ok(bound) => bound,
                Err(_) => continue,
            }
        };
        let Ok(value) = value.trim().parse::<u64>() else {
            continue;
        };
        match sums.iter_mut().find(|(b, _)| *b == bound) {
            Some((_, sum)) => *sum += value,
            None => sums.push((bound, value)),
        }
    }
    sums.sort_by(|a, b| a.0.total_cmp(&b.0));
    sums
}

/// The `q` quantile (0–1) of cumulative `buckets` in seconds, interpolated
/// linearly within its bucket as Prometheus's `histogram_quantile` does; None
/// when the buckets hold nothing. A quantile in the `+Inf` bucket is given as
/// the last finite bound.
pub fn quantile(buckets: &[(f64, u64)], q: f64) -> Option<f64> {
    let total = buckets.last()?.1;
    if total == 0 {
        return None;
    }
    let rank = q * total as f64;
    let mut lower = (0.0, 0u64);
    for &(bound, cumulative) in buckets {
        if cumulative as f64 >= rank {
            if bound.is_infinite() {
                return Some(lower.0);
            }
            let within = (cumulative - lower.1) as f64;
            let fraction = if within > 0.0 {
                (rank - lower.1 as f64) / within
            } else {
                1.0
            };
            return Some(lower.0 + (bound - lower.0) * fraction);
        }
        lower = (bound, cumulative);
    }
    Some(lower.0)
}

/// `after` less `before`, bucket by bucket: what was counted between two reads.
pub fn difference(after: &[(f64, u64)], before: &[(f64, u64)]) -> Vec<(f64, u64)> {
    after
        .iter()
        .map(|&(bound, count)| {
            let earlier = before
                .iter()
                .find(|(b, _)| *b == bound)
                .map_or(0, |(_, c)| *c);
            (bound, count.saturating_sub(earlier))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_observed_renders_as_a_histogram_and_reads_back_to_its_quantiles() {
        let stages = SyncStages::new();
        // 90 changes waited 0.8 ms in the outbox, 10 waited 40 ms.
        stages.observe(Stage::OutboxWait, Duration::from_micros(800), 90);
        stages.observe(Stage::OutboxWait, Duration::from_millis(40), 10);
        stages.observe_since(Stage::Apply, 1_000, 1_003);
        let text = stages.render("region=\"amsterdam\"");
        assert!(text.contains(
            "passage_sync_stage_seconds_bucket{region=\"amsterdam\",stage=\"outbox_wait\",le=\"0.001\"} 90"
        ));
        assert!(text.contains(
            "passage_sync_stage_seconds_count{region=\"amsterdam\",stage=\"outbox_wait\"} 100"
        ));
        assert!(
            !text.contains("stage=\"append\""),
            "a stage never timed is left out"
        );

        let waited = read_buckets(&text, Stage::OutboxWait);
        assert_eq!(waited.last(), Some(&(f64::INFINITY, 100)));
        let median = quantile(&waited, 0.5).unwrap();
        assert!((0.00075..=0.001).contains(&median), "{median}");
        let p99 = quantile(&waited, 0.99).unwrap();
        assert!((0.03..=0.05).contains(&p99), "{p99}");
        let applied = quantile(&read_buckets(&text, Stage::Apply), 0.5).unwrap();
        assert!((0.002..=0.003).contains(&applied), "{applied}");
        assert_eq!(quantile(&read_buckets(&text, Stage::FanOut), 0.5), None);
    }

    #[test]
    fn two_servers_add_up_and_a_later_read_less_an_earlier_is_what_came_between() {
        let (one, other) = (SyncStages::new(), SyncStages::new());
        one.observe(Stage::Apply, Duration::from_millis(1), 5);
        let before = read_buckets(&(one.render("") + &other.render("")), Stage::Apply);
        one.observe(Stage::Apply, Duration::from_millis(20), 3);
        other.observe(Stage::Apply, Duration::from_millis(20), 2);
        let after = read_buckets(&(one.render("") + &other.render("")), Stage::Apply);
        assert_eq!(after.last(), Some(&(f64::INFINITY, 10)));
        let between = difference(&after, &before);
        assert_eq!(between.last(), Some(&(f64::INFINITY, 5)));
        let median = quantile(&between, 0.5).unwrap();
        assert!((0.015..=0.02).contains(&median), "{median}");
    }
}
