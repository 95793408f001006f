//! Quiet hours: a time of day, in the person's own time zone, when no mail of
//! Passage reaches her. A mail queued within them waits until they end; the
//! notification is in her inbox at once all the same.

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

/// The first moment at or after `now` outside the quiet hours from
/// `from_minute` until `until_minute` (minutes after midnight) in `time_zone`;
/// `now` itself when she keeps none, or outside them. A window that passes
/// midnight (22:00–07:00) is read as such; an unknown time zone as UTC.
pub fn first_moment_allowed(
    now: DateTime<Utc>,
    time_zone: &str,
    from_minute: Option<i32>,
    until_minute: Option<i32>,
) -> DateTime<Utc> {
    let (Some(from), Some(until)) = (from_minute, until_minute) else {
        return now;
    };
    if from == until {
        return now;
    }
    let zone: Tz = time_zone.parse().unwrap_or(Tz::UTC);
    let local = now.with_timezone(&zone);
    let minute = (local.hour() * 60 + local.minute()) as i32;
    let quiet = if from < until {
        (from..until).contains(&minute)
    } else {
        minute >= from || minute < until
    };
    if !quiet {
        return now;
    }
    let Some(end) = NaiveTime::from_hms_opt((until / 60) as u32, (until % 60) as u32, 0) else {
        return now;
    };
    let mut day = local.date_naive();
    if local.time() >= end {
        day = day.succ_opt().unwrap_or(day);
    }
    let wanted = day.and_time(end);
    // The end may fall in a clock change's gap: the first moment after it.
    let resolved = zone.from_local_datetime(&wanted).earliest().or_else(|| {
        zone.from_local_datetime(&(wanted + Duration::hours(1)))
            .earliest()
    });
    match resolved {
        Some(end) => end.with_timezone(&Utc).max(now),
        None => now,
    }
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
    fn mail_in_quiet_hours_waits_until_they_end_in_her_time_zone() {
        // 22:00–07:00 in Amsterdam (UTC+1 in December).
        let (from, until) = (Some(22 * 60), Some(7 * 60));
        let zone = "Europe/Amsterdam";
        // 23:30 there: waits until 07:00 there the next morning (06:00 UTC).
        assert_eq!(
            first_moment_allowed(at("2026-12-04T22:30:00Z"), zone, from, until),
            at("2026-12-05T06:00:00Z")
        );
        // 03:00 there: waits until 07:00 the same morning.
        assert_eq!(
            first_moment_allowed(at("2026-12-05T02:00:00Z"), zone, from, until),
            at("2026-12-05T06:00:00Z")
        );
        // 12:00 there: at once.
        let noon = at("2026-12-05T11:00:00Z");
        assert_eq!(first_moment_allowed(noon, zone, from, until), noon);
        // No quiet hours: at once.
        assert_eq!(first_moment_allowed(noon, zone, None, None), noon);
        // A window within one day, 12:00–14:00 in New York (UTC-5).
        assert_eq!(
            first_moment_allowed(
                at("2026-12-05T17:30:00Z"),
                "America/New_York",
                Some(12 * 60),
                Some(14 * 60)
            ),
            at("2026-12-05T19:00:00Z")
        );
    }
}
