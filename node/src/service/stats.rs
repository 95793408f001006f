//! `passage.v1.RegionStatsService`: this region's aggregate figures, exact, for the
//! gateway alone (it is not forwarded to clients). The gateway suppresses small
//! counts before anyone sees them; nothing here names or identifies a member.

use std::collections::BTreeMap;

use chrono::Utc;
use passage_proto::months::{Month, MonthSpan};
use passage_proto::v1::{self, region_stats_service_server::RegionStatsService};
use tonic::{Request, Response, Status};

use crate::context::NodeContext;
use crate::convert;
use crate::error::{Error, Result};
use crate::store::stats;

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

/// How long a region keeps the figures it counted for a month range and answers
/// with them: the central team's figures are at most this old (`computed_time`
/// says when they were counted), and a gateway fanning out to many regions every
/// few seconds does not make each count everything again.
pub const FIGURES_KEPT_FOR: std::time::Duration = std::time::Duration::from_secs(5);

/// Serves `RegionStatsService` from the node's database, keeping what it counted
/// for [`FIGURES_KEPT_FOR`].
pub struct RegionStatsApi {
    context: NodeContext,
    kept: std::sync::Mutex<BTreeMap<String, (std::time::Instant, v1::RegionStats)>>,
}

impl RegionStatsApi {
    pub fn new(context: NodeContext) -> Self {
        RegionStatsApi {
            context,
            kept: std::sync::Mutex::new(BTreeMap::new()),
        }
    }

