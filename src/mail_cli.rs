//! `passage admin mail --region R`: a region's notification mail as its chapter
//! admin's token reads it off the gateway — the mails waiting (due time,
//! attempts, kind, channel, the address masked) and the last failures with the
//! mail server's answer. No mail's contents: only what tells an operator whether
//! mail flows and, when it does not, why.

use std::fmt::Write as _;

use passage_proto::v1::{self, notification_service_client::NotificationServiceClient};

use crate::admin::GatewayLink;

/// The table of region `region`'s mail queue, at most `limit` mails per list.
pub async fn mail_table(channel: GatewayLink, region: &str, limit: u32) -> anyhow::Result<String> {
    let mut request = tonic::Request::new(v1::GetMailQueueRequest {
        limit: i32::try_from(limit).unwrap_or(i32::MAX),
    });
    request
        .metadata_mut()
        .insert(passage_proto::REGION_METADATA_KEY, region.parse()?);
    let queue = NotificationServiceClient::new(channel)
        .get_mail_queue(request)
        .await?
        .into_inner();
    let mut out = String::new();
    writeln!(
        out,
        "{region}: {} waiting, sent by {}",
        queue.waiting,
        match queue.channel.as_str() {
            "smtp" => "the mail server (smtp)",
            _ => "writing .eml files (file: no [mail] smtp_url)",
        }
    )?;
    writeln!(
        out,
        "{:<20} {:>8} {:<20} {:<6} {:<28} NOTIFICATION",
        "DUE (UTC)", "ATTEMPTS", "KIND", "CHANNEL", "TO"
    )?;
    for mail in &queue.queue {
        writeln!(
            out,
            "{:<20} {:>8} {:<20} {:<6} {:<28} {}",
            utc(mail.due_time),
            mail.attempts,
            mail.kind,
            mail.channel,
            mail.masked_address,
            mail.notification_id
        )?;
    }
    if queue.waiting as usize > queue.queue.len() {
        writeln!(
            out,
            "… and {} more (--limit)",
            queue.waiting as usize - queue.queue.len()
        )?;
    }
    writeln!(out)?;
    if queue.failures.is_empty() {
        writeln!(out, "last failures: none")?;
        return Ok(out);
    }
    writeln!(out, "last failures, the latest first:")?;
    writeln!(
        out,
        "{:<20} {:>8} {:<20} {:<28} ERROR",
        "NEXT TRY (UTC)", "ATTEMPTS", "KIND", "TO"
    )?;
    for mail in &queue.failures {
        writeln!(
            out,
            "{:<20} {:>8} {:<20} {:<28} {}",
            utc(mail.due_time),
            mail.attempts,
            mail.kind,
            mail.masked_address,
            mail.last_error.replace(['\r', '\n'], " ")
        )?;
    }
    Ok(out)
}

fn utc(time: Option<prost_types::Timestamp>) -> String {
    time.and_then(|t| chrono::DateTime::from_timestamp(t.seconds, t.nanos as u32))
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|| "-".to_owned())
}
