//! The coaches' half of `CoachingService`: a chapter admin assigns members to
//! coach a cohort, and the coaches (or the chapter admin) record a dated note of
//! each aftercare contact with a participant.

use chrono::{Days, Utc};
use passage_proto::v1;
use passage_server::access::with_subject;
use tonic::Response;
use uuid::Uuid;

use crate::community::{self, Acting, CommunityRole};
use crate::context::NodeContext;
use crate::convert::coaching as wire;
use crate::error::{Error, Refusal, Result};
use crate::membership::member_here;
use crate::store::entity::{aftercare_contact, coaching_cohort, coaching_programme, cohort_coach};
use crate::store::{PageRequest, casework, coaches, coaching, rows};
use crate::validate;

/// Longest aftercare note, in characters.
const MAX_NOTE: usize = 2000;

fn optional_id(field: &str, value: &str) -> Result<Option<Uuid>> {
    match value.trim() {
        "" => Ok(None),
        value => validate::id(field, value).map(Some),
    }
}

pub async fn assign_coach(
    context: &NodeContext,
    request: v1::AssignCoachRequest,
) -> Result<Response<v1::CohortCoach>> {
    let cohort_id = validate::id("cohort_id", &request.cohort_id)?;
    let coach = validate::id("coach_member_id", &request.coach_member_id)?;
    let (_turn, txn) = context.begin_write().await?;
    rows::find::<coaching_cohort::Entity>(&txn, cohort_id, "cohort").await?;
    let member = member_here(
        &txn,
        &context.region,
        "coach_member_id",
        coach,
        "coach its cohorts",
    )
    .await?;
    if coaches::assignment(&txn, cohort_id, coach).await?.is_some() {
        return Err(Error::AlreadyExists(format!(
            "member {coach} coaches cohort {cohort_id} already"
        )));
    }
    let saved = rows::insert::<cohort_coach::Entity>(
        &txn,
        cohort_coach::Model {
            cohort_id,
            coach_member_id: coach,
            assigned_at: Utc::now(),
        },
    )
    .await?;
    txn.commit().await.map_err(Error::from)?;
    tracing::info!(%cohort_id, %coach, "coach assigned");
    Ok(with_subject(
        Response::new(wire::coach_to_wire(&saved, Some(&member.display_name))),
        coach.to_string(),
    ))
}

pub async fn unassign_coach(
    context: &NodeContext,
    request: v1::UnassignCoachRequest,
) -> Result<Response<v1::UnassignCoachResponse>> {
    let cohort_id = validate::id("cohort_id", &request.cohort_id)?;
    let coach = validate::id("coach_member_id", &request.coach_member_id)?;
    let (_turn, txn) = context.begin_write().await?;
    let Some(assignment) = coaches::assignment(&txn, cohort_id, coach).await? else {
        return Err(Error::not_found(
            "coach",
            format!("{coach} of cohort {cohort_id}"),
        ));
    };
    sea_orm::ModelTrait::delete(assignment, &txn).await?;
    txn.commit().await.map_err(Error::from)?;
    tracing::info!(%cohort_id, %coach, "coach unassigned");
    Ok(with_subject(
        Response::new(v1::UnassignCoachResponse {}),
        coach.to_string(),
    ))
}

pub async fn list_cohort_coaches(
    context: &NodeContext,
    request: v1::ListCohortCoachesRequest,
) -> Result<v1::ListCohortCoachesResponse> {
    let cohort_id = validate::id("cohort_id", &request.cohort_id)?;
    let db = &context.db;
    rows::find::<coaching_cohort::Entity>(db, cohort_id, "cohort").await?;
    let rows = coaches::coaches(db, cohort_id).await?;
    let ids: Vec<Uuid> = rows.iter().map(|c| c.coach_member_id).collect();
    let names = casework::display_names(db, &ids).await?;
    Ok(v1::ListCohortCoachesResponse {
        coaches: rows
            .iter()
            .map(|c| wire::coach_to_wire(c, names.get(&c.coach_member_id)))
            .collect(),
    })
}

