//! Spreadsheets in and out, from the console. In: the chapter admin chooses a CSV
//! file of members, organisations or opportunities (as her spreadsheet program
//! saved it) and checks it — each refused line named by its line and column — or
//! imports it, all or nothing; the region's node reads and writes it, the web app
//! only passes the file on and keeps nothing. Out: members (shared fields; the
//! region-local ones only with a stated purpose, which the node writes in its
//! audit log), a cohort's report, applications with retention, or an event's
//! attendance, as a CSV file built page by page.

use askama::Template;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use passage_proto::v1;
use serde::Deserialize;

use super::chapter_admin;
use super::members::{Choice, error_for};
use crate::App;
use crate::gateway::call;
use crate::i18n::Text;
use crate::pages::{FieldError, Frame, refusal, render};
use crate::visit::Visit;

const IMPORT: &str = "/console/import";
const EXPORT: &str = "/console/export";
/// The largest file the console takes (the node takes up to 32 MiB).
pub const LARGEST_FILE: usize = 30 * 1024 * 1024;

/// A refused line, as the page shows it.
pub struct RefusedView {
    pub line: String,
    pub column: String,
    pub reason: String,
    /// The language the reason is in: the page's, or English when the region
    /// said it in words only (`lang="en"` then).
    pub english: bool,
}

/// What the node said about a file.
pub struct ReportView {
    pub applied: bool,
    pub summary: String,
    pub refused: Vec<RefusedView>,
    pub more_refused: String,
}

#[derive(Template)]
#[template(path = "console_import.html")]
struct ImportPage {
    frame: Frame,
    kinds: Vec<Choice>,
    errors: Vec<FieldError>,
    report: Option<ReportView>,
}

impl ImportPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

fn import_kinds(text: Text, chosen: &str) -> Vec<Choice> {
    [
        "members",
        "organisations",
        "opportunities",
        "applications",
        "placements",
        "reviews",
        "events",
        "event-registrations",
        "cohorts",
        "cohort-participants",
        "helpdesk-questions",
        "buddy-pairs",
    ]
    .into_iter()
    .map(|kind| Choice {
        value: kind.to_owned(),
        label: text.t(&format!("spreadsheet-kind-{kind}")),
        chosen: kind == chosen,
    })
    .collect()
}

/// `GET /console/import`.
pub async fn import_form(State(app): State<App>, visit: Visit) -> Response {
    let (_, text) = match chapter_admin(&app, &visit, IMPORT).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let page = ImportPage {
        frame: Frame::chapter(&visit, text, IMPORT),
        kinds: import_kinds(text, "members"),
        errors: Vec::new(),
        report: None,
    };
    render(&visit, StatusCode::OK, &page)
}

/// The import form's fields.
#[derive(Default)]
struct Upload {
    form_token: String,
    kind: String,
    apply: bool,
    file: Vec<u8>,
    file_named: bool,
}

async fn read_upload(mut multipart: Multipart) -> Result<Upload, String> {
    let mut upload = Upload::default();
    while let Some(field) = multipart.next_field().await.map_err(|e| e.to_string())? {
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "file" => {
                upload.file_named = field.file_name().is_some_and(|name| !name.is_empty());
                upload.file = field.bytes().await.map_err(|e| e.to_string())?.to_vec();
            }
            "form_token" => upload.form_token = field.text().await.map_err(|e| e.to_string())?,
            "kind" => upload.kind = field.text().await.map_err(|e| e.to_string())?,
            "apply" => upload.apply = field.text().await.map_err(|e| e.to_string())? == "yes",
            _ => {}
        }
    }
    Ok(upload)
}

