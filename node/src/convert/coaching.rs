//! Coaching programmes, cohorts, participants and sessions ↔ rows, and what is
//! derived from them: a cohort's phase and aftercare, a participant's completion of
//! each mandatory component.

use std::collections::HashMap;

use chrono::{Datelike, Months, NaiveDate, Utc};
use passage_proto::v1::{self, CoachingComponent, CohortPhase};
use uuid::Uuid;

use super::enums::{self, from_stored, stored};
use super::timestamp;
use crate::error::{Error, Refusal, Result};
use crate::store::entity::{
    aftercare_contact, coaching_cohort, coaching_enrolment, coaching_programme, coaching_session,
    cohort_coach,
};
use crate::validate;

/// Longest programme name and session topic or coach name, in characters.
const MAX_NAME: usize = 200;
/// Longest programme description.
const MAX_DESCRIPTION: usize = 4000;
/// Longest outcome detail.
pub const MAX_OUTCOME_DETAIL: usize = 500;
/// Most months of aftercare a programme can have.
const MAX_AFTERCARE_MONTHS: i32 = 24;

/// A new programme from the caller's message, validated.
pub fn programme_from_wire(
    programme: v1::CoachingProgramme,
    id: Uuid,
) -> Result<coaching_programme::Model> {
    let name = validate::required_text("programme.name", &programme.name, MAX_NAME)?;
    let description = validate::optional_text(
        "programme.description",
        &programme.description,
        MAX_DESCRIPTION,
    )?;
    let mut components: Vec<CoachingComponent> = Vec::new();
    for (index, number) in programme.mandatory_components.iter().enumerate() {
        let field = format!("programme.mandatory_components[{index}]");
        let component = enums::parse::<CoachingComponent>(&field, *number, true)?;
        if component == CoachingComponent::Other {
            return Err(Error::refused(
                field,
                "OTHER sessions (social activities) cannot be mandatory",
                Refusal::of(
                    v1::RefusalKind::CannotBeMandatory,
                    component.as_str_name(),
                    [],
                ),
            ));
        }
        if components.contains(&component) {
            return Err(Error::refused(
                field,
                format!("{} is listed twice", component.as_str_name()),
                Refusal::of(
                    v1::RefusalKind::NamedTwice,
                    component
                        .as_str_name()
                        .trim_start_matches("COACHING_COMPONENT_"),
                    [],
                ),
            ));
        }
        components.push(component);
    }
    let aftercare_months = validate::in_range(
        "programme.aftercare_months",
        programme.aftercare_months,
        0..=MAX_AFTERCARE_MONTHS,
    )?;
    Ok(coaching_programme::Model {
        id,
        name,
        description,
        mandatory_components: serde_json::Value::from(
            components.into_iter().map(stored).collect::<Vec<_>>(),
        ),
        aftercare_months,
        created_at: Utc::now(),
    })
}

/// The programme's mandatory components, in its order.
pub fn mandatory_components(row: &coaching_programme::Model) -> Vec<CoachingComponent> {
    super::strings_from_json(&row.mandatory_components)
        .iter()
        .map(|name| from_stored::<CoachingComponent>(name))
        .filter(|component| *component != CoachingComponent::Unspecified)
        .collect()
}

pub fn programme_to_wire(row: &coaching_programme::Model) -> v1::CoachingProgramme {
    v1::CoachingProgramme {
        id: row.id.to_string(),
        name: row.name.clone(),
        description: row.description.clone(),
        mandatory_components: mandatory_components(row)
            .into_iter()
            .map(|c| c as i32)
            .collect(),
        aftercare_months: row.aftercare_months,
        create_time: Some(timestamp(row.created_at)),
    }
}

/// A required `YYYY-MM-DD` date.
pub fn required_date(field: &str, value: &str) -> Result<NaiveDate> {
    validate::optional_date(field, value)?.ok_or_else(|| Error::missing(field, "must not be empty"))
}

