//! The region's statistics kept as it writes (issue 18 point 3): what each row
//! counts as, and the counters that hold the sums, in three tables.
//!
//! - `stat_tally` (`tally`, `month`, `category`, `value`): how many rows of a kind
//!   fall in each category, per month where the figure is per month (`month` is
//!   empty for a count of today's rows). Written as a difference (`value + n`), so
//!   two transactions changing the same counter add up.
//! - `stat_sample` (`tally`, `month`, `amount`, `value`): for the figures shown as
//!   medians, how many records of the month took each amount (milliseconds or
//!   days), and `stat_median` (`tally`, `month`, `median`, `records`): the month's
//!   median, moved in the transaction that changes one of its samples (`medians`:
//!   by the write's own records, from where the month's middle lies). A call
//!   reads one row per month.
//! - Retention, which depends on today's date, is kept per start day as the
//!   number of marks each placement reached (`placement_stays`, category
//!   `YYYY-MM-DD/N`): a call reads at most one row per day and marks reached.
//!
//! The definitions live here, with the migration that fills the tables from
//! existing rows ([`fill`]), and the node's store calls them in the transaction
//! of every change (`passage_node::store::tally`).

mod fill;
mod medians;

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use passage_proto::months::Month;
use sea_orm_migration::sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm_migration::sea_orm::{ConnectionTrait, DbErr};

pub use fill::{counted_policy, refill};

/// The marks retention is measured at, in months after the start.
pub const MARKS: [u32; 3] = [3, 6, 12];

/// Counts of today's rows (`month` empty).
pub const MEMBERS: &str = "members";
pub const OPPORTUNITIES: &str = "opportunities";
pub const BUDDY_PAIRS: &str = "buddy_pairs";
pub const APPLICATIONS: &str = "applications";
pub const COHORT_OUTCOMES: &str = "cohort_outcomes";
/// Counts per month.
pub const MEMBERS_JOINED: &str = "members_joined";
pub const REVIEWS: &str = "reviews";
pub const PLACEMENTS: &str = "placements";
pub const PLACEMENT_STAYS: &str = "placement_stays";
pub const QUESTIONS: &str = "questions";
/// Medians per month.
pub const REVIEW_HOURS: &str = "review_hours";
pub const DAYS_TO_FIRST_PLACEMENT: &str = "days_to_first_placement";
pub const HOURS_TO_ANSWER: &str = "helpdesk_hours_to_answer";
/// The review policy the review hours were counted under (`category` is the
/// number of approvals that publish): a node with another policy counts again.
pub const REVIEW_POLICY: &str = "review_policy";

/// The month of a time, in UTC.
pub fn month_of(time: DateTime<Utc>) -> Option<Month> {
    Month::new(time.year(), time.month())
}

/// The month of a day.
pub fn month_of_day(day: NaiveDate) -> Option<Month> {
    Month::new(day.year(), day.month())
}

/// One counter: a category of a tally, in a month or not.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Counter {
    pub tally: &'static str,
    /// `YYYY-MM`, or empty.
    pub month: String,
    pub category: String,
}

impl Counter {
    /// A count of today's rows.
    pub fn now(tally: &'static str, category: impl Into<String>) -> Counter {
        Counter {
            tally,
            month: String::new(),
            category: category.into(),
        }
    }

    /// A count in `month` (none when the time has no month: it is not counted,
    /// as the recount leaves it out).
    pub fn in_month(
        tally: &'static str,
        month: Option<Month>,
        category: impl Into<String>,
    ) -> Option<Counter> {
        Some(Counter {
            tally,
            month: month?.to_string(),
            category: category.into(),
        })
    }

    /// A member: by role, stored residence status and civic integration.
    pub fn member(role: &str, residence_status: &str, civic_integration: &str) -> Counter {
        Counter::now(
            MEMBERS,
            format!("{role}/{residence_status}/{civic_integration}"),
        )
    }

    /// An opportunity: by kind and status.
    pub fn opportunity(kind: &str, status: &str) -> Counter {
        Counter::now(OPPORTUNITIES, format!("{kind}/{status}"))
    }

    /// A placement as retention counts it: its start day and how many of the
    /// [`MARKS`] it was still going at (all of them while it goes on).
    pub fn stay(start: NaiveDate, end: Option<NaiveDate>) -> Option<Counter> {
        let reached = MARKS
            .iter()
            .filter(|months| {
                start
                    .checked_add_months(Months::new(**months))
                    .is_some_and(|at| end.is_none_or(|end| end >= at))
            })
            .count();
        Counter::in_month(
            PLACEMENT_STAYS,
            month_of_day(start),
            format!("{start}/{reached}"),
        )
    }

    /// Splits a `placement_stays` category into the start day and the marks reached.
    pub fn stay_of(category: &str) -> Option<(NaiveDate, usize)> {
        let (day, reached) = category.split_once('/')?;
        Some((day.parse().ok()?, reached.parse().ok()?))
    }
}

/// One record of a median: its tally, month and amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Sample {
    pub tally: &'static str,
    pub month: Month,
    /// Milliseconds for hours, days for days.
    pub amount: i64,
}

impl Sample {
    /// The amount as the figure shows it (hours or days).
    pub fn shown(tally: &str, amount: i64) -> f64 {
        match tally {
            DAYS_TO_FIRST_PLACEMENT => amount as f64,
            _ => amount as f64 / 3_600_000.0,
        }
    }