fn report_view(text: Text, report: &v1::ImportReport) -> ReportView {
    let key = match (report.applied, report.refused_count) {
        (true, _) => "spreadsheet-applied",
        (false, 0) => "spreadsheet-checked",
        (false, _) => "spreadsheet-refused",
    };
    let summary = text.t_with(
        key,
        &[
            ("lines", &report.lines.to_string()),
            ("created", &report.created.len().to_string()),
            ("updated", &report.updated.len().to_string()),
            ("unchanged", &report.unchanged.to_string()),
            ("refused", &report.refused_count.to_string()),
        ],
    );
    let shown = report.refused.len() as u32;
    ReportView {
        applied: report.applied,
        summary,
        refused: report
            .refused
            .iter()
            .map(|line| {
                let worded = crate::pages::refused::words(text, line);
                RefusedView {
                    line: line.line.to_string(),
                    column: line.column.clone(),
                    english: worded.is_none(),
                    reason: worded.unwrap_or_else(|| line.reason.clone()),
                }
            })
            .collect(),
        more_refused: if report.refused_count > shown {
            text.t1(
                "spreadsheet-more-refused",
                "count",
                &(report.refused_count - shown).to_string(),
            )
        } else {
            String::new()
        },
    }
}

/// `POST /console/import` (multipart): check the file, or import it.
pub async fn import(State(app): State<App>, visit: Visit, multipart: Multipart) -> Response {
    let (account, text) = match chapter_admin(&app, &visit, IMPORT).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let refuse = |kind: &str, field: &str, message: String| {
        let page = ImportPage {
            frame: Frame::chapter(&visit, text, IMPORT),
            kinds: import_kinds(text, kind),
            errors: vec![FieldError {
                field: field.into(),
                message,
            }],
            report: None,
        };
        render(&visit, StatusCode::UNPROCESSABLE_ENTITY, &page)
    };
    let upload = match read_upload(multipart).await {
        Ok(upload) => upload,
        Err(_) => return refuse("members", "file", text.t("spreadsheet-unreadable")),
    };
    if !visit.form_is_ours(&upload.form_token) {
        return visit.redirect(IMPORT);
    }
    if !upload.file_named || upload.file.is_empty() {
        return refuse(&upload.kind, "file", text.t("spreadsheet-no-file"));
    }
    let kind = match upload.kind.as_str() {
        "members" => v1::ImportKind::Members,
        "organisations" => v1::ImportKind::Organisations,
        "opportunities" => v1::ImportKind::Opportunities,
        "applications" => v1::ImportKind::Applications,
        "placements" => v1::ImportKind::Placements,
        "reviews" => v1::ImportKind::Reviews,
        "events" => v1::ImportKind::Events,
        "event-registrations" => v1::ImportKind::EventRegistrations,
        "cohorts" => v1::ImportKind::Cohorts,
        "cohort-participants" => v1::ImportKind::CohortParticipants,
        "helpdesk-questions" => v1::ImportKind::HelpdeskQuestions,
        "buddy-pairs" => v1::ImportKind::BuddyPairs,
        _ => return refuse("members", "kind", text.t("spreadsheet-no-kind")),
    };
    let answer = app
        .gateway
        .spreadsheets()
        .import_records(call(
            &visit,
            Some(&account.region),
            v1::ImportRecordsRequest {
                kind: kind as i32,
                file: upload.file,
                apply: upload.apply,
            },
        ))
        .await;
    match answer {
        Ok(report) => {
            let report = report.into_inner();
            let code = if report.refused_count > 0 {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::OK
            };
            let page = ImportPage {
                frame: Frame::chapter(&visit, text, IMPORT),
                kinds: import_kinds(text, &upload.kind),
                errors: Vec::new(),
                report: Some(report_view(text, &report)),
            };
            render(&visit, code, &page)
        }
        Err(status) if status.code() == tonic::Code::InvalidArgument => refuse(
            &upload.kind,
            "file",
            text.t1(
                "spreadsheet-file-refused",
                "reason",
                &crate::pages::refused::named(text, &status),
            ),
        ),
        Err(status) => refusal(&visit, text, IMPORT, &status),
    }
}

#[derive(Template)]
#[template(path = "console_export.html")]
struct ExportPage {
    frame: Frame,
    kinds: Vec<Choice>,
    form: ExportQuery,
    errors: Vec<FieldError>,
}

impl ExportPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct ExportQuery {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub purpose: String,
    #[serde(default)]
    pub cohort_id: String,
    #[serde(default)]
    pub event_id: String,
}

fn export_kinds(text: Text, chosen: &str) -> Vec<Choice> {
    ["members", "cohort", "applications", "attendance"]
        .into_iter()
        .map(|kind| Choice {
            value: kind.to_owned(),
            label: text.t(&format!("spreadsheet-export-{kind}")),
            chosen: kind == chosen,
        })
        .collect()
}

