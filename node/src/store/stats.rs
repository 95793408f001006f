//! The region's aggregate figures: counts per category with SQL `GROUP BY`, and the
//! times that are bucketed by month, read as timestamps and bucketed here (the SQL
//! for months differs between SQLite and PostgreSQL; the Rust does not).

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use passage_proto::months::{Month, MonthSpan};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::entity::{
    application, buddy_pair, coaching_enrolment, helpdesk_question, member, opportunity,
    opportunity_review, opportunity_review_round, placement,
};
use crate::error::Result;

/// `COUNT(column)`.
fn count(column: impl sea_orm::sea_query::IntoColumnRef) -> Expr {
    sea_orm::sea_query::ExprTrait::count(Expr::col(column))
}

/// How many rows of `E` hold each value of `column`, as stored.
async fn count_by<E: EntityTrait>(
    db: &impl ConnectionTrait,
    column: E::Column,
) -> Result<Vec<(String, i64)>> {
    Ok(E::find()
        .select_only()
        .column(column)
        .column_as(count(column), "count")
        .group_by(column)
        .into_tuple::<(String, i64)>()
        .all(db)
        .await?)
}

/// The region's own members (home region here) counted by role, residence status
/// and civic-integration status together (stored names): one query for the three
/// tables about members, so they add up to the same total.
pub async fn members_by_record(
    db: &impl ConnectionTrait,
) -> Result<Vec<(String, String, String, i64)>> {
    Ok(member::Entity::find()
        .select_only()
        .column(member::Column::Role)
        .column(member::Column::ResidenceStatus)
        .column(member::Column::CivicIntegration)
        .column_as(count(member::Column::Id), "count")
        .group_by(member::Column::Role)
        .group_by(member::Column::ResidenceStatus)
        .group_by(member::Column::CivicIntegration)
        .into_tuple::<(String, String, String, i64)>()
        .all(db)
        .await?)
}

/// The region's opportunities counted by kind and status together (stored names).
pub async fn opportunities_by_kind_and_status(
    db: &impl ConnectionTrait,
) -> Result<Vec<(String, String, i64)>> {
    Ok(opportunity::Entity::find()
        .select_only()
        .column(opportunity::Column::Kind)
        .column(opportunity::Column::Status)
        .column_as(count(opportunity::Column::Id), "count")
        .group_by(opportunity::Column::Kind)
        .group_by(opportunity::Column::Status)
        .into_tuple::<(String, String, i64)>()
        .all(db)
        .await?)
}

/// The region's buddy pairs by status (stored names).
pub async fn buddy_pairs_by_status(db: &impl ConnectionTrait) -> Result<Vec<(String, i64)>> {
    count_by::<buddy_pair::Entity>(db, buddy_pair::Column::Status).await
}

/// The month of a time, in UTC.
pub fn month_of(time: DateTime<Utc>) -> Option<Month> {
    Month::new(time.year(), time.month())
}

/// `column`'s month in UTC as `YYYY-MM` text, in the database's own dialect: the
/// one place where SQLite and PostgreSQL need different SQL (a time is stored as
/// RFC 3339 text in SQLite, as `timestamptz` in PostgreSQL).
fn month_of_column(db: &impl ConnectionTrait, column: &str) -> Expr {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            Expr::cust(format!("to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM')"))
        }
        _ => Expr::cust(format!("strftime('%Y-%m', {column})")),
    }
}

/// Reads a month the database computed; one it could not compute is logged and
/// left out rather than counted in the wrong month.
fn month_from_database(text: Option<String>, table: &str) -> Option<Month> {
    let month = text.as_deref().and_then(Month::parse);
    if month.is_none() {
        tracing::warn!(table, ?text, "a stored time has no month; not counted");
    }
    month
}

/// How many of the region's members were created in each month of `span`
/// (months without any are absent).
pub async fn members_joined(
    db: &impl ConnectionTrait,
    span: MonthSpan,
) -> Result<BTreeMap<Month, i64>> {
    let month = month_of_column(db, "created_at");
    let rows = member::Entity::find()
        .select_only()
        .column_as(month.clone(), "month")
        .column_as(count(member::Column::Id), "count")
        .group_by(month)
        .into_tuple::<(Option<String>, i64)>()
        .all(db)
        .await?;
    let mut joined = BTreeMap::new();
    for (text, value) in rows {
        if let Some(month) = month_from_database(text, "member").filter(|m| span.contains(*m)) {
            *joined.entry(month).or_insert(0) += value;
        }
    }
    Ok(joined)
}

/// How many reviews gave each verdict (stored name) in each month of `span`.
pub async fn reviews_by_verdict(
    db: &impl ConnectionTrait,
    span: MonthSpan,
) -> Result<BTreeMap<(Month, String), i64>> {
    let month = month_of_column(db, "created_at");
    let rows = opportunity_review::Entity::find()
        .select_only()
        .column_as(month.clone(), "month")
        .column(opportunity_review::Column::Verdict)
        .column_as(count(opportunity_review::Column::Id), "count")
        .group_by(month)
        .group_by(opportunity_review::Column::Verdict)
        .into_tuple::<(Option<String>, String, i64)>()
        .all(db)
        .await?;
    let mut counts = BTreeMap::new();
    for (text, verdict, value) in rows {
        let month = month_from_database(text, "opportunity_review");
        if let Some(month) = month.filter(|m| span.contains(*m)) {
            *counts.entry((month, verdict)).or_insert(0) += value;
        }
    }
    Ok(counts)
}

