//! `passage admin import` and `passage admin export`: a chapter's CSV files in
//! (a dry run unless `--apply`), and CSV reports out on standard output, through
//! the gateway with the chapter admin's token, as the console does.

use std::fmt::Write as _;

use passage_proto::v1::{self, spreadsheet_service_client::SpreadsheetServiceClient};

use crate::admin::GatewayLink;

/// What an imported file holds.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum ImportWhat {
    Members,
    Organisations,
    Opportunities,
    /// The chapter's history of applications, with their dates.
    Applications,
    /// The placements accepted applications became, with their ends.
    Placements,
    /// Community review of opportunities whose review is over.
    Reviews,
    /// Events, past and to come.
    Events,
    /// Registrations for events, and who came.
    EventRegistrations,
    /// Cohorts of the region's coaching programmes.
    Cohorts,
    /// Cohorts' participants and their outcomes.
    CohortParticipants,
    /// Helpdesk questions and their answers.
    HelpdeskQuestions,
    /// Buddy pairs, with their ends.
    BuddyPairs,
}

impl ImportWhat {
    fn kind(self) -> v1::ImportKind {
        match self {
            ImportWhat::Members => v1::ImportKind::Members,
            ImportWhat::Organisations => v1::ImportKind::Organisations,
            ImportWhat::Opportunities => v1::ImportKind::Opportunities,
            ImportWhat::Applications => v1::ImportKind::Applications,
            ImportWhat::Placements => v1::ImportKind::Placements,
            ImportWhat::Reviews => v1::ImportKind::Reviews,
            ImportWhat::Events => v1::ImportKind::Events,
            ImportWhat::EventRegistrations => v1::ImportKind::EventRegistrations,
            ImportWhat::Cohorts => v1::ImportKind::Cohorts,
            ImportWhat::CohortParticipants => v1::ImportKind::CohortParticipants,
            ImportWhat::HelpdeskQuestions => v1::ImportKind::HelpdeskQuestions,
            ImportWhat::BuddyPairs => v1::ImportKind::BuddyPairs,
        }
    }
}

/// Which report to export.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum ExportWhat {
    /// The region's members (shared fields; region-local ones with --purpose).
    Members,
    /// One cohort's participants (--cohort).
    Cohort,
    /// Applications, their placements and retention.
    Applications,
    /// One event's attendance (--event).
    Attendance,
}

/// Largest file a spreadsheet import sends (the node's own limit).
const MAX_FILE_BYTES: usize = 32 << 20;

fn in_region<T>(region: &str, message: T) -> anyhow::Result<tonic::Request<T>> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert(passage_proto::REGION_METADATA_KEY, region.parse()?);
    Ok(request)
}

/// Imports `file` (a dry run unless `apply`) and says what happened in plain
/// words; the flag is false when a line was refused.
pub async fn import(
    channel: GatewayLink,
    what: ImportWhat,
    file: &std::path::Path,
    region: &str,
    apply: bool,
) -> anyhow::Result<(String, bool)> {
    let bytes =
        std::fs::read(file).map_err(|error| anyhow::anyhow!("{}: {error}", file.display()))?;
    anyhow::ensure!(
        bytes.len() <= MAX_FILE_BYTES,
        "{}: at most {} MiB can be imported at once",
        file.display(),
        MAX_FILE_BYTES >> 20
    );
    let report = SpreadsheetServiceClient::new(channel)
        .max_decoding_message_size(passage_proto::bounds::SYNC_MESSAGE_BYTES)
        .import_records(in_region(
            region,
            v1::ImportRecordsRequest {
                kind: what.kind() as i32,
                file: bytes,
                apply,
            },
        )?)
        .await
        .map_err(|status| anyhow::anyhow!("{}: {}", file.display(), status.message()))?
        .into_inner();
    Ok((
        describe(&report, &file.display().to_string(), apply)?,
        report.refused_count == 0,
    ))
}

/// The report in plain words.
pub fn describe(report: &v1::ImportReport, name: &str, apply: bool) -> anyhow::Result<String> {
    let mut out = String::new();
    writeln!(
        out,
        "{name}: {} lines read ({}, cells separated by \"{}\")",
        report.lines, report.encoding, report.separator
    )?;
    if report.refused_count > 0 {
        writeln!(
            out,
            "{} lines refused, so nothing was written:",
            report.refused_count
        )?;
        for refused in &report.refused {
            writeln!(
                out,
                "  line {}, column {}: {}",
                refused.line, refused.column, refused.reason
            )?;
        }
        if report.refused.len() < report.refused_count as usize {
            writeln!(
                out,
                "  … and {} more",
                report.refused_count as usize - report.refused.len()
            )?;
        }
    }
    let (create, update) = if report.applied {
        ("created", "updated")
    } else {
        ("would be created", "would be updated")
    };
    list(&mut out, create, &report.created)?;
    list(&mut out, update, &report.updated)?;
    writeln!(out, "{} already as in the file", report.unchanged)?;
    if report.history > 0 {
        let marked = if report.applied {
            "the audit log marks them"
        } else {
            "the audit log would mark them"
        };
        writeln!(
            out,
            "{} of them records of what already happened: {marked} as imported history",
            report.history
        )?;
    }
    if report.applied {
        writeln!(out, "imported in one transaction")?;
    } else if apply {
        writeln!(out, "not imported: fix the refused lines and run again")?;
    } else {
        writeln!(
            out,
            "dry run: nothing written; run again with --apply to import"
        )?;
    }
    Ok(out)
}

/// How many, and the first external ids.
fn list(out: &mut String, what: &str, ids: &[String]) -> anyhow::Result<()> {
    const SHOWN: usize = 20;
    write!(out, "{} {what}", ids.len())?;
    if !ids.is_empty() {
        write!(out, ": {}", ids[..ids.len().min(SHOWN)].join(", "))?;
        if ids.len() > SHOWN {
            write!(out, ", … ({} more)", ids.len() - SHOWN)?;
        }
    }
    writeln!(out)?;
    Ok(())
}

/// What to export.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    pub what: ExportWhat,
    pub region: String,
    pub purpose: Option<String>,
    pub cohort: Option<String>,
    pub event: Option<String>,
}

/// Writes the report to `out` page by page; returns the rows written.
pub async fn export(
    channel: GatewayLink,
    asked: ExportRequest,
    out: &mut impl std::io::Write,
) -> anyhow::Result<u64> {
    let mut client = SpreadsheetServiceClient::new(channel)
        .max_decoding_message_size(passage_proto::bounds::SYNC_MESSAGE_BYTES);
    let kind = match asked.what {
        ExportWhat::Members => v1::ExportKind::Members,
        ExportWhat::Cohort => v1::ExportKind::Cohort,
        ExportWhat::Applications => v1::ExportKind::Applications,
        ExportWhat::Attendance => v1::ExportKind::Attendance,
    };
    let mut page_token = String::new();
    let mut rows = 0;
    loop {
        let page = client
            .export_records(in_region(
                &asked.region,
                v1::ExportRecordsRequest {
                    kind: kind as i32,
                    purpose: asked.purpose.clone().unwrap_or_default(),
                    cohort_id: asked.cohort.clone().unwrap_or_default(),
                    event_id: asked.event.clone().unwrap_or_default(),
                    page_size: 0,
                    page_token,
                },
            )?)
            .await
            .map_err(|status| anyhow::anyhow!("{}", status.message()))?
            .into_inner();
        out.write_all(&page.csv)?;
        rows += u64::from(page.rows);
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    out.flush()?;
    Ok(rows)
}
