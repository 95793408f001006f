//! `passage.v1.EventService`: Movisie's opportunity fairs ("kansenbeurs"),
//! information sessions and trainings of this region; what organisations present
//! at a fair; registration up to the capacity with a waiting list; attendance.

use std::collections::HashMap;

use chrono::Utc;
use passage_proto::v1::{self, event_service_server::EventService};
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
    entity::{community_event, event_registration, fair_presentation, opportunity, organisation},
    events, rows,
};
use crate::validate;

/// Most opportunities one organisation adds to a fair in one call.
const MAX_PRESENTED_PER_CALL: usize = 50;

/// Serves `EventService` from the node's database.
pub struct EventApi {
    context: NodeContext,
}

impl EventApi {
    pub fn new(context: NodeContext) -> Self {
        EventApi { context }
    }
}

/// An event on the wire, with its counts.
async fn event_to_wire(
    db: &impl ConnectionTrait,
    row: &community_event::Model,
) -> Result<v1::Event> {
    let counts = events::counts(db, &[row.id]).await?;
    Ok(convert::events::event_to_wire(
        row,
        counts.get(&row.id).copied().unwrap_or_default(),
    ))
}

/// A registration on the wire, with its place on the waiting list.
async fn registration_to_wire(
    db: &impl ConnectionTrait,
    row: &event_registration::Model,
) -> Result<v1::EventRegistration> {
    let position = if row.status == "waitlisted" {
        events::waitlist_position(db, row).await?
    } else {
        0
    };
    Ok(convert::events::registration_to_wire(row, position))
}

/// The event's name for messages: "opportunity fair 0190… (\"Kansenbeurs Oost\")".
fn named(event: &community_event::Model) -> String {
    format!(
        "{} {} ({:?})",
        event.kind.replace('_', " "),
        event.id,
        event.title
    )
}

/// Registrations and cancellations are taken until the event ends.
fn check_not_ended(event: &community_event::Model, what: &str) -> Result<()> {
    if event.ends_at <= Utc::now() {
        return Err(Error::FailedPrecondition(format!(
            "{} ended at {}; {what} is closed",
            named(event),
            event.ends_at
        )));
    }
    Ok(())
}

#[tonic::async_trait]
impl EventService for EventApi {
    async fn create_event(
        &self,
        request: Request<v1::CreateEventRequest>,
    ) -> Result<Response<v1::Event>, Status> {
        let wire = request
            .into_inner()
            .event
            .ok_or_else(|| Error::invalid("event", "must be set"))?;
        let row = convert::events::event_to_row(&wire, "event", Uuid::now_v7(), Utc::now())?;
        let saved = {
            let _turn = self.context.write_turn().await;
            rows::insert::<community_event::Entity>(&self.context.db, row).await?
        };
        tracing::info!(event_id = %saved.id, kind = %saved.kind, capacity = saved.capacity, "event created");
        Ok(Response::new(convert::events::event_to_wire(
            &saved,
            events::Counts::default(),
        )))
    }

    async fn get_event(
        &self,
        request: Request<v1::GetEventRequest>,
    ) -> Result<Response<v1::Event>, Status> {
        let id = validate::id("id", &request.into_inner().id)?;
        let row = rows::find::<community_event::Entity>(&self.context.db, id, "event").await?;
        Ok(Response::new(event_to_wire(&self.context.db, &row).await?))
    }

    async fn list_events(
        &self,
        request: Request<v1::ListEventsRequest>,
    ) -> Result<Response<v1::ListEventsResponse>, Status> {
        let request = request.into_inner();
        let page = PageRequest::parse(request.page_size, &request.page_token)?;
        let kind = enums::filter::<v1::EventKind>("kind", request.kind)?;
        let ending_after = request.upcoming.then(Utc::now);
        let page = events::list(&self.context.db, page, kind.as_deref(), ending_after).await?;
        let ids: Vec<Uuid> = page.items.iter().map(|e| e.id).collect();
        let counts = events::counts(&self.context.db, &ids).await?;
        Ok(Response::new(v1::ListEventsResponse {
            next_page_token: page.next_page_token(),
            events: page
                .items
                .iter()
                .map(|e| {
                    convert::events::event_to_wire(
                        e,
                        counts.get(&e.id).copied().unwrap_or_default(),
                    )
                })
                .collect(),
        }))
    }

