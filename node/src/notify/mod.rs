//! Telling people what concerns them (issue 16), after the change that caused it
//! has committed: the store writes each notification and its queued mail in the
//! change's own transaction (`crate::store::notifications::notify`); this module
//! sends the queue. A mail carries only the kind's title in the person's language
//! and a link back to the page (never a region-local fact nor anyone's words),
//! with a signed one-click unsubscribe link (RFC 8058).
//!
//! - `texts.rs`: the titles and a mail's words, from the web app's Fluent files;
//! - `message.rs`: one mail as lettre builds it, with its stable `Message-ID`;
//! - `unsubscribe.rs`: the signed per-person-per-kind unsubscribe token;
//! - `files.rs`: `.eml` files when no SMTP server is set, and their erasure;
//! - `relay.rs`: the SMTP connection to `[mail] smtp_url`, kept between mails;
//! - `delivery.rs`: the task that sends the queue, with retries and backoff;
//! - `reminders.rs`: reminders of tomorrow's events and cohort sessions;
//! - `digest.rs`: daily and weekly digests, at a local morning hour;
//! - `timed.rs`: the task that writes reminders and digests as time passes;
//! - `counters.rs`: what it did, for `/metrics`.

pub mod counters;
pub mod delivery;
pub mod digest;
pub mod files;
pub mod message;
pub mod relay;
pub mod reminders;
pub mod texts;
pub mod timed;
pub mod unsubscribe;

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::Notify;

/// What the node needs to send its region's mail (settings `[mail]`).
#[derive(Clone)]
pub struct Mailer {
    /// `smtp://host:port` (plain; add `?tls=required` for STARTTLS) or
    /// `smtps://host:port` (TLS); none: mail is written to [`Mailer::folder`].
    pub smtp_url: Option<String>,
    /// The sender, such as `Passage Amsterdam <passage@amsterdam.example>`.
    pub from: String,
    /// Where `.eml` files go without an SMTP server, one folder per member.
    pub folder: PathBuf,
    /// The web app's address, links in mail start with it.
    pub web_url: String,
    /// The region, for the `Message-ID`'s domain.
    pub region: String,
    /// Signs unsubscribe links.
    pub unsubscribe_key: Arc<unsubscribe::Key>,
    /// Poked after a commit that queued mail.
    pub ready: Arc<Notify>,
    /// What the mail task did, for `/metrics`.
    pub counters: counters::MailCounters,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The SMTP address may carry a password.
        f.debug_struct("Mailer")
            .field("smtp", &self.smtp_url.is_some())
            .field("from", &self.from)
            .field("folder", &self.folder)
            .field("web_url", &self.web_url)
            .finish_non_exhaustive()
    }
}
