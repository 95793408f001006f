//! The region's mail queue as its chapter admin reads it (`passage admin mail`):
//! the mails waiting, the soonest due first, and those whose last attempt failed.

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::error::Result;
use crate::store::entity::mail_queue;

/// How many mails wait to be sent.
pub async fn waiting(db: &impl ConnectionTrait) -> Result<u64> {
    Ok(mail_queue::Entity::find()
        .filter(mail_queue::Column::SentAt.is_null())
        .count(db)
        .await?)
}

/// The mails waiting to be sent, the soonest due first, at most `limit`.
pub async fn soonest_due(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<mail_queue::Model>> {
    Ok(mail_queue::Entity::find()
        .filter(mail_queue::Column::SentAt.is_null())
        .order_by_asc(mail_queue::Column::NextAttemptAt)
        .order_by_asc(mail_queue::Column::NotificationId)
        .limit(limit)
        .all(db)
        .await?)
}

/// The waiting mails whose last attempt failed, the latest failure first (a
/// failure is followed by a wait that grows with the attempts, so the failure's
/// time is the next attempt's less that wait), at most `limit`.
///
/// Read [`FAILING_PAGE`] at a time, keeping the latest `limit`: during an
/// outage of the mail server, when the whole queue fails, at most a page and
/// the answer are in memory.
pub async fn failing(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<mail_queue::Model>> {
    let mut latest: Vec<mail_queue::Model> = Vec::new();
    let mut after = None;
    loop {
        let mut select = mail_queue::Entity::find()
            .filter(mail_queue::Column::SentAt.is_null())
            .filter(mail_queue::Column::LastError.ne(""));
        if let Some(after) = after {
            select = select.filter(mail_queue::Column::NotificationId.gt(after));
        }
        let page = select
            .order_by_asc(mail_queue::Column::NotificationId)
            .limit(FAILING_PAGE)
            .all(db)
            .await?;
        let full = page.len() as u64 == FAILING_PAGE;
        after = page.last().map(|row| row.notification_id);
        latest.extend(page);
        latest.sort_by_key(|row| std::cmp::Reverse(failed_at(row)));
        latest.truncate(limit as usize);
        if !full {
            return Ok(latest);
        }
    }
}

/// Failed mails read at once by [`failing`].
const FAILING_PAGE: u64 = 1_000;

/// When the last attempt at `row` failed.
pub fn failed_at(row: &mail_queue::Model) -> chrono::DateTime<chrono::Utc> {
    let wait = chrono::Duration::from_std(crate::mail_clock::backoff(row.attempts))
        .unwrap_or(chrono::Duration::zero());
    row.next_attempt_at - wait
}
