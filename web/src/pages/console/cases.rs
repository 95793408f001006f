//! The console's cases: the region's open (or closed) cases, oldest first, with
//! whom each is about, its caseworker and its next step due; and a case's page
//! with its next steps and its notes. Reading a case's notes is the chapter
//! admin's to do (the node records each read about the member in the audit log).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use passage_proto::v1;
use serde::Deserialize;

use super::{chapter_admin, count};
use crate::App;
use crate::gateway::call;
use crate::i18n::Text;
use crate::pages::when::{day, moment};
use crate::pages::{Frame, encode_component, refusal, render};
use crate::visit::Visit;

const HERE: &str = "/console/cases";
/// How many cases a page shows.
const PAGE: i32 = 50;

/// Whom a case is about, as a link to the member's record when it is one member.
pub struct Subject {
    pub label: String,
    pub href: String,
}

/// One case of the list.
pub struct CaseRow {
    pub id: String,
    pub title: String,
    pub subject: Subject,
    pub caseworker: String,
    pub opened: String,
    /// Its next step not done with the earliest day, in words; empty for none.
    pub next_step: String,
    pub overdue: bool,
}

#[derive(Template)]
#[template(path = "console_cases.html")]
struct CasesPage {
    frame: Frame,
    closed: bool,
    heading: String,
    cases: Vec<CaseRow>,
    next: String,
}

#[derive(Deserialize, Default)]
pub struct CasesQuery {
    /// `closed` for the closed cases; the open ones otherwise.
    #[serde(default)]
    status: String,
    #[serde(default)]
    after: String,
}

fn subject_of(text: Text, case: &v1::Case) -> Subject {
    match &case.subject {
        Some(v1::case::Subject::MemberId(id)) => Subject {
            label: text.t("console-case-member"),
            href: format!("/console/members/{id}"),
        },
        Some(v1::case::Subject::Household(household)) => Subject {
            label: household.label.clone(),
            href: if household.main_member_id.is_empty() {
                String::new()
            } else {
                format!("/console/members/{}", household.main_member_id)
            },
        },
        None => Subject {
            label: String::new(),
            href: String::new(),
        },
    }
}

async fn next_steps(
    app: &App,
    visit: &Visit,
    region: &str,
    case_id: &str,
) -> Result<Vec<v1::NextStep>, tonic::Status> {
    Ok(app
        .gateway
        .cases()
        .list_next_steps(call(
            visit,
            Some(region),
            v1::ListNextStepsRequest {
                case_id: case_id.to_owned(),
                page_size: 100,
                page_token: String::new(),
            },
        ))
        .await?
        .into_inner()
        .steps)
}

fn today() -> String {
    chrono::Utc::now()
        .date_naive()
        .format("%Y-%m-%d")
        .to_string()
}

