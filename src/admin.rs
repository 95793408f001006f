//! `passage admin …`: what an operator reads off the gateway, printed as tables
//! (and the central statistics, also as JSON).

use std::fmt::Write as _;

use passage_proto::v1::{
    self, federation_admin_service_client::FederationAdminServiceClient,
    global_stats_service_client::GlobalStatsServiceClient,
};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

/// A channel to the gateway whose every call carries the operator's (or
/// analyst's) bearer token.
pub type GatewayLink = InterceptedService<Channel, Bearer>;

/// Adds `authorization: Bearer <token>` to every call.
#[derive(Clone)]
pub struct Bearer(tonic::metadata::MetadataValue<tonic::metadata::Ascii>);

impl std::fmt::Debug for Bearer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Bearer(<token>)")
    }
}

impl tonic::service::Interceptor for Bearer {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        request
            .metadata_mut()
            .insert("authorization", self.0.clone());
        Ok(request)
    }
}

/// `channel`, with `token` on every call.
pub fn link(channel: Channel, token: &str) -> anyhow::Result<GatewayLink> {
    let mut value: tonic::metadata::MetadataValue<tonic::metadata::Ascii> =
        format!("Bearer {}", token.trim())
            .parse()
            .map_err(|_| anyhow::anyhow!("--token: not a token (printable ASCII only)"))?;
    value.set_sensitive(true);
    Ok(InterceptedService::new(channel, Bearer(value)))
}

