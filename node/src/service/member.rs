//! `passage.v1.MemberService`: members of this region.

use chrono::Utc;
use passage_proto::v1::{self, member_service_server::MemberService};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::NodeContext;
use crate::convert::{self, enums, member::RowIdentity};
use crate::error::Error;
use crate::federation::{publish, replica};
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

    /// A member this region holds only as another region's shared profile cannot be
    /// changed here: only the home region writes it.
    async fn not_home(&self, error: Error, id: Uuid) -> Error {
        let Error::NotFound { .. } = error else {
            return error;
        };
        match replica::home_region(&self.context.db, id).await {
            Ok(Some(home)) => Error::FailedPrecondition(format!(
                "member {id} belongs to region {home}; change it there"
            )),
            Ok(None) => error,
            Err(lookup) => lookup,
        }
    }

    /// Wakes the sync stream after a commit that added to the outbox.
    fn announce(&self, published: bool) {
        if published {
            self.context.outbox_ready.notify_one();
        }
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
        let mut row = row;
        let published = publish::restamp(None, &mut row, &self.context.clock, &self.context.region);
        let txn = passage_migrations::begin_write(&self.context.db)
            .await
            .map_err(Error::from)?;
        let saved = rows::insert::<member::Entity>(&txn, row).await?;
        if let Some(state) = &published {
            publish::enqueue(&txn, state).await?;
        }
        txn.commit().await.map_err(Error::from)?;
        self.announce(published.is_some());
        tracing::info!(member_id = %saved.id, "member created");
        Ok(Response::new(convert::member::to_wire(&saved)))
    }

    async fn get_member(
        &self,
        request: Request<v1::GetMemberRequest>,
    ) -> Result<Response<v1::Member>, Status> {
        let id = validate::id("id", &request.into_inner().id)?;
        match rows::find::<member::Entity>(&self.context.db, id, "member").await {
            Ok(row) => Ok(Response::new(convert::member::to_wire(&row))),
            Err(Error::NotFound { .. }) => replica::shared_member(&self.context.db, id)
                .await?
                .map(Response::new)
                .ok_or_else(|| Error::not_found("member", id).into()),
            Err(other) => Err(other.into()),
        }
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
        let txn = passage_migrations::begin_write(&self.context.db)
            .await
            .map_err(Error::from)?;
        let mut published = None;
        let saved = rows::update_in::<member::Entity>(&txn, id, "member", |row| {
            let mut wire = convert::member::to_wire(&row);
            convert::member::apply_mask(&mut wire, &incoming, &paths)?;
            let mut changed = convert::member::to_row(
                &wire,
                "member",
                RowIdentity {
                    id: row.id,
                    home_region: row.home_region.clone(),
                    created_at: row.created_at,
                    updated_at: Utc::now(),
                },
            )?;
            published = publish::restamp(
                Some(&row),
                &mut changed,
                &self.context.clock,
                &self.context.region,
            );
            Ok(changed)
        })
        .await;
        let saved = match saved {
            Ok(saved) => saved,
            Err(error) => return Err(self.not_home(error, id).await.into()),
        };
        if let Some(state) = &published {
            publish::enqueue(&txn, state).await?;
        }
        txn.commit().await.map_err(Error::from)?;
        self.announce(published.is_some());
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
        let txn = passage_migrations::begin_write(&self.context.db)
            .await
            .map_err(Error::from)?;
        let row = match rows::find::<member::Entity>(&txn, id, "member").await {
            Ok(row) => row,
            Err(error) => return Err(self.not_home(error, id).await.into()),
        };
        members::delete(&txn, id).await?;
        let erasure = publish::erasure(&row, &self.context.clock, &self.context.region);
        if let Some(state) = &erasure {
            publish::enqueue(&txn, state).await?;
        }
        txn.commit().await.map_err(Error::from)?;
        self.announce(erasure.is_some());
        tracing::info!(member_id = %id, "member deleted");
        Ok(Response::new(()))
    }
}
