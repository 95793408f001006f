//! Buddy pairs, and the members a proposal reads.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder,
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

/// Every pair ever made in this region, oldest first.
pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<buddy_pair::Model>> {
    Ok(buddy_pair::Entity::find()
        .order_by_asc(buddy_pair::Column::Id)
        .all(db)
        .await?)
}

/// This region's members with one of `roles` (stored names), by id.
pub async fn members_with_roles(
    db: &impl ConnectionTrait,
    roles: &[&str],
) -> Result<Vec<member::Model>> {
    Ok(member::Entity::find()
        .filter(member::Column::Role.is_in(roles.iter().copied()))
        .order_by_asc(member::Column::Id)
        .all(db)
        .await?)
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
