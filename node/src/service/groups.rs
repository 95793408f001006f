//! `passage.v1.GroupService`: Refugee Start Force's coffee groups and sector expert
//! groups of this region, who is in them, their meetings and who came.

use chrono::Utc;
use passage_proto::v1::{self, group_service_server::GroupService};
use passage_server::access::with_subject;
use sea_orm::ConnectionTrait;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::context::NodeContext;
use crate::convert::{self, enums};
use crate::error::{Error, Refusal, Result};
use crate::membership::member_here;
use crate::store::{
    PageRequest,
    entity::{community_group, group_meeting, group_membership, meeting_attendance},
    groups, rows,
};
use crate::validate;

/// Most members one attendance call records.
const MAX_ATTENDEES_PER_CALL: usize = 500;

/// Serves `GroupService` from the node's database.
pub struct GroupApi {
    context: NodeContext,
}

impl GroupApi {
    pub fn new(context: NodeContext) -> Self {
        GroupApi { context }
    }
}

/// Groups on the wire, each with its member count.
async fn groups_to_wire(
    db: &impl ConnectionTrait,
    rows: &[community_group::Model],
) -> Result<Vec<v1::Group>> {
    let ids: Vec<Uuid> = rows.iter().map(|g| g.id).collect();
    let counts = groups::member_counts(db, &ids).await?;
    Ok(rows
        .iter()
        .map(|g| convert::groups::group_to_wire(g, counts.get(&g.id).copied().unwrap_or(0)))
        .collect())
}

async fn group_to_wire(
    db: &impl ConnectionTrait,
    row: &community_group::Model,
) -> Result<v1::Group> {
    let count = groups::member_counts(db, &[row.id]).await?;
    Ok(convert::groups::group_to_wire(
        row,
        count.get(&row.id).copied().unwrap_or(0),
    ))
}

async fn meeting_to_wire(
    db: &impl ConnectionTrait,
    row: &group_meeting::Model,
) -> Result<v1::GroupMeeting> {
    let count = groups::attendee_counts(db, &[row.id]).await?;
    Ok(convert::groups::meeting_to_wire(
        row,
        count.get(&row.id).copied().unwrap_or(0),
    ))
}

#[tonic::async_trait]
impl GroupService for GroupApi {
    async fn create_group(
        &self,
        request: Request<v1::CreateGroupRequest>,
    ) -> Result<Response<v1::Group>, Status> {
        let wire = request
            .into_inner()
            .group
            .ok_or_else(|| Error::invalid("group", "must be set"))?;
        let row = convert::groups::group_to_row(&wire, "group", Uuid::now_v7(), Utc::now())?;
        let saved = {
            let _turn = self.context.write_turn().await;
            rows::insert::<community_group::Entity>(&self.context.db, row).await?
        };
        tracing::info!(group_id = %saved.id, kind = %saved.kind, "group created");
        Ok(Response::new(convert::groups::group_to_wire(&saved, 0)))
    }

    async fn get_group(
        &self,
        request: Request<v1::GetGroupRequest>,
    ) -> Result<Response<v1::Group>, Status> {
        let id = validate::id("id", &request.into_inner().id)?;
        let row = rows::find::<community_group::Entity>(&self.context.db, id, "group").await?;
        Ok(Response::new(group_to_wire(&self.context.db, &row).await?))
    }

    async fn list_groups(
        &self,
        request: Request<v1::ListGroupsRequest>,
    ) -> Result<Response<v1::ListGroupsResponse>, Status> {
        let request = request.into_inner();
        let page = PageRequest::parse(request.page_size, &request.page_token)?;
        let kind = enums::filter::<v1::GroupKind>("kind", request.kind)?;
        let sector = match request.sector.trim() {
            "" => None,
            sector => Some(validate::slug("sector", sector)?),
        };
        let page = groups::list(&self.context.db, page, kind.as_deref(), sector.as_deref()).await?;
        Ok(Response::new(v1::ListGroupsResponse {
            next_page_token: page.next_page_token(),
            groups: groups_to_wire(&self.context.db, &page.items).await?,
        }))
    }

