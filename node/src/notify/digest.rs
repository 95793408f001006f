//! Digests (issue 16 point 4): a person who chose a daily or weekly digest gets
//! one mail a period listing what she was told (each item its kind's title and
//! its link), in her language, at eight in the morning of her own time zone
//! (Monday's, for a weekly one) or when her quiet hours end after it. Her inbox
//! has each item at once. A digest is gathered in one transaction that queues
//! its mail and removes its items, so a digest sent is recorded and a node that
//! restarts gathers no item twice.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::Result;
use crate::store::entity::{contact_details, digest_item};
use crate::store::notifications::{self, DIGEST};

pub use crate::mail_clock::{DIGEST_HOUR, Period, local_date};

/// When the digest of an item written at `now` goes out for the person of
/// `details` ([`crate::mail_clock::digest_due_at`]).
pub fn due_at(
    now: DateTime<Utc>,
    period: Period,
    details: &contact_details::Model,
) -> DateTime<Utc> {
    crate::mail_clock::digest_due_at(
        now,
        period,
        &details.time_zone,
        details.quiet_from_minute,
        details.quiet_until_minute,
    )
}

/// One line of a digest: a kind (its title is in the mail's language) and the
/// page it links to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub kind: String,
    pub link: String,
}

/// What a digest mail lists, as kept in its queued mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contents {
    pub period: Period,
    pub items: Vec<Item>,
}

impl Contents {
    /// The contents kept as `text` in a queued mail, if it is a digest's.
    pub fn read(text: &str) -> Option<Contents> {
        serde_json::from_str(text).ok()
    }
}

/// Digests gathered in one transaction at most: on a morning when thousands
/// are due, the write turn is taken a few hundred digests at a time, and the
/// region's changes go on in between.
pub const DIGESTS_PER_TRANSACTION: u64 = 200;

/// The members with a digest due at `now`, at most `limit`, by member id.
pub async fn members_due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<Uuid>> {
    Ok(digest_item::Entity::find()
        .select_only()
        .column(digest_item::Column::MemberId)
        .filter(digest_item::Column::DueAt.lte(now))
        .distinct()
        .order_by_asc(digest_item::Column::MemberId)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?)
}

/// Gathers member `member_id`'s items due at `now` into one digest mail, inside
/// the caller's transaction: queues the mail and removes the items. When she
/// has since taken her address away, the items go without a mail (her inbox has
/// them). Returns whether mail was queued.
pub async fn gather(
    db: &impl ConnectionTrait,
    member_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool> {
    let due = digest_item::Entity::find()
        .filter(digest_item::Column::MemberId.eq(member_id))
        .filter(digest_item::Column::DueAt.lte(now))
        .order_by_asc(digest_item::Column::NotificationId)
        .all(db)
        .await?;
    if due.is_empty() {
        return Ok(false);
    }
    digest_item::Entity::delete_many()
        .filter(
            digest_item::Column::NotificationId.is_in(due.iter().map(|item| item.notification_id)),
        )
        .exec(db)
        .await?;
    let details = notifications::settings(db, member_id).await?.details;
    let period = Period::chosen(&details.digest).unwrap_or(Period::Daily);
    if details.email.is_empty() {
        return Ok(false);
    }
    let contents = Contents {
        period,
        items: due
            .into_iter()
            .map(|item| Item {
                kind: item.kind,
                link: item.link,
            })
            .collect(),
    };
    let text = serde_json::to_string(&contents)
        .map_err(|e| crate::error::Error::Internal(format!("a digest's items: {e}")))?;
    notifications::queue_mail(db, Uuid::now_v7(), &details, DIGEST, DIGEST.link, text, now).await?;
    Ok(true)
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

    fn amira(time_zone: &str, quiet: Option<(i32, i32)>) -> contact_details::Model {
        contact_details::Model {
            time_zone: time_zone.into(),
            quiet_from_minute: quiet.map(|q| q.0),
            quiet_until_minute: quiet.map(|q| q.1),
            ..notifications::default_details(Uuid::nil())
        }
    }

    #[test]
    fn a_daily_digest_goes_out_at_eight_in_her_morning() {
        let amsterdam = amira("Europe/Amsterdam", None);
        // Saturday 5 December, 15:00 in Amsterdam: Sunday 08:00 there (07:00 UTC).
        assert_eq!(
            due_at(at("2026-12-05T14:00:00Z"), Period::Daily, &amsterdam),
            at("2026-12-06T07:00:00Z")
        );
        // 06:30 there: the same morning.
        assert_eq!(
            due_at(at("2026-12-05T05:30:00Z"), Period::Daily, &amsterdam),
            at("2026-12-05T07:00:00Z")
        );
        // In New York (UTC-5) the same moment is Saturday 09:00: Sunday 08:00 there.
        assert_eq!(
            due_at(
                at("2026-12-05T14:00:00Z"),
                Period::Daily,
                &amira("America/New_York", None)
            ),
            at("2026-12-06T13:00:00Z")
        );
    }

    #[test]
    fn a_weekly_digest_goes_out_on_monday_and_waits_for_her_quiet_hours() {
        let amsterdam = amira("Europe/Amsterdam", None);
        // Saturday: Monday 7 December, 08:00 in Amsterdam.
        assert_eq!(
            due_at(at("2026-12-05T14:00:00Z"), Period::Weekly, &amsterdam),
            at("2026-12-07T07:00:00Z")
        );
        // Monday 10:00: the next Monday.
        assert_eq!(
            due_at(at("2026-12-07T09:00:00Z"), Period::Weekly, &amsterdam),
            at("2026-12-14T07:00:00Z")
        );
        // Quiet until 09:30: the digest waits for them to end.
        let late_riser = amira("Europe/Amsterdam", Some((22 * 60, 9 * 60 + 30)));
        assert_eq!(
            due_at(at("2026-12-05T14:00:00Z"), Period::Daily, &late_riser),
            at("2026-12-06T08:30:00Z")
        );
    }

    #[test]
    fn contents_are_kinds_and_links_and_read_back() {
        let contents = Contents {
            period: Period::Weekly,
            items: vec![Item {
                kind: "event_tomorrow".into(),
                link: "/events".into(),
            }],
        };
        let text = serde_json::to_string(&contents).unwrap();
        assert_eq!(Contents::read(&text), Some(contents));
        assert_eq!(Contents::read(""), None);
    }
}
