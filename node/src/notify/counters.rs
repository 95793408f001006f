//! What the mail task did since the node started, for `/metrics`: mails sent and
//! attempts failed, by kind and channel (`smtp` or `file`); and, read from the
//! queue at each scrape, the mails queued and waiting, by kind and the channel
//! they will go by.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, OnceLock};

/// How one attempt at a mail ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    Sent,
    Failed,
}

impl Outcome {
    fn name(self) -> &'static str {
        match self {
            Outcome::Sent => "sent",
            Outcome::Failed => "failed",
        }
    }
}

/// A counter's labels: the kind, the channel and the outcome.
type Labels = (String, &'static str, Outcome);

/// The counters, shared by the mail task and the metrics endpoint.
#[derive(Debug, Clone, Default)]
pub struct MailCounters {
    counts: Arc<Mutex<BTreeMap<Labels, u64>>>,
    /// The channel the mail task sends by, once it started.
    channel: Arc<OnceLock<&'static str>>,
}

impl MailCounters {
    /// Records the channel the mail task sends by (`smtp` or `file`), which
    /// labels the waiting mails.
    pub fn sends_by(&self, channel: &'static str) {
        let _ = self.channel.set(channel);
    }

    /// Counts one attempt at a mail of `kind` over `channel`.
    pub fn count(&self, kind: &str, channel: &'static str, outcome: Outcome) {
        if let Ok(mut counts) = self.counts.lock() {
            *counts
                .entry((kind.to_owned(), channel, outcome))
                .or_default() += 1;
        }
    }

    /// The Prometheus text of the counters and of `waiting` (unsent mails by
    /// kind), for `region`.
    pub fn render(&self, region: &str, waiting: &[(String, u64)]) -> String {
        let mut out = String::new();
        let name = "passage_notification_mails_total";
        let _ = writeln!(
            out,
            "# HELP {name} Attempts at notification mails since the node started, by kind, channel (smtp or file) and outcome (sent or failed)."
        );
        let _ = writeln!(out, "# TYPE {name} counter");
        if let Ok(counts) = self.counts.lock() {
            for ((kind, channel, outcome), count) in counts.iter() {
                let _ = writeln!(
                    out,
                    "{name}{{region=\"{region}\",kind=\"{kind}\",channel=\"{channel}\",outcome=\"{}\"}} {count}",
                    outcome.name()
                );
            }
        }
        let name = "passage_notification_mails_queued";
        let _ = writeln!(
            out,
            "# HELP {name} Notification mails queued and waiting to be sent, by kind and the channel they will go by."
        );
        let _ = writeln!(out, "# TYPE {name} gauge");
        let channel = self.channel.get().copied().unwrap_or("file");
        for (kind, count) in waiting {
            let _ = writeln!(
                out,
                "{name}{{region=\"{region}\",kind=\"{kind}\",channel=\"{channel}\"}} {count}"
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_render_by_kind_channel_and_outcome() {
        let counters = MailCounters::default();
        counters.sends_by("smtp");
        counters.count("event_seat", "smtp", Outcome::Failed);
        counters.count("event_seat", "smtp", Outcome::Sent);
        counters.count("event_seat", "smtp", Outcome::Sent);
        let text = counters.render("miami", &[("buddy_confirmed".into(), 4)]);
        assert!(text.contains(
            "passage_notification_mails_total{region=\"miami\",kind=\"event_seat\",channel=\"smtp\",outcome=\"sent\"} 2\n"
        ));
        assert!(text.contains(
            "passage_notification_mails_total{region=\"miami\",kind=\"event_seat\",channel=\"smtp\",outcome=\"failed\"} 1\n"
        ));
        assert!(text.contains(
            "passage_notification_mails_queued{region=\"miami\",kind=\"buddy_confirmed\",channel=\"smtp\"} 4\n"
        ));
    }
}