    async fn join_group(
        &self,
        request: Request<v1::JoinGroupRequest>,
    ) -> Result<Response<v1::GroupMember>, Status> {
        let member_id = validate::id("member_id", &request.get_ref().member_id)?;
        crate::access::acts_for(&request, member_id)?;
        let request = request.into_inner();
        let group_id = validate::id("group_id", &request.group_id)?;
        let (_turn, txn) = self.context.begin_write().await?;
        let group = rows::find::<community_group::Entity>(&txn, group_id, "group").await?;
        member_here(
            &txn,
            &self.context.region,
            "member_id",
            member_id,
            "join its groups",
        )
        .await?;
        if groups::membership(&txn, group_id, member_id)
            .await?
            .is_some()
        {
            return Err(Error::AlreadyExists(format!(
                "member {member_id} is already in group {group_id} ({:?})",
                group.name
            ))
            .into());
        }
        let saved = rows::insert::<group_membership::Entity>(
            &txn,
            group_membership::Model {
                id: Uuid::now_v7(),
                group_id,
                member_id,
                joined_at: Utc::now(),
            },
        )
        .await?;
        txn.commit().await.map_err(Error::from)?;
        tracing::info!(%group_id, %member_id, "member joined group");
        Ok(with_subject(
            Response::new(convert::groups::membership_to_wire(&saved)),
            member_id.to_string(),
        ))
    }

    async fn leave_group(
        &self,
        request: Request<v1::LeaveGroupRequest>,
    ) -> Result<Response<()>, Status> {
        let member_id = validate::id("member_id", &request.get_ref().member_id)?;
        crate::access::acts_for(&request, member_id)?;
        let request = request.into_inner();
        let group_id = validate::id("group_id", &request.group_id)?;
        let (_turn, txn) = self.context.begin_write().await?;
        rows::find::<community_group::Entity>(&txn, group_id, "group").await?;
        if !groups::leave(&txn, group_id, member_id).await? {
            return Err(Error::FailedPrecondition(format!(
                "member {member_id} is not in group {group_id}"
            ))
            .into());
        }
        txn.commit().await.map_err(Error::from)?;
        tracing::info!(%group_id, %member_id, "member left group");
        Ok(with_subject(Response::new(()), member_id.to_string()))
    }

    async fn list_group_members(
        &self,
        request: Request<v1::ListGroupMembersRequest>,
    ) -> Result<Response<v1::ListGroupMembersResponse>, Status> {
        let request = request.into_inner();
        let group_id = validate::id("group_id", &request.group_id)?;
        let page = PageRequest::parse(request.page_size, &request.page_token)?;
        rows::find::<community_group::Entity>(&self.context.db, group_id, "group").await?;
        let page = groups::list_members(&self.context.db, page, group_id).await?;
        Ok(Response::new(v1::ListGroupMembersResponse {
            next_page_token: page.next_page_token(),
            members: page
                .items
                .iter()
                .map(convert::groups::membership_to_wire)
                .collect(),
        }))
    }

    async fn list_member_groups(
        &self,
        request: Request<v1::ListMemberGroupsRequest>,
    ) -> Result<Response<v1::ListMemberGroupsResponse>, Status> {
        let member_id = validate::id("member_id", &request.get_ref().member_id)?;
        crate::access::acts_for(&request, member_id)?;
        let request = request.into_inner();
        let page = PageRequest::parse(request.page_size, &request.page_token)?;
        let db = &self.context.db;
        member_here(
            db,
            &self.context.region,
            "member_id",
            member_id,
            "are in its groups",
        )
        .await?;
        let page = groups::list_memberships_of(db, page, member_id).await?;
        let ids: Vec<Uuid> = page.items.iter().map(|m| m.group_id).collect();
        let found = groups::by_ids(db, &ids).await?;
        let in_order: Vec<community_group::Model> =
            ids.iter().filter_map(|id| found.get(id).cloned()).collect();
        Ok(with_subject(
            Response::new(v1::ListMemberGroupsResponse {
                next_page_token: page.next_page_token(),
                groups: groups_to_wire(db, &in_order).await?,
            }),
            member_id.to_string(),
        ))
    }

    async fn schedule_meeting(
        &self,
        request: Request<v1::ScheduleMeetingRequest>,
    ) -> Result<Response<v1::GroupMeeting>, Status> {
        let wire = request
            .into_inner()
            .meeting
            .ok_or_else(|| Error::invalid("meeting", "must be set"))?;
        let group_id = validate::id("meeting.group_id", &wire.group_id)?;
        let group =
            rows::find::<community_group::Entity>(&self.context.db, group_id, "group").await?;
        let row =
            convert::groups::meeting_to_row(&wire, "meeting", &group, Uuid::now_v7(), Utc::now())?;
        let saved = {
            let _turn = self.context.write_turn().await;
            rows::insert::<group_meeting::Entity>(&self.context.db, row).await?
        };
        tracing::info!(%group_id, meeting_id = %saved.id, "group meeting scheduled");
        Ok(Response::new(convert::groups::meeting_to_wire(&saved, 0)))
    }