/// A new cohort of `programme_id` from the caller's message, validated.
pub fn cohort_from_wire(
    cohort: &v1::Cohort,
    programme_id: Uuid,
    id: Uuid,
) -> Result<coaching_cohort::Model> {
    let year = validate::in_range("cohort.year", cohort.year, 2000..=2100)?;
    let starts_on = required_date("cohort.starts_on", &cohort.starts_on)?;
    let ends_on = required_date("cohort.ends_on", &cohort.ends_on)?;
    if starts_on.year() != year {
        return Err(Error::refused(
            "cohort.year",
            format!(
                "must be the year the cohort starts ({}), got {year}",
                starts_on.year()
            ),
            Refusal::of(
                v1::RefusalKind::NotTheStartingYear,
                &year.to_string(),
                [starts_on.year().to_string()],
            ),
        ));
    }
    if ends_on < starts_on {
        return Err(Error::refused(
            "cohort.ends_on",
            format!("must be on or after starts_on ({starts_on}), got {ends_on}"),
            Refusal::of(
                v1::RefusalKind::Before,
                &ends_on.to_string(),
                [starts_on.to_string()],
            ),
        ));
    }
    let capacity = validate::in_range("cohort.capacity", cohort.capacity, 1..=500)?;
    Ok(coaching_cohort::Model {
        id,
        programme_id,
        year,
        starts_on,
        ends_on,
        capacity,
        created_at: Utc::now(),
        external_id: None,
    })
}

/// The last day of the cohort's aftercare.
pub fn aftercare_ends_on(cohort: &coaching_cohort::Model, aftercare_months: i32) -> NaiveDate {
    let months = Months::new(u32::try_from(aftercare_months).unwrap_or(0));
    cohort
        .ends_on
        .checked_add_months(months)
        .unwrap_or(cohort.ends_on)
}

/// Where the cohort stands on `today`.
pub fn phase(
    cohort: &coaching_cohort::Model,
    aftercare_months: i32,
    today: NaiveDate,
) -> CohortPhase {
    if today < cohort.starts_on {
        CohortPhase::Upcoming
    } else if today <= cohort.ends_on {
        CohortPhase::Running
    } else if today <= aftercare_ends_on(cohort, aftercare_months) {
        CohortPhase::Aftercare
    } else {
        CohortPhase::Finished
    }
}

pub fn cohort_to_wire(
    row: &coaching_cohort::Model,
    programme: &coaching_programme::Model,
    enrolled: u64,
    today: NaiveDate,
) -> v1::Cohort {
    let phase = phase(row, programme.aftercare_months, today);
    v1::Cohort {
        id: row.id.to_string(),
        programme_id: row.programme_id.to_string(),
        year: row.year,
        starts_on: row.starts_on.to_string(),
        ends_on: row.ends_on.to_string(),
        capacity: row.capacity,
        enrolled: i32::try_from(enrolled).unwrap_or(i32::MAX),
        aftercare_ends_on: aftercare_ends_on(row, programme.aftercare_months).to_string(),
        in_aftercare: phase == CohortPhase::Aftercare,
        phase: phase as i32,
        create_time: Some(timestamp(row.created_at)),
        programme_name: programme.name.clone(),
    }
}

/// A participant with their completion of each of `mandatory` components, from
/// the sessions they attended per component (`attended`, by member and stored
/// component name).
pub fn participant_to_wire(
    row: &coaching_enrolment::Model,
    mandatory: &[CoachingComponent],
    attended: &HashMap<(Uuid, String), i32>,
    display_name: Option<&String>,
) -> v1::CohortParticipant {
    let components: Vec<v1::ComponentCompletion> = mandatory
        .iter()
        .map(|component| {
            let sessions = attended
                .get(&(row.member_id, stored(*component)))
                .copied()
                .unwrap_or(0);
            v1::ComponentCompletion {
                component: *component as i32,
                sessions_attended: sessions,
                completed: sessions > 0,
            }
        })
        .collect();
    v1::CohortParticipant {
        id: row.id.to_string(),
        cohort_id: row.cohort_id.to_string(),
        member_id: row.member_id.to_string(),
        display_name: display_name.cloned().unwrap_or_default(),
        completed_programme: components.iter().all(|c| c.completed),
        components,
        outcome: from_stored::<v1::CoachingOutcome>(&row.outcome) as i32,
        outcome_recorded_on: row
            .outcome_recorded_on
            .map(|date| date.to_string())
            .unwrap_or_default(),
        outcome_detail: row.outcome_detail.clone(),
        enrol_time: Some(timestamp(row.enrolled_at)),
    }
}

