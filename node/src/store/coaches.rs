//! A cohort's coaches and its aftercare contacts.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::entity::{aftercare_contact, cohort_coach};
use super::{Page, PageRequest, rows};
use crate::error::Result;

/// The coach row of `member` for `cohort`, if assigned.
pub async fn assignment(
    db: &impl ConnectionTrait,
    cohort: Uuid,
    member: Uuid,
) -> Result<Option<cohort_coach::Model>> {
    Ok(cohort_coach::Entity::find_by_id((cohort, member))
        .one(db)
        .await?)
}

/// The cohort's coaches, in the order they were assigned.
pub async fn coaches(db: &impl ConnectionTrait, cohort: Uuid) -> Result<Vec<cohort_coach::Model>> {
    Ok(cohort_coach::Entity::find()
        .filter(cohort_coach::Column::CohortId.eq(cohort))
        .order_by_asc(cohort_coach::Column::AssignedAt)
        .order_by_asc(cohort_coach::Column::CoachMemberId)
        .all(db)
        .await?)
}

/// One page of the cohort's aftercare contacts, oldest first, of one participant
/// when set.
pub async fn contacts(
    db: &impl ConnectionTrait,
    request: PageRequest,
    cohort: Uuid,
    participant: Option<Uuid>,
) -> Result<Page<aftercare_contact::Model>> {
    let mut select =
        aftercare_contact::Entity::find().filter(aftercare_contact::Column::CohortId.eq(cohort));
    if let Some(participant) = participant {
        select = select.filter(aftercare_contact::Column::ParticipantMemberId.eq(participant));
    }
    rows::page(db, select, aftercare_contact::Column::Id, request, |c| c.id).await
}
