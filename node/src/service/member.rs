//! `passage.v1.MemberService`: members of this region.

use chrono::Utc;
use passage_proto::v1::{self, member_service_server::MemberService};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::NodeContext;
use crate::convert::{self, enums, member::RowIdentity};
use crate::error::Error;
use crate::store::{PageRequest, entity::member, members, rows};
use crate::validate;

/// Serves `MemberService` from the node's database.
pub struct MemberApi {
    context: NodeContext,
}

impl MemberApi {
    pub fn new(context: NodeContext) -> Self {
        MemberApi { context }
    }
}

#[tonic::async_trait]
impl MemberService for MemberApi {
    async fn create_member(
        &self,
        request: Request<v1::CreateMemberRequest>,
    ) -> Result<Response<v1::Member>, Status> {
        let wire = request
            .into_inner()
            .member
            .ok_or_else(|| Error::invalid("member", "must be set"))?;
        let now = Utc::now();
        let row = convert::member::to_row(
            &wire,
            "member",
            RowIdentity {
                id: Uuid::now_v7(),
                home_region: self.context.region.clone(),
                created_at: now,
                updated_at: now,
            },
        )?;
        let saved = rows::insert::<member::Entity>(&self.context.db, row).await?;
        tracing::info!(member_id = %saved.id, "member created");
        Ok(Response::new(convert::member::to_wire(&saved)))
    }

    async fn get_member(
        &self,
        request: Request<v1::GetMemberRequest>,
    ) -> Result<Response<v1::Member>, Status> {
        let id = validate::id("id", &request.into_inner().id)?;
        let row = rows::find::<member::Entity>(&self.context.db, id, "member").await?;
        Ok(Response::new(convert::member::to_wire(&row)))
    }

    async fn update_member(
        &self,
        request: Request<v1::UpdateMemberRequest>,
    ) -> Result<Response<v1::Member>, Status> {
        let request = request.into_inner();
        let incoming = request
            .member
            .ok_or_else(|| Error::invalid("member", "must be set"))?;
        let id = validate::id("member.id", &incoming.id)?;
        let paths = convert::mask_paths(request.update_mask.as_ref())?;
        let saved = rows::update::<member::Entity>(&self.context.db, id, "member", |row| {
            let mut wire = convert::member::to_wire(&row);
            convert::member::apply_mask(&mut wire, &incoming, &paths)?;
            convert::member::to_row(
                &wire,
                "member",
                RowIdentity {
                    id: row.id,
                    home_region: row.home_region,
                    created_at: row.created_at,
                    updated_at: Utc::now(),
                },
            )
        })
        .await?;
        tracing::info!(member_id = %saved.id, fields = ?paths, "member updated");
        Ok(Response::new(convert::member::to_wire(&saved)))
    }

    async fn list_members(
        &self,
        request: Request<v1::ListMembersRequest>,
    ) -> Result<Response<v1::ListMembersResponse>, Status> {
        let request = request.into_inner();
        let page = PageRequest::parse(request.page_size, &request.page_token)?;
        let role = enums::filter::<v1::MemberRole>("role", request.role)?;
        let page = members::list(&self.context.db, page, role.as_deref()).await?;
        Ok(Response::new(v1::ListMembersResponse {
            next_page_token: page.next_page_token(),
            members: page.items.iter().map(convert::member::to_wire).collect(),
        }))
    }

    async fn delete_member(
        &self,
        request: Request<v1::DeleteMemberRequest>,
    ) -> Result<Response<()>, Status> {
        let id = validate::id("id", &request.into_inner().id)?;
        members::delete(&self.context.db, id).await?;
        tracing::info!(member_id = %id, "member deleted");
        Ok(Response::new(()))
    }
}
