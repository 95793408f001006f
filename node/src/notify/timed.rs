//! The notices time brings, written by a task of the node every few minutes
//! and when it starts: reminders of tomorrow's events and sessions
//! (`reminders.rs`) and the digests due (`digest.rs`). Each round is one
//! transaction; a notice is written once by its key and a digest's items leave
//! with its mail, so a round repeated — after a restart, or by a second look —
//! tells no one twice.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use crate::context::NodeContext;
use crate::error::Result;
use crate::notify::{digest, reminders};

/// How often the node looks.
const EVERY: Duration = Duration::from_secs(5 * 60);

/// What one round wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    /// Whether any reminder queued mail.
    pub reminders_mailed: bool,
    /// How many digests were queued.
    pub digests: u32,
    /// Whether more digests may be due than one transaction gathers.
    pub more: bool,
}

/// Writes the reminders due at `now` and the first
/// [`digest::DIGESTS_PER_TRANSACTION`] digests due in one transaction of `db`
/// (the node holds its write turn around it); [`Round::more`] says whether more
/// digests wait ([`more_digests`]).
pub async fn round(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<Round> {
    let txn = passage_migrations::begin_write(db).await?;
    let reminders_mailed = reminders::write_due(&txn, now).await?;
    let (digests, more) = digests(&txn, now).await?;
    txn.commit().await?;
    Ok(Round {
        reminders_mailed,
        digests,
        more,
    })
}

/// The next [`digest::DIGESTS_PER_TRANSACTION`] digests due at `now`, in one
/// transaction of `db` (the node holds its write turn around it).
pub async fn more_digests(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<Round> {
    let txn = passage_migrations::begin_write(db).await?;
    let (digests, more) = digests(&txn, now).await?;
    txn.commit().await?;
    Ok(Round {
        reminders_mailed: false,
        digests,
        more,
    })
}

/// Gathers up to a transaction's worth of digests: how many were queued, and
/// whether more members' digests may wait.
async fn digests(txn: &sea_orm::DatabaseTransaction, now: DateTime<Utc>) -> Result<(u32, bool)> {
    let members = digest::members_due(txn, now, digest::DIGESTS_PER_TRANSACTION).await?;
    let mut digests = 0;
    for member_id in &members {
        if digest::gather(txn, *member_id, now).await? {
            digests += 1;
        }
    }
    Ok((
        digests,
        members.len() as u64 == digest::DIGESTS_PER_TRANSACTION,
    ))
}

/// Runs until the node stops: a round now and every [`EVERY`], poking the mail
/// task when a round queued mail.
pub async fn run(context: NodeContext) {
    loop {
        let turn = context.write_turn().await;
        let mut done = round(&context.db, Utc::now()).await;
        drop(turn);
        // A busy morning: the rest of the digests due, a transaction at a time.
        while let Ok(Round {
            more: true,
            digests: queued,
            reminders_mailed,
        }) = done
        {
            let turn = context.write_turn().await;
            done = more_digests(&context.db, Utc::now())
                .await
                .map(|next| Round {
                    reminders_mailed: reminders_mailed || next.reminders_mailed,
                    digests: queued + next.digests,
                    more: next.more,
                });
            drop(turn);
        }
        match done {
            Ok(done) => {
                if done.reminders_mailed || done.digests > 0 {
                    context.mail_ready.notify_one();
                }
                if done.digests > 0 {
                    tracing::info!(digests = done.digests, "digests queued");
                }
            }
            Err(error) => tracing::error!(%error, "reminders and digests could not be written"),
        }
        tokio::time::sleep(EVERY).await;
    }
}