/// `GET /console/cases[?status=closed][&after=…]`.
pub async fn list(
    State(app): State<App>,
    visit: Visit,
    Query(query): Query<CasesQuery>,
) -> Response {
    let (account, text) = match chapter_admin(&app, &visit, HERE).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let region = account.region.as_str();
    let closed = query.status == "closed";
    let listed = app
        .gateway
        .cases()
        .list_cases(call(
            &visit,
            Some(region),
            v1::ListCasesRequest {
                status: if closed {
                    v1::CaseStatus::Closed
                } else {
                    v1::CaseStatus::Open
                } as i32,
                page_size: PAGE,
                page_token: query.after.clone(),
            },
        ))
        .await;
    let listed = match listed {
        Ok(listed) => listed.into_inner(),
        Err(status) => return refusal(&visit, text, HERE, &status),
    };
    let today = today();
    let mut cases = Vec::with_capacity(listed.cases.len());
    for case in &listed.cases {
        let mut next_step = String::new();
        let mut overdue = false;
        if case.open_next_steps > 0 {
            let steps = match next_steps(&app, &visit, region, &case.id).await {
                Ok(steps) => steps,
                Err(status) => return refusal(&visit, text, HERE, &status),
            };
            if let Some(step) = steps
                .iter()
                .filter(|step| !step.done)
                .min_by(|a, b| a.due_on.cmp(&b.due_on))
            {
                overdue = step.due_on <= today;
                next_step = text.t_with(
                    "console-case-next-step",
                    &[("step", &step.text), ("date", &step.due_on)],
                );
            }
        }
        cases.push(CaseRow {
            id: case.id.clone(),
            title: case.title.clone(),
            subject: subject_of(text, case),
            caseworker: case.caseworker.clone(),
            opened: day(text, case.open_time.as_ref()),
            next_step,
            overdue,
        });
    }
    let shown = count(text, cases.len(), !listed.next_page_token.is_empty());
    let page = CasesPage {
        frame: Frame::chapter(&visit, text, HERE),
        heading: text.t1(
            if closed {
                "console-cases-closed-count"
            } else {
                "console-cases-open-count"
            },
            "count",
            &shown,
        ),
        closed,
        cases,
        next: if listed.next_page_token.is_empty() {
            String::new()
        } else {
            format!(
                "{HERE}?status={}&after={}",
                if closed { "closed" } else { "open" },
                encode_component(&listed.next_page_token)
            )
        },
    };
    render(&visit, StatusCode::OK, &page)
}

/// A next step on the case's page.
pub struct StepView {
    pub text: String,
    pub due_on: String,
    pub done: bool,
}

/// A note on the case's page.
pub struct NoteView {
    pub when: String,
    pub author: String,
    pub text: String,
}

#[derive(Template)]
#[template(path = "console_case.html")]
struct CasePage {
    frame: Frame,
    title: String,
    subject: Subject,
    caseworker: String,
    status: String,
    opened: String,
    resolution: String,
    steps: Vec<StepView>,
    notes: Vec<NoteView>,
}

/// `GET /console/cases/{id}`: the case, its next steps and its notes.
pub async fn show(State(app): State<App>, visit: Visit, Path(id): Path<String>) -> Response {
    let here = format!("{HERE}/{id}");
    let (account, text) = match chapter_admin(&app, &visit, &here).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let region = account.region.as_str();
    let case = match app
        .gateway
        .cases()
        .get_case(call(
            &visit,
            Some(region),
            v1::GetCaseRequest { id: id.clone() },
        ))
        .await
    {
        Ok(case) => case.into_inner(),
        Err(status) => return refusal(&visit, text, &here, &status),
    };
    let steps = match next_steps(&app, &visit, region, &id).await {
        Ok(steps) => steps,
        Err(status) => return refusal(&visit, text, &here, &status),
    };
    let notes = match app
        .gateway
        .cases()
        .list_case_notes(call(
            &visit,
            Some(region),
            v1::ListCaseNotesRequest {
                case_id: id.clone(),
                page_size: 200,
                page_token: String::new(),
            },
        ))
        .await
    {
        Ok(notes) => notes.into_inner().notes,
        Err(status) => return refusal(&visit, text, &here, &status),
    };
    let page = CasePage {
        frame: Frame::chapter(&visit, text, &here),
        subject: subject_of(text, &case),
        status: if case.status == v1::CaseStatus::Closed as i32 {
            text.t("console-case-closed")
        } else {
            text.t("console-case-open")
        },
        opened: day(text, case.open_time.as_ref()),
        title: case.title,
        caseworker: case.caseworker,
        resolution: case.resolution,
        steps: steps
            .into_iter()
            .map(|step| StepView {
                text: step.text,
                due_on: step.due_on,
                done: step.done,
            })
            .collect(),
        notes: notes
            .into_iter()
            .map(|note| NoteView {
                when: note
                    .create_time
                    .as_ref()
                    .map(|t| moment(text, t.seconds))
                    .unwrap_or_default(),
                author: note.author,
                text: note.text,
            })
            .collect(),
    };
    render(&visit, StatusCode::OK, &page)
}
