//! `passage.v1.ExpertPoolService`: members of this region who lend their expertise
//! on topics (housing, diploma recognition, taxes, job applications), as
//! OpenEmbassy's expert pool does.

use chrono::Utc;
use passage_proto::v1::{self, expert_pool_service_server::ExpertPoolService};
use passage_server::access::with_subject;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::context::NodeContext;
use crate::convert::casework as wire;
use crate::error::{Error, Result};
use crate::membership::member_here;
use crate::store::{PageRequest, casework, entity::expert, rows};
use crate::validate;

/// Serves `ExpertPoolService` from the node's database.
pub struct ExpertPoolApi {
    context: NodeContext,
}

impl ExpertPoolApi {
    pub fn new(context: NodeContext) -> Self {
        ExpertPoolApi { context }
    }
}

/// `NotFound` for a member who is not in the pool.
fn not_in_pool(member_id: Uuid) -> Error {
    Error::not_found("expert (member in the expert pool)", member_id)
}

#[tonic::async_trait]
impl ExpertPoolService for ExpertPoolApi {
    async fn join_expert_pool(
        &self,
        request: Request<v1::JoinExpertPoolRequest>,
    ) -> Result<Response<v1::Expert>, Status> {
        let request = request.into_inner();
        let member_id = validate::id("member_id", &request.member_id)?;
        let topics = wire::topics("topics", &request.topics)?;
        let (_turn, txn) = self.context.begin_write().await?;
        let member = member_here(
            &txn,
            &self.context.region,
            "member_id",
            member_id,
            "join its expert pool",
        )
        .await?;
        if casework::expert_of(&txn, member_id).await?.is_some() {
            return Err(Error::AlreadyExists(format!(
                "member {member_id} is in the expert pool already; change their topics with SetExpertTopics"
            ))
            .into());
        }
        let saved = rows::insert::<expert::Entity>(
            &txn,
            expert::Model {
                id: Uuid::now_v7(),
                member_id,
                joined_at: Utc::now(),
            },
        )
        .await?;
        casework::set_topics(&txn, saved.id, &topics).await?;
        txn.commit().await.map_err(Error::from)?;
        tracing::info!(%member_id, topics = topics.len(), "member joined the expert pool");
        Ok(with_subject(
            Response::new(wire::expert_to_wire(
                &saved,
                Some(&member.display_name),
                &topics,
            )),
            member_id.to_string(),
        ))
    }

    async fn set_expert_topics(
        &self,
        request: Request<v1::SetExpertTopicsRequest>,
    ) -> Result<Response<v1::Expert>, Status> {
        let request = request.into_inner();
        let member_id = validate::id("member_id", &request.member_id)?;
        let topics = wire::topics("topics", &request.topics)?;
        let (_turn, txn) = self.context.begin_write().await?;
        let expert = casework::expert_of(&txn, member_id)
            .await?
            .ok_or_else(|| not_in_pool(member_id))?;
        casework::set_topics(&txn, expert.id, &topics).await?;
        let names = casework::display_names(&txn, &[member_id]).await?;
        txn.commit().await.map_err(Error::from)?;
        Ok(with_subject(
            Response::new(wire::expert_to_wire(
                &expert,
                names.get(&member_id),
                &topics,
            )),
            member_id.to_string(),
        ))
    }

    async fn leave_expert_pool(
        &self,
        request: Request<v1::LeaveExpertPoolRequest>,
    ) -> Result<Response<()>, Status> {
        let member_id = validate::id("member_id", &request.into_inner().member_id)?;
        let (_turn, txn) = self.context.begin_write().await?;
        let expert = casework::expert_of(&txn, member_id)
            .await?
            .ok_or_else(|| not_in_pool(member_id))?;
        casework::remove_expert(&txn, expert.id).await?;
        txn.commit().await.map_err(Error::from)?;
        tracing::info!(%member_id, "member left the expert pool");
        Ok(with_subject(Response::new(()), member_id.to_string()))
    }

    async fn list_experts(
        &self,
        request: Request<v1::ListExpertsRequest>,
    ) -> Result<Response<v1::ListExpertsResponse>, Status> {
        let request = request.into_inner();
        let page = PageRequest::parse(request.page_size, &request.page_token)?;
        let topic = match request.topic.trim() {
            "" => None,
            topic => Some(validate::slug("topic", topic)?),
        };
        let db = &self.context.db;
        let page = casework::list_experts(db, page, topic.as_deref()).await?;
        let ids: Vec<Uuid> = page.items.iter().map(|e| e.id).collect();
        let members: Vec<Uuid> = page.items.iter().map(|e| e.member_id).collect();
        let topics = casework::topics_of(db, &ids).await?;
        let names = casework::display_names(db, &members).await?;
        Ok(Response::new(v1::ListExpertsResponse {
            next_page_token: page.next_page_token(),
            experts: page
                .items
                .iter()
                .map(|e| {
                    wire::expert_to_wire(
                        e,
                        names.get(&e.member_id),
                        topics.get(&e.id).map_or(&[], Vec::as_slice),
                    )
                })
                .collect(),
        }))
    }
}
