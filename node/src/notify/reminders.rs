//! Reminders of tomorrow (issue 16 point 1): an event a member is registered
//! for, and a session of a cohort she takes part in or coaches, on the day after
//! today in her own time zone. Each reminder is written once, by its key (the
//! event or session and the person), so a node that looks every few minutes, or
//! restarts, reminds no one twice.

use std::collections::BTreeSet;

use chrono::{DateTime, Days, Duration, NaiveDate, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::error::Result;
use crate::notify::digest::local_date;
use crate::store::entity::{
    coaching_enrolment, coaching_session, cohort_coach, community_event, event_registration,
};
use crate::store::notifications::{
    EVENT_TOMORROW, Kind, Notice, SESSION_TOMORROW, notify_all_once, time_zones,
};

/// How far either side of `now` a time zone's "tomorrow" can reach.
const WIDEST_DAY: Duration = Duration::hours(62);

/// Registrations read, and reminders written, a page at a time: a fair with
/// thousands registered takes a few statements a page, not two a person.
const REMINDERS_PAGE: u64 = 500;

/// Writes reminders of `kind` about `about` (an event or a session) to those of
/// `people` for whom `is_tomorrow` holds in their own time zone, each once by
/// its key. Whether mail was queued.
async fn remind(
    db: &impl ConnectionTrait,
    kind: Kind,
    about: Uuid,
    people: &[Uuid],
    is_tomorrow: impl Fn(&str) -> bool,
) -> Result<bool> {
    let zones = time_zones(db, people).await?;
    let notices: Vec<(Notice, String)> = people
        .iter()
        .filter(|member| zones.get(member).is_some_and(|zone| is_tomorrow(zone)))
        .map(|member| {
            (
                Notice::of(*member, kind),
                format!("{}:{about}:{member}", kind.name),
            )
        })
        .collect();
    notify_all_once(db, &notices).await
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
        let mut after: Option<Uuid> = None;
        loop {
            let mut page = event_registration::Entity::find()
                .select_only()
                .column(event_registration::Column::Id)
                .column(event_registration::Column::MemberId)
                .filter(event_registration::Column::EventId.eq(event.id))
                .filter(event_registration::Column::Status.eq("registered"))
                .order_by_asc(event_registration::Column::Id)
                .limit(REMINDERS_PAGE);
            if let Some(after) = after {
                page = page.filter(event_registration::Column::Id.gt(after));
            }
            let rows: Vec<(Uuid, Uuid)> = page.into_tuple().all(db).await?;
            let people: Vec<Uuid> = rows.iter().map(|(_, member)| *member).collect();
            queued |= remind(db, EVENT_TOMORROW, event.id, &people, |zone| {
                starts_tomorrow(event.starts_at, now, zone)
            })
            .await?;
            match rows.last() {
                Some((last, _)) if rows.len() as u64 == REMINDERS_PAGE => after = Some(*last),
                _ => break,
            }
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
        // A cohort is at most 500 participants (`cohort.capacity`) and its coaches.
        let people: Vec<Uuid> = people.into_iter().collect();
        queued |= remind(db, SESSION_TOMORROW, session.id, &people, |zone| {
            tomorrow(now, zone) == Some(session.held_on)
        })
        .await?;
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
