//! The region's kept statistics, changed in the transaction of every write that
//! changes a counted value (issue 18 point 3): one function per counted entity,
//! given the row as it was and as it is now (`None` for a row created or
//! removed). What a row counts as is defined in
//! [`passage_migrations::tallies`], with the migration that fills the counters
//! from existing rows; `GetRegionStats` reads them (`service::stats`), and
//! `tests/stats.rs` checks they equal a full recount after a random mix of writes.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use passage_migrations::tallies::{
    APPLICATIONS, BUDDY_PAIRS, COHORT_OUTCOMES, Change, Counter, HOURS_TO_ANSWER, MEMBERS_JOINED,
    PLACEMENTS, QUESTIONS, REVIEWS, Sample, month_of, month_of_day,
};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::entity::{
    application, buddy_pair, coaching_enrolment, helpdesk_question, member, opportunity,
    opportunity_review, opportunity_review_round, placement,
};
use crate::error::Result;

/// Members created, changed or removed, as (before, after) pairs: by role,
/// residence status and civic integration, by the month they joined, and the days
/// to their first placement (which counts only while they are a member here).
pub async fn members(
    db: &impl ConnectionTrait,
    changes: &[(Option<&member::Model>, Option<&member::Model>)],
) -> Result<()> {
    let mut change = Change::default();
    let mut joined_changed = Vec::new();
    for (old, new) in changes {
        change.replace(
            old.map(member_counters).into_iter().flatten(),
            new.map(member_counters).into_iter().flatten(),
        );
        let joined = |row: &Option<&member::Model>| row.map(|m| m.created_at);
        if joined(old) != joined(new) {
            joined_changed.push((
                old.map(|m| (m.id, m.created_at)),
                new.map(|m| (m.id, m.created_at)),
            ));
        }
    }
    let ids: Vec<Uuid> = joined_changed
        .iter()
        .flat_map(|(old, new)| old.iter().chain(new).map(|(id, _)| *id))
        .collect();
    if !ids.is_empty() {
        let first = first_starts(db, &ids).await?;
        let sample = |member: Option<(Uuid, DateTime<Utc>)>| {
            let (id, joined) = member?;
            Sample::first_placement(joined, *first.get(&id)?)
        };
        for (old, new) in joined_changed {
            change.resample(sample(old), sample(new));
        }
    }
    Ok(change.write(db).await?)
}

/// One member created, changed or removed (see [`members`]).
pub async fn member(
    db: &impl ConnectionTrait,
    old: Option<&member::Model>,
    new: Option<&member::Model>,
) -> Result<()> {
    members(db, &[(old, new)]).await
}

fn member_counters(row: &member::Model) -> impl Iterator<Item = Counter> {
    let record = Counter::member(&row.role, &row.residence_status, &row.civic_integration);
    let joined = Counter::in_month(MEMBERS_JOINED, month_of(row.created_at), "all");
    std::iter::once(record).chain(joined)
}

/// Opportunities created or changed, as (before, after): by kind and status.
pub async fn opportunities(
    db: &impl ConnectionTrait,
    changes: &[(Option<&opportunity::Model>, Option<&opportunity::Model>)],
) -> Result<()> {
    let mut change = Change::default();
    let counter = |row: &opportunity::Model| Counter::opportunity(&row.kind, &row.status);
    for (old, new) in changes {
        change.replace(old.map(counter), new.map(counter));
    }
    Ok(change.write(db).await?)
}

/// One opportunity created or changed (see [`opportunities`]).
pub async fn opportunity(
    db: &impl ConnectionTrait,
    old: Option<&opportunity::Model>,
    new: Option<&opportunity::Model>,
) -> Result<()> {
    opportunities(db, &[(old, new)]).await
}

/// A count of today's rows under one stored value, for the entities counted by
/// one column alone.
async fn by_value(
    db: &impl ConnectionTrait,
    tally: &'static str,
    old: Option<&str>,
    new: Option<&str>,
) -> Result<()> {
    let mut change = Change::default();
    change.replace(
        old.map(|value| Counter::now(tally, value)),
        new.map(|value| Counter::now(tally, value)),
    );
    Ok(change.write(db).await?)
}

