//! Coaching programmes: cohorts, enrolments, sessions and attendance.

use std::collections::HashMap;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::entity::{
    coaching_attendance, coaching_cohort, coaching_enrolment, coaching_programme, coaching_session,
};
use super::{Page, PageRequest, rows};
use crate::error::Result;

/// One page of the region's programmes, oldest first.
pub async fn list_programmes(
    db: &impl ConnectionTrait,
    request: PageRequest,
) -> Result<Page<coaching_programme::Model>> {
    let select = coaching_programme::Entity::find();
    rows::page(db, select, coaching_programme::Column::Id, request, |p| {
        p.id
    })
    .await
}

/// One page of cohorts, oldest first, of one programme when given.
pub async fn list_cohorts(
    db: &impl ConnectionTrait,
    request: PageRequest,
    programme_id: Option<Uuid>,
) -> Result<Page<coaching_cohort::Model>> {
    let mut select = coaching_cohort::Entity::find();
    if let Some(programme_id) = programme_id {
        select = select.filter(coaching_cohort::Column::ProgrammeId.eq(programme_id));
    }
    rows::page(db, select, coaching_cohort::Column::Id, request, |c| c.id).await
}

/// The programme's cohort of `year`, if there is one.
pub async fn cohort_of_year(
    db: &impl ConnectionTrait,
    programme_id: Uuid,
    year: i32,
) -> Result<Option<coaching_cohort::Model>> {
    Ok(coaching_cohort::Entity::find()
        .filter(coaching_cohort::Column::ProgrammeId.eq(programme_id))
        .filter(coaching_cohort::Column::Year.eq(year))
        .one(db)
        .await?)
}

/// How many participants the cohort has.
pub async fn enrolled(db: &impl ConnectionTrait, cohort_id: Uuid) -> Result<u64> {
    Ok(coaching_enrolment::Entity::find()
        .filter(coaching_enrolment::Column::CohortId.eq(cohort_id))
        .count(db)
        .await?)
}

/// The member's enrolment in the cohort, if any.
pub async fn enrolment(
    db: &impl ConnectionTrait,
    cohort_id: Uuid,
    member_id: Uuid,
) -> Result<Option<coaching_enrolment::Model>> {
    Ok(coaching_enrolment::Entity::find()
        .filter(coaching_enrolment::Column::CohortId.eq(cohort_id))
        .filter(coaching_enrolment::Column::MemberId.eq(member_id))
        .one(db)
        .await?)
}

/// Which of `member_ids` are participants of the cohort.
pub async fn participants_among(
    db: &impl ConnectionTrait,
    cohort_id: Uuid,
    member_ids: &[Uuid],
) -> Result<Vec<Uuid>> {
    Ok(coaching_enrolment::Entity::find()
        .filter(coaching_enrolment::Column::CohortId.eq(cohort_id))
        .filter(coaching_enrolment::Column::MemberId.is_in(member_ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|e| e.member_id)
        .collect())
}

/// One page of the cohort's enrolments, in enrolment order.
pub async fn list_enrolments(
    db: &impl ConnectionTrait,
    request: PageRequest,
    cohort_id: Uuid,
) -> Result<Page<coaching_enrolment::Model>> {
    let select = coaching_enrolment::Entity::find()
        .filter(coaching_enrolment::Column::CohortId.eq(cohort_id));
    rows::page(db, select, coaching_enrolment::Column::Id, request, |e| {
        e.id
    })
    .await
}

/// Every enrolment of the cohort, in enrolment order.
pub async fn all_enrolments(
    db: &impl ConnectionTrait,
    cohort_id: Uuid,
) -> Result<Vec<coaching_enrolment::Model>> {
    Ok(coaching_enrolment::Entity::find()
        .filter(coaching_enrolment::Column::CohortId.eq(cohort_id))
        .order_by_asc(coaching_enrolment::Column::Id)
        .all(db)
        .await?)
}

/// One page of the cohort's sessions in the order they were scheduled, of one
/// component (stored name) when given.
pub async fn list_sessions(
    db: &impl ConnectionTrait,
    request: PageRequest,
    cohort_id: Uuid,
    component: Option<&str>,
) -> Result<Page<coaching_session::Model>> {
    let mut select =
        coaching_session::Entity::find().filter(coaching_session::Column::CohortId.eq(cohort_id));
    if let Some(component) = component {
        select = select.filter(coaching_session::Column::Component.eq(component));
    }
    rows::page(db, select, coaching_session::Column::Id, request, |s| s.id).await
}

/// How many sessions the cohort has of each component (stored names).
pub async fn session_counts(
    db: &impl ConnectionTrait,
    cohort_id: Uuid,
) -> Result<HashMap<String, i32>> {
    let mut counts = HashMap::new();
    for session in coaching_session::Entity::find()
        .filter(coaching_session::Column::CohortId.eq(cohort_id))
        .all(db)
        .await?
    {
        *counts.entry(session.component).or_insert(0) += 1;
    }
    Ok(counts)
}

/// Who attended each of `session_ids`, by session.
pub async fn attendees(
    db: &impl ConnectionTrait,
    session_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<Uuid>>> {
    let mut by_session: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    if session_ids.is_empty() {
        return Ok(by_session);
    }
    for row in coaching_attendance::Entity::find()
        .filter(coaching_attendance::Column::SessionId.is_in(session_ids.iter().copied()))
        .order_by_asc(coaching_attendance::Column::MemberId)
        .all(db)
        .await?
    {
        by_session
            .entry(row.session_id)
            .or_default()
            .push(row.member_id);
    }
    Ok(by_session)
}

/// Replaces the session's attendance with `members`.
pub async fn set_attendance(
    db: &impl ConnectionTrait,
    session: &coaching_session::Model,
    members: &[Uuid],
) -> Result<()> {
    coaching_attendance::Entity::delete_many()
        .filter(coaching_attendance::Column::SessionId.eq(session.id))
        .exec(db)
        .await?;
    if members.is_empty() {
        return Ok(());
    }
    coaching_attendance::Entity::insert_many(members.iter().map(|member_id| {
        coaching_attendance::Model {
            session_id: session.id,
            member_id: *member_id,
            cohort_id: session.cohort_id,
            component: session.component.clone(),
        }
        .into_active_model()
        .reset_all()
    }))
    .exec(db)
    .await?;
    Ok(())
}

/// Sessions of the cohort each of `member_ids` attended, per component (stored
/// name).
pub async fn attended(
    db: &impl ConnectionTrait,
    cohort_id: Uuid,
    member_ids: &[Uuid],
) -> Result<HashMap<(Uuid, String), i32>> {
    let mut counts = HashMap::new();
    if member_ids.is_empty() {
        return Ok(counts);
    }
    for row in coaching_attendance::Entity::find()
        .filter(coaching_attendance::Column::CohortId.eq(cohort_id))
        .filter(coaching_attendance::Column::MemberId.is_in(member_ids.iter().copied()))
        .all(db)
        .await?
    {
        *counts.entry((row.member_id, row.component)).or_insert(0) += 1;
    }
    Ok(counts)
}
