//! Counting every kept figure again from the rows: the migration that creates
//! the tables fills them this way, and a node whose review policy differs from
//! the one the review hours were counted under counts again at start.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm_migration::sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm_migration::sea_orm::{ConnectionTrait, DbErr, QueryResult};
use uuid::Uuid;

use super::{
    APPLICATIONS, BUDDY_PAIRS, COHORT_OUTCOMES, Change, Counter, HOURS_TO_ANSWER, MEMBERS_JOINED,
    PLACEMENTS, QUESTIONS, REVIEW_POLICY, REVIEWS, Sample, month_of, month_of_day,
};

/// Every row of `table`, with `columns`.
async fn all(
    db: &impl ConnectionTrait,
    table: &'static str,
    columns: &[&'static str],
    filter: Option<Expr>,
) -> Result<Vec<QueryResult>, DbErr> {
    let mut select: SelectStatement = Query::select()
        .columns(columns.iter().copied())
        .from(table)
        .to_owned();
    if let Some(filter) = filter {
        select.and_where(filter);
    }
    db.query_all(&select).await
}

fn text(row: &QueryResult, column: &str) -> Result<String, DbErr> {
    row.try_get::<String>("", column)
}

/// Empties the kept figures and counts them again from every row, in `db` (a
/// transaction, so no call sees them half counted), with the review policy's
/// `approvals_to_publish`.
pub async fn refill(db: &impl ConnectionTrait, approvals_to_publish: i32) -> Result<(), DbErr> {
    for table in ["stat_tally", "stat_sample", "stat_median"] {
        db.execute(&Query::delete().from_table(table).to_owned())
            .await?;
    }
    let mut change = Change::default();
    let mut joined: BTreeMap<Uuid, DateTime<Utc>> = BTreeMap::new();
    let columns = [
        "id",
        "role",
        "residence_status",
        "civic_integration",
        "created_at",
    ];
    for row in all(db, "member", &columns, None).await? {
        let created: DateTime<Utc> = row.try_get("", "created_at")?;
        joined.insert(row.try_get("", "id")?, created);
        let member = Counter::member(
            &text(&row, "role")?,
            &text(&row, "residence_status")?,
            &text(&row, "civic_integration")?,
        );
        let month = Counter::in_month(MEMBERS_JOINED, month_of(created), "all");
        change.replace(None, [member].into_iter().chain(month));
    }
    for row in all(db, "opportunity", &["kind", "status"], None).await? {
        let counter = Counter::opportunity(&text(&row, "kind")?, &text(&row, "status")?);
        change.replace(None, [counter]);
    }
    for (table, column, tally) in [
        ("buddy_pair", "status", BUDDY_PAIRS),
        ("application", "stage", APPLICATIONS),
        ("coaching_enrolment", "outcome", COHORT_OUTCOMES),
    ] {
        for row in all(db, table, &[column], None).await? {
            change.replace(None, [Counter::now(tally, text(&row, column)?)]);
        }
    }
    let mut rounds = BTreeMap::new();
    let columns = ["opportunity_id", "round", "submitted_at"];
    for row in all(db, "opportunity_review_round", &columns, None).await? {
        let id: Uuid = row.try_get("", "opportunity_id")?;
        rounds.insert(
            id,
            (row.try_get("", "round")?, row.try_get("", "submitted_at")?),
        );
    }
    let mut approvals: BTreeMap<Uuid, Vec<(i32, DateTime<Utc>)>> = BTreeMap::new();
    let columns = ["opportunity_id", "round", "verdict", "created_at"];
    for row in all(db, "opportunity_review", &columns, None).await? {
        let verdict = text(&row, "verdict")?;
        let created: DateTime<Utc> = row.try_get("", "created_at")?;
        if verdict == "approve" {
            let id: Uuid = row.try_get("", "opportunity_id")?;
            approvals
                .entry(id)
                .or_default()
                .push((row.try_get("", "round")?, created));
        }
        change.replace(None, Counter::in_month(REVIEWS, month_of(created), verdict));
    }
    for (id, approvals) in &approvals {
        let round = rounds.get(id).copied();
        change.resample(None, Sample::review(round, approvals, approvals_to_publish));
    }
    let mut first: BTreeMap<Uuid, NaiveDate> = BTreeMap::new();
    let columns = ["member_id", "kind", "start_date", "end_date"];
    for row in all(db, "placement", &columns, None).await? {
        let start: NaiveDate = row.try_get("", "start_date")?;
        let end: Option<NaiveDate> = row.try_get("", "end_date")?;
        let member: Uuid = row.try_get("", "member_id")?;
        let earliest = first.entry(member).or_insert(start);
        *earliest = Ord::min(*earliest, start);
        let kind = text(&row, "kind")?;
        let started = Counter::in_month(PLACEMENTS, month_of_day(start), kind);
        change.replace(None, started.into_iter().chain(Counter::stay(start, end)));
    }
    for (member, start) in first {
        if let Some(joined) = joined.get(&member) {
            change.resample(None, Sample::first_placement(*joined, start));
        }
    }
    let columns = ["created_at", "status", "answered_at"];
    for row in all(db, "helpdesk_question", &columns, None).await? {
        let asked: DateTime<Utc> = row.try_get("", "created_at")?;
        let answered: Option<DateTime<Utc>> = row.try_get("", "answered_at")?;
        let status = text(&row, "status")?;
        change.replace(None, Counter::in_month(QUESTIONS, month_of(asked), status));
        let waited = answered.and_then(|at| Sample::waited(HOURS_TO_ANSWER, asked, at));
        change.resample(None, waited);
    }
    change.replace(
        None,
        [Counter::now(
            REVIEW_POLICY,
            approvals_to_publish.to_string(),
        )],
    );
    change.write(db).await
}

/// The review policy the kept review hours were counted under, if any.
pub async fn counted_policy(db: &impl ConnectionTrait) -> Result<Option<i32>, DbErr> {
    let rows = all(
        db,
        "stat_tally",
        &["category"],
        Some(Expr::col("tally").eq(REVIEW_POLICY)),
    )
    .await?;
    Ok(rows
        .first()
        .and_then(|row| text(row, "category").ok())
        .and_then(|n| n.parse().ok()))
}