/// Buddy pairs proposed, changed or removed, as (before, after): by status.
pub async fn buddy_pairs(
    db: &impl ConnectionTrait,
    changes: &[(Option<&buddy_pair::Model>, Option<&buddy_pair::Model>)],
) -> Result<()> {
    let mut change = Change::default();
    let counter = |row: &buddy_pair::Model| Counter::now(BUDDY_PAIRS, row.status.clone());
    for (old, new) in changes {
        change.replace(old.map(counter), new.map(counter));
    }
    Ok(change.write(db).await?)
}

/// An application made or moved through its stages: by stage.
pub async fn application(
    db: &impl ConnectionTrait,
    old: Option<&application::Model>,
    new: Option<&application::Model>,
) -> Result<()> {
    by_value(
        db,
        APPLICATIONS,
        old.map(|r| r.stage.as_str()),
        new.map(|r| r.stage.as_str()),
    )
    .await
}

/// A coaching participant enrolled, given an outcome or removed: by outcome.
pub async fn enrolment(
    db: &impl ConnectionTrait,
    old: Option<&coaching_enrolment::Model>,
    new: Option<&coaching_enrolment::Model>,
) -> Result<()> {
    by_value(
        db,
        COHORT_OUTCOMES,
        old.map(|r| r.outcome.as_str()),
        new.map(|r| r.outcome.as_str()),
    )
    .await
}

/// A helpdesk question asked, routed, answered or removed: by the month asked
/// and status, and the hours to its answer in the month answered.
pub async fn question(
    db: &impl ConnectionTrait,
    old: Option<&helpdesk_question::Model>,
    new: Option<&helpdesk_question::Model>,
) -> Result<()> {
    questions(db, [(old, new)]).await
}

/// [`question`] for many questions at once (each as it was and as it is now),
/// written as one change.
pub async fn questions<'a>(
    db: &impl ConnectionTrait,
    changed: impl IntoIterator<
        Item = (
            Option<&'a helpdesk_question::Model>,
            Option<&'a helpdesk_question::Model>,
        ),
    >,
) -> Result<()> {
    let counter = |row: &helpdesk_question::Model| {
        Counter::in_month(QUESTIONS, month_of(row.created_at), row.status.clone())
    };
    let waited = |row: &helpdesk_question::Model| {
        row.answered_at
            .and_then(|at| Sample::waited(HOURS_TO_ANSWER, row.created_at, at))
    };
    let mut change = Change::default();
    for (old, new) in changed {
        change.replace(old.and_then(counter), new.and_then(counter));
        change.resample(old.and_then(waited), new.and_then(waited));
    }
    Ok(change.write(db).await?)
}

/// A review given (or changed): by the month given and verdict, and the hours
/// to publication of its opportunity, which an approval may set.
/// `approvals_to_publish` is the region's review policy.
pub async fn review(
    db: &impl ConnectionTrait,
    approvals_to_publish: i32,
    old: Option<&opportunity_review::Model>,
    new: Option<&opportunity_review::Model>,
) -> Result<()> {
    let counter = |row: &opportunity_review::Model| {
        Counter::in_month(REVIEWS, month_of(row.created_at), row.verdict.clone())
    };
    let mut change = Change::default();
    change.replace(old.and_then(counter), new.and_then(counter));
    let opportunities: Vec<Uuid> = old.iter().chain(&new).map(|r| r.opportunity_id).collect();
    let mut seen = Vec::new();
    for opportunity_id in opportunities {
        if seen.contains(&opportunity_id) {
            continue;
        }
        seen.push(opportunity_id);
        let except: Vec<Uuid> = old.iter().chain(&new).map(|r| r.id).collect();
        let (round, others) = review_facts(db, opportunity_id, &except).await?;
        let with = |row: Option<&opportunity_review::Model>| {
            let mut approvals = others.clone();
            approvals.extend(
                row.filter(|r| r.opportunity_id == opportunity_id && r.verdict == "approve")
                    .map(|r| (r.round, r.created_at)),
            );
            Sample::review(round, &approvals, approvals_to_publish)
        };
        change.resample(with(old), with(new));
    }
    Ok(change.write(db).await?)
}

