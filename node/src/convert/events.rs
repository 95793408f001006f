//! Events, fair presentations and registrations ↔ rows. An event row is built only
//! from a validated wire message; presentations and registrations are made by the
//! event service from checked parts.

use chrono::{DateTime, Duration, Utc};
use passage_proto::v1;
use uuid::Uuid;

use super::enums::{self, from_stored, stored};
use super::{json_strings, required_time, strings_from_json, timestamp};
use crate::error::{Error, Refusal, Result};
use crate::store::entity::{community_event, event_registration, fair_presentation};
use crate::store::events::Counts;
use crate::validate;

/// The longest an event may last: a training over several weeks, at most.
const LONGEST_EVENT_DAYS: i64 = 31;

pub fn event_to_wire(row: &community_event::Model, counts: Counts) -> v1::Event {
    v1::Event {
        id: row.id.to_string(),
        kind: from_stored::<v1::EventKind>(&row.kind) as i32,
        title: row.title.clone(),
        description: row.description.clone(),
        start_time: Some(timestamp(row.starts_at)),
        end_time: Some(timestamp(row.ends_at)),
        place: row.place.clone(),
        capacity: row.capacity,
        languages: strings_from_json(&row.languages),
        registered_count: i32::try_from(counts.seats_taken).unwrap_or(i32::MAX),
        waitlisted_count: i32::try_from(counts.waitlisted).unwrap_or(i32::MAX),
        create_time: Some(timestamp(row.created_at)),
    }
}

/// Validates a wire event (fields named under `prefix`) into its row.
pub fn event_to_row(
    wire: &v1::Event,
    prefix: &str,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<community_event::Model> {
    let f = |name: &str| format!("{prefix}.{name}");
    let starts_at = required_time(&f("start_time"), wire.start_time.as_ref())?;
    let ends_at = required_time(&f("end_time"), wire.end_time.as_ref())?;
    if ends_at <= starts_at {
        return Err(Error::refused(
            f("end_time"),
            format!(
                "must be after {} ({starts_at}), got {ends_at}",
                f("start_time")
            ),
            Refusal::of(
                v1::RefusalKind::NotAfter,
                &super::minute_text(ends_at),
                [super::minute_text(starts_at)],
            ),
        ));
    }
    if ends_at - starts_at > Duration::days(LONGEST_EVENT_DAYS) {
        let days = (ends_at - starts_at).num_days();
        return Err(Error::refused(
            f("end_time"),
            format!(
                "an event lasts at most {LONGEST_EVENT_DAYS} days; this one ends {days} days after it starts",
            ),
            Refusal::of(
                v1::RefusalKind::TooManyDays,
                &days.to_string(),
                [LONGEST_EVENT_DAYS.to_string()],
            ),
        ));
    }
    Ok(community_event::Model {
        id,
        kind: stored(enums::parse::<v1::EventKind>(&f("kind"), wire.kind, true)?),
        title: validate::required_text(&f("title"), &wire.title, 200)?,
        description: validate::optional_text(&f("description"), &wire.description, 5000)?,
        starts_at,
        ends_at,
        place: validate::required_text(&f("place"), &wire.place, 200)?,
        capacity: validate::in_range(&f("capacity"), wire.capacity, 1..=10_000)?,
        languages: json_strings(&validate::list(
            &f("languages"),
            &wire.languages,
            10,
            validate::language,
        )?),
        created_at: now,
        external_id: None,
    })
}

pub fn presentation_to_wire(row: &fair_presentation::Model) -> v1::FairPresentation {
    v1::FairPresentation {
        id: row.id.to_string(),
        event_id: row.event_id.to_string(),
        organisation_id: row.organisation_id.to_string(),
        opportunity_id: row.opportunity_id.to_string(),
        create_time: Some(timestamp(row.created_at)),
    }
}

/// A registration on the wire; `waitlist_position` counts from 1 and only for a
/// waitlisted one.
pub fn registration_to_wire(
    row: &event_registration::Model,
    waitlist_position: u64,
) -> v1::EventRegistration {
    let status = from_stored::<v1::RegistrationStatus>(&row.status);
    v1::EventRegistration {
        id: row.id.to_string(),
        event_id: row.event_id.to_string(),
        member_id: row.member_id.to_string(),
        status: status as i32,
        waitlist_position: if status == v1::RegistrationStatus::Waitlisted {
            i32::try_from(waitlist_position).unwrap_or(i32::MAX)
        } else {
            0
        },
        create_time: Some(timestamp(row.created_at)),
        update_time: Some(timestamp(row.updated_at)),
    }
}
