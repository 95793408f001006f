//! `passage.v1.RegionStatsService`: this region's aggregate figures, exact, for the
//! gateway alone (it is not forwarded to clients). The gateway suppresses small
//! counts before anyone sees them; nothing here names or identifies a member.
//! The figures are read from what the region keeps as it writes ([`kept`]); the
//! full recount ([`recount`]) is what they must always equal.

use std::collections::BTreeMap;

use chrono::Utc;
use passage_proto::months::{Month, MonthSpan};
use passage_proto::v1::{self, region_stats_service_server::RegionStatsService};
use tonic::{Request, Response, Status};

use crate::context::NodeContext;
use crate::convert;
use crate::error::{Error, Result};
use crate::store::stats;

mod kept;
mod recount;

pub use kept::{count_again, kept};
pub use recount::recount;

/// Every category of each table, in the order they are shown. A stored value not
/// listed is counted under its own name after these.
const ROLES: &[&str] = &["newcomer", "local", "volunteer_coach"];
const RESIDENCE_CLASSES: &[&str] = &[
    "asylum_procedure",
    "protection_status",
    "temporary_protection",
    "tolerated",
    "citizen_or_resident",
    "other",
];
const CIVIC_INTEGRATION: &[&str] = &["none", "in_progress", "completed", "exempt", "unspecified"];
const OPPORTUNITY_KINDS: &[&str] = &[
    "job",
    "internship",
    "taster_internship",
    "volunteer",
    "learn_work",
    "project",
];
const OPPORTUNITY_STATUSES: &[&str] = &["draft", "in_review", "published", "filled", "closed"];
const VERDICTS: &[&str] = &["approve", "request_changes", "reject"];
const BUDDY_PAIR_STATUSES: &[&str] = &["proposed", "active", "declined", "ended"];
const APPLICATION_STAGES: &[&str] = &[
    "applied",
    "screening",
    "interview",
    "offer",
    "accepted",
    "rejected",
    "withdrawn",
];
const PLACEMENT_KINDS: &[&str] = &[
    "paid_job",
    "internship",
    "volunteering",
    "learn_work",
    "project",
];
const COHORT_OUTCOMES: &[&str] = &[
    "paid_job",
    "unpaid_role",
    "education",
    "none",
    "unspecified",
];
const QUESTION_STATUSES: &[&str] = &["unrouted", "routed", "answered"];
/// Retention at a mark: of the placements whose mark has passed, those still
/// going at it and those that ended before (the two add up to the placements due).
const RETENTION: &[&str] = &["retained", "ended_before"];

/// The class a stored residence status counts under: classes mean the same in
/// every region, whatever the country calls the status.
pub fn residence_class(status: &str) -> &'static str {
    match status {
        "asylum_seeker" => "asylum_procedure",
        "status_holder" => "protection_status",
        "temporary_protection" => "temporary_protection",
        "tolerated" => "tolerated",
        "citizen_or_resident" => "citizen_or_resident",
        _ => "other",
    }
}

/// Serves `RegionStatsService` from the figures the region keeps as it writes
/// (`store::tally`): every call reads them afresh, the first one included.
pub struct RegionStatsApi {
    context: NodeContext,
}

impl RegionStatsApi {
    pub fn new(context: NodeContext) -> Self {
        RegionStatsApi { context }
    }

    /// The region's figures for `span`, as of today.
    ///
    /// `by_month`: the tables summed over the range come once per month of it
    /// (`GetRegionStatsRequest.by_month`).
    pub async fn figures(&self, span: MonthSpan, by_month: bool) -> Result<v1::RegionStats> {
        let started = std::time::Instant::now();
        let counted = kept::kept(&self.context.db, span, Utc::now().date_naive()).await?;
        let figures = if by_month {
            counted.into_stats_by_month(&self.context.region, span)
        } else {
            counted.into_stats(&self.context.region, span)
        };
        tracing::debug!(
            ms = started.elapsed().as_secs_f64() * 1000.0,
            "region statistics read"
        );
        Ok(figures)
    }
}