/// `GET /console/export`: the form.
pub async fn export_form(State(app): State<App>, visit: Visit) -> Response {
    let (_, text) = match chapter_admin(&app, &visit, EXPORT).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let page = ExportPage {
        frame: Frame::chapter(&visit, text, EXPORT),
        kinds: export_kinds(text, "members"),
        form: ExportQuery {
            kind: "members".into(),
            ..Default::default()
        },
        errors: Vec::new(),
    };
    render(&visit, StatusCode::OK, &page)
}

/// Rows the web app asks the node for at a time when it streams an export.
const EXPORT_PAGE: i32 = 1_000;

/// `GET /console/export/file?kind=…`: the CSV, read from the node page by page
/// and streamed on to the browser.
pub async fn export_file(
    State(app): State<App>,
    visit: Visit,
    Query(query): Query<ExportQuery>,
) -> Response {
    let (account, text) = match chapter_admin(&app, &visit, EXPORT).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let again = |field: &str, message: String| {
        let page = ExportPage {
            frame: Frame::chapter(&visit, text, EXPORT),
            kinds: export_kinds(text, &query.kind),
            form: query.clone(),
            errors: vec![FieldError {
                field: field.into(),
                message,
            }],
        };
        render(&visit, StatusCode::UNPROCESSABLE_ENTITY, &page)
    };
    let kind = match query.kind.as_str() {
        "members" => v1::ExportKind::Members,
        "cohort" => v1::ExportKind::Cohort,
        "applications" => v1::ExportKind::Applications,
        "attendance" => v1::ExportKind::Attendance,
        _ => return again("kind", text.t("spreadsheet-no-kind")),
    };
    let request = {
        let visit = visit.clone();
        let region = account.region.clone();
        let query = query.clone();
        move |page_token: String| {
            call(
                &visit,
                Some(&region),
                v1::ExportRecordsRequest {
                    kind: kind as i32,
                    purpose: query.purpose.trim().to_owned(),
                    cohort_id: query.cohort_id.trim().to_owned(),
                    event_id: query.event_id.trim().to_owned(),
                    page_size: EXPORT_PAGE,
                    page_token,
                },
            )
        }
    };
    // The first page is asked before answering, so that a refusal (a missing
    // purpose, an unknown cohort) comes back as the form with its message.
    let mut spreadsheets = app.gateway.spreadsheets();
    let first = match spreadsheets.export_records(request(String::new())).await {
        Ok(page) => page.into_inner(),
        Err(status) if status.code() == tonic::Code::InvalidArgument => {
            let field = ["cohort_id", "event_id", "purpose", "kind"]
                .into_iter()
                .find(|field| status.message().starts_with(field))
                .unwrap_or("kind");
            return again(
                field,
                text.t1(
                    "console-refused",
                    "reason",
                    &crate::pages::refused::reason(text, &status),
                ),
            );
        }
        Err(status) => return refusal(&visit, text, EXPORT, &status),
    };
    // The rest follows page by page as the browser takes it: the file is never
    // held whole here. A page refused half-way ends the download with an error,
    // so the browser shows it failed rather than keeping a file cut short.
    let (pages, taken) = tokio::sync::mpsc::channel::<std::io::Result<Vec<u8>>>(2);
    tokio::spawn(async move {
        let mut next = first.next_page_token;
        if pages.send(Ok(first.csv)).await.is_err() {
            return;
        }
        while !next.is_empty() {
            let page = match spreadsheets.export_records(request(next)).await {
                Ok(page) => page.into_inner(),
                Err(status) => {
                    tracing::warn!(code = ?status.code(), "an export page was refused half-way");
                    let _ = pages
                        .send(Err(std::io::Error::other(status.message().to_owned())))
                        .await;
                    return;
                }
            };
            next = page.next_page_token;
            if pages.send(Ok(page.csv)).await.is_err() {
                return;
            }
        }
    });
    let day = chrono::Utc::now().format("%Y-%m-%d");
    visit.download(
        &format!("passage-{}-{}-{day}.csv", account.region, query.kind),
        "text/csv; charset=utf-8",
        axum::body::Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(taken)),
    )
}
