//! `passage.v1.MarketService`: organisations and opportunities of this region.

use chrono::Utc;
use passage_proto::v1::{self, market_service_server::MarketService};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::context::NodeContext;
use crate::convert::{self, enums, market::RowStamp};
use crate::error::{Error, Refusal, Result};
use crate::store::{
    PageRequest,
    entity::{opportunity, organisation},
    market::{self, OpportunityFilter},
    rows, search_index,
};
use crate::validate;

/// Serves `MarketService` from the node's database.
pub struct MarketApi {
    context: NodeContext,
}

impl MarketApi {
    pub fn new(context: NodeContext) -> Self {
        MarketApi { context }
    }

    /// An opportunity must belong to an organisation of this region.
    async fn check_organisation(&self, field: &str, id: Uuid) -> Result<()> {
        match rows::find::<organisation::Entity>(&self.context.db, id, "organisation").await {
            Ok(_) => Ok(()),
            Err(Error::NotFound { .. }) => Err(Error::refused(
                field,
                format!("no organisation {id} in this region"),
                Refusal::of(v1::RefusalKind::UnknownOrganisation, &id.to_string(), []),
            )),
            Err(other) => Err(other),
        }
    }
}

fn new_stamp() -> RowStamp {
    let now = Utc::now();
    RowStamp {
        id: Uuid::now_v7(),
        created_at: now,
        updated_at: now,
    }
}

#[tonic::async_trait]
impl MarketService for MarketApi {
    async fn create_organisation(
        &self,
        request: Request<v1::CreateOrganisationRequest>,
    ) -> Result<Response<v1::Organisation>, Status> {
        let wire = request
            .into_inner()
            .organisation
            .ok_or_else(|| Error::invalid("organisation", "must be set"))?;
        let row = convert::market::organisation_to_row(&wire, "organisation", new_stamp())?;
        let saved = rows::insert::<organisation::Entity>(&self.context.db, row).await?;
        Ok(Response::new(convert::market::organisation_to_wire(&saved)))
    }

    async fn get_organisation(
        &self,
        request: Request<v1::GetOrganisationRequest>,
    ) -> Result<Response<v1::Organisation>, Status> {
        let id = validate::id("id", &request.get_ref().id)?;
        crate::access::acts_for_organisation(&request, id)?;
        let row = rows::find::<organisation::Entity>(&self.context.db, id, "organisation").await?;
        Ok(Response::new(convert::market::organisation_to_wire(&row)))
    }

    async fn list_organisations(
        &self,
        request: Request<v1::ListOrganisationsRequest>,
    ) -> Result<Response<v1::ListOrganisationsResponse>, Status> {
        let request = request.into_inner();
        let page = PageRequest::parse(request.page_size, &request.page_token)?;
        let kind = enums::filter::<v1::OrganisationKind>("kind", request.kind)?;
        let page = market::list_organisations(&self.context.db, page, kind.as_deref()).await?;
        Ok(Response::new(v1::ListOrganisationsResponse {
            next_page_token: page.next_page_token(),
            organisations: page
                .items
                .iter()
                .map(convert::market::organisation_to_wire)
                .collect(),
        }))
    }

    async fn update_organisation(
        &self,
        request: Request<v1::UpdateOrganisationRequest>,
    ) -> Result<Response<v1::Organisation>, Status> {
        let request = request.into_inner();
        let incoming = request
            .organisation
            .ok_or_else(|| Error::invalid("organisation", "must be set"))?;
        let id = validate::id("organisation.id", &incoming.id)?;
        let paths = convert::mask_paths(request.update_mask.as_ref())?;
        let (turn, txn) = self.context.begin_write().await?;
        let saved = rows::update::<organisation::Entity>(&txn, id, "organisation", |row| {
            let mut wire = convert::market::organisation_to_wire(&row);
            convert::market::apply_organisation_mask(&mut wire, &incoming, &paths)?;
            let changed = convert::market::organisation_to_row(
                &wire,
                "organisation",
                RowStamp {
                    id: row.id,
                    created_at: row.created_at,
                    updated_at: Utc::now(),
                },
            )?;
            Ok(organisation::Model {
                external_id: row.external_id.clone(),
                ..changed
            })
        })
        .await?;
        txn.commit().await.map_err(Error::from)?;
        drop(turn);
        // The organisation's kind and headcount are part of what rules read of its
        // opportunities.
        self.context
            .catalogue
            .follow_organisation(&self.context.db, saved.id)
            .await;
        Ok(Response::new(convert::market::organisation_to_wire(&saved)))
    }

    async fn create_opportunity(
        &self,
        request: Request<v1::CreateOpportunityRequest>,
    ) -> Result<Response<v1::Opportunity>, Status> {
        let caller = passage_server::access::Caller::of(&request)?.clone();
        let wire = request
            .into_inner()
            .opportunity
            .ok_or_else(|| Error::invalid("opportunity", "must be set"))?;
        let row = convert::market::opportunity_to_row(&wire, "opportunity", new_stamp())?;
        caller.may_act_for_organisation(&row.organisation_id.to_string())?;
        if row.status != "draft" {
            return Err(Error::refused(
                "opportunity.status",
                "a new opportunity starts as OPPORTUNITY_STATUS_DRAFT",
                Refusal::of(
                    v1::RefusalKind::NotOneOf,
                    &row.status.to_ascii_uppercase(),
                    ["DRAFT".to_owned()],
                ),
            )
            .into());
        }
        self.check_organisation("opportunity.organisation_id", row.organisation_id)
            .await?;
        let (_turn, txn) = self.context.begin_write().await?;
        let saved = rows::insert::<opportunity::Entity>(&txn, row).await?;
        crate::store::tally::opportunity(&txn, None, Some(&saved)).await?;
        search_index::index_opportunities(&txn, std::slice::from_ref(&saved)).await?;
        txn.commit().await.map_err(Error::from)?;
        Ok(Response::new(convert::market::opportunity_to_wire(&saved)))
    }