/// What the figures are made of, however they were counted: the tables of
/// today's rows (as stored, several categories together), the per-month counts of
/// the span, retention at each mark and the medians of the span's months.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Counted {
    /// (role, residence status, civic integration, members).
    pub members: Vec<(String, String, String, i64)>,
    /// (kind, status, opportunities).
    pub opportunities: Vec<(String, String, i64)>,
    pub pairs: Vec<(String, i64)>,
    pub stages: Vec<(String, i64)>,
    pub outcomes: Vec<(String, i64)>,
    pub retention: Vec<crate::retention::MarkFigure>,
    /// Retention at each mark of the placements that started in each month.
    pub retention_by_month: BTreeMap<Month, Vec<crate::retention::MarkFigure>>,
    pub joined: BTreeMap<Month, i64>,
    pub verdicts: BTreeMap<(Month, String), i64>,
    /// Placements started, by month and kind.
    pub started: BTreeMap<(Month, String), i64>,
    /// Questions asked, by month and status now.
    pub asked: BTreeMap<(Month, String), i64>,
    /// (median, records) per month.
    pub review_hours: BTreeMap<Month, (f64, i64)>,
    pub days_to_first: BTreeMap<Month, (f64, i64)>,
    pub answer_hours: BTreeMap<Month, (f64, i64)>,
}

/// The outcome a coaching participant counts under: `unspecified` while none is
/// recorded (stored empty).
fn cohort_outcome(stored: &str) -> String {
    match stored {
        "" => "unspecified".to_owned(),
        _ => stored.to_owned(),
    }
}

impl Counted {
    /// The region's figures for `span`, every category of each table listed,
    /// retention over the whole span.
    pub fn into_stats(self, region: &str, span: MonthSpan) -> v1::RegionStats {
        self.into_stats_as(region, span, false)
    }

    /// The region's figures for `span` with retention once per month of it, as
    /// each month's own answer would give it.
    pub fn into_stats_by_month(self, region: &str, span: MonthSpan) -> v1::RegionStats {
        self.into_stats_as(region, span, true)
    }

    fn into_stats_as(self, region: &str, span: MonthSpan, by_month: bool) -> v1::RegionStats {
        let Counted {
            members,
            opportunities,
            pairs,
            stages,
            outcomes,
            retention,
            retention_by_month,
            joined,
            verdicts,
            started,
            asked,
            review_hours,
            days_to_first,
            answer_hours,
        } = self;
        let mut counts = Vec::new();
        let mut now = |table: &str, categories: &[&str], rows: Vec<(String, i64)>| {
            for (category, value) in complete(categories, rows) {
                counts.push(count(table, "", category, value));
            }
        };
        let by = |pick: fn(&(String, String, String, i64)) -> String| {
            members
                .iter()
                .map(|row| (pick(row), row.3))
                .collect::<Vec<_>>()
        };
        now("members_by_role", ROLES, by(|row| row.0.clone()));
        now(
            "members_by_residence_class",
            RESIDENCE_CLASSES,
            by(|row| residence_class(&row.1).to_owned()),
        );
        now(
            "members_by_civic_integration",
            CIVIC_INTEGRATION,
            by(|row| row.2.clone()),
        );
        now(
            "opportunities_by_kind",
            OPPORTUNITY_KINDS,
            opportunities
                .iter()
                .map(|(kind, _, n)| (kind.clone(), *n))
                .collect(),
        );
        now(
            "opportunities_by_status",
            OPPORTUNITY_STATUSES,
            opportunities
                .iter()
                .map(|(_, status, n)| (status.clone(), *n))
                .collect(),
        );
        now("buddy_pairs_by_status", BUDDY_PAIR_STATUSES, pairs);
        now("applications_by_stage", APPLICATION_STAGES, stages);
        now("cohort_participants_by_outcome", COHORT_OUTCOMES, outcomes);
        let at_mark = |mark: &crate::retention::MarkFigure| {
            vec![
                ("retained".to_owned(), i64::from(mark.retained)),
                (
                    "ended_before".to_owned(),
                    i64::from(mark.due - mark.retained),
                ),
            ]
        };
        if !by_month {
            for mark in &retention {
                now(
                    &format!("retention_{}_months", mark.months),
                    RETENTION,
                    at_mark(mark),
                );
            }
        }

        let of_month = |map: &BTreeMap<(Month, String), i64>, month: Month| {
            map.iter()
                .filter(|((m, _), _)| *m == month)
                .map(|((_, category), value)| (category.clone(), *value))
                .collect::<Vec<_>>()
        };
        for month in span.months() {
            let label = month.to_string();
            if by_month {
                let none = crate::retention::Figures::default().marks;
                let marks = retention_by_month
                    .get(&month)
                    .map_or(&none[..], |marks| &marks[..]);
                for mark in marks {
                    let table = format!("retention_{}_months", mark.months);
                    for (category, value) in complete(RETENTION, at_mark(mark)) {
                        counts.push(count(&table, &label, category, value));
                    }
                }
            }
            counts.push(count(
                "members_joined",
                &label,
                "all".to_owned(),
                joined.get(&month).copied().unwrap_or(0),
            ));
            for (verdict, value) in complete(VERDICTS, of_month(&verdicts, month)) {
                counts.push(count("reviews_by_verdict", &label, verdict, value));
            }
            for (kind, value) in complete(PLACEMENT_KINDS, of_month(&started, month)) {
                counts.push(count("placements_by_kind", &label, kind, value));
            }
            for (status, value) in complete(QUESTION_STATUSES, of_month(&asked, month)) {
                counts.push(count("helpdesk_questions_by_status", &label, status, value));
            }
        }

        let mut medians = Vec::new();
        for (table, by_month) in [
            ("review_hours", review_hours),
            ("days_to_first_placement", days_to_first),
            ("helpdesk_hours_to_answer", answer_hours),
        ] {
            for (month, (median, records)) in by_month {
                if span.contains(month) && records > 0 {
                    medians.push(v1::StatMedian {
                        table: table.into(),
                        month: month.to_string(),
                        median,
                        records,
                    });
                }
            }
        }
        v1::RegionStats {
            region: region.to_owned(),
            computed_time: Some(convert::timestamp(Utc::now())),
            counts,
            medians,
        }
    }
}