    async fn add_fair_presentation(
        &self,
        request: Request<v1::AddFairPresentationRequest>,
    ) -> Result<Response<v1::AddFairPresentationResponse>, Status> {
        let event_id = validate::id("event_id", &request.get_ref().event_id)?;
        let organisation_id = validate::id("organisation_id", &request.get_ref().organisation_id)?;
        crate::access::acts_for_organisation(&request, organisation_id)?;
        let request = request.into_inner();
        if request.opportunity_ids.is_empty() {
            return Err(Error::missing(
                "opportunity_ids",
                "must name at least one opportunity the organisation presents",
            )
            .into());
        }
        if request.opportunity_ids.len() > MAX_PRESENTED_PER_CALL {
            return Err(Error::refused(
                "opportunity_ids",
                format!(
                    "at most {MAX_PRESENTED_PER_CALL} entries, got {}",
                    request.opportunity_ids.len()
                ),
                Refusal::of(
                    v1::RefusalKind::TooMany,
                    "",
                    [MAX_PRESENTED_PER_CALL.to_string()],
                ),
            )
            .into());
        }
        let mut opportunity_ids: Vec<Uuid> = Vec::with_capacity(request.opportunity_ids.len());
        for (index, id) in request.opportunity_ids.iter().enumerate() {
            let field = format!("opportunity_ids[{index}]");
            let id = validate::id(&field, id)?;
            if opportunity_ids.contains(&id) {
                return Err(Error::refused(
                    field,
                    format!("opportunity {id} is named twice"),
                    Refusal::of(v1::RefusalKind::NamedTwice, &id.to_string(), []),
                )
                .into());
            }
            opportunity_ids.push(id);
        }

        let (_turn, txn) = self.context.begin_write().await?;
        let event = rows::find::<community_event::Entity>(&txn, event_id, "event").await?;
        if event.kind != "opportunity_fair" {
            return Err(Error::FailedPrecondition(format!(
                "event_id: {} is not an opportunity fair; organisations present opportunities only at a fair",
                named(&event)
            ))
            .into());
        }
        let organisation =
            rows::find::<organisation::Entity>(&txn, organisation_id, "organisation").await?;
        for (index, id) in opportunity_ids.iter().enumerate() {
            let field = format!("opportunity_ids[{index}]");
            let offered = rows::find::<opportunity::Entity>(&txn, *id, "opportunity").await?;
            if offered.organisation_id != organisation_id {
                return Err(Error::refused(
                    field,
                    format!(
                        "opportunity {id} ({:?}) is offered by organisation {}, not by {} ({:?}); an organisation presents only its own opportunities",
                        offered.title, offered.organisation_id, organisation_id, organisation.name
                    ),
                    Refusal::of(v1::RefusalKind::NotItsOwn, &offered.title, []),
                )
                .into());
            }
            if offered.status != "published" {
                return Err(Error::FailedPrecondition(format!(
                    "{field}: opportunity {id} ({:?}) is {}; only published opportunities, checked by the community, are presented at a fair",
                    offered.title,
                    offered.status.replace('_', " ")
                ))
                .into());
            }
        }
        let presented = events::presented_among(&txn, event_id, &opportunity_ids).await?;
        if let Some(index) = opportunity_ids.iter().position(|id| presented.contains(id)) {
            return Err(Error::AlreadyExists(format!(
                "opportunity_ids[{index}]: opportunity {} is presented at {} already",
                opportunity_ids[index],
                named(&event)
            ))
            .into());
        }
        let now = Utc::now();
        let mut saved = Vec::with_capacity(opportunity_ids.len());
        for opportunity_id in opportunity_ids {
            saved.push(
                rows::insert::<fair_presentation::Entity>(
                    &txn,
                    fair_presentation::Model {
                        id: Uuid::now_v7(),
                        event_id,
                        organisation_id,
                        opportunity_id,
                        created_at: now,
                    },
                )
                .await?,
            );
        }
        txn.commit().await.map_err(Error::from)?;
        tracing::info!(%event_id, %organisation_id, opportunities = saved.len(), "opportunities presented at a fair");
        Ok(Response::new(v1::AddFairPresentationResponse {
            presentations: saved
                .iter()
                .map(convert::events::presentation_to_wire)
                .collect(),
        }))
    }

    async fn list_fair_presentations(
        &self,
        request: Request<v1::ListFairPresentationsRequest>,
    ) -> Result<Response<v1::ListFairPresentationsResponse>, Status> {
        let own = crate::access::organisation_limit(&request)?;
        let request = request.into_inner();
        let event_id = validate::id("event_id", &request.event_id)?;
        let page = PageRequest::parse(request.page_size, &request.page_token)?;
        let organisation_id = match (request.organisation_id.trim(), own) {
            ("", own) => own,
            (id, own) => {
                let asked = validate::id("organisation_id", id)?;
                if own.is_some_and(|own| own != asked) {
                    return Err(Error::PermissionDenied(format!(
                        "organisation_id: {asked} is not your organisation; you list your own presentations"
                    ))
                    .into());
                }
                Some(asked)
            }
        };
        rows::find::<community_event::Entity>(&self.context.db, event_id, "event").await?;
        let page =
            events::list_presentations(&self.context.db, page, event_id, organisation_id).await?;
        Ok(Response::new(v1::ListFairPresentationsResponse {
            next_page_token: page.next_page_token(),
            presentations: page
                .items
                .iter()
                .map(convert::events::presentation_to_wire)
                .collect(),
        }))
    }

