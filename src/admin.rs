//! `passage admin …`: what an operator reads off the gateway, printed as tables.

use std::fmt::Write as _;

use passage_proto::v1::{self, federation_admin_service_client::FederationAdminServiceClient};
use tonic::transport::Channel;

/// `passage admin sync`: per region, connected or not, last seen, cursor, backlog, lag.
pub async fn sync_table(channel: Channel) -> anyhow::Result<String> {
    let status = FederationAdminServiceClient::new(channel)
        .get_sync_status(v1::GetSyncStatusRequest {})
        .await?
        .into_inner();
    let mut out = String::new();
    writeln!(out, "change log head: {}", status.log_head)?;
    writeln!(
        out,
        "{:<16} {:<10} {:<22} {:>8} {:>8} {:>9} {:>8}",
        "REGION", "CONNECTED", "LAST SEEN (UTC)", "CURSOR", "BACKLOG", "LAG (ms)", "STREAMS"
    )?;
    for region in status.regions {
        let last_seen = region
            .last_seen
            .and_then(|t| chrono::DateTime::from_timestamp(t.seconds, t.nanos as u32))
            .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_else(|| "never".to_owned());
        writeln!(
            out,
            "{:<16} {:<10} {:<22} {:>8} {:>8} {:>9} {:>8}",
            region.region,
            if region.connected { "yes" } else { "no" },
            last_seen,
            region.cursor,
            region.backlog,
            region.lag_ms,
            region.streams_opened
        )?;
    }
    Ok(out)
}

/// `passage admin erasures`: every erasure, with the regions that confirmed it and
/// those still pending.
pub async fn erasures_table(channel: Channel) -> anyhow::Result<String> {
    let mut client = FederationAdminServiceClient::new(channel);
    let mut out = String::new();
    writeln!(
        out,
        "{:<38} {:<14} {:<20} {:<30} PENDING",
        "MEMBER", "HOME", "REQUESTED (UTC)", "CONFIRMED"
    )?;
    let mut token = String::new();
    loop {
        let page = client
            .list_erasures(v1::ListErasuresRequest {
                page_size: 200,
                page_token: token,
            })
            .await?
            .into_inner();
        for erasure in page.erasures {
            let requested = erasure
                .requested_time
                .and_then(|t| chrono::DateTime::from_timestamp(t.seconds, t.nanos as u32))
                .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
                .unwrap_or_default();
            let pending = if erasure.pending_regions.is_empty() {
                "none: erased everywhere".to_owned()
            } else {
                erasure.pending_regions.join(",")
            };
            writeln!(
                out,
                "{:<38} {:<14} {:<20} {:<30} {}",
                erasure.member_id,
                erasure.home_region,
                requested,
                erasure.confirmed_regions.join(","),
                pending
            )?;
        }
        if page.next_page_token.is_empty() {
            return Ok(out);
        }
        token = page.next_page_token;
    }
}

fn utc(time: Option<prost_types::Timestamp>) -> String {
    time.and_then(|t| chrono::DateTime::from_timestamp(t.seconds, t.nanos as u32))
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|| "-".to_owned())
}

/// `passage admin transfers`: every move of a member between home regions.
pub async fn transfers_table(
    channel: Channel,
    member_id: Option<String>,
) -> anyhow::Result<String> {
    let mut client = FederationAdminServiceClient::new(channel);
    let mut out = String::new();
    writeln!(
        out,
        "{:<38} {:<14} {:<14} {:>5} {:<20} {:<20} REQUESTED BY",
        "MEMBER", "FROM", "TO", "EPOCH", "REQUESTED (UTC)", "COMPLETED (UTC)"
    )?;
    let mut token = String::new();
    loop {
        let page = client
            .list_transfers(v1::ListTransfersRequest {
                member_id: member_id.clone().unwrap_or_default(),
                page_size: 200,
                page_token: token,
            })
            .await?
            .into_inner();
        for transfer in page.transfers {
            let completed = match transfer.completed_time {
                Some(time) => utc(Some(time)),
                None => "pending".to_owned(),
            };
            writeln!(
                out,
                "{:<38} {:<14} {:<14} {:>5} {:<20} {:<20} {}",
                transfer.member_id,
                transfer.from_region,
                transfer.to_region,
                transfer.epoch,
                utc(transfer.requested_time),
                completed,
                transfer.requested_by
            )?;
        }
        if page.next_page_token.is_empty() {
            return Ok(out);
        }
        token = page.next_page_token;
    }
}

/// `passage admin compact`: drops log entries every region has applied, and those
/// older than `keep_hours`.
pub async fn compact(channel: Channel, keep_hours: u32) -> anyhow::Result<String> {
    let done = FederationAdminServiceClient::new(channel)
        .compact_log(v1::CompactLogRequest {
            keep_seconds: i64::from(keep_hours) * 3600,
        })
        .await?
        .into_inner();
    Ok(format!(
        "log compacted through sequence {}: {} entries removed\n",
        done.compacted_through, done.removed_entries
    ))
}