fn count(table: &str, month: &str, category: String, value: i64) -> v1::StatCount {
    v1::StatCount {
        table: table.into(),
        month: month.into(),
        category,
        value,
    }
}

/// Every listed category with its count (0 when absent), then any other category
/// found, summed by name.
fn complete(categories: &[&str], rows: Vec<(String, i64)>) -> Vec<(String, i64)> {
    let mut found: BTreeMap<String, i64> = BTreeMap::new();
    for (category, value) in rows {
        *found.entry(category).or_insert(0) += value;
    }
    let mut all: Vec<(String, i64)> = categories
        .iter()
        .map(|c| ((*c).to_owned(), found.remove(*c).unwrap_or(0)))
        .collect();
    all.extend(found);
    all
}

/// The current month, UTC.
pub fn current_month() -> Result<Month> {
    stats::month_of(Utc::now())
        .ok_or_else(|| Error::FailedPrecondition("the clock is outside years 1 to 9999".into()))
}

#[tonic::async_trait]
impl RegionStatsService for RegionStatsApi {
    async fn get_region_stats(
        &self,
        request: Request<v1::GetRegionStatsRequest>,
    ) -> Result<Response<v1::RegionStats>, Status> {
        let request = request.into_inner();
        let span =
            MonthSpan::parse("months", request.months.as_ref(), current_month()?).map_err(|e| {
                Error::refused(
                    e.field,
                    e.reason,
                    crate::error::Refusal::of(e.kind, &e.value, e.allowed),
                )
            })?;
        Ok(Response::new(self.figures(span, request.by_month).await?))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn residence_statuses_fall_into_classes_every_country_shares() {
        assert_eq!(residence_class("asylum_seeker"), "asylum_procedure");
        assert_eq!(residence_class("status_holder"), "protection_status");
        assert_eq!(
            residence_class("temporary_protection"),
            "temporary_protection"
        );
        assert_eq!(residence_class("tolerated"), "tolerated");
        assert_eq!(
            residence_class("citizen_or_resident"),
            "citizen_or_resident"
        );
        assert_eq!(residence_class("other"), "other");
        assert_eq!(residence_class("unspecified"), "other");
    }

    #[test]
    fn every_category_is_sent_and_unknown_ones_are_kept() {
        let rows = vec![("local".to_owned(), 4), ("mentor".to_owned(), 1)];
        assert_eq!(
            complete(ROLES, rows),
            vec![
                ("newcomer".to_owned(), 0),
                ("local".to_owned(), 4),
                ("volunteer_coach".to_owned(), 0),
                ("mentor".to_owned(), 1),
            ]
        );
    }
}