    async fn register_for_event(
        &self,
        request: Request<v1::RegisterForEventRequest>,
    ) -> Result<Response<v1::EventRegistration>, Status> {
        let member_id = validate::id("member_id", &request.get_ref().member_id)?;
        crate::access::acts_for(&request, member_id)?;
        let request = request.into_inner();
        let event_id = validate::id("event_id", &request.event_id)?;
        let (_turn, txn) = self.context.begin_write().await?;
        let event = rows::find::<community_event::Entity>(&txn, event_id, "event").await?;
        member_here(
            &txn,
            &self.context.region,
            "member_id",
            member_id,
            "register for its events",
        )
        .await?;
        check_not_ended(&event, "registration")?;
        if let Some(existing) = events::current_registration(&txn, event_id, member_id).await? {
            return Err(Error::AlreadyExists(format!(
                "member {member_id} is {} for {} already",
                match existing.status.as_str() {
                    "waitlisted" => "on the waiting list",
                    "attended" => "registered (and came)",
                    "no_show" => "registered (and did not come)",
                    _ => "registered",
                },
                named(&event)
            ))
            .into());
        }
        let taken = events::seats_taken(&txn, event_id).await?;
        let status = if taken < u64::try_from(event.capacity).unwrap_or(0) {
            "registered"
        } else {
            "waitlisted"
        };
        let now = Utc::now();
        let saved = rows::insert::<event_registration::Entity>(
            &txn,
            event_registration::Model {
                id: Uuid::now_v7(),
                event_id,
                member_id,
                status: status.to_owned(),
                created_at: now,
                updated_at: now,
                external_id: None,
            },
        )
        .await?;
        let answer = registration_to_wire(&txn, &saved).await?;
        txn.commit().await.map_err(Error::from)?;
        tracing::info!(%event_id, %member_id, status, "member registered for event");
        Ok(with_subject(Response::new(answer), member_id.to_string()))
    }

    async fn cancel_event_registration(
        &self,
        request: Request<v1::CancelEventRegistrationRequest>,
    ) -> Result<Response<v1::CancelEventRegistrationResponse>, Status> {
        let member_id = validate::id("member_id", &request.get_ref().member_id)?;
        crate::access::acts_for(&request, member_id)?;
        let request = request.into_inner();
        let event_id = validate::id("event_id", &request.event_id)?;
        let (_turn, txn) = self.context.begin_write().await?;
        let event = rows::find::<community_event::Entity>(&txn, event_id, "event").await?;
        let Some(registration) = events::current_registration(&txn, event_id, member_id).await?
        else {
            return Err(Error::FailedPrecondition(format!(
                "member {member_id} is not registered for {}",
                named(&event)
            ))
            .into());
        };
        if !matches!(registration.status.as_str(), "registered" | "waitlisted") {
            return Err(Error::FailedPrecondition(format!(
                "member {member_id} is marked {} at {}; attendance is not cancelled",
                registration.status.replace('_', "-"),
                named(&event)
            ))
            .into());
        }
        check_not_ended(&event, "cancelling")?;
        let now = Utc::now();
        let held_seat = registration.status == "registered";
        let cancelled = events::set_status(&txn, registration, "cancelled", now).await?;
        let promoted = match held_seat {
            true => match events::first_waitlisted(&txn, event_id).await? {
                Some(first) => Some(events::set_status(&txn, first, "registered", now).await?),
                None => None,
            },
            false => None,
        };
        if let Some(promoted) = &promoted {
            crate::store::notifications::hooks::seat_given(&txn, promoted).await?;
        }
        txn.commit().await.map_err(Error::from)?;
        self.context.mail_ready.notify_one();
        tracing::info!(
            %event_id, %member_id,
            promoted = ?promoted.as_ref().map(|p| p.member_id),
            "event registration cancelled"
        );
        Ok(with_subject(
            Response::new(v1::CancelEventRegistrationResponse {
                cancelled: Some(convert::events::registration_to_wire(&cancelled, 0)),
                promoted: promoted
                    .as_ref()
                    .map(|row| convert::events::registration_to_wire(row, 0)),
            }),
            member_id.to_string(),
        ))
    }

