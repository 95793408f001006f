//! Queries on members beyond find/update.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::entity::member;
use super::{Page, PageRequest, rows};
use crate::error::{Error, Result};

/// One page of members, optionally of one role.
pub async fn list(
    db: &impl ConnectionTrait,
    request: PageRequest,
    role: Option<&str>,
) -> Result<Page<member::Model>> {
    let mut select = member::Entity::find();
    if let Some(role) = role {
        select = select.filter(member::Column::Role.eq(role));
    }
    rows::page(db, select, member::Column::Id, request, |m| m.id).await
}

/// Removes a member and their search index entries; `NotFound` when there is
/// none with this id.
pub async fn delete(db: &impl ConnectionTrait, id: Uuid) -> Result<()> {
    super::search_index::remove(db, super::search_index::Indexed::Members, &[id]).await?;
    let Some(row) = member::Entity::find_by_id(id).one(db).await? else {
        return Err(Error::not_found("member", id));
    };
    member::Entity::delete_by_id(id).exec(db).await?;
    super::tally::member(db, Some(&row), None).await
}

/// What a member leaves behind in the region's roles when they are deleted or move
/// away, undone in the same transaction: they answer no more helpdesk questions
/// (their open ones are routed again) and leave the expert pool.
pub async fn member_leaves(db: &impl ConnectionTrait, id: Uuid) -> Result<()> {
    super::helpdesk::withdraw_answerer(db, id).await?;
    if let Some(expert) = super::casework::expert_of(db, id).await? {
        super::casework::remove_expert(db, expert.id).await?;
    }
    Ok(())
}
