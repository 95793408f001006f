//! Groups, their memberships, meetings and who came to them.

use std::collections::{HashMap, HashSet};

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::entity::{community_group, group_meeting, group_membership, meeting_attendance};
use super::{Page, PageRequest, rows};
use crate::error::Result;

/// One page of groups, optionally of one kind and one sector (stored names).
pub async fn list(
    db: &impl ConnectionTrait,
    request: PageRequest,
    kind: Option<&str>,
    sector: Option<&str>,
) -> Result<Page<community_group::Model>> {
    let mut select = community_group::Entity::find();
    if let Some(kind) = kind {
        select = select.filter(community_group::Column::Kind.eq(kind));
    }
    if let Some(sector) = sector {
        select = select.filter(community_group::Column::Sector.eq(sector));
    }
    rows::page(db, select, community_group::Column::Id, request, |g| g.id).await
}

/// The groups with these ids, by id.
pub async fn by_ids(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, community_group::Model>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(community_group::Entity::find()
        .filter(community_group::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|group| (group.id, group))
        .collect())
}

/// How many rows of `E` name each of `ids` in `key`; an id without any is absent.
async fn counts_by<E: EntityTrait>(
    db: &impl ConnectionTrait,
    key: E::Column,
    counted: E::Column,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, i64>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(E::find()
        .select_only()
        .column(key)
        .column_as(Expr::col(counted).count(), "count")
        .filter(key.is_in(ids.iter().copied()))
        .group_by(key)
        .into_tuple::<(Uuid, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// How many members each of these groups has; a group without any is absent.
pub async fn member_counts(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<HashMap<Uuid, i64>> {
    counts_by::<group_membership::Entity>(
        db,
        group_membership::Column::GroupId,
        group_membership::Column::Id,
        ids,
    )
    .await
}

/// The member's membership of the group, if they are in it.
pub async fn membership(
    db: &impl ConnectionTrait,
    group_id: Uuid,
    member_id: Uuid,
) -> Result<Option<group_membership::Model>> {
    Ok(group_membership::Entity::find()
        .filter(group_membership::Column::GroupId.eq(group_id))
        .filter(group_membership::Column::MemberId.eq(member_id))
        .one(db)
        .await?)
}

/// Which of `member_ids` are in the group.
pub async fn members_among(
    db: &impl ConnectionTrait,
    group_id: Uuid,
    member_ids: &[Uuid],
) -> Result<HashSet<Uuid>> {
    Ok(group_membership::Entity::find()
        .select_only()
        .column(group_membership::Column::MemberId)
        .filter(group_membership::Column::GroupId.eq(group_id))
        .filter(group_membership::Column::MemberId.is_in(member_ids.iter().copied()))
        .into_tuple::<Uuid>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// Removes a membership; false when there was none.
pub async fn leave(db: &impl ConnectionTrait, group_id: Uuid, member_id: Uuid) -> Result<bool> {
    let result = group_membership::Entity::delete_many()
        .filter(group_membership::Column::GroupId.eq(group_id))
        .filter(group_membership::Column::MemberId.eq(member_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// One page of a group's members, in the order they joined.
pub async fn list_members(
    db: &impl ConnectionTrait,
    request: PageRequest,
    group_id: Uuid,
) -> Result<Page<group_membership::Model>> {
    let select =
        group_membership::Entity::find().filter(group_membership::Column::GroupId.eq(group_id));
    rows::page(db, select, group_membership::Column::Id, request, |m| m.id).await
}

/// One page of a member's memberships, in the order they joined.
pub async fn list_memberships_of(
    db: &impl ConnectionTrait,
    request: PageRequest,
    member_id: Uuid,
) -> Result<Page<group_membership::Model>> {
    let select =
        group_membership::Entity::find().filter(group_membership::Column::MemberId.eq(member_id));
    rows::page(db, select, group_membership::Column::Id, request, |m| m.id).await
}

/// One page of a group's meetings, in the order they were scheduled.
pub async fn list_meetings(
    db: &impl ConnectionTrait,
    request: PageRequest,
    group_id: Uuid,
) -> Result<Page<group_meeting::Model>> {
    let select = group_meeting::Entity::find().filter(group_meeting::Column::GroupId.eq(group_id));
    rows::page(db, select, group_meeting::Column::Id, request, |m| m.id).await
}

/// How many members came to each of these meetings; a meeting without any is
/// absent.
pub async fn attendee_counts(
    db: &impl ConnectionTrait,
    meeting_ids: &[Uuid],
) -> Result<HashMap<Uuid, i64>> {
    counts_by::<meeting_attendance::Entity>(
        db,
        meeting_attendance::Column::MeetingId,
        meeting_attendance::Column::Id,
        meeting_ids,
    )
    .await
}

/// Which of `member_ids` are recorded as having come to the meeting already.
pub async fn attended_among(
    db: &impl ConnectionTrait,
    meeting_id: Uuid,
    member_ids: &[Uuid],
) -> Result<HashSet<Uuid>> {
    Ok(meeting_attendance::Entity::find()
        .select_only()
        .column(meeting_attendance::Column::MemberId)
        .filter(meeting_attendance::Column::MeetingId.eq(meeting_id))
        .filter(meeting_attendance::Column::MemberId.is_in(member_ids.iter().copied()))
        .into_tuple::<Uuid>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// One page of the members who came to a meeting, in the order recorded.
pub async fn list_attendees(
    db: &impl ConnectionTrait,
    request: PageRequest,
    meeting_id: Uuid,
) -> Result<Page<meeting_attendance::Model>> {
    let select = meeting_attendance::Entity::find()
        .filter(meeting_attendance::Column::MeetingId.eq(meeting_id));
    rows::page(db, select, meeting_attendance::Column::Id, request, |a| {
        a.id
    })
    .await
}
