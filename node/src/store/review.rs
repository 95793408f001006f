//! Community review: the round each opportunity is in, and the reviews of it.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Expr, Query, SelectStatement};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter,
};
use uuid::Uuid;

use super::entity::{opportunity, opportunity_review, opportunity_review_round};
use super::{Page, PageRequest, rows};
use crate::error::Result;

/// The opportunity's current review round; 0 when it was never submitted.
pub async fn current_round(db: &impl ConnectionTrait, opportunity_id: Uuid) -> Result<i32> {
    Ok(opportunity_review_round::Entity::find_by_id(opportunity_id)
        .one(db)
        .await?
        .map_or(0, |row| row.round))
}

/// Starts the opportunity's next review round and returns its number (1 for the
/// first submission). `approvals_to_publish` is the review policy's, for the
/// kept review hours.
pub async fn start_round(
    db: &impl ConnectionTrait,
    opportunity_id: Uuid,
    now: DateTime<Utc>,
    approvals_to_publish: i32,
) -> Result<i32> {
    let existing = opportunity_review_round::Entity::find_by_id(opportunity_id)
        .one(db)
        .await?;
    let was = existing.as_ref().map(|row| (row.round, row.submitted_at));
    let round = match existing {
        Some(row) => {
            let round = row.round + 1;
            let mut active = row.into_active_model();
            active.round = Set(round);
            active.submitted_at = Set(now);
            active.update(db).await?;
            round
        }
        None => {
            opportunity_review_round::ActiveModel {
                opportunity_id: Set(opportunity_id),
                round: Set(1),
                submitted_at: Set(now),
            }
            .insert(db)
            .await?;
            1
        }
    };
    let is = Some((round, now));
    super::tally::review_round(db, approvals_to_publish, opportunity_id, was, is).await?;
    Ok(round)
}

/// Sets an opportunity's status (and update time), and nothing else.
pub async fn set_status(
    db: &impl ConnectionTrait,
    row: opportunity::Model,
    status: &str,
    now: DateTime<Utc>,
) -> Result<opportunity::Model> {
    let was = row.clone();
    let mut active = row.into_active_model();
    active.status = Set(status.to_owned());
    active.updated_at = Set(now);
    let saved = active.update(db).await?;
    super::tally::opportunity(db, Some(&was), Some(&saved)).await?;
    Ok(saved)
}

/// The review `reviewer` gave the opportunity in `round`, if any.
pub async fn find_review(
    db: &impl ConnectionTrait,
    opportunity_id: Uuid,
    round: i32,
    reviewer: Uuid,
) -> Result<Option<opportunity_review::Model>> {
    Ok(opportunity_review::Entity::find()
        .filter(opportunity_review::Column::OpportunityId.eq(opportunity_id))
        .filter(opportunity_review::Column::Round.eq(round))
        .filter(opportunity_review::Column::ReviewerMemberId.eq(reviewer))
        .one(db)
        .await?)
}

/// How many reviews of the opportunity in `round` gave `verdict` (stored name).
pub async fn count_verdicts(
    db: &impl ConnectionTrait,
    opportunity_id: Uuid,
    round: i32,
    verdict: &str,
) -> Result<u64> {
    Ok(opportunity_review::Entity::find()
        .filter(opportunity_review::Column::OpportunityId.eq(opportunity_id))
        .filter(opportunity_review::Column::Round.eq(round))
        .filter(opportunity_review::Column::Verdict.eq(verdict))
        .count(db)
        .await?)
}

/// One page of the opportunity's reviews, oldest first, optionally of one round.
pub async fn list(
    db: &impl ConnectionTrait,
    request: PageRequest,
    opportunity_id: Uuid,
    round: Option<i32>,
) -> Result<Page<opportunity_review::Model>> {
    let mut select = opportunity_review::Entity::find()
        .filter(opportunity_review::Column::OpportunityId.eq(opportunity_id));
    if let Some(round) = round {
        select = select.filter(opportunity_review::Column::Round.eq(round));
    }
    rows::page(db, select, opportunity_review::Column::Id, request, |r| {
        r.id
    })
    .await
}

/// The opportunities `reviewer` reviewed in the round each is in now, as a
/// subquery: the queue leaves them out in the database, however many reviews she
/// has given over the years.
fn reviewed_this_round(reviewer: Uuid) -> SelectStatement {
    use opportunity_review::Column as Review;
    use opportunity_review_round::Column as Round;
    use sea_orm::sea_query::ExprTrait;
    Query::select()
        .column((opportunity_review::Entity, Review::OpportunityId))
        .from(opportunity_review::Entity)
        .inner_join(
            opportunity_review_round::Entity,
            Condition::all()
                .add(
                    Expr::col((opportunity_review_round::Entity, Round::OpportunityId))
                        .equals((opportunity_review::Entity, Review::OpportunityId)),
                )
                .add(
                    Expr::col((opportunity_review_round::Entity, Round::Round))
                        .equals((opportunity_review::Entity, Review::Round)),
                ),
        )
        .and_where(Expr::col((opportunity_review::Entity, Review::ReviewerMemberId)).eq(reviewer))
        .to_owned()
}

/// One page of `reviewer`'s queue: the opportunities in review that they have not
/// reviewed in the current round, oldest first, each with its round.
pub async fn queue(
    db: &impl ConnectionTrait,
    request: PageRequest,
    reviewer: Uuid,
) -> Result<Page<(opportunity::Model, i32)>> {
    let select = opportunity::Entity::find()
        .filter(opportunity::Column::Status.eq("in_review"))
        .filter(opportunity::Column::Id.not_in_subquery(reviewed_this_round(reviewer)));
    let page = rows::page(db, select, opportunity::Column::Id, request, |o| o.id).await?;
    let mut items = Vec::with_capacity(page.items.len());
    for row in page.items {
        // An opportunity put in review before community review existed is in its
        // first round.
        let round = current_round(db, row.id).await?.max(1);
        items.push((row, round));
    }
    Ok(Page {
        items,
        next_after: page.next_after,
    })
}