/// `passage admin sync`: per region, connected or not, last seen, cursor, backlog, lag.
pub async fn sync_table(channel: GatewayLink) -> anyhow::Result<String> {
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
pub async fn erasures_table(channel: GatewayLink) -> anyhow::Result<String> {
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
    channel: GatewayLink,
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
pub async fn compact(channel: GatewayLink, keep_hours: u32) -> anyhow::Result<String> {
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

/// `passage admin stats`: the published statistics, as tables (suppressed counts
/// as `<10`, regions that did not answer marked with the time of their figures) or,
/// with `json`, as the JSON the dashboard serves.
pub async fn stats_report(
    channel: GatewayLink,
    request: v1::GetGlobalStatsRequest,
    json: bool,
) -> anyhow::Result<String> {
    let stats = GlobalStatsServiceClient::new(channel)
        .get_global_stats(request)
        .await?
        .into_inner();
    if json {
        let mut out = serde_json::to_string_pretty(&passage_gateway::stats::stats_json(&stats))?;
        out.push('\n');
        return Ok(out);
    }
    stats_tables(&stats)
}

/// The published statistics as terminal tables.
pub fn stats_tables(stats: &v1::GlobalStats) -> anyhow::Result<String> {
    let mut out = String::new();
    let (from, to) = stats
        .months
        .as_ref()
        .map(|m| (m.from_month.as_str(), m.to_month.as_str()))
        .unwrap_or_default();
    writeln!(
        out,
        "statistics {from} to {to}, computed {} UTC; counts below {} shown as <{}{}",
        utc(stats.computed_time),
        stats.threshold,
        stats.threshold,
        if stats.rounding > 1 {
            format!(
                "; published counts rounded to multiples of {}",
                stats.rounding
            )
        } else {
            String::new()
        }
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "{:<16} {:<9} {:<20} NOTE",
        "REGION", "ANSWERED", "FIGURES (UTC)"
    )?;
    for answer in &stats.regions {
        let note = match (answer.answered, answer.stale) {
            (true, _) => String::new(),
            (false, true) => format!("last good figures; {}", answer.reason),
            (false, false) => format!("no figures; {}", answer.reason),
        };
        writeln!(
            out,
            "{:<16} {:<9} {:<20} {note}",
            answer.region,
            if answer.answered { "yes" } else { "NO" },
            utc(answer.figures_time),
        )?;
    }
    let stale: std::collections::BTreeMap<&str, String> = stats
        .regions
        .iter()
        .filter(|a| a.stale)
        .map(|a| (a.region.as_str(), utc(a.figures_time)))
        .collect();
    let label = |region: &str| match stale.get(region) {
        Some(time) => format!("{region} (as of {time})"),
        None => region.to_owned(),
    };
    let shown = |cell: Option<&v1::PublishedCell>| match cell {
        Some(cell) if cell.suppressed => format!("<{}", stats.threshold),
        Some(cell) => cell.value.to_string(),
        None => "-".to_owned(),
    };

    // Monthly tables with one category (members joined) print as one table with
    // a column per month; other monthly tables print per month that saw anything.
    let mut printed_wide: Vec<&str> = Vec::new();
    for table in &stats.tables {
        let total = table.total.as_ref();
        let categories: Vec<&str> = total
            .map(|t| t.cells.iter().map(|c| c.category.as_str()).collect())
            .unwrap_or_default();
        if !table.month.is_empty() && categories.len() == 1 {
            if printed_wide.contains(&table.table.as_str()) {
                continue;
            }
            printed_wide.push(&table.table);
            let months: Vec<&v1::PublishedTable> = stats
                .tables
                .iter()
                .filter(|t| t.table == table.table)
                .collect();
            writeln!(out)?;
            writeln!(out, "{} ({}), by month", table.table, categories[0])?;
            let mut header = format!("{:<40}", "REGION");
            for month in &months {
                write!(header, " {:>8}", month.month)?;
            }
            writeln!(out, "{header}")?;
            let mut regions: Vec<&str> = table.rows.iter().map(|r| r.region.as_str()).collect();
            regions.push("total");
            for region in regions {
                let mut line = format!("{:<40}", label(region));
                for month in &months {
                    let row = if region == "total" {
                        month.total.as_ref()
                    } else {
                        month.rows.iter().find(|r| r.region == region)
                    };
                    write!(line, " {:>8}", shown(row.and_then(|r| r.cells.first())))?;
                }
                writeln!(out, "{line}")?;
            }
            continue;
        }
        let nothing = total
            .and_then(|t| t.row_total.as_ref())
            .is_some_and(|c| !c.suppressed && c.value == 0);
        if !table.month.is_empty() && nothing {
            continue;
        }
        writeln!(out)?;
        if table.month.is_empty() {
            writeln!(out, "{}", table.table)?;
        } else {
            writeln!(out, "{}, {}", table.table, table.month)?;
        }
        let width = categories.iter().map(|c| c.len()).max().unwrap_or(0).max(7);
        let mut header = format!("{:<40}", "REGION");
        for category in &categories {
            write!(header, " {category:>width$}")?;
        }
        write!(header, " {:>width$}", "TOTAL")?;
        writeln!(out, "{header}")?;
        for row in table.rows.iter().chain(total) {
            let mut line = format!("{:<40}", label(&row.region));
            for cell in &row.cells {
                write!(line, " {:>width$}", shown(Some(cell)))?;
            }
            write!(line, " {:>width$}", shown(row.row_total.as_ref()))?;
            writeln!(out, "{line}")?;
        }
    }
    let reviewed: Vec<&v1::RegionMedian> = stats.medians.iter().collect();
    if !reviewed.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "median hours from submission to publication (review_hours)"
        )?;
        writeln!(out, "{:<40} {:<8} {:>8}", "REGION", "MONTH", "HOURS")?;
        for median in reviewed {
            let value = if median.suppressed {
                format!("<{} rec.", stats.threshold)
            } else {
                format!("{:.1}", median.median)
            };
            writeln!(
                out,
                "{:<40} {:<8} {:>8}",
                label(&median.region),
                median.month,
                value
            )?;
        }
    }
    Ok(out)
}

/// `passage admin audit --region <slug>`: the region's audit log, newest first (the
/// region's chapter admin's token), optionally about one member or one token.
pub async fn audit_table(
    channel: GatewayLink,
    region: &str,
    subject: Option<String>,
    token_id: Option<String>,
    limit: usize,
) -> anyhow::Result<String> {
    let mut client = passage_proto::v1::audit_service_client::AuditServiceClient::new(channel);
    let mut out = String::new();
    writeln!(
        out,
        "{:<24} {:<16} {:<14} {:<17} {:<46} {:<20} SUBJECT",
        "TIME (UTC)", "ROLE", "REGION", "TOKEN", "METHOD", "OUTCOME"
    )?;
    let mut page_token = String::new();
    let mut shown = 0;
    while shown < limit {
        let mut request = tonic::Request::new(v1::ListAuditEntriesRequest {
            page_size: (limit - shown).min(500) as i32,
            page_token: page_token.clone(),
            subject: subject.clone().unwrap_or_default(),
            token_id: token_id.clone().unwrap_or_default(),
        });
        request
            .metadata_mut()
            .insert(passage_proto::REGION_METADATA_KEY, region.parse()?);
        let page = client.list_audit_entries(request).await?.into_inner();
        for entry in &page.entries {
            let time = entry
                .time
                .and_then(|t| chrono::DateTime::from_timestamp(t.seconds, t.nanos as u32))
                .map(|t| t.format("%Y-%m-%d %H:%M:%S%.3f").to_string())
                .unwrap_or_default();
            writeln!(
                out,
                "{:<24} {:<16} {:<14} {:<17} {:<46} {:<20} {}",
                time,
                or_dash(&entry.caller_role),
                or_dash(&entry.caller_region),
                or_dash(&entry.token_id),
                entry.method,
                entry.outcome,
                or_dash(&entry.subject)
            )?;
        }
        shown += page.entries.len();
        if page.next_page_token.is_empty() || page.entries.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    Ok(out)
}

fn or_dash(text: &str) -> &str {
    if text.is_empty() { "-" } else { text }
}
