//! `passage.v1.MemberService`: members of this region.

use chrono::Utc;
use passage_proto::v1::{
    self, federation_service_client::FederationServiceClient, member_service_server::MemberService,
};
use passage_server::access::with_subject;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::context::NodeContext;
use crate::convert::{self, enums, member::RowIdentity};
use crate::error::Error;
use crate::federation::{moves, publish, replica};
use crate::membership::{self, Absence, updates as member_updates};
use crate::store::{PageRequest, entity::member, members, rows, search_index};
use crate::validate;

/// Serves `MemberService` from the node's database.
pub struct MemberApi {
    context: NodeContext,
    /// Updates are applied together, a transaction per batch (group commit).
    updates: tokio::sync::mpsc::Sender<member_updates::Update>,
}

impl MemberApi {
    /// Serves members; must be called inside a Tokio runtime (it starts the task
    /// that applies updates).
    pub fn new(context: NodeContext) -> Self {
        let updates = member_updates::start(context.clone());
        MemberApi { context, updates }
    }

    /// A member this region holds only as another region's shared profile cannot be
    /// changed here: only the home region writes it.
    /// A member asking this region to take them in moves only themself, from the
    /// region their token is for, which must be their home.
    async fn member_may_move(
        &self,
        caller: &passage_server::access::Caller,
        id: Uuid,
    ) -> Result<(), Error> {
        if caller.member_id.as_deref() != Some(id.to_string().as_str()) {
            return Err(Error::PermissionDenied(
                "member_id: a member may only ask to move themself".into(),
            ));
        }
        let home = replica::home_region(&self.context.db, id).await?;
        if home.is_some() && home.as_deref() != caller.region.as_deref() {
            return Err(Error::PermissionDenied(format!(
                "the member's token is for region {}, but their home is {}",
                caller.region.as_deref().unwrap_or("none"),
                home.as_deref().unwrap_or("unknown")
            )));
        }
        Ok(())
    }

    /// The member who was just handed over to this region, once they are here: a
    /// member who shares arrives with the gateway's answer, one who does not with
    /// the private hand-over on the sync stream, which is waited for (10 s).
    async fn arrived(&self, id: Uuid) -> Result<member::Model, Error> {
        let deadline = tokio::time::Instant::now() + ARRIVAL_WAIT;
        loop {
            match rows::find::<member::Entity>(&self.context.db, id, "member").await {
                Ok(member) => return Ok(member),
                Err(Error::NotFound { .. }) if tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
                Err(Error::NotFound { .. }) => {
                    return Err(Error::Unavailable(format!(
                        "member {id} was handed over to {} but has not arrived within {} s; \
                         they arrive when the gateway delivers their profile",
                        self.context.region,
                        ARRIVAL_WAIT.as_secs()
                    )));
                }
                Err(other) => return Err(other),
            }
        }
    }