    async fn record_event_attendance(
        &self,
        request: Request<v1::RecordEventAttendanceRequest>,
    ) -> Result<Response<v1::EventRegistration>, Status> {
        let request = request.into_inner();
        let event_id = validate::id("event_id", &request.event_id)?;
        let member_id = validate::id("member_id", &request.member_id)?;
        let mark = enums::parse::<v1::RegistrationStatus>("status", request.status, true)?;
        if !matches!(
            mark,
            v1::RegistrationStatus::Attended | v1::RegistrationStatus::NoShow
        ) {
            return Err(Error::refused(
                "status",
                "must be REGISTRATION_STATUS_ATTENDED or REGISTRATION_STATUS_NO_SHOW",
                Refusal::of(
                    v1::RefusalKind::NotOneOf,
                    mark.as_str_name()
                        .trim_start_matches("REGISTRATION_STATUS_"),
                    ["ATTENDED", "NO_SHOW"].map(String::from),
                ),
            )
            .into());
        }
        let (_turn, txn) = self.context.begin_write().await?;
        let event = rows::find::<community_event::Entity>(&txn, event_id, "event").await?;
        if event.starts_at > Utc::now() {
            return Err(Error::FailedPrecondition(format!(
                "{} starts at {}; attendance is recorded once it has started",
                named(&event),
                event.starts_at
            ))
            .into());
        }
        let registration = events::current_registration(&txn, event_id, member_id).await?;
        let registration = match registration {
            Some(row) if events::HOLDING_SEAT.contains(&row.status.as_str()) => row,
            Some(row) if row.status == "waitlisted" => {
                return Err(Error::FailedPrecondition(format!(
                    "member {member_id} is on the waiting list for {}, not registered; only registered members' attendance is recorded",
                    named(&event)
                ))
                .into());
            }
            _ => {
                return Err(Error::FailedPrecondition(format!(
                    "member {member_id} is not registered for {}; only registered members' attendance is recorded",
                    named(&event)
                ))
                .into());
            }
        };
        let saved =
            events::set_status(&txn, registration, &enums::stored(mark), Utc::now()).await?;
        txn.commit().await.map_err(Error::from)?;
        tracing::info!(%event_id, %member_id, status = %saved.status, "event attendance recorded");
        Ok(with_subject(
            Response::new(convert::events::registration_to_wire(&saved, 0)),
            member_id.to_string(),
        ))
    }

    async fn list_event_registrations(
        &self,
        request: Request<v1::ListEventRegistrationsRequest>,
    ) -> Result<Response<v1::ListEventRegistrationsResponse>, Status> {
        let limited_to = crate::access::member_limit(&request)?;
        let request = request.into_inner();
        let asked_for = match request.member_id.trim() {
            "" => None,
            id => Some(validate::id("member_id", id)?),
        };
        let member_id = match (limited_to, asked_for) {
            (None, asked_for) => asked_for,
            (Some(own), None) => Some(own),
            (Some(own), Some(asked_for)) if own == asked_for => Some(own),
            (Some(_), Some(_)) => {
                return Err(Error::PermissionDenied(
                    "member_id: a member may only list their own registrations".into(),
                )
                .into());
            }
        };
        let event_id = match (request.event_id.trim(), member_id) {
            ("", Some(_)) => None,
            (id, _) => Some(validate::id("event_id", id)?),
        };
        let page = PageRequest::parse(request.page_size, &request.page_token)?;
        let status = enums::filter::<v1::RegistrationStatus>("status", request.status)?;
        let db = &self.context.db;
        if let Some(event_id) = event_id {
            rows::find::<community_event::Entity>(db, event_id, "event").await?;
        }
        let page =
            events::list_registrations(db, page, event_id, member_id, status.as_deref()).await?;
        // Waiting places, counted by the database (never the whole list read):
        // the page is in waiting-list order, so on one event's page (no member
        // asked for) the waiting places follow on from the first one's; a
        // member's own registrations each count their own event's list.
        let waiting: Vec<&event_registration::Model> = page
            .items
            .iter()
            .filter(|r| r.status == "waitlisted")
            .collect();
        let mut positions: HashMap<Uuid, u64> = HashMap::new();
        match (event_id, member_id, waiting.first()) {
            (Some(_), None, Some(first)) => {
                let first_place = events::waitlist_position(db, first).await?;
                positions.extend(waiting.iter().map(|r| r.id).zip(first_place..));
            }
            _ => {
                for row in waiting {
                    positions.insert(row.id, events::waitlist_position(db, row).await?);
                }
            }
        }
        let response = Response::new(v1::ListEventRegistrationsResponse {
            next_page_token: page.next_page_token(),
            registrations: page
                .items
                .iter()
                .map(|r| {
                    convert::events::registration_to_wire(
                        r,
                        positions.get(&r.id).copied().unwrap_or(0),
                    )
                })
                .collect(),
        });
        Ok(match member_id {
            Some(member_id) => with_subject(response, member_id.to_string()),
            None => response,
        })
    }
}
