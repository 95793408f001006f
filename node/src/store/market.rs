//! Queries on organisations and opportunities beyond find/update.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::entity::{opportunity, organisation};
use super::{Page, PageRequest, rows};
use crate::error::Result;

/// One page of organisations, optionally of one kind.
pub async fn list_organisations(
    db: &impl ConnectionTrait,
    request: PageRequest,
    kind: Option<&str>,
) -> Result<Page<organisation::Model>> {
    let mut select = organisation::Entity::find();
    if let Some(kind) = kind {
        select = select.filter(organisation::Column::Kind.eq(kind));
    }
    rows::page(db, select, organisation::Column::Id, request, |o| o.id).await
}

/// Which opportunities a list asks for; `None` means any.
#[derive(Debug, Default, Clone)]
pub struct OpportunityFilter {
    pub kind: Option<String>,
    pub sector: Option<String>,
    pub status: Option<String>,
    pub organisation_id: Option<uuid::Uuid>,
}

/// One page of opportunities matching `filter`.
pub async fn list_opportunities(
    db: &impl ConnectionTrait,
    request: PageRequest,
    filter: &OpportunityFilter,
) -> Result<Page<opportunity::Model>> {
    let mut select = opportunity::Entity::find();
    if let Some(kind) = &filter.kind {
        select = select.filter(opportunity::Column::Kind.eq(kind.as_str()));
    }
    if let Some(sector) = &filter.sector {
        select = select.filter(opportunity::Column::Sector.eq(sector.as_str()));
    }
    if let Some(status) = &filter.status {
        select = select.filter(opportunity::Column::Status.eq(status.as_str()));
    }
    if let Some(organisation_id) = filter.organisation_id {
        select = select.filter(opportunity::Column::OrganisationId.eq(organisation_id));
    }
    rows::page(db, select, opportunity::Column::Id, request, |o| o.id).await
}