    /// The figures for `span`: those kept when they are recent enough, else counted
    /// now (and kept).
    pub async fn kept_figures(&self, span: MonthSpan) -> Result<v1::RegionStats> {
        let key = format!("{}..{}", span.from, span.to);
        let lock = || {
            self.kept
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        if let Some((counted, figures)) = lock().get(&key)
            && counted.elapsed() < FIGURES_KEPT_FOR
        {
            return Ok(figures.clone());
        }
        let figures = self.figures(span).await?;
        let mut kept = lock();
        kept.retain(|_, (counted, _)| counted.elapsed() < FIGURES_KEPT_FOR);
        kept.insert(key, (std::time::Instant::now(), figures.clone()));
        Ok(figures)
    }

    /// The region's figures for `span`.
    pub async fn figures(&self, span: MonthSpan) -> Result<v1::RegionStats> {
        let db = &self.context.db;
        let started = std::time::Instant::now();
        let approvals = self.context.review_policy.approvals_to_publish;
        // One query after the other: side by side on the pool did not measure
        // faster with fifty regions sharing two cores (`passage bench stats`).
        let members = stats::members_by_record(db).await?;
        let opportunities = stats::opportunities_by_kind_and_status(db).await?;
        let pairs = stats::buddy_pairs_by_status(db).await?;
        let joined = stats::members_joined(db, span).await?;
        let verdicts = stats::reviews_by_verdict(db, span).await?;
        let hours = stats::review_hours(db, span, approvals).await?;
        let stages = stats::applications_by_stage(db).await?;
        let outcomes = stats::cohort_outcomes(db).await?;
        let placements = stats::placements(db).await?;
        let joined_at = stats::joined_at(db).await?;
        let questions = stats::questions(db).await?;
        let counted = started.elapsed();
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
        let outcome_counts = PlacementFigures::of(&placements, &joined_at, span);
        for (months, at_mark) in outcome_counts.retention(Utc::now().date_naive()) {
            now(&format!("retention_{months}_months"), RETENTION, at_mark);
        }

        for month in span.months() {
            let label = month.to_string();
            counts.push(count(
                "members_joined",
                &label,
                "all".to_owned(),
                joined.get(&month).copied().unwrap_or(0),
            ));
            let of_month: Vec<(String, i64)> = verdicts
                .iter()
                .filter(|((m, _), _)| *m == month)
                .map(|((_, verdict), value)| (verdict.clone(), *value))
                .collect();
            for (verdict, value) in complete(VERDICTS, of_month) {
                counts.push(count("reviews_by_verdict", &label, verdict, value));
            }
            let started_in: Vec<(String, i64)> = outcome_counts
                .started
                .iter()
                .filter(|((m, _), _)| *m == month)
                .map(|((_, kind), value)| (kind.clone(), *value))
                .collect();
            for (kind, value) in complete(PLACEMENT_KINDS, started_in) {
                counts.push(count("placements_by_kind", &label, kind, value));
            }
            let asked: Vec<(String, i64)> = questions
                .iter()
                .filter(|(asked, _, _)| stats::month_of(*asked) == Some(month))
                .map(|(_, status, _)| (status.clone(), 1))
                .collect();
            for (status, value) in complete(QUESTION_STATUSES, asked) {
                counts.push(count("helpdesk_questions_by_status", &label, status, value));
            }
        }

        let mut answer_hours: BTreeMap<Month, Vec<f64>> = BTreeMap::new();
        for (asked, _, answered) in &questions {
            if let Some(answered) = answered
                && let Some(month) = stats::month_of(*answered).filter(|m| span.contains(*m))
            {
                let waited = (*answered - *asked).num_milliseconds().max(0) as f64 / 3_600_000.0;
                answer_hours.entry(month).or_default().push(waited);
            }
        }
        let mut medians = Vec::new();
        for (table, by_month) in [
            ("review_hours", hours),
            ("days_to_first_placement", outcome_counts.days_to_first),
            ("helpdesk_hours_to_answer", answer_hours),
        ] {
            for (month, mut values) in by_month {
                let records = values.len() as i64;
                if let Some(median) = stats::median(&mut values) {
                    medians.push(v1::StatMedian {
                        table: table.into(),
                        month: month.to_string(),
                        median,
                        records,
                    });
                }
            }
        }
        tracing::debug!(
            queried_ms = counted.as_secs_f64() * 1000.0,
            total_ms = started.elapsed().as_secs_f64() * 1000.0,
            "region statistics counted"
        );
        Ok(v1::RegionStats {
            region: self.context.region.clone(),
            computed_time: Some(convert::timestamp(Utc::now())),
            counts,
            medians,
        })
    }
}

/// What placements say for the figures: how many started per month and kind,
/// days from joining to each member's first placement (by the month it started),
/// and the placements started in the span, for retention.
struct PlacementFigures {
    started: BTreeMap<(Month, String), i64>,
    days_to_first: BTreeMap<Month, Vec<f64>>,
    in_span: Vec<crate::retention::Stay>,
}

impl PlacementFigures {
    fn of(
        placements: &[(
            uuid::Uuid,
            String,
            chrono::NaiveDate,
            Option<chrono::NaiveDate>,
        )],
        joined_at: &BTreeMap<uuid::Uuid, chrono::DateTime<Utc>>,
        span: MonthSpan,
    ) -> Self {
        let month_of_day = |day: chrono::NaiveDate| {
            Month::new(chrono::Datelike::year(&day), chrono::Datelike::month(&day))
        };
        let mut started = BTreeMap::new();
        let mut first: BTreeMap<uuid::Uuid, chrono::NaiveDate> = BTreeMap::new();
        let mut in_span = Vec::new();
        for (member, kind, start, end) in placements {
            let earliest = first.entry(*member).or_insert(*start);
            *earliest = (*earliest).min(*start);
            if let Some(month) = month_of_day(*start).filter(|m| span.contains(*m)) {
                *started.entry((month, kind.clone())).or_insert(0) += 1;
                in_span.push(crate::retention::Stay {
                    kind: kind.clone(),
                    start: *start,
                    end: *end,
                });
            }
        }
        let mut days_to_first: BTreeMap<Month, Vec<f64>> = BTreeMap::new();
        for (member, start) in first {
            let (Some(joined), Some(month)) = (joined_at.get(&member), month_of_day(start)) else {
                continue;
            };
            if span.contains(month) {
                let days = (start - joined.date_naive()).num_days().max(0) as f64;
                days_to_first.entry(month).or_default().push(days);
            }
        }
        PlacementFigures {
            started,
            days_to_first,
            in_span,
        }
    }

    /// Retention at 3, 6 and 12 months of the placements started in the span: per
    /// mark, (retained, ended before).
    fn retention(&self, today: chrono::NaiveDate) -> Vec<(u32, Vec<(String, i64)>)> {
        let (all, _) = crate::retention::retention(&self.in_span, today);
        all.marks
            .iter()
            .map(|mark| {
                (
                    mark.months,
                    vec![
                        ("retained".to_owned(), i64::from(mark.retained)),
                        (
                            "ended_before".to_owned(),
                            i64::from(mark.due - mark.retained),
                        ),
                    ],
                )
            })
            .collect()
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
        let span = MonthSpan::parse("months", request.months.as_ref(), current_month()?)
            .map_err(|e| Error::invalid(e.field, e.reason))?;
        Ok(Response::new(self.kept_figures(span).await?))
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
