//! Events, what organisations present at fairs, and registrations with their
//! waiting list (creation order is waiting-list order).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::entity::{community_event, event_registration, fair_presentation};
use super::{Page, PageRequest, rows};
use crate::error::Result;

/// Statuses of a registration that hold a seat.
pub const HOLDING_SEAT: [&str; 3] = ["registered", "attended", "no_show"];

/// One page of events, optionally of one kind (stored name), optionally only those
/// ending after `ending_after`.
pub async fn list(
    db: &impl ConnectionTrait,
    request: PageRequest,
    kind: Option<&str>,
    ending_after: Option<DateTime<Utc>>,
) -> Result<Page<community_event::Model>> {
    let mut select = community_event::Entity::find();
    if let Some(kind) = kind {
        select = select.filter(community_event::Column::Kind.eq(kind));
    }
    if let Some(after) = ending_after {
        select = select.filter(community_event::Column::EndsAt.gt(after));
    }
    rows::page(db, select, community_event::Column::Id, request, |e| e.id).await
}

/// Seats taken and places on the waiting list, per event.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counts {
    pub seats_taken: i64,
    pub waitlisted: i64,
}

/// The counts of each of these events; an event without registrations is absent.
pub async fn counts(
    db: &impl ConnectionTrait,
    event_ids: &[Uuid],
) -> Result<HashMap<Uuid, Counts>> {
    if event_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = event_registration::Entity::find()
        .select_only()
        .column(event_registration::Column::EventId)
        .column(event_registration::Column::Status)
        .column_as(Expr::col(event_registration::Column::Id).count(), "count")
        .filter(event_registration::Column::EventId.is_in(event_ids.iter().copied()))
        .group_by(event_registration::Column::EventId)
        .group_by(event_registration::Column::Status)
        .into_tuple::<(Uuid, String, i64)>()
        .all(db)
        .await?;
    let mut counts: HashMap<Uuid, Counts> = HashMap::new();
    for (event_id, status, count) in rows {
        let entry = counts.entry(event_id).or_default();
        if HOLDING_SEAT.contains(&status.as_str()) {
            entry.seats_taken += count;
        } else if status == "waitlisted" {
            entry.waitlisted += count;
        }
    }
    Ok(counts)
}

/// The member's registration for the event that is not cancelled, if any.
pub async fn current_registration(
    db: &impl ConnectionTrait,
    event_id: Uuid,
    member_id: Uuid,
) -> Result<Option<event_registration::Model>> {
    Ok(event_registration::Entity::find()
        .filter(event_registration::Column::EventId.eq(event_id))
        .filter(event_registration::Column::MemberId.eq(member_id))
        .filter(event_registration::Column::Status.ne("cancelled"))
        .order_by_desc(event_registration::Column::Id)
        .one(db)
        .await?)
}

/// How many registrations of the event hold a seat.
pub async fn seats_taken(db: &impl ConnectionTrait, event_id: Uuid) -> Result<u64> {
    Ok(event_registration::Entity::find()
        .filter(event_registration::Column::EventId.eq(event_id))
        .filter(event_registration::Column::Status.is_in(HOLDING_SEAT))
        .count(db)
        .await?)
}

/// The first on the event's waiting list, if anyone waits.
pub async fn first_waitlisted(
    db: &impl ConnectionTrait,
    event_id: Uuid,
) -> Result<Option<event_registration::Model>> {
    Ok(event_registration::Entity::find()
        .filter(event_registration::Column::EventId.eq(event_id))
        .filter(event_registration::Column::Status.eq("waitlisted"))
        .order_by_asc(event_registration::Column::Id)
        .one(db)
        .await?)
}

/// The place of a waitlisted registration on its event's waiting list, from 1.
pub async fn waitlist_position(
    db: &impl ConnectionTrait,
    registration: &event_registration::Model,
) -> Result<u64> {
    let ahead = event_registration::Entity::find()
        .filter(event_registration::Column::EventId.eq(registration.event_id))
        .filter(event_registration::Column::Status.eq("waitlisted"))
        .filter(event_registration::Column::Id.lt(registration.id))
        .count(db)
        .await?;
    Ok(ahead + 1)
}

/// Moves a registration to `status`.
pub async fn set_status(
    db: &impl ConnectionTrait,
    row: event_registration::Model,
    status: &str,
    now: DateTime<Utc>,
) -> Result<event_registration::Model> {
    let mut active = row.into_active_model();
    active.status = Set(status.to_owned());
    active.updated_at = Set(now);
    Ok(active.update(db).await?)
}

/// One page of registrations in the order they were made: of one event, of one
/// member, or both; optionally with one status (stored name).
pub async fn list_registrations(
    db: &impl ConnectionTrait,
    request: PageRequest,
    event_id: Option<Uuid>,
    member_id: Option<Uuid>,
    status: Option<&str>,
) -> Result<Page<event_registration::Model>> {
    let mut select = event_registration::Entity::find();
    if let Some(event_id) = event_id {
        select = select.filter(event_registration::Column::EventId.eq(event_id));
    }
    if let Some(member_id) = member_id {
        select = select.filter(event_registration::Column::MemberId.eq(member_id));
    }
    if let Some(status) = status {
        select = select.filter(event_registration::Column::Status.eq(status));
    }
    rows::page(db, select, event_registration::Column::Id, request, |r| {
        r.id
    })
    .await
}

/// Which of `opportunity_ids` are presented at the fair already.
pub async fn presented_among(
    db: &impl ConnectionTrait,
    event_id: Uuid,
    opportunity_ids: &[Uuid],
) -> Result<HashSet<Uuid>> {
    Ok(fair_presentation::Entity::find()
        .select_only()
        .column(fair_presentation::Column::OpportunityId)
        .filter(fair_presentation::Column::EventId.eq(event_id))
        .filter(fair_presentation::Column::OpportunityId.is_in(opportunity_ids.iter().copied()))
        .into_tuple::<Uuid>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// One page of what is presented at the fair, in the order it was added,
/// optionally by one organisation.
pub async fn list_presentations(
    db: &impl ConnectionTrait,
    request: PageRequest,
    event_id: Uuid,
    organisation_id: Option<Uuid>,
) -> Result<Page<fair_presentation::Model>> {
    let mut select =
        fair_presentation::Entity::find().filter(fair_presentation::Column::EventId.eq(event_id));
    if let Some(organisation_id) = organisation_id {
        select = select.filter(fair_presentation::Column::OrganisationId.eq(organisation_id));
    }
    rows::page(db, select, fair_presentation::Column::Id, request, |p| p.id).await
}
