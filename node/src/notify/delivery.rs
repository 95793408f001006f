//! The node's mail task: sends the queue after commit, over SMTP when `[mail]
//! smtp_url` is set, else as `.eml` files. A mail is marked sent only after the
//! server accepted it (or the file is in place); a failing or refusing server is
//! tried again with a growing wait, and every attempt at one notification sends
//! the same `Message-ID`. So delivery is at least once: a duplicate can only come
//! from a crash between the server's acceptance and the commit that records it.
//! Accepted mails are recorded together, up to `RECORD` in one transaction, and
//! a poke is answered after a short `GATHER`, so that delivering takes few write
//! turns from the changes; one SMTP connection
//! is kept between mails (`relay.rs`). `tests/faults/mail.rs` kills the node at
//! every point of this.

use std::time::Duration;

use chrono::Utc;

use crate::context::NodeContext;
use crate::error::{Error, Result};
use crate::notify::counters::Outcome;
use crate::notify::relay::Relay;
use crate::notify::{Mailer, files, message};
use crate::store::entity::mail_queue;
use crate::store::notifications;

/// Mail sent per round before the queue is read again.
const BATCH: u64 = 100;
/// Accepted mails recorded as sent in one transaction.
const RECORD: usize = 100;
/// After a poke, and after a round when mail was queued while it was sent, the
/// task waits this long before it reads the queue, so that the mails of the
/// changes committing meanwhile are read, sent and recorded in the same round: a
/// mail goes out at most this much later, and a busy region's mail takes about
/// ten reads and write turns a second instead of one per few changes.
const GATHER: Duration = Duration::from_millis(100);
/// The longest the task sleeps without a poke (a mail due later, a clock jump).
const IDLE: Duration = Duration::from_secs(60);
/// The wait after the database failed the mail task.
const DATABASE_RETRY: Duration = Duration::from_secs(1);

/// Where mail goes.
pub enum Channel {
    Smtp(Box<Relay>),
    Files,
}

impl Channel {
    /// The channel's name in metrics.
    pub fn name(&self) -> &'static str {
        match self {
            Channel::Smtp(_) => "smtp",
            Channel::Files => "file",
        }
    }

    /// The channel `mailer` names: its SMTP server, or files.
    pub fn of(mailer: &Mailer) -> Result<Self> {
        match &mailer.smtp_url {
            None => Ok(Channel::Files),
            Some(url) => Ok(Channel::Smtp(Box::new(Relay::from_url(url)?))),
        }
    }
}

pub use crate::mail_clock::backoff;

/// Runs until the node stops: sends what is due, then waits for a poke
/// (`mailer.ready`) or the next mail's time.
pub async fn run(context: NodeContext, mailer: Mailer, channel: Channel) {
    loop {
        let wait = match deliver_due(&context, &mailer, &channel).await {
            Ok(_) => match notifications::next_due(&context.db).await {
                Ok(Some(due)) => (due - Utc::now())
                    .to_std()
                    .unwrap_or(Duration::ZERO)
                    .min(IDLE),
                Ok(None) => IDLE,
                Err(_) => DATABASE_RETRY,
            },
            Err(error) => {
                tracing::error!(%error, "the mail queue could not be read or written");
                DATABASE_RETRY
            }
        };
        if wait.is_zero() {
            // Mail queued while this round was sent: gathered with what the
            // next changes queue, as after a poke, not read a few at a time
            // (each record of a few mails a write turn the changes wait for).
            tokio::time::sleep(GATHER).await;
            continue;
        }
        tokio::select! {
            _ = mailer.ready.notified() => tokio::time::sleep(GATHER).await,
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

/// Sends every mail due now; returns how many were sent.
pub async fn deliver_due(context: &NodeContext, mailer: &Mailer, channel: &Channel) -> Result<u64> {
    let mut sent = 0;
    loop {
        let due = notifications::due_mail(&context.db, Utc::now(), BATCH).await?;
        let round = due.len() as u64;
        let mut failed = 0;
        // Accepted mails, recorded together: one write per `RECORD` mails rather
        // than one each, so delivering takes few turns from the changes.
        let mut accepted: Vec<(&mail_queue::Model, String)> = Vec::new();
        for queued in &due {
            match deliver_one(mailer, channel, queued).await {
                Ok(written_file) => {
                    mailer
                        .counters
                        .count(&queued.kind, channel.name(), Outcome::Sent);
                    accepted.push((queued, written_file));
                    if accepted.len() >= RECORD {
                        sent += record_sent(context, mailer, &mut accepted).await?;
                    }
                }
                Err(error) => {
                    failed += 1;
                    mailer
                        .counters
                        .count(&queued.kind, channel.name(), Outcome::Failed);
                    let attempts = queued.attempts.saturating_add(1);
                    let wait = chrono::Duration::from_std(backoff(attempts))
                        .unwrap_or(chrono::Duration::MAX);
                    let _turn = context.write_turn().await;
                    notifications::mark_failed(
                        &context.db,
                        queued.notification_id,
                        attempts,
                        Utc::now() + wait,
                        &error,
                    )
                    .await?;
                    tracing::warn!(
                        notification_id = %queued.notification_id, attempts, %error,
                        "mail not sent; trying again later"
                    );
                }
            }
        }
        sent += record_sent(context, mailer, &mut accepted).await?;
        if round < BATCH || failed == round {
            return Ok(sent);
        }
    }
}

/// Records `accepted` (each mail and the `.eml` file written, if any) as sent,
/// in one transaction, and empties it; returns how many. A crash before this
/// commits sends them again, with the same `Message-ID`s.
async fn record_sent(
    context: &NodeContext,
    mailer: &Mailer,
    accepted: &mut Vec<(&mail_queue::Model, String)>,
) -> Result<u64> {
    if accepted.is_empty() {
        return Ok(0);
    }
    let (turn, txn) = context.begin_write().await?;
    let marked: Vec<(uuid::Uuid, &str)> = accepted
        .iter()
        .map(|(queued, written_file)| (queued.notification_id, written_file.as_str()))
        .collect();
    let still_queued = notifications::mark_sent(&txn, &marked).await?;
    txn.commit().await.map_err(Error::from)?;
    drop(turn);
    let erased = accepted.iter().filter(|(queued, written_file)| {
        !written_file.is_empty() && !still_queued.contains(&queued.notification_id)
    });
    let erased: Vec<uuid::Uuid> = erased.map(|(queued, _)| queued.member_id).collect();
    for member_id in erased {
        // She was erased while the file was written: it goes too.
        files::erase(&mailer.folder, member_id).await;
    }
    for (queued, _) in accepted.iter() {
        tracing::info!(notification_id = %queued.notification_id, kind = %queued.kind, "mail sent");
    }
    let count = accepted.len() as u64;
    accepted.clear();
    Ok(count)
}

/// One attempt at one mail; the `.eml` file written, if any, or why it failed.
async fn deliver_one(
    mailer: &Mailer,
    channel: &Channel,
    queued: &mail_queue::Model,
) -> std::result::Result<String, String> {
    let built = message::build(mailer, queued).map_err(|e| e.to_string())?;
    match channel {
        Channel::Smtp(relay) => {
            relay.send(&built).await?;
            Ok(String::new())
        }
        Channel::Files => files::write(
            &mailer.folder,
            queued.member_id,
            queued.notification_id,
            &built.formatted(),
        )
        .await
        .map_err(|e| e.to_string()),
    }
}
