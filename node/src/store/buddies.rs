//! Buddy pairs, and the members a proposal reads.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::entity::{buddy_pair, member};
use super::{Page, PageRequest, rows};
use crate::error::Result;

/// Statuses of a pair that hold a place: the newcomer has a buddy (to be), and the
/// local has one place less.
pub const HOLDING: [&str; 2] = ["proposed", "active"];

/// One page of pairs, optionally with one status and with one member on either side.
pub async fn list(
    db: &impl ConnectionTrait,
    request: PageRequest,
    status: Option<&str>,
    member_id: Option<Uuid>,
) -> Result<Page<buddy_pair::Model>> {
    let mut select = buddy_pair::Entity::find();
    if let Some(status) = status {
        select = select.filter(buddy_pair::Column::Status.eq(status));
    }
    if let Some(id) = member_id {
        select = select.filter(
            Condition::any()
                .add(buddy_pair::Column::NewcomerMemberId.eq(id))
                .add(buddy_pair::Column::LocalMemberId.eq(id)),
        );
    }
    rows::page(db, select, buddy_pair::Column::Id, request, |p| p.id).await
}

/// Newcomers read at once by [`newcomers_without_buddy`].
pub const NEWCOMERS_PAGE: u64 = 500;

/// A local offering buddy places, and how many places their pairs hold.
struct LocalWithLoad {
    member: member::Model,
    holding: i64,
}

impl sea_orm::FromQueryResult for LocalWithLoad {
    fn from_query_result(
        row: &sea_orm::QueryResult,
        pre: &str,
    ) -> std::result::Result<Self, sea_orm::DbErr> {
        Ok(LocalWithLoad {
            member: member::Model::from_query_result(row, pre)?,
            holding: row.try_get(pre, "holding")?,
        })
    }
}

/// The locals and volunteer coaches with a buddy place left (more capacity than
/// pairs holding one), those with the fewest buddies first, then by id: at most
/// `limit`, each with how many places they hold, in one query.
pub async fn locals_with_room(
    db: &impl ConnectionTrait,
    limit: u64,
) -> Result<Vec<(member::Model, u32)>> {
    use sea_orm::sea_query::{Order, SubQueryStatement};
    let holding: Expr = SubQueryStatement::from(
        Query::select()
            .expr(Expr::col((buddy_pair::Entity, buddy_pair::Column::Id)).count())
            .from(buddy_pair::Entity)
            .and_where(
                Expr::col((buddy_pair::Entity, buddy_pair::Column::LocalMemberId))
                    .equals((member::Entity, member::Column::Id)),
            )
            .and_where(Expr::col((buddy_pair::Entity, buddy_pair::Column::Status)).is_in(HOLDING))
            .to_owned(),
    )
    .into();
    let locals = member::Entity::find()
        .column_as(holding.clone(), "holding")
        .filter(member::Column::Role.is_in(["local", "volunteer_coach"]))
        .filter(member::Column::BuddyCapacity.gt(0))
        .filter(Expr::col((member::Entity, member::Column::BuddyCapacity)).gt(holding.clone()))
        .order_by(holding, Order::Asc)
        .order_by_asc(member::Column::Id)
        .limit(limit)
        .into_model::<LocalWithLoad>()
        .all(db)
        .await?;
    Ok(locals
        .into_iter()
        .map(|local| {
            (
                local.member,
                u32::try_from(local.holding).unwrap_or(u32::MAX),
            )
        })
        .collect())
}

/// The next [`NEWCOMERS_PAGE`] newcomers (after `after`, by id) without a pair
/// holding a place.
pub async fn newcomers_without_buddy(
    db: &impl ConnectionTrait,
    after: Option<Uuid>,
) -> Result<Vec<member::Model>> {
    let holding = Query::select()
        .expr(Expr::val(1))
        .from(buddy_pair::Entity)
        .and_where(
            Expr::col((buddy_pair::Entity, buddy_pair::Column::NewcomerMemberId))
                .equals((member::Entity, member::Column::Id)),
        )
        .and_where(Expr::col((buddy_pair::Entity, buddy_pair::Column::Status)).is_in(HOLDING))
        .to_owned();
    let mut select = member::Entity::find()
        .filter(member::Column::Role.eq("newcomer"))
        .filter(Expr::exists(holding).not());
    if let Some(after) = after {
        select = select.filter(member::Column::Id.gt(after));
    }
    Ok(select
        .order_by_asc(member::Column::Id)
        .limit(NEWCOMERS_PAGE)
        .all(db)
        .await?)
}

/// (newcomer, local) of every pair ever made with one of `newcomers`.
pub async fn paired_before(
    db: &impl ConnectionTrait,
    newcomers: &[Uuid],
) -> Result<HashSet<(Uuid, Uuid)>> {
    let rows: Vec<(Uuid, Uuid)> = buddy_pair::Entity::find()
        .select_only()
        .column(buddy_pair::Column::NewcomerMemberId)
        .column(buddy_pair::Column::LocalMemberId)
        .filter(buddy_pair::Column::NewcomerMemberId.is_in(newcomers.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// The display names of the members of `pairs` (both sides), by id; a member this
/// region no longer holds is missing.
pub async fn names_of(
    db: &impl ConnectionTrait,
    pairs: &[buddy_pair::Model],
) -> Result<HashMap<Uuid, String>> {
    let ids: Vec<Uuid> = pairs
        .iter()
        .flat_map(|p| [p.newcomer_member_id, p.local_member_id])
        .collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(member::Entity::find()
        .filter(member::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m.display_name))
        .collect())
}

/// Writes new pairs.
pub async fn insert_all(db: &impl ConnectionTrait, pairs: Vec<buddy_pair::Model>) -> Result<()> {
    if pairs.is_empty() {
        return Ok(());
    }
    let tallied: Vec<_> = pairs.iter().map(|pair| (None, Some(pair))).collect();
    super::tally::buddy_pairs(db, &tallied).await?;
    buddy_pair::Entity::insert_many(
        pairs
            .into_iter()
            .map(|pair| pair.into_active_model().reset_all()),
    )
    .exec(db)
    .await?;
    Ok(())
}

/// Moves a pair to `status` (and sets its end reason, when given).
pub async fn set_status(
    db: &impl ConnectionTrait,
    row: buddy_pair::Model,
    status: &str,
    end_reason: Option<String>,
    now: DateTime<Utc>,
) -> Result<buddy_pair::Model> {
    let was = row.clone();
    let mut active = row.into_active_model();
    active.status = Set(status.to_owned());
    if let Some(reason) = end_reason {
        active.end_reason = Set(reason);
    }
    active.updated_at = Set(now);
    let saved = active.update(db).await?;
    super::tally::buddy_pairs(db, &[(Some(&was), Some(&saved))]).await?;
    Ok(saved)
}
