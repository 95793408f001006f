//! The clock of a person's mail, in her own time zone: the date it is for her,
//! when her digest goes out (daily or weekly, at eight in the morning, after
//! her quiet hours), and how long a failed mail waits before it is tried again.
//! Plain time arithmetic, used by the store (which writes digest items and
//! once-a-day keys in the change's transaction) and by the mail tasks alike.

use std::time::Duration;

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// The longest wait between attempts at one mail.
const MAX_BACKOFF: Duration = Duration::from_secs(30 * 60);

/// The wait before attempt `attempts + 1`: 1 s, 2 s, 4 s, … up to 30 minutes.
pub fn backoff(attempts: i32) -> Duration {
    let exponent = attempts.clamp(0, 20) as u32;
    Duration::from_secs(1u64 << exponent).min(MAX_BACKOFF)
}

/// The local hour a digest goes out.
pub const DIGEST_HOUR: u32 = 8;

/// How often a digest comes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    Daily,
    Weekly,
}

impl Period {
    /// The period of the stored choice `digest`; none for `immediate`.
    pub fn chosen(digest: &str) -> Option<Period> {
        match digest {
            "daily" => Some(Period::Daily),
            "weekly" => Some(Period::Weekly),
            _ => None,
        }
    }

    /// Its name, as stored and in the texts' keys.
    pub fn name(self) -> &'static str {
        match self {
            Period::Daily => "daily",
            Period::Weekly => "weekly",
        }
    }
}

/// The time zone `name`, UTC when unknown.
fn zone(name: &str) -> Tz {
    name.parse().unwrap_or(Tz::UTC)
}

/// The date at `now` in time zone `time_zone`.
pub fn local_date(now: DateTime<Utc>, time_zone: &str) -> NaiveDate {
    now.with_timezone(&zone(time_zone)).date_naive()
}

/// When the digest of an item written at `now` goes out: the first
/// [`DIGEST_HOUR`] o'clock after `now` in her time zone (on a Monday for a
/// weekly digest), or when her quiet hours end if they hold it.
pub fn digest_due_at(
    now: DateTime<Utc>,
    period: Period,
    time_zone: &str,
    quiet_from_minute: Option<i32>,
    quiet_until_minute: Option<i32>,
) -> DateTime<Utc> {
    let tz = zone(time_zone);
    let local = now.with_timezone(&tz);
    let hour = NaiveTime::from_hms_opt(DIGEST_HOUR, 0, 0).unwrap_or(NaiveTime::MIN);
    let mut day = local.date_naive();
    if local.time() >= hour {
        day = day + Days::new(1);
    }
    if period == Period::Weekly {
        let to_monday = (7 - day.weekday().num_days_from_monday()) % 7;
        day = day + Days::new(u64::from(to_monday));
    }
    let morning = tz
        .from_local_datetime(&day.and_time(hour))
        .earliest()
        .map_or(now, |at| at.with_timezone(&Utc));
    crate::quiet_hours::first_moment_allowed(
        morning,
        time_zone,
        quiet_from_minute,
        quiet_until_minute,
    )
}