    async fn get_opportunity(
        &self,
        request: Request<v1::GetOpportunityRequest>,
    ) -> Result<Response<v1::Opportunity>, Status> {
        let id = validate::id("id", &request.get_ref().id)?;
        let row = rows::find::<opportunity::Entity>(&self.context.db, id, "opportunity").await?;
        if crate::access::organisation_limit(&request)?.is_some() {
            crate::access::acts_for_organisation(&request, row.organisation_id)?;
        }
        Ok(Response::new(convert::market::opportunity_to_wire(&row)))
    }

    async fn list_opportunities(
        &self,
        request: Request<v1::ListOpportunitiesRequest>,
    ) -> Result<Response<v1::ListOpportunitiesResponse>, Status> {
        let organisation = crate::access::organisation_limit(&request)?;
        let request = request.into_inner();
        let page = PageRequest::parse(request.page_size, &request.page_token)?;
        let mut filter = OpportunityFilter {
            kind: enums::filter::<v1::OpportunityKind>("kind", request.kind)?,
            sector: match request.sector.trim() {
                "" => None,
                sector => Some(validate::slug("sector", sector)?),
            },
            status: enums::filter::<v1::OpportunityStatus>("status", request.status)?,
            organisation_id: match request.organisation_id.trim() {
                "" => None,
                id => Some(validate::id("organisation_id", id)?),
            },
        };
        if let Some(own) = organisation {
            // An organisation's contact lists its own organisation's opportunities.
            match filter.organisation_id {
                Some(asked) if asked != own => {
                    return Err(Error::PermissionDenied(format!(
                        "organisation_id: {asked} is not your organisation; you list your own organisation's opportunities"
                    ))
                    .into());
                }
                _ => filter.organisation_id = Some(own),
            }
        }
        let page = market::list_opportunities(&self.context.db, page, &filter).await?;
        Ok(Response::new(v1::ListOpportunitiesResponse {
            next_page_token: page.next_page_token(),
            opportunities: page
                .items
                .iter()
                .map(convert::market::opportunity_to_wire)
                .collect(),
        }))
    }

    async fn search_opportunities(
        &self,
        request: Request<v1::SearchOpportunitiesRequest>,
    ) -> Result<Response<v1::SearchOpportunitiesResponse>, Status> {
        let found =
            crate::search::search_opportunities(&self.context.db, request.get_ref()).await?;
        Ok(Response::new(found))
    }

    async fn update_opportunity(
        &self,
        request: Request<v1::UpdateOpportunityRequest>,
    ) -> Result<Response<v1::Opportunity>, Status> {
        let caller = passage_server::access::Caller::of(&request)?.clone();
        let request = request.into_inner();
        let incoming = request
            .opportunity
            .ok_or_else(|| Error::invalid("opportunity", "must be set"))?;
        let id = validate::id("opportunity.id", &incoming.id)?;
        let paths = convert::mask_paths(request.update_mask.as_ref())?;
        let approvals_to_publish = self.context.review_policy.approvals_to_publish;
        let (turn, txn) = self.context.begin_write().await?;
        let current = rows::find::<opportunity::Entity>(&txn, id, "opportunity").await?;
        caller.may_act_for_organisation(&current.organisation_id.to_string())?;
        let saved = rows::update::<opportunity::Entity>(&txn, id, "opportunity", |row| {
            let mut wire = convert::market::opportunity_to_wire(&row);
            convert::market::check_content_change(row.id, &row.status, &wire, &incoming, &paths)?;
            convert::market::apply_opportunity_mask(&mut wire, &incoming, &paths)?;
            let changed = convert::market::opportunity_to_row(
                &wire,
                "opportunity",
                RowStamp {
                    id: row.id,
                    created_at: row.created_at,
                    updated_at: Utc::now(),
                },
            )?;
            convert::market::check_status_change(
                row.id,
                &row.status,
                &changed.status,
                approvals_to_publish,
            )?;
            Ok(opportunity::Model {
                organisation_id: row.organisation_id,
                external_id: row.external_id.clone(),
                ..changed
            })
        })
        .await?;
        crate::store::tally::opportunity(&txn, Some(&current), Some(&saved)).await?;
        search_index::index_opportunities(&txn, std::slice::from_ref(&saved)).await?;
        txn.commit().await.map_err(Error::from)?;
        drop(turn);
        // Matching reads published opportunities from memory: follow the change.
        self.context
            .catalogue
            .follow(&self.context.db, &[saved.id])
            .await;
        Ok(Response::new(convert::market::opportunity_to_wire(&saved)))
    }
}
