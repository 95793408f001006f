//! Applications and placements: the queries their service needs beyond
//! find/insert.

use chrono::NaiveDate;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::entity::{application, opportunity, placement};
use super::{Page, PageRequest, rows};
use crate::error::Result;

/// Stages of an application that is still open.
pub const OPEN_STAGES: [&str; 4] = ["applied", "screening", "interview", "offer"];

/// The member's open application to the opportunity, if any.
pub async fn open_application(
    db: &impl ConnectionTrait,
    member_id: Uuid,
    opportunity_id: Uuid,
) -> Result<Option<application::Model>> {
    Ok(application::Entity::find()
        .filter(application::Column::MemberId.eq(member_id))
        .filter(application::Column::OpportunityId.eq(opportunity_id))
        .filter(application::Column::Stage.is_in(OPEN_STAGES))
        .one(db)
        .await?)
}

/// Which applications a list asks for; `None` means any.
#[derive(Debug, Default, Clone)]
pub struct ApplicationFilter {
    pub member_id: Option<Uuid>,
    pub opportunity_id: Option<Uuid>,
    pub stage: Option<String>,
}

/// One page of applications matching `filter`, oldest first.
pub async fn list_applications(
    db: &impl ConnectionTrait,
    request: PageRequest,
    filter: &ApplicationFilter,
) -> Result<Page<application::Model>> {
    let mut select = application::Entity::find();
    if let Some(id) = filter.member_id {
        select = select.filter(application::Column::MemberId.eq(id));
    }
    if let Some(id) = filter.opportunity_id {
        select = select.filter(application::Column::OpportunityId.eq(id));
    }
    if let Some(stage) = &filter.stage {
        select = select.filter(application::Column::Stage.eq(stage.as_str()));
    }
    rows::page(db, select, application::Column::Id, request, |a| a.id).await
}

/// The placement an application became, if it did.
pub async fn placement_of(
    db: &impl ConnectionTrait,
    application_id: Uuid,
) -> Result<Option<placement::Model>> {
    Ok(placement::Entity::find()
        .filter(placement::Column::ApplicationId.eq(application_id))
        .one(db)
        .await?)
}

/// The placements the applications became, by application id.
pub async fn placements_of(
    db: &impl ConnectionTrait,
    application_ids: &[Uuid],
) -> Result<Vec<placement::Model>> {
    if application_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(placement::Entity::find()
        .filter(placement::Column::ApplicationId.is_in(application_ids.iter().copied()))
        .all(db)
        .await?)
}

/// The titles of opportunities, by id (an unknown id is left out).
pub async fn opportunity_titles(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, String>> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let rows: Vec<(Uuid, String)> = opportunity::Entity::find()
        .select_only()
        .column(opportunity::Column::Id)
        .column(opportunity::Column::Title)
        .filter(opportunity::Column::Id.is_in(ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Which placements a list asks for; `None` means any.
#[derive(Debug, Default, Clone)]
pub struct PlacementFilter {
    pub member_id: Option<Uuid>,
    /// `Some(true)`: only active ones; `Some(false)`: only ended ones.
    pub active: Option<bool>,
    pub kind: Option<String>,
}

/// One page of placements matching `filter`, oldest first.
pub async fn list_placements(
    db: &impl ConnectionTrait,
    request: PageRequest,
    filter: &PlacementFilter,
) -> Result<Page<placement::Model>> {
    let mut select = placement::Entity::find();
    if let Some(id) = filter.member_id {
        select = select.filter(placement::Column::MemberId.eq(id));
    }
    match filter.active {
        Some(true) => select = select.filter(placement::Column::EndDate.is_null()),
        Some(false) => select = select.filter(placement::Column::EndDate.is_not_null()),
        None => {}
    }
    if let Some(kind) = &filter.kind {
        select = select.filter(placement::Column::Kind.eq(kind.as_str()));
    }
    rows::page(db, select, placement::Column::Id, request, |p| p.id).await
}

/// Stays read at once by [`stays_started_between`]: retention over ten years
/// of a large region holds one page in memory, not its history.
pub const STAYS_PAGE: u64 = 1_000;

/// One placement as retention reads it: id, kind, start and end.
pub type StayRow = (Uuid, String, NaiveDate, Option<NaiveDate>);

/// The next [`STAYS_PAGE`] placements (after `after`, by id) that started
/// between `first` and `last`, both included.
pub async fn stays_started_between(
    db: &impl ConnectionTrait,
    first: NaiveDate,
    last: NaiveDate,
    after: Option<Uuid>,
) -> Result<Vec<StayRow>> {
    let mut select = placement::Entity::find()
        .select_only()
        .column(placement::Column::Id)
        .column(placement::Column::Kind)
        .column(placement::Column::StartDate)
        .column(placement::Column::EndDate)
        .filter(placement::Column::StartDate.gte(first))
        .filter(placement::Column::StartDate.lte(last));
    if let Some(after) = after {
        select = select.filter(placement::Column::Id.gt(after));
    }
    Ok(select
        .order_by_asc(placement::Column::Id)
        .limit(STAYS_PAGE)
        .into_tuple()
        .all(db)
        .await?)
}