    /// A member this region does not hold: where they are instead, when known.
    async fn not_home(&self, error: Error, id: Uuid) -> Error {
        let Error::NotFound { .. } = error else {
            return error;
        };
        match membership::presence(&self.context.db, id).await {
            Ok(Ok(_) | Err(Absence::Unknown)) => error,
            Ok(Err(absence)) => absence.refusal("", id, "change them there"),
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
        let (_turn, txn) = self.context.begin_write().await?;
        let saved = rows::insert::<member::Entity>(&txn, row).await?;
        crate::store::tally::member(&txn, None, Some(&saved)).await?;
        search_index::index_members(&txn, std::slice::from_ref(&saved)).await?;
        if let Some(state) = &published {
            publish::enqueue(&txn, state).await?;
        }
        txn.commit().await.map_err(Error::from)?;
        self.announce(published.is_some());
        tracing::info!(member_id = %saved.id, "member created");
        Ok(with_subject(
            Response::new(convert::member::to_wire(&saved)),
            saved.id.to_string(),
        ))
    }

    async fn get_member(
        &self,
        request: Request<v1::GetMemberRequest>,
    ) -> Result<Response<v1::Member>, Status> {
        let id = validate::id("id", &request.get_ref().id)?;
        crate::access::acts_for(&request, id)?;
        let found = match rows::find::<member::Entity>(&self.context.db, id, "member").await {
            Ok(row) => convert::member::to_wire(&row),
            Err(Error::NotFound { .. }) => replica::shared_member(&self.context.db, id)
                .await?
                .ok_or_else(|| Error::not_found("member", id))?,
            Err(other) => return Err(other.into()),
        };
        Ok(with_subject(Response::new(found), id.to_string()))
    }

    async fn update_member(
        &self,
        request: Request<v1::UpdateMemberRequest>,
    ) -> Result<Response<v1::Member>, Status> {
        let limited_to = crate::access::member_limit(&request)?;
        let request = request.into_inner();
        let incoming = request
            .member
            .ok_or_else(|| Error::invalid("member", "must be set"))?;
        let id = validate::id("member.id", &incoming.id)?;
        let paths = convert::mask_paths(request.update_mask.as_ref())?;
        if let Some(own) = limited_to {
            member_may_change(own, id, &paths)?;
        }
        let (done, answer) = tokio::sync::oneshot::channel();
        let queued = self.updates.send(member_updates::Update {
            changes: vec![member_updates::Change {
                id,
                incoming,
                paths: paths.clone(),
            }],
            done,
        });
        let unavailable = || Error::Unavailable("the node is shutting down; try again".into());
        queued.await.map_err(|_| unavailable())?;
        let saved = match answer.await.map_err(|_| unavailable())? {
            Ok(mut saved) => saved
                .pop()
                .ok_or_else(|| Error::Internal("no member saved".into()))?,
            Err((_, error)) => return Err(self.not_home(error, id).await.into()),
        };
        tracing::info!(member_id = %saved.id, fields = ?paths, "member updated");
        Ok(with_subject(
            Response::new(convert::member::to_wire(&saved)),
            id.to_string(),
        ))
    }

    async fn batch_update_members(
        &self,
        request: Request<v1::BatchUpdateMembersRequest>,
    ) -> Result<Response<v1::BatchUpdateMembersResponse>, Status> {
        let requests = request.into_inner().requests;
        if requests.is_empty() || requests.len() > MAX_BATCH_UPDATES {
            return Err(Error::invalid(
                "requests",
                format!(
                    "must hold 1 to {MAX_BATCH_UPDATES} updates, got {}",
                    requests.len()
                ),
            )
            .into());
        }
        let mut changes = Vec::with_capacity(requests.len());
        for (index, request) in requests.into_iter().enumerate() {
            let field = |name: &str| format!("requests[{index}].{name}");
            let incoming = request
                .member
                .ok_or_else(|| Error::invalid(field("member"), "must be set"))?;
            let id = validate::id(&field("member.id"), &incoming.id)?;
            let paths = convert::mask_paths(request.update_mask.as_ref())
                .map_err(|error| within(&format!("requests[{index}]"), error))?;
            changes.push(member_updates::Change {
                id,
                incoming,
                paths,
            });
        }
        let ids: Vec<Uuid> = changes.iter().map(|change| change.id).collect();
        let (done, answer) = tokio::sync::oneshot::channel();
        let queued = self.updates.send(member_updates::Update { changes, done });
        let unavailable = || Error::Unavailable("the node is shutting down; try again".into());
        queued.await.map_err(|_| unavailable())?;
        let saved = match answer.await.map_err(|_| unavailable())? {
            Ok(saved) => saved,
            Err((index, error)) => {
                let error = self.not_home(error, ids[index]).await;
                return Err(within(&format!("requests[{index}]"), error).into());
            }
        };
        tracing::info!(members = saved.len(), "members updated in one batch");
        Ok(Response::new(v1::BatchUpdateMembersResponse {
            members: saved.iter().map(convert::member::to_wire).collect(),
        }))
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
        let id = validate::id("id", &request.get_ref().id)?;
        crate::access::acts_for(&request, id)?;
        let (turn, txn) = self.context.begin_write().await?;
        let row = match rows::find::<member::Entity>(&txn, id, "member").await {
            Ok(row) => row,
            Err(error) => return Err(self.not_home(error, id).await.into()),
        };
        members::delete(&txn, id).await?;
        let erased = crate::store::erasure::erase_member_records(
            &txn,
            id,
            crate::store::erasure::Reason::Erasure,
        )
        .await?;
        let erasure = publish::erasure(&row, &self.context.clock, &self.context.region);
        if let Some(state) = &erasure {
            publish::enqueue(&txn, state).await?;
        }
        txn.commit().await.map_err(Error::from)?;
        // Still in the write turn, so no write of this node keeps the log busy.
        crate::store::erasure::scrub(&self.context.db).await;
        drop(turn);
        crate::notify::files::erase_for(&self.context, id).await;
        self.announce(erasure.is_some());
        tracing::info!(
            member_id = %id,
            cases = erased.cases,
            questions = erased.questions,
            applications_unlinked = erased.applications_unlinked,
            reviews_unlinked = erased.reviews_unlinked,
            audit_entries = erased.audit_entries,
            other_records = erased.other_records,
            "member deleted and their region-local records erased"
        );
        Ok(with_subject(Response::new(()), id.to_string()))
    }

    async fn search_members(
        &self,
        request: Request<v1::SearchMembersRequest>,
    ) -> Result<Response<v1::SearchMembersResponse>, Status> {
        let found = crate::search::search_members(&self.context.db, request.get_ref()).await?;
        Ok(Response::new(found))
    }

    async fn export_member_records(
        &self,
        request: Request<v1::ExportMemberRecordsRequest>,
    ) -> Result<Response<v1::MemberRecords>, Status> {
        let id = validate::id("member_id", &request.get_ref().member_id)?;
        crate::access::acts_for(&request, id)?;
        let (mut records, mut record_count) =
            crate::store::export::member_records(&self.context.db, id).await?;
        record_count += crate::notify::files::export_for(&self.context, id, &mut records).await?;
        let records_json = serde_json::to_string(&records)
            .map_err(|e| Error::Internal(format!("writing member {id}'s records as JSON: {e}")))?;
        Ok(with_subject(
            Response::new(v1::MemberRecords {
                region: self.context.region.clone(),
                records_json,
                record_count,
            }),
            id.to_string(),
        ))
    }

    async fn transfer_member(
        &self,
        request: Request<v1::TransferMemberRequest>,
    ) -> Result<Response<v1::TransferMemberResponse>, Status> {
        let caller = passage_server::access::Caller::of(&request)?.clone();
        let request = request.into_inner();
        let id = validate::id("member_id", &request.member_id)?;
        if caller.role == passage_server::access::Role::Member {
            self.member_may_move(&caller, id).await?;
        }
        let requested_by = validate::required_text("requested_by", &request.requested_by, 120)?;
        let regional = request.regional.ok_or_else(|| {
            Error::invalid(
                "regional",
                "must be set: the member's record in this region, taken at intake",
            )
        })?;
        let region = &self.context.region;
        match rows::find::<member::Entity>(&self.context.db, id, "member").await {
            Ok(_) => {
                return Err(Error::FailedPrecondition(format!(
                    "member {id} already has {region} as home region"
                ))
                .into());
            }
            Err(Error::NotFound { .. }) => {}
            Err(other) => return Err(other.into()),
        }
        // The member as they will be here: their shared profile and this region's
        // record. Checked now, so a bad record fails before anything moves. A member
        // who does not share is not known here yet (the gateway's directory knows
        // their home): only this region's record is checked, and their profile comes
        // with the hand-over.
        let shared = replica::shared_member(&self.context.db, id).await?;
        let arriving = match shared {
            Some(shared) => v1::Member {
                regional: Some(regional.clone()),
                ..shared
            },
            None => v1::Member {
                id: id.to_string(),
                profile: Some(v1::SharedProfile {
                    display_name: "profile to come with the hand-over".into(),
                    ..Default::default()
                }),
                regional: Some(regional.clone()),
                ..Default::default()
            },
        };
        let now = Utc::now();
        convert::member::to_row(
            &arriving,
            "",
            RowIdentity {
                id,
                home_region: region.clone(),
                created_at: now,
                updated_at: now,
            },
        )?;
        let gateway = self.context.gateway.clone().ok_or_else(|| {
            Error::FailedPrecondition(format!(
                "region {region} is not part of a federation; members cannot move here"
            ))
        })?;
        {
            let _turn = self.context.write_turn().await;
            moves::expect(&self.context.db, id, &regional, &requested_by).await?;
        }
        let answer = FederationServiceClient::new(gateway)
            .request_transfer(v1::RequestTransferRequest {
                member_id: id.to_string(),
                requested_by: requested_by.clone(),
                region: region.clone(),
            })
            .await;
        let answer = match answer {
            Ok(answer) => answer.into_inner(),
            Err(status) => {
                // A move the old home may still hand over keeps its arrival.
                if status.code() != tonic::Code::DeadlineExceeded {
                    let _turn = self.context.write_turn().await;
                    moves::forget(&self.context.db, id).await?;
                }
                return Err(Error::Gateway(status).into());
            }
        };
        if let Some(state) = &answer.state {
            let batch = v1::LogBatch {
                entries: vec![v1::LogEntry {
                    sequence: 0,
                    origin_region: answer
                        .transfer
                        .as_ref()
                        .map(|t| t.from_region.clone())
                        .unwrap_or_default(),
                    state: Some(state.clone()),
                }],
                snapshot_through: 0,
            };
            replica::apply_batch(&self.context, &batch).await?;
        }
        let member = self.arrived(id).await?;
        tracing::info!(member_id = %id, %requested_by, "member moved here");
        Ok(with_subject(
            Response::new(v1::TransferMemberResponse {
                member: Some(convert::member::to_wire(&member)),
                transfer: answer.transfer,
            }),
            id.to_string(),
        ))
    }

    async fn get_my_community_roles(
        &self,
        request: Request<v1::GetMyCommunityRolesRequest>,
    ) -> Result<Response<v1::CommunityRoles>, Status> {
        let id = validate::id("member_id", &request.get_ref().member_id)?;
        crate::access::acts_for(&request, id)?;
        let db = &self.context.db;
        rows::find::<member::Entity>(db, id, "member").await?;
        let roles = crate::community::roles(db, id).await?;
        Ok(with_subject(Response::new(roles), id.to_string()))
    }
}

/// How long `TransferMember` waits for a member handed over on the sync stream.
const ARRIVAL_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Most updates in one `BatchUpdateMembers` call.
const MAX_BATCH_UPDATES: usize = 1_000;

/// `error` of the request at `prefix` (such as `requests[3]`) of a batch: a field
/// is named under it, other errors say it first.
fn within(prefix: &str, error: Error) -> Error {
    match error {
        Error::InvalidArgument {
            field,
            reason,
            refusal,
        } => Error::InvalidArgument {
            field: format!("{prefix}.{field}"),
            reason,
            refusal,
        },
        Error::FailedPrecondition(message) => {
            Error::FailedPrecondition(format!("{prefix}: {message}"))
        }
        other => other,
    }
}

/// What a member may change of themself: their shared profile. Their residence
/// status, permits and the other regional facts the rules read are recorded by
/// the chapter admin.
fn member_may_change(own: Uuid, id: Uuid, paths: &[String]) -> Result<(), Error> {
    if own != id {
        return Err(Error::PermissionDenied(
            "a member may only act on their own profile and applications".into(),
        ));
    }
    match paths
        .iter()
        .find(|path| !(path.as_str() == "profile" || path.starts_with("profile.")))
    {
        Some(path) => Err(Error::PermissionDenied(format!(
            "update_mask: a member may change their profile only, not {path:?}; \
             the chapter admin records residence status and permits"
        ))),
        None => Ok(()),
    }
}