pub async fn record_aftercare_contact(
    context: &NodeContext,
    acting: Acting,
    request: v1::RecordAftercareContactRequest,
) -> Result<Response<v1::AftercareContact>> {
    let cohort_id = validate::id("cohort_id", &request.cohort_id)?;
    let participant = validate::id("member_id", &request.member_id)?;
    let coach = match (
        acting,
        optional_id("coach_member_id", &request.coach_member_id)?,
    ) {
        (Acting::Member(_), None) => {
            return Err(Error::missing(
                "coach_member_id",
                "must name the coach recording the contact",
            ));
        }
        (_, coach) => coach,
    };
    if let Some(coach) = coach {
        acting.named("coach_member_id", coach)?;
    }
    let note = validate::required_text("note", &request.note, MAX_NOTE)?;
    let today = Utc::now().date_naive();
    let contacted_on = validate::optional_date("contacted_on", &request.contacted_on)?;
    let contacted_on = contacted_on.unwrap_or(today);
    if contacted_on > today {
        return Err(Error::refused(
            "contacted_on",
            format!("must not be in the future (today is {today}), got {contacted_on}"),
            Refusal::of(v1::RefusalKind::InTheFuture, &contacted_on.to_string(), []),
        ));
    }
    let (_turn, txn) = context.begin_write().await?;
    let cohort = rows::find::<coaching_cohort::Entity>(&txn, cohort_id, "cohort").await?;
    community::require(&txn, acting, CommunityRole::CoachOf(cohort_id)).await?;
    if let Some(coach) = coach
        && coaches::assignment(&txn, cohort_id, coach).await?.is_none()
    {
        return Err(Error::FailedPrecondition(format!(
            "coach_member_id: member {coach} does not coach cohort {cohort_id}"
        )));
    }
    let programme =
        rows::find::<coaching_programme::Entity>(&txn, cohort.programme_id, "programme").await?;
    let first = cohort
        .ends_on
        .checked_add_days(Days::new(1))
        .unwrap_or(cohort.ends_on);
    let last = wire::aftercare_ends_on(&cohort, programme.aftercare_months);
    if contacted_on < first || contacted_on > last {
        return Err(Error::refused(
            "contacted_on",
            format!("must be during the cohort's aftercare, {first} to {last}, got {contacted_on}"),
            Refusal::of(
                v1::RefusalKind::OutOfRange,
                &contacted_on.to_string(),
                [first.to_string(), last.to_string()],
            ),
        ));
    }
    if coaching::enrolment(&txn, cohort_id, participant)
        .await?
        .is_none()
    {
        return Err(Error::FailedPrecondition(format!(
            "member_id: member {participant} is not a participant of cohort {cohort_id}"
        )));
    }
    let saved = rows::insert::<aftercare_contact::Entity>(
        &txn,
        aftercare_contact::Model {
            id: Uuid::now_v7(),
            cohort_id,
            participant_member_id: participant,
            coach_member_id: coach,
            contacted_on,
            note,
            created_at: Utc::now(),
        },
    )
    .await?;
    txn.commit().await.map_err(Error::from)?;
    tracing::info!(contact_id = %saved.id, %cohort_id, %participant, "aftercare contact recorded");
    Ok(with_subject(
        Response::new(wire::aftercare_contact_to_wire(&saved)),
        participant.to_string(),
    ))
}

pub async fn list_aftercare_contacts(
    context: &NodeContext,
    acting: Acting,
    request: v1::ListAftercareContactsRequest,
) -> Result<Response<v1::ListAftercareContactsResponse>> {
    let cohort_id = validate::id("cohort_id", &request.cohort_id)?;
    let participant = optional_id("member_id", &request.member_id)?;
    let page = PageRequest::parse(request.page_size, &request.page_token)?;
    let db = &context.db;
    rows::find::<coaching_cohort::Entity>(db, cohort_id, "cohort").await?;
    community::require(db, acting, CommunityRole::CoachOf(cohort_id)).await?;
    let page = coaches::contacts(db, page, cohort_id, participant).await?;
    let response = Response::new(v1::ListAftercareContactsResponse {
        next_page_token: page.next_page_token(),
        contacts: page
            .items
            .iter()
            .map(wire::aftercare_contact_to_wire)
            .collect(),
    });
    Ok(match participant {
        Some(participant) => with_subject(response, participant.to_string()),
        None => response,
    })
}
