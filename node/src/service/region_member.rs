//! The check that a member named in a region-local record (a participant, an
//! expert, a case's subject) is a member of this region.

use sea_orm::{ConnectionTrait, EntityTrait};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::federation::{moves, replica};
use crate::store::entity::member;

/// The member `id` as this region holds them: `NotFound` when no one has this id
/// here, `FailedPrecondition` naming `field` and where they are when they moved
/// away or belong to another region (`what` says what only members of the region
/// may do).
pub async fn member_here(
    db: &impl ConnectionTrait,
    region: &str,
    field: &str,
    id: Uuid,
    what: &str,
) -> Result<member::Model> {
    if let Some(row) = member::Entity::find_by_id(id).one(db).await? {
        return Ok(row);
    }
    if let Some(to) = moves::moved_to(db, id).await? {
        return Err(Error::FailedPrecondition(format!(
            "{field}: member {id} moved to {to}; only members of {region} {what}"
        )));
    }
    if let Some(home) = replica::home_region(db, id).await? {
        return Err(Error::FailedPrecondition(format!(
            "{field}: member {id} belongs to region {home}; only members of {region} {what}"
        )));
    }
    Err(Error::not_found("member", id))
}

/// What a member leaves behind in the region's roles when they are deleted or move
/// away, undone in the same transaction: they answer no more helpdesk questions
/// (their open ones are routed again) and leave the expert pool.
pub async fn member_leaves(db: &impl ConnectionTrait, id: Uuid) -> Result<()> {
    super::helpdesk::withdraw_answerer(db, id).await?;
    if let Some(expert) = crate::store::casework::expert_of(db, id).await? {
        crate::store::casework::remove_expert(db, expert.id).await?;
    }
    Ok(())
}
