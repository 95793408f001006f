//! The region's figures counted from every row with `GROUP BY` (the way they were
//! counted before the region kept them as it writes): what the kept figures must
//! equal, read by the tests and by no call.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use passage_proto::months::{Month, MonthSpan};
use uuid::Uuid;

use super::{Counted, cohort_outcome};
use crate::error::Result;
use crate::retention::Stay;
use crate::store::stats;

/// Counts the figures for `span` from the tables, as of `today`, with the review
/// policy's `approvals_to_publish`.
pub async fn recount(
    db: &impl sea_orm::ConnectionTrait,
    span: MonthSpan,
    today: NaiveDate,
    approvals_to_publish: i32,
) -> Result<Counted> {
    let members = stats::members_by_record(db).await?;
    let opportunities = stats::opportunities_by_kind_and_status(db).await?;
    let pairs = stats::buddy_pairs_by_status(db).await?;
    let joined = stats::members_joined(db, span).await?;
    let verdicts = stats::reviews_by_verdict(db, span).await?;
    let review_hours = stats::review_hours(db, span, approvals_to_publish).await?;
    let stages = stats::applications_by_stage(db).await?;
    let outcomes = stats::cohort_outcomes(db)
        .await?
        .into_iter()
        .map(|(outcome, n)| (cohort_outcome(&outcome), n))
        .collect();
    let placements = stats::placements(db).await?;
    let joined_at = stats::joined_at(db).await?;
    let questions = stats::questions(db).await?;

    let month_of_day =
        |day: NaiveDate| Month::new(chrono::Datelike::year(&day), chrono::Datelike::month(&day));
    let mut started = BTreeMap::new();
    let mut first: BTreeMap<Uuid, NaiveDate> = BTreeMap::new();
    let mut in_span = Vec::new();
    for (member, kind, start, end) in &placements {
        let earliest = first.entry(*member).or_insert(*start);
        *earliest = (*earliest).min(*start);
        if let Some(month) = month_of_day(*start).filter(|m| span.contains(*m)) {
            *started.entry((month, kind.clone())).or_insert(0) += 1;
            in_span.push(Stay {
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
    let (retention, _) = crate::retention::retention(&in_span, today);
    let mut started_in: BTreeMap<Month, Vec<Stay>> = BTreeMap::new();
    for stay in &in_span {
        if let Some(month) = month_of_day(stay.start) {
            started_in.entry(month).or_default().push(stay.clone());
        }
    }
    let retention_by_month = started_in
        .into_iter()
        .map(|(month, stays)| {
            let (figures, _) = crate::retention::retention(&stays, today);
            (month, figures.marks.to_vec())
        })
        .collect();

    let mut asked = BTreeMap::new();
    let mut answer_hours: BTreeMap<Month, Vec<f64>> = BTreeMap::new();
    for (at, status, answered) in &questions {
        if let Some(month) = stats::month_of(*at).filter(|m| span.contains(*m)) {
            *asked.entry((month, status.clone())).or_insert(0) += 1;
        }
        if let Some(answered) = answered
            && let Some(month) = stats::month_of(*answered).filter(|m| span.contains(*m))
        {
            let waited = (*answered - *at).num_milliseconds().max(0) as f64 / 3_600_000.0;
            answer_hours.entry(month).or_default().push(waited);
        }
    }
    let medians = |by_month: BTreeMap<Month, Vec<f64>>| {
        by_month
            .into_iter()
            .filter_map(|(month, mut values)| {
                let records = values.len() as i64;
                Some((month, (stats::median(&mut values)?, records)))
            })
            .collect()
    };
    Ok(Counted {
        members,
        opportunities,
        pairs,
        stages,
        outcomes,
        retention: retention.marks.to_vec(),
        retention_by_month,
        joined,
        verdicts,
        started,
        asked,
        review_hours: medians(review_hours),
        days_to_first: medians(days_to_first),
        answer_hours: medians(answer_hours),
    })
}