    /// Milliseconds from `from` to `to` (none when before) in the month of `to`.
    pub fn waited(tally: &'static str, from: DateTime<Utc>, to: DateTime<Utc>) -> Option<Sample> {
        Some(Sample {
            tally,
            month: month_of(to)?,
            amount: (to - from).num_milliseconds().max(0),
        })
    }

    /// The hours from an opportunity's submission to the approval that published
    /// it, by the month of publication: the `approvals_to_publish`-th approval of
    /// its current round, if it has that many (`approvals` are (round, time)).
    pub fn review(
        round: Option<(i32, DateTime<Utc>)>,
        approvals: &[(i32, DateTime<Utc>)],
        approvals_to_publish: i32,
    ) -> Option<Sample> {
        let (current, submitted) = round?;
        let mut times: Vec<DateTime<Utc>> = approvals
            .iter()
            .filter(|(round, _)| *round == current)
            .map(|(_, time)| *time)
            .collect();
        times.sort();
        let needed = usize::try_from(Ord::max(approvals_to_publish, 1)).unwrap_or(1);
        Sample::waited(REVIEW_HOURS, submitted, *times.get(needed - 1)?)
    }

    /// Days from a member's joining to her first placement, in the month it
    /// started.
    pub fn first_placement(joined: DateTime<Utc>, first_start: NaiveDate) -> Option<Sample> {
        Some(Sample {
            tally: DAYS_TO_FIRST_PLACEMENT,
            month: month_of_day(first_start)?,
            amount: (first_start - joined.date_naive()).num_days().max(0),
        })
    }
}

/// Rows written by one statement at most: four values each, well inside
/// SQLite's and PostgreSQL's limits on a statement's parameters.
const ROWS_PER_STATEMENT: usize = 500;

/// The counters and samples one transaction changes, summed before they are
/// written: a change that moves a row from one category to another writes two
/// counters, one that changes nothing counted writes none.
#[derive(Debug, Default)]
pub struct Change {
    counters: BTreeMap<Counter, i64>,
    samples: BTreeMap<Sample, i64>,
}

impl Change {
    /// The row counted under `old` is now counted under `new` (either absent
    /// for a row created or removed).
    pub fn replace(
        &mut self,
        old: impl IntoIterator<Item = Counter>,
        new: impl IntoIterator<Item = Counter>,
    ) {
        for counter in old {
            *self.counters.entry(counter).or_insert(0) -= 1;
        }
        for counter in new {
            *self.counters.entry(counter).or_insert(0) += 1;
        }
    }

    /// The record's sample was `old` and is now `new`.
    pub fn resample(&mut self, old: Option<Sample>, new: Option<Sample>) {
        if let Some(sample) = old {
            *self.samples.entry(sample).or_insert(0) -= 1;
        }
        if let Some(sample) = new {
            *self.samples.entry(sample).or_insert(0) += 1;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.counters.values().all(|n| *n == 0) && self.samples.values().all(|n| *n == 0)
    }

    /// Adds the differences to the counters and samples, and refreshes the
    /// medians of the months whose samples changed, on `db` (the caller's
    /// transaction).
    pub async fn write(self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        // Every counter in one statement, every sample in another: a change
        // costs the same few round trips to the database however many it moves.
        let counters: Vec<(Counter, i64)> = self
            .counters
            .into_iter()
            .filter(|(_, by)| *by != 0)
            .collect();
        for counters in counters.chunks(ROWS_PER_STATEMENT) {
            let mut insert = Query::insert()
                .into_table("stat_tally")
                .columns(["tally", "month", "category", "value"])
                .on_conflict(
                    OnConflict::columns(["tally", "month", "category"])
                        .value("value", Expr::cust("stat_tally.value + excluded.value"))
                        .to_owned(),
                )
                .to_owned();
            for (counter, by) in counters {
                insert.values_panic([
                    counter.tally.into(),
                    counter.month.clone().into(),
                    counter.category.clone().into(),
                    (*by).into(),
                ]);
            }
            db.execute(&insert).await?;
        }
        let mut months: BTreeMap<(&'static str, Month), Vec<(i64, i64)>> = BTreeMap::new();
        let samples: Vec<(Sample, i64)> = self
            .samples
            .into_iter()
            .filter(|(_, by)| *by != 0)
            .collect();
        for samples in samples.chunks(ROWS_PER_STATEMENT) {
            let mut insert = Query::insert()
                .into_table("stat_sample")
                .columns(["tally", "month", "amount", "value"])
                .on_conflict(
                    OnConflict::columns(["tally", "month", "amount"])
                        .value("value", Expr::cust("stat_sample.value + excluded.value"))
                        .to_owned(),
                )
                .to_owned();
            for (sample, by) in samples {
                insert.values_panic([
                    sample.tally.into(),
                    sample.month.to_string().into(),
                    sample.amount.into(),
                    (*by).into(),
                ]);
                months
                    .entry((sample.tally, sample.month))
                    .or_default()
                    .push((sample.amount, *by));
            }
            db.execute(&insert).await?;
        }
        for ((tally, month), changes) in months {
            medians::update(db, tally, month, &changes).await?;
        }
        Ok(())
    }
}