/// An opportunity's review round started again (submitted for review): the hours
/// to its publication are counted from the new submission, in its new round.
pub async fn review_round(
    db: &impl ConnectionTrait,
    approvals_to_publish: i32,
    opportunity_id: Uuid,
    old: Option<(i32, DateTime<Utc>)>,
    new: Option<(i32, DateTime<Utc>)>,
) -> Result<()> {
    let (_, approvals) = review_facts(db, opportunity_id, &[]).await?;
    let mut change = Change::default();
    change.resample(
        Sample::review(old, &approvals, approvals_to_publish),
        Sample::review(new, &approvals, approvals_to_publish),
    );
    Ok(change.write(db).await?)
}

/// An opportunity's current round and the approvals it holds, leaving out the
/// reviews `except`.
async fn review_facts(
    db: &impl ConnectionTrait,
    opportunity_id: Uuid,
    except: &[Uuid],
) -> Result<(Option<(i32, DateTime<Utc>)>, Vec<(i32, DateTime<Utc>)>)> {
    let round = opportunity_review_round::Entity::find_by_id(opportunity_id)
        .one(db)
        .await?
        .map(|row| (row.round, row.submitted_at));
    let approvals = opportunity_review::Entity::find()
        .select_only()
        .column(opportunity_review::Column::Round)
        .column(opportunity_review::Column::CreatedAt)
        .filter(opportunity_review::Column::OpportunityId.eq(opportunity_id))
        .filter(opportunity_review::Column::Verdict.eq("approve"))
        .filter(opportunity_review::Column::Id.is_not_in(except.iter().copied()))
        .into_tuple::<(i32, DateTime<Utc>)>()
        .all(db)
        .await?;
    Ok((round, approvals))
}

/// A placement started, changed (its end, or the member it names) or removed:
/// by the month it started and kind, by its start day and the retention marks it
/// reached, and the days from its member's joining to her first placement.
pub async fn placement(
    db: &impl ConnectionTrait,
    old: Option<&placement::Model>,
    new: Option<&placement::Model>,
) -> Result<()> {
    let counters = |row: &placement::Model| {
        let started = Counter::in_month(PLACEMENTS, month_of_day(row.start_date), row.kind.clone());
        started
            .into_iter()
            .chain(Counter::stay(row.start_date, row.end_date))
    };
    let mut change = Change::default();
    change.replace(
        old.map(counters).into_iter().flatten(),
        new.map(counters).into_iter().flatten(),
    );
    let except: Vec<Uuid> = old.iter().chain(&new).map(|r| r.id).collect();
    let mut seen = Vec::new();
    for member_id in old.iter().chain(&new).map(|r| r.member_id) {
        if seen.contains(&member_id) {
            continue;
        }
        seen.push(member_id);
        let Some(joined) = member::Entity::find_by_id(member_id)
            .select_only()
            .column(member::Column::CreatedAt)
            .into_tuple::<DateTime<Utc>>()
            .one(db)
            .await?
        else {
            continue;
        };
        let others: Option<NaiveDate> = placement::Entity::find()
            .select_only()
            .column_as(
                ExprTrait::min(Expr::col(placement::Column::StartDate)),
                "first",
            )
            .filter(placement::Column::MemberId.eq(member_id))
            .filter(placement::Column::Id.is_not_in(except.iter().copied()))
            .into_tuple::<Option<NaiveDate>>()
            .one(db)
            .await?
            .flatten();
        let first = |row: Option<&placement::Model>| {
            let own = row
                .filter(|r| r.member_id == member_id)
                .map(|r| r.start_date);
            let first = match (others, own) {
                (Some(a), Some(b)) => Some(Ord::min(a, b)),
                (a, b) => a.or(b),
            };
            Sample::first_placement(joined, first?)
        };
        change.resample(first(old), first(new));
    }
    Ok(change.write(db).await?)
}

/// Each of `members`' first placement start, for those with any.
async fn first_starts(
    db: &impl ConnectionTrait,
    members: &[Uuid],
) -> Result<BTreeMap<Uuid, NaiveDate>> {
    let mut first = BTreeMap::new();
    for chunk in members.chunks(500) {
        let rows = placement::Entity::find()
            .select_only()
            .column(placement::Column::MemberId)
            .column_as(
                ExprTrait::min(Expr::col(placement::Column::StartDate)),
                "first",
            )
            .filter(placement::Column::MemberId.is_in(chunk.iter().copied()))
            .group_by(placement::Column::MemberId)
            .into_tuple::<(Uuid, NaiveDate)>()
            .all(db)
            .await?;
        first.extend(rows);
    }
    Ok(first)
}
