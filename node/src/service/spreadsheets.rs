//! `passage.v1.SpreadsheetService`: a chapter's CSV files in, and CSV reports out,
//! for the region's chapter admin (the policy table admits no one else). An
//! import names its kind and counts in the audit log, with how many of its
//! records are a chapter's history (applications, placements, opportunities
//! filled or closed) marked as imported history; an export names
//! what it was about, with the purpose when region-local fields were asked for.

use passage_proto::v1::{self, spreadsheet_service_server::SpreadsheetService};
use passage_server::access::with_subject;
use tonic::{Request, Response, Status};

use crate::context::NodeContext;
use crate::spreadsheets::{export, import};

/// Serves `passage.v1.SpreadsheetService`.
pub struct SpreadsheetApi {
    context: NodeContext,
}

impl SpreadsheetApi {
    pub fn new(context: NodeContext) -> Self {
        SpreadsheetApi { context }
    }
}

#[tonic::async_trait]
impl SpreadsheetService for SpreadsheetApi {
    async fn import_records(
        &self,
        request: Request<v1::ImportRecordsRequest>,
    ) -> Result<Response<v1::ImportReport>, Status> {
        let request = request.into_inner();
        let kind = v1::ImportKind::try_from(request.kind).unwrap_or_default();
        let report = import::import(&self.context, kind, &request.file, request.apply).await?;
        let what = if report.applied {
            "import"
        } else {
            "import, dry run"
        };
        let mut subject = format!(
            "{what} of {}: {} lines, {} created, {} updated, {} refused",
            kind.as_str_name(),
            report.lines,
            report.created.len(),
            report.updated.len(),
            report.refused_count
        );
        // What already happened is marked as imported history.
        if report.applied && report.history > 0 {
            subject.push_str(&format!("; {} as imported history", report.history));
        }
        Ok(with_subject(Response::new(report), subject))
    }

    async fn export_records(
        &self,
        request: Request<v1::ExportRecordsRequest>,
    ) -> Result<Response<v1::ExportPage>, Status> {
        let asked = export::Asked::parse(request.get_ref())?;
        let page = export::page(&self.context.db, &asked).await?;
        Ok(with_subject(Response::new(page), asked.subject()))
    }
}