/// A new session of `cohort` from the caller's message, validated (the coach
/// member, if any, is checked by the service).
pub fn session_from_wire(
    session: &v1::CoachingSession,
    cohort: &coaching_cohort::Model,
    id: Uuid,
) -> Result<coaching_session::Model> {
    let component =
        enums::parse::<CoachingComponent>("session.component", session.component, true)?;
    let held_on = required_date("session.held_on", &session.held_on)?;
    if held_on < cohort.starts_on || held_on > cohort.ends_on {
        return Err(Error::refused(
            "session.held_on",
            format!(
                "must be within the cohort ({} to {}), got {held_on}",
                cohort.starts_on, cohort.ends_on
            ),
            Refusal::of(
                v1::RefusalKind::OutOfRange,
                &held_on.to_string(),
                [cohort.starts_on.to_string(), cohort.ends_on.to_string()],
            ),
        ));
    }
    let topic = validate::optional_text("session.topic", &session.topic, MAX_NAME)?;
    let coach_name = validate::optional_text("session.coach_name", &session.coach_name, MAX_NAME)?;
    let coach_member_id = match session.coach_member_id.trim() {
        "" => None,
        value => Some(validate::id("session.coach_member_id", value)?),
    };
    if coach_name.is_empty() && coach_member_id.is_none() {
        return Err(Error::missing(
            "session.coach_name",
            "name the coach, or give session.coach_member_id",
        ));
    }
    Ok(coaching_session::Model {
        id,
        cohort_id: cohort.id,
        component: stored(component),
        held_on,
        topic,
        coach_name,
        coach_member_id,
        created_at: Utc::now(),
    })
}

pub fn session_to_wire(row: &coaching_session::Model, attendees: &[Uuid]) -> v1::CoachingSession {
    v1::CoachingSession {
        id: row.id.to_string(),
        cohort_id: row.cohort_id.to_string(),
        component: from_stored::<CoachingComponent>(&row.component) as i32,
        held_on: row.held_on.to_string(),
        topic: row.topic.clone(),
        coach_name: row.coach_name.clone(),
        coach_member_id: row
            .coach_member_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        attendee_member_ids: attendees.iter().map(Uuid::to_string).collect(),
        create_time: Some(timestamp(row.created_at)),
    }
}

pub fn coach_to_wire(row: &cohort_coach::Model, display_name: Option<&String>) -> v1::CohortCoach {
    v1::CohortCoach {
        cohort_id: row.cohort_id.to_string(),
        coach_member_id: row.coach_member_id.to_string(),
        display_name: display_name.cloned().unwrap_or_default(),
        assign_time: Some(timestamp(row.assigned_at)),
    }
}

pub fn aftercare_contact_to_wire(row: &aftercare_contact::Model) -> v1::AftercareContact {
    v1::AftercareContact {
        id: row.id.to_string(),
        cohort_id: row.cohort_id.to_string(),
        member_id: row.participant_member_id.to_string(),
        coach_member_id: row
            .coach_member_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        contacted_on: row.contacted_on.to_string(),
        note: row.note.clone(),
        create_time: Some(timestamp(row.created_at)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cohort(starts: &str, ends: &str) -> coaching_cohort::Model {
        coaching_cohort::Model {
            id: Uuid::now_v7(),
            programme_id: Uuid::now_v7(),
            year: 2025,
            starts_on: starts.parse().unwrap(),
            ends_on: ends.parse().unwrap(),
            capacity: 25,
            created_at: Utc::now(),
            external_id: None,
        }
    }

    #[test]
    fn six_months_of_aftercare_follow_the_cohorts_last_day() {
        let cohort = cohort("2025-01-06", "2025-12-19");
        assert_eq!(aftercare_ends_on(&cohort, 6).to_string(), "2026-06-19");
        let on = |day: &str| phase(&cohort, 6, day.parse().unwrap());
        assert_eq!(on("2025-01-05"), CohortPhase::Upcoming);
        assert_eq!(on("2025-12-19"), CohortPhase::Running);
        assert_eq!(on("2025-12-20"), CohortPhase::Aftercare);
        assert_eq!(on("2026-06-19"), CohortPhase::Aftercare);
        assert_eq!(on("2026-06-20"), CohortPhase::Finished);
    }

    #[test]
    fn a_cohort_starts_in_its_year_and_ends_after_it_starts() {
        let mut wire = v1::Cohort {
            year: 2026,
            starts_on: "2026-01-12".into(),
            ends_on: "2026-12-18".into(),
            capacity: 25,
            ..Default::default()
        };
        assert!(cohort_from_wire(&wire, Uuid::now_v7(), Uuid::now_v7()).is_ok());
        wire.year = 2025;
        let error = cohort_from_wire(&wire, Uuid::now_v7(), Uuid::now_v7()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "cohort.year: must be the year the cohort starts (2026), got 2025"
        );
        wire.year = 2026;
        wire.capacity = 501;
        let error = cohort_from_wire(&wire, Uuid::now_v7(), Uuid::now_v7()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "cohort.capacity: must be between 1 and 500, got 501"
        );
    }
}
