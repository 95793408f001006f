//! Reminders of tomorrow (issue 16 point 1): an event a member is registered
//! for, and a session of a cohort she takes part in or coaches, on the day after
//! today in her own time zone. Each reminder is written once, by its key (the
//! event or session and the person), so a node that looks every few minutes, or
//! restarts, reminds no one twice.

use std::collections::BTreeSet;

use chrono::{DateTime, Days, Duration, NaiveDate, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::error::Result;
use crate::notify::digest::local_date;
use crate::store::entity::{
    coaching_enrolment, coaching_session, cohort_coach, community_event, contact_details,
    event_registration,
};
use crate::store::notifications::{EVENT_TOMORROW, SESSION_TOMORROW, notify_once};

/// How far either side of `now` a time zone's "tomorrow" can reach.
const WIDEST_DAY: Duration = Duration::hours(62);

/// Member `member_id`'s time zone (UTC when she set none).
async fn time_zone(db: &impl ConnectionTrait, member_id: Uuid) -> Result<String> {
    Ok(contact_details::Entity::find_by_id(member_id)
        .one(db)
        .await?
        .map_or_else(|| "UTC".to_owned(), |details| details.time_zone))
}

/// The day after today at `now` in `time_zone`.
fn tomorrow(now: DateTime<Utc>, time_zone: &str) -> Option<NaiveDate> {
    local_date(now, time_zone).checked_add_days(Days::new(1))
}

/// Whether something starting at `starts_at` starts tomorrow, at `now`, for a
/// person in `time_zone`: on the day after her today, by her own clock.
pub fn starts_tomorrow(starts_at: DateTime<Utc>, now: DateTime<Utc>, time_zone: &str) -> bool {
    Some(local_date(starts_at, time_zone)) == tomorrow(now, time_zone)
}

/// Writes, inside the caller's transaction, every reminder due at `now` and not
/// yet written. Returns whether mail was queued.
pub async fn write_due(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<bool> {
    let events = events_tomorrow(db, now).await?;
    let sessions = sessions_tomorrow(db, now).await?;
    Ok(events || sessions)
}

/// Reminders of events starting tomorrow, to everyone registered (not those
/// waiting for a seat).
async fn events_tomorrow(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<bool> {
    let soon = community_event::Entity::find()
        .filter(community_event::Column::StartsAt.gt(now))
        .filter(community_event::Column::StartsAt.lte(now + WIDEST_DAY))
        .all(db)
        .await?;
    let mut queued = false;
    for event in soon {
        let registered = event_registration::Entity::find()
            .filter(event_registration::Column::EventId.eq(event.id))
            .filter(event_registration::Column::Status.eq("registered"))
            .all(db)
            .await?;
        for registration in registered {
            let member_id = registration.member_id;
            let time_zone = time_zone(db, member_id).await?;
            if !starts_tomorrow(event.starts_at, now, &time_zone) {
                continue;
            }
            let key = format!("{}:{}:{member_id}", EVENT_TOMORROW.name, event.id);
            queued |= notify_once(db, member_id, EVENT_TOMORROW, EVENT_TOMORROW.link, &key).await?;
        }
    }
    Ok(queued)
}

/// Reminders of cohort sessions held tomorrow, to the cohort's participants, its
/// coaches and the session's own coach.
async fn sessions_tomorrow(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<bool> {
    let today = now.date_naive();
    let (Some(from), Some(until)) = (
        today.checked_sub_days(Days::new(1)),
        today.checked_add_days(Days::new(3)),
    ) else {
        return Ok(false);
    };
    let soon = coaching_session::Entity::find()
        .filter(coaching_session::Column::HeldOn.gte(from))
        .filter(coaching_session::Column::HeldOn.lte(until))
        .all(db)
        .await?;
    let mut queued = false;
    for session in soon {
        let mut people: BTreeSet<Uuid> = coaching_enrolment::Entity::find()
            .filter(coaching_enrolment::Column::CohortId.eq(session.cohort_id))
            .all(db)
            .await?
            .into_iter()
            .map(|enrolment| enrolment.member_id)
            .collect();
        people.extend(
            cohort_coach::Entity::find()
                .filter(cohort_coach::Column::CohortId.eq(session.cohort_id))
                .all(db)
                .await?
                .into_iter()
                .map(|coach| coach.coach_member_id),
        );
        people.extend(session.coach_member_id);
        for member_id in people {
            let time_zone = time_zone(db, member_id).await?;
            if tomorrow(now, &time_zone) != Some(session.held_on) {
                continue;
            }
            let key = format!("{}:{}:{member_id}", SESSION_TOMORROW.name, session.id);
            queued |=
                notify_once(db, member_id, SESSION_TOMORROW, SESSION_TOMORROW.link, &key).await?;
        }
    }
    Ok(queued)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn tomorrow_is_the_day_after_her_today_by_her_own_clock() {
        // A fair on Sunday 6 December at 10:00 in Amsterdam (09:00 UTC).
        let fair = at("2026-12-06T09:00:00Z");
        // Saturday 23:30 in Amsterdam (22:30 UTC): tomorrow for her.
        let saturday_night = at("2026-12-05T22:30:00Z");
        assert!(starts_tomorrow(fair, saturday_night, "Europe/Amsterdam"));
        // The same moment is Sunday 00:30 in Helsinki: the fair is today there.
        assert!(!starts_tomorrow(fair, saturday_night, "Europe/Helsinki"));
        // And Saturday 17:30 in New York, where the fair (Sunday 04:00 there) is
        // tomorrow too.
        assert!(starts_tomorrow(fair, saturday_night, "America/New_York"));
        // Friday evening in Amsterdam: the day after tomorrow, not yet.
        assert!(!starts_tomorrow(
            fair,
            at("2026-12-04T19:00:00Z"),
            "Europe/Amsterdam"
        ));
        // An unknown zone reads as UTC.
        assert!(starts_tomorrow(fair, saturday_night, "Mars/Olympus"));
    }
}
