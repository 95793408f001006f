//! `passage.v1.CoachingService`: Refugee on Board-style coaching programmes of this
//! region — yearly cohorts with a capacity, sessions with attendance, completion
//! of the mandatory components (derived from attendance), aftercare and outcomes.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use chrono::{NaiveDate, Utc};
use passage_proto::v1::{self, coaching_service_server::CoachingService};
use passage_server::access::with_subject;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, IntoActiveModel};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::community::{self, Acting, CommunityRole};
use crate::context::NodeContext;
use crate::convert::{self, coaching as wire, enums};
use crate::error::{Error, Refusal, Result};
use crate::membership::member_here;
use crate::service::coaches;
use crate::store::{
    PageRequest, casework, coaching,
    entity::{coaching_cohort, coaching_enrolment, coaching_programme, coaching_session},
    rows,
};
use crate::validate;

/// Most attendees one session records.
const MAX_ATTENDEES: usize = 500;

/// Serves `CoachingService` from the node's database.
pub struct CoachingApi {
    context: NodeContext,
}

impl CoachingApi {
    pub fn new(context: NodeContext) -> Self {
        CoachingApi { context }
    }
}

/// Today, as the node sees it (UTC).
fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// The cohort and its programme.
async fn cohort_with_programme(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<(coaching_cohort::Model, coaching_programme::Model)> {
    let cohort = rows::find::<coaching_cohort::Entity>(db, id, "cohort").await?;
    let programme =
        rows::find::<coaching_programme::Entity>(db, cohort.programme_id, "programme").await?;
    Ok((cohort, programme))
}

/// The cohort as the wire shows it, with its enrolment and phase today.
async fn cohort_view(
    db: &impl ConnectionTrait,
    cohort: &coaching_cohort::Model,
    programme: &coaching_programme::Model,
) -> Result<v1::Cohort> {
    let enrolled = coaching::enrolled(db, cohort.id).await?;
    Ok(wire::cohort_to_wire(cohort, programme, enrolled, today()))
}

/// The participants as the wire shows them, with their completion of the
/// programme's mandatory components.
async fn participants_view(
    db: &impl ConnectionTrait,
    programme: &coaching_programme::Model,
    cohort_id: Uuid,
    enrolments: &[coaching_enrolment::Model],
) -> Result<Vec<v1::CohortParticipant>> {
    let member_ids: Vec<Uuid> = enrolments.iter().map(|e| e.member_id).collect();
    let attended = coaching::attended(db, cohort_id, &member_ids).await?;
    let names = casework::display_names(db, &member_ids).await?;
    let mandatory = wire::mandatory_components(programme);
    Ok(enrolments
        .iter()
        .map(|e| wire::participant_to_wire(e, &mandatory, &attended, names.get(&e.member_id)))
        .collect())
}

/// The session with who attended it.
async fn session_view(
    db: &impl ConnectionTrait,
    session: &coaching_session::Model,
) -> Result<v1::CoachingSession> {
    let attendees = coaching::attendees(db, &[session.id]).await?;
    Ok(wire::session_to_wire(
        session,
        attendees.get(&session.id).map_or(&[], Vec::as_slice),
    ))
}

fn optional_id(field: &str, value: &str) -> Result<Option<Uuid>> {
    match value.trim() {
        "" => Ok(None),
        value => validate::id(field, value).map(Some),
    }
}

#[tonic::async_trait]
impl CoachingService for CoachingApi {
    async fn create_programme(
        &self,
        request: Request<v1::CreateProgrammeRequest>,
    ) -> Result<Response<v1::CoachingProgramme>, Status> {
        let programme = request
            .into_inner()
            .programme
            .ok_or_else(|| Error::invalid("programme", "must be set"))?;
        let row = wire::programme_from_wire(programme, Uuid::now_v7())?;
        let saved = {
            let _turn = self.context.write_turn().await;
            rows::insert::<coaching_programme::Entity>(&self.context.db, row).await?
        };
        tracing::info!(programme_id = %saved.id, name = %saved.name, "coaching programme created");
        Ok(Response::new(wire::programme_to_wire(&saved)))
    }

    async fn get_programme(
        &self,
        request: Request<v1::GetProgrammeRequest>,
    ) -> Result<Response<v1::CoachingProgramme>, Status> {
        let id = validate::id("id", &request.into_inner().id)?;
        let row =
            rows::find::<coaching_programme::Entity>(&self.context.db, id, "programme").await?;
        Ok(Response::new(wire::programme_to_wire(&row)))
    }

    async fn list_programmes(
        &self,
        request: Request<v1::ListProgrammesRequest>,
    ) -> Result<Response<v1::ListProgrammesResponse>, Status> {
        let request = request.into_inner();
        let page = PageRequest::parse(request.page_size, &request.page_token)?;
        let page = coaching::list_programmes(&self.context.db, page).await?;
        Ok(Response::new(v1::ListProgrammesResponse {
            next_page_token: page.next_page_token(),
            programmes: page.items.iter().map(wire::programme_to_wire).collect(),
        }))
    }

    async fn create_cohort(
        &self,
        request: Request<v1::CreateCohortRequest>,
    ) -> Result<Response<v1::Cohort>, Status> {
        let cohort = request
            .into_inner()
            .cohort
            .ok_or_else(|| Error::invalid("cohort", "must be set"))?;
        let programme_id = validate::id("cohort.programme_id", &cohort.programme_id)?;
        let row = wire::cohort_from_wire(&cohort, programme_id, Uuid::now_v7())?;
        let (_turn, txn) = self.context.begin_write().await?;
        let programme =
            rows::find::<coaching_programme::Entity>(&txn, programme_id, "programme").await?;
        if let Some(existing) = coaching::cohort_of_year(&txn, programme_id, row.year).await? {
            return Err(Error::AlreadyExists(format!(
                "programme {} has a {} cohort already: {}",
                programme.name, row.year, existing.id
            ))
            .into());
        }
        let saved = rows::insert::<coaching_cohort::Entity>(&txn, row).await?;
        txn.commit().await.map_err(Error::from)?;
        tracing::info!(cohort_id = %saved.id, %programme_id, year = saved.year, "cohort created");
        Ok(Response::new(wire::cohort_to_wire(
            &saved,
            &programme,
            0,
            today(),
        )))
    }

    async fn get_cohort(
        &self,
        request: Request<v1::GetCohortRequest>,
    ) -> Result<Response<v1::Cohort>, Status> {
        let acting = Acting::of(&request)?;
        let id = validate::id("id", &request.into_inner().id)?;
        let (cohort, programme) = cohort_with_programme(&self.context.db, id).await?;
        community::require(&self.context.db, acting, CommunityRole::CoachOf(id)).await?;
        Ok(Response::new(
            cohort_view(&self.context.db, &cohort, &programme).await?,
        ))
    }

    async fn list_cohorts(
        &self,
        request: Request<v1::ListCohortsRequest>,
    ) -> Result<Response<v1::ListCohortsResponse>, Status> {
        let request = request.into_inner();
        let page = PageRequest::parse(request.page_size, &request.page_token)?;
        let programme_id = optional_id("programme_id", &request.programme_id)?;
        let db = &self.context.db;
        if let Some(id) = programme_id {
            rows::find::<coaching_programme::Entity>(db, id, "programme").await?;
        }
        let page = coaching::list_cohorts(db, page, programme_id).await?;
        let mut programmes: HashMap<Uuid, coaching_programme::Model> = HashMap::new();
        let mut cohorts = Vec::with_capacity(page.items.len());
        for cohort in &page.items {
            let programme = match programmes.entry(cohort.programme_id) {
                Entry::Occupied(known) => known.into_mut(),
                Entry::Vacant(slot) => slot.insert(
                    rows::find::<coaching_programme::Entity>(db, cohort.programme_id, "programme")
                        .await?,
                ),
            };
            cohorts.push(cohort_view(db, cohort, programme).await?);
        }
        Ok(Response::new(v1::ListCohortsResponse {
            next_page_token: page.next_page_token(),
            cohorts,
        }))
    }

    async fn enrol_participant(
        &self,
        request: Request<v1::EnrolParticipantRequest>,
    ) -> Result<Response<v1::CohortParticipant>, Status> {
        let request = request.into_inner();
        let cohort_id = validate::id("cohort_id", &request.cohort_id)?;
        let member_id = validate::id("member_id", &request.member_id)?;
        let (_turn, txn) = self.context.begin_write().await?;
        let (cohort, programme) = cohort_with_programme(&txn, cohort_id).await?;
        let member = member_here(
            &txn,
            &self.context.region,
            "member_id",
            member_id,
            "join its coaching cohorts",
        )
        .await?;
        if member.role != "newcomer" {
            return Err(Error::FailedPrecondition(format!(
                "member_id: member {member_id} is a {}, not a newcomer; coaching cohorts are for newcomers",
                member.role.replace('_', " ")
            ))
            .into());
        }
        if coaching::enrolment(&txn, cohort_id, member_id)
            .await?
            .is_some()
        {
            return Err(Error::AlreadyExists(format!(
                "member {member_id} is enrolled in the {} cohort of {} already",
                cohort.year, programme.name
            ))
            .into());
        }
        let enrolled = coaching::enrolled(&txn, cohort_id).await?;
        if enrolled >= u64::try_from(cohort.capacity).unwrap_or(0) {
            return Err(Error::FailedPrecondition(format!(
                "the {} cohort of {} is full: its capacity is {} participants",
                cohort.year, programme.name, cohort.capacity
            ))
            .into());
        }
        let saved = rows::insert::<coaching_enrolment::Entity>(
            &txn,
            coaching_enrolment::Model {
                id: Uuid::now_v7(),
                cohort_id,
                member_id,
                outcome: String::new(),
                outcome_recorded_on: None,
                outcome_detail: String::new(),
                enrolled_at: Utc::now(),
                external_id: None,
            },
        )
        .await?;
        crate::store::tally::enrolment(&txn, None, Some(&saved)).await?;
        txn.commit().await.map_err(Error::from)?;
        tracing::info!(%cohort_id, %member_id, "participant enrolled");
        let mut view = participants_view(&self.context.db, &programme, cohort_id, &[saved]).await?;
        view.pop()
            .map(|participant| with_subject(Response::new(participant), member_id.to_string()))
            .ok_or_else(|| Error::not_found("participant", member_id).into())
    }

    async fn list_cohort_participants(
        &self,
        request: Request<v1::ListCohortParticipantsRequest>,
    ) -> Result<Response<v1::ListCohortParticipantsResponse>, Status> {
        let acting = Acting::of(&request)?;
        let request = request.into_inner();
        let cohort_id = validate::id("cohort_id", &request.cohort_id)?;
        let page = PageRequest::parse(request.page_size, &request.page_token)?;
        let db = &self.context.db;
        let (_, programme) = cohort_with_programme(db, cohort_id).await?;
        community::require(db, acting, CommunityRole::CoachOf(cohort_id)).await?;
        let page = coaching::list_enrolments(db, page, cohort_id).await?;
        Ok(Response::new(v1::ListCohortParticipantsResponse {
            next_page_token: page.next_page_token(),
            participants: participants_view(db, &programme, cohort_id, &page.items).await?,
        }))
    }

    async fn schedule_coaching_session(
        &self,
        request: Request<v1::ScheduleCoachingSessionRequest>,
    ) -> Result<Response<v1::CoachingSession>, Status> {
        let session = request
            .into_inner()
            .session
            .ok_or_else(|| Error::invalid("session", "must be set"))?;
        let cohort_id = validate::id("session.cohort_id", &session.cohort_id)?;
        let (_turn, txn) = self.context.begin_write().await?;
        let cohort = rows::find::<coaching_cohort::Entity>(&txn, cohort_id, "cohort").await?;
        let row = wire::session_from_wire(&session, &cohort, Uuid::now_v7())?;
        if let Some(coach) = row.coach_member_id {
            member_here(
                &txn,
                &self.context.region,
                "session.coach_member_id",
                coach,
                "coach its cohorts",
            )
            .await?;
        }
        let saved = rows::insert::<coaching_session::Entity>(&txn, row).await?;
        txn.commit().await.map_err(Error::from)?;
        tracing::info!(session_id = %saved.id, %cohort_id, component = %saved.component, "coaching session scheduled");
        Ok(Response::new(wire::session_to_wire(&saved, &[])))
    }

    async fn list_coaching_sessions(
        &self,
        request: Request<v1::ListCoachingSessionsRequest>,
    ) -> Result<Response<v1::ListCoachingSessionsResponse>, Status> {
        let acting = Acting::of(&request)?;
        let request = request.into_inner();
        let cohort_id = validate::id("cohort_id", &request.cohort_id)?;
        let page = PageRequest::parse(request.page_size, &request.page_token)?;
        let component = enums::filter::<v1::CoachingComponent>("component", request.component)?;
        let db = &self.context.db;
        rows::find::<coaching_cohort::Entity>(db, cohort_id, "cohort").await?;
        community::require(db, acting, CommunityRole::CoachOf(cohort_id)).await?;
        let page = coaching::list_sessions(db, page, cohort_id, component.as_deref()).await?;
        let ids: Vec<Uuid> = page.items.iter().map(|s| s.id).collect();
        let attendees = coaching::attendees(db, &ids).await?;
        Ok(Response::new(v1::ListCoachingSessionsResponse {
            next_page_token: page.next_page_token(),
            sessions: page
                .items
                .iter()
                .map(|s| wire::session_to_wire(s, attendees.get(&s.id).map_or(&[], Vec::as_slice)))
                .collect(),
        }))
    }

    async fn record_session_attendance(
        &self,
        request: Request<v1::RecordSessionAttendanceRequest>,
    ) -> Result<Response<v1::CoachingSession>, Status> {
        let acting = Acting::of(&request)?;
        let request = request.into_inner();
        let session_id = validate::id("session_id", &request.session_id)?;
        if request.attendee_member_ids.len() > MAX_ATTENDEES {
            return Err(Error::refused(
                "attendee_member_ids",
                format!(
                    "at most {MAX_ATTENDEES} entries, got {}",
                    request.attendee_member_ids.len()
                ),
                Refusal::of(v1::RefusalKind::TooMany, "", [MAX_ATTENDEES.to_string()]),
            )
            .into());
        }
        let mut attendees: Vec<Uuid> = Vec::with_capacity(request.attendee_member_ids.len());
        for (index, value) in request.attendee_member_ids.iter().enumerate() {
            let id = validate::id(&format!("attendee_member_ids[{index}]"), value)?;
            if !attendees.contains(&id) {
                attendees.push(id);
            }
        }
        let (_turn, txn) = self.context.begin_write().await?;
        let session =
            rows::find::<coaching_session::Entity>(&txn, session_id, "coaching session").await?;
        community::require(&txn, acting, CommunityRole::CoachOf(session.cohort_id)).await?;
        let enrolled = coaching::participants_among(&txn, session.cohort_id, &attendees).await?;
        if let Some((index, stranger)) = attendees
            .iter()
            .enumerate()
            .find(|(_, id)| !enrolled.contains(id))
        {
            return Err(Error::FailedPrecondition(format!(
                "attendee_member_ids[{index}]: member {stranger} is not a participant of cohort {}; only its participants attend its sessions",
                session.cohort_id
            ))
            .into());
        }
        coaching::set_attendance(&txn, &session, &attendees).await?;
        txn.commit().await.map_err(Error::from)?;
        tracing::info!(%session_id, attendees = attendees.len(), "attendance recorded");
        Ok(Response::new(
            session_view(&self.context.db, &session).await?,
        ))
    }

    async fn record_participant_outcome(
        &self,
        request: Request<v1::RecordParticipantOutcomeRequest>,
    ) -> Result<Response<v1::CohortParticipant>, Status> {
        let acting = Acting::of(&request)?;
        let request = request.into_inner();
        let cohort_id = validate::id("cohort_id", &request.cohort_id)?;
        let member_id = validate::id("member_id", &request.member_id)?;
        let outcome = enums::parse::<v1::CoachingOutcome>("outcome", request.outcome, true)?;
        let recorded_on = validate::optional_date("recorded_on", &request.recorded_on)?;
        let detail = validate::optional_text("detail", &request.detail, wire::MAX_OUTCOME_DETAIL)?;
        let today = today();
        let recorded_on = recorded_on.unwrap_or(today);
        if recorded_on > today {
            return Err(Error::refused(
                "recorded_on",
                format!("must not be in the future (today is {today}), got {recorded_on}"),
                Refusal::of(v1::RefusalKind::InTheFuture, &recorded_on.to_string(), []),
            )
            .into());
        }
        let (_turn, txn) = self.context.begin_write().await?;
        let (cohort, programme) = cohort_with_programme(&txn, cohort_id).await?;
        community::require(&txn, acting, CommunityRole::CoachOf(cohort_id)).await?;
        if today < cohort.ends_on {
            return Err(Error::FailedPrecondition(format!(
                "the {} cohort of {} runs until {}; outcomes are recorded from then",
                cohort.year, programme.name, cohort.ends_on
            ))
            .into());
        }
        if recorded_on < cohort.ends_on {
            return Err(Error::refused(
                "recorded_on",
                format!(
                    "must be on or after the day the cohort ends ({}), got {recorded_on}",
                    cohort.ends_on
                ),
                Refusal::of(
                    v1::RefusalKind::Before,
                    &recorded_on.to_string(),
                    [cohort.ends_on.to_string()],
                ),
            )
            .into());
        }
        let Some(enrolment) = coaching::enrolment(&txn, cohort_id, member_id).await? else {
            return Err(Error::FailedPrecondition(format!(
                "member_id: member {member_id} is not a participant of the {} cohort of {}",
                cohort.year, programme.name
            ))
            .into());
        };
        let was = enrolment.clone();
        let mut active = enrolment.into_active_model();
        active.outcome = Set(enums::stored(outcome));
        active.outcome_recorded_on = Set(Some(recorded_on));
        active.outcome_detail = Set(detail);
        let saved = active.update(&txn).await.map_err(Error::from)?;
        crate::store::tally::enrolment(&txn, Some(&was), Some(&saved)).await?;
        txn.commit().await.map_err(Error::from)?;
        tracing::info!(%cohort_id, %member_id, outcome = %saved.outcome, "participant outcome recorded");
        let mut view = participants_view(&self.context.db, &programme, cohort_id, &[saved]).await?;
        view.pop()
            .map(|participant| with_subject(Response::new(participant), member_id.to_string()))
            .ok_or_else(|| Error::not_found("participant", member_id).into())
    }

    async fn get_cohort_report(
        &self,
        request: Request<v1::GetCohortReportRequest>,
    ) -> Result<Response<v1::CohortReport>, Status> {
        let acting = Acting::of(&request)?;
        let cohort_id = validate::id("cohort_id", &request.into_inner().cohort_id)?;
        let db = &self.context.db;
        let (cohort, programme) = cohort_with_programme(db, cohort_id).await?;
        community::require(db, acting, CommunityRole::CoachOf(cohort_id)).await?;
        let enrolments = coaching::all_enrolments(db, cohort_id).await?;
        let participants = participants_view(db, &programme, cohort_id, &enrolments).await?;
        let mut outcomes = v1::CohortOutcomeCounts::default();
        for participant in &participants {
            match v1::CoachingOutcome::try_from(participant.outcome).unwrap_or_default() {
                v1::CoachingOutcome::PaidJob => outcomes.paid_job += 1,
                v1::CoachingOutcome::UnpaidRole => outcomes.unpaid_role += 1,
                v1::CoachingOutcome::Education => outcomes.education += 1,
                v1::CoachingOutcome::None => outcomes.none += 1,
                v1::CoachingOutcome::Unspecified => outcomes.not_recorded += 1,
            }
        }
        let counts = coaching::session_counts(db, cohort_id).await?;
        let sessions = [
            v1::CoachingComponent::JobCoaching,
            v1::CoachingComponent::ApplicationTraining,
            v1::CoachingComponent::CommunicationTraining,
            v1::CoachingComponent::Other,
        ]
        .into_iter()
        .map(|component| v1::CohortSessionCount {
            component: component as i32,
            sessions: counts.get(&enums::stored(component)).copied().unwrap_or(0),
        })
        .collect();
        Ok(Response::new(v1::CohortReport {
            cohort: Some(cohort_view(db, &cohort, &programme).await?),
            programme: Some(convert::coaching::programme_to_wire(&programme)),
            completed_programme: participants
                .iter()
                .filter(|p| p.completed_programme)
                .count() as i32,
            participants,
            outcomes: Some(outcomes),
            sessions,
        }))
    }

    async fn assign_coach(
        &self,
        request: Request<v1::AssignCoachRequest>,
    ) -> Result<Response<v1::CohortCoach>, Status> {
        Ok(coaches::assign_coach(&self.context, request.into_inner()).await?)
    }

    async fn unassign_coach(
        &self,
        request: Request<v1::UnassignCoachRequest>,
    ) -> Result<Response<v1::UnassignCoachResponse>, Status> {
        Ok(coaches::unassign_coach(&self.context, request.into_inner()).await?)
    }

    async fn list_cohort_coaches(
        &self,
        request: Request<v1::ListCohortCoachesRequest>,
    ) -> Result<Response<v1::ListCohortCoachesResponse>, Status> {
        Ok(Response::new(
            coaches::list_cohort_coaches(&self.context, request.into_inner()).await?,
        ))
    }

    async fn list_coached_cohorts(
        &self,
        request: Request<v1::ListCoachedCohortsRequest>,
    ) -> Result<Response<v1::ListCohortsResponse>, Status> {
        let acting = Acting::of(&request)?;
        let coach = validate::id("coach_member_id", &request.into_inner().coach_member_id)?;
        acting.named("coach_member_id", coach)?;
        let db = &self.context.db;
        let mut cohorts = Vec::new();
        for id in community::coached_cohorts(db, coach).await? {
            let (cohort, programme) = cohort_with_programme(db, id).await?;
            cohorts.push(cohort_view(db, &cohort, &programme).await?);
        }
        Ok(with_subject(
            Response::new(v1::ListCohortsResponse {
                cohorts,
                next_page_token: String::new(),
            }),
            coach.to_string(),
        ))
    }

    async fn record_aftercare_contact(
        &self,
        request: Request<v1::RecordAftercareContactRequest>,
    ) -> Result<Response<v1::AftercareContact>, Status> {
        let acting = Acting::of(&request)?;
        Ok(coaches::record_aftercare_contact(&self.context, acting, request.into_inner()).await?)
    }

    async fn list_aftercare_contacts(
        &self,
        request: Request<v1::ListAftercareContactsRequest>,
    ) -> Result<Response<v1::ListAftercareContactsResponse>, Status> {
        let acting = Acting::of(&request)?;
        Ok(coaches::list_aftercare_contacts(&self.context, acting, request.into_inner()).await?)
    }
}