    async fn list_meetings(
        &self,
        request: Request<v1::ListMeetingsRequest>,
    ) -> Result<Response<v1::ListMeetingsResponse>, Status> {
        let request = request.into_inner();
        let group_id = validate::id("group_id", &request.group_id)?;
        let page = PageRequest::parse(request.page_size, &request.page_token)?;
        let db = &self.context.db;
        rows::find::<community_group::Entity>(db, group_id, "group").await?;
        let page = groups::list_meetings(db, page, group_id).await?;
        let ids: Vec<Uuid> = page.items.iter().map(|m| m.id).collect();
        let counts = groups::attendee_counts(db, &ids).await?;
        Ok(Response::new(v1::ListMeetingsResponse {
            next_page_token: page.next_page_token(),
            meetings: page
                .items
                .iter()
                .map(|m| {
                    convert::groups::meeting_to_wire(m, counts.get(&m.id).copied().unwrap_or(0))
                })
                .collect(),
        }))
    }

    async fn record_meeting_attendance(
        &self,
        request: Request<v1::RecordMeetingAttendanceRequest>,
    ) -> Result<Response<v1::GroupMeeting>, Status> {
        let request = request.into_inner();
        let meeting_id = validate::id("meeting_id", &request.meeting_id)?;
        if request.member_ids.is_empty() {
            return Err(
                Error::missing("member_ids", "must name at least one member who came").into(),
            );
        }
        if request.member_ids.len() > MAX_ATTENDEES_PER_CALL {
            return Err(Error::refused(
                "member_ids",
                format!(
                    "at most {MAX_ATTENDEES_PER_CALL} entries, got {}",
                    request.member_ids.len()
                ),
                Refusal::of(
                    v1::RefusalKind::TooMany,
                    "",
                    [MAX_ATTENDEES_PER_CALL.to_string()],
                ),
            )
            .into());
        }
        let mut member_ids: Vec<Uuid> = Vec::with_capacity(request.member_ids.len());
        for (index, id) in request.member_ids.iter().enumerate() {
            let id = validate::id(&format!("member_ids[{index}]"), id)?;
            if !member_ids.contains(&id) {
                member_ids.push(id);
            }
        }
        let (_turn, txn) = self.context.begin_write().await?;
        let meeting = rows::find::<group_meeting::Entity>(&txn, meeting_id, "meeting").await?;
        let now = Utc::now();
        if meeting.starts_at > now {
            return Err(Error::FailedPrecondition(format!(
                "meeting {meeting_id} starts at {}; attendance is recorded once it has started",
                meeting.starts_at
            ))
            .into());
        }
        let in_group = groups::members_among(&txn, meeting.group_id, &member_ids).await?;
        if let Some((index, outsider)) = request
            .member_ids
            .iter()
            .enumerate()
            .find(|(_, id)| Uuid::try_parse(id.trim()).is_ok_and(|id| !in_group.contains(&id)))
        {
            return Err(Error::FailedPrecondition(format!(
                "member_ids[{index}]: member {} is not in group {}; only its members' attendance is recorded",
                outsider.trim(),
                meeting.group_id
            ))
            .into());
        }
        let already = groups::attended_among(&txn, meeting_id, &member_ids).await?;
        for member_id in member_ids.into_iter().filter(|id| !already.contains(id)) {
            rows::insert::<meeting_attendance::Entity>(
                &txn,
                meeting_attendance::Model {
                    id: Uuid::now_v7(),
                    meeting_id,
                    member_id,
                    recorded_at: now,
                },
            )
            .await?;
        }
        let answer = meeting_to_wire(&txn, &meeting).await?;
        txn.commit().await.map_err(Error::from)?;
        tracing::info!(%meeting_id, attendees = answer.attendee_count, "meeting attendance recorded");
        Ok(Response::new(answer))
    }

    async fn list_meeting_attendees(
        &self,
        request: Request<v1::ListMeetingAttendeesRequest>,
    ) -> Result<Response<v1::ListMeetingAttendeesResponse>, Status> {
        let request = request.into_inner();
        let meeting_id = validate::id("meeting_id", &request.meeting_id)?;
        let page = PageRequest::parse(request.page_size, &request.page_token)?;
        rows::find::<group_meeting::Entity>(&self.context.db, meeting_id, "meeting").await?;
        let page = groups::list_attendees(&self.context.db, page, meeting_id).await?;
        Ok(Response::new(v1::ListMeetingAttendeesResponse {
            next_page_token: page.next_page_token(),
            member_ids: page.items.iter().map(|a| a.member_id.to_string()).collect(),
        }))
    }
}
