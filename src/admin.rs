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
        "{:<16} {:<10} {:<22} {:>8} {:>8} {:>9}",
        "REGION", "CONNECTED", "LAST SEEN (UTC)", "CURSOR", "BACKLOG", "LAG (ms)"
    )?;
    for region in status.regions {
        let last_seen = region
            .last_seen
            .and_then(|t| chrono::DateTime::from_timestamp(t.seconds, t.nanos as u32))
            .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_else(|| "never".to_owned());
        writeln!(
            out,
            "{:<16} {:<10} {:<22} {:>8} {:>8} {:>9}",
            region.region,
            if region.connected { "yes" } else { "no" },
            last_seen,
            region.cursor,
            region.backlog,
            region.lag_ms
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