/// Hours from each publication's submission to the approval that published it, by
/// the month of publication, for publications in `span`.
///
/// An opportunity's review round row holds the submission of its latest round, and a
/// published opportunity never starts another one; the round's
/// `approvals_to_publish`-th approval is the review that published it (no review can
/// be added once it is published). Under a policy changed since, a round is read
/// with today's `approvals_to_publish`.
pub async fn review_hours(
    db: &impl ConnectionTrait,
    span: MonthSpan,
    approvals_to_publish: i32,
) -> Result<BTreeMap<Month, Vec<f64>>> {
    let rounds: BTreeMap<Uuid, (i32, DateTime<Utc>)> = opportunity_review_round::Entity::find()
        .select_only()
        .column(opportunity_review_round::Column::OpportunityId)
        .column(opportunity_review_round::Column::Round)
        .column(opportunity_review_round::Column::SubmittedAt)
        .into_tuple::<(Uuid, i32, DateTime<Utc>)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, round, submitted)| (id, (round, submitted)))
        .collect();
    let approvals = opportunity_review::Entity::find()
        .select_only()
        .column(opportunity_review::Column::OpportunityId)
        .column(opportunity_review::Column::Round)
        .column(opportunity_review::Column::CreatedAt)
        .filter(opportunity_review::Column::Verdict.eq("approve"))
        .into_tuple::<(Uuid, i32, DateTime<Utc>)>()
        .all(db)
        .await?;
    let mut of_current_round: BTreeMap<Uuid, Vec<DateTime<Utc>>> = BTreeMap::new();
    for (id, round, created_at) in approvals {
        if rounds
            .get(&id)
            .is_some_and(|(current, _)| *current == round)
        {
            of_current_round.entry(id).or_default().push(created_at);
        }
    }
    let needed = usize::try_from(Ord::max(approvals_to_publish, 1)).unwrap_or(1);
    let mut hours: BTreeMap<Month, Vec<f64>> = BTreeMap::new();
    for (id, mut times) in of_current_round {
        times.sort();
        let (Some(published), Some((_, submitted))) = (times.get(needed - 1), rounds.get(&id))
        else {
            continue;
        };
        let Some(month) = month_of(*published).filter(|m| span.contains(*m)) else {
            continue;
        };
        let waited = (*published - *submitted).num_milliseconds().max(0) as f64 / 3_600_000.0;
        hours.entry(month).or_default().push(waited);
    }
    Ok(hours)
}

/// Applications by their stage now (stored name).
pub async fn applications_by_stage(db: &impl ConnectionTrait) -> Result<Vec<(String, i64)>> {
    count_by::<application::Entity>(db, application::Column::Stage).await
}

/// Coaching participants by their recorded outcome (stored name; `unspecified`
/// while none is recorded).
pub async fn cohort_outcomes(db: &impl ConnectionTrait) -> Result<Vec<(String, i64)>> {
    let counted =
        count_by::<coaching_enrolment::Entity>(db, coaching_enrolment::Column::Outcome).await?;
    // An enrolment without an outcome yet stores it empty.
    Ok(counted
        .into_iter()
        .map(|(outcome, n)| match outcome.as_str() {
            "" => ("unspecified".to_owned(), n),
            _ => (outcome, n),
        })
        .collect())
}

/// Every placement: member, kind, first and last day.
pub async fn placements(
    db: &impl ConnectionTrait,
) -> Result<Vec<(Uuid, String, NaiveDate, Option<NaiveDate>)>> {
    Ok(placement::Entity::find()
        .select_only()
        .column(placement::Column::MemberId)
        .column(placement::Column::Kind)
        .column(placement::Column::StartDate)
        .column(placement::Column::EndDate)
        .into_tuple::<(Uuid, String, NaiveDate, Option<NaiveDate>)>()
        .all(db)
        .await?)
}

/// When each member of the region joined.
pub async fn joined_at(db: &impl ConnectionTrait) -> Result<BTreeMap<Uuid, DateTime<Utc>>> {
    Ok(member::Entity::find()
        .select_only()
        .column(member::Column::Id)
        .column(member::Column::CreatedAt)
        .into_tuple::<(Uuid, DateTime<Utc>)>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// Helpdesk questions: asked when, their status, answered when.
pub async fn questions(
    db: &impl ConnectionTrait,
) -> Result<Vec<(DateTime<Utc>, String, Option<DateTime<Utc>>)>> {
    Ok(helpdesk_question::Entity::find()
        .select_only()
        .column(helpdesk_question::Column::CreatedAt)
        .column(helpdesk_question::Column::Status)
        .column(helpdesk_question::Column::AnsweredAt)
        .into_tuple::<(DateTime<Utc>, String, Option<DateTime<Utc>>)>()
        .all(db)
        .await?)
}

/// The median of `values` (the mean of the middle two for an even count); `None`
/// when there are none.
pub fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[middle]
    } else {
        (values[middle - 1] + values[middle]) / 2.0
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::median;

    #[test]
    fn the_median_is_the_middle_value_or_the_mean_of_the_middle_two() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [5.0]), Some(5.0));
        assert_eq!(median(&mut [9.0, 1.0, 4.0]), Some(4.0));
        assert_eq!(median(&mut [10.0, 2.0, 4.0, 8.0]), Some(6.0));
    }
}
