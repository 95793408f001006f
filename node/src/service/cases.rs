//! `passage.v1.CaseService`: cases chapter staff follow one by one — a member or a
//! household — with notes and next steps. Everything here is region-local: case
//! notes are never synced and never reach the gateway's database.

use chrono::Utc;
use passage_proto::v1::{self, case_service_server::CaseService};
use passage_server::access::with_subject;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, IntoActiveModel};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::context::NodeContext;
use crate::convert::{casework as wire, coaching::required_date, enums};
use crate::error::{Error, Result};
use crate::membership::member_here;
use crate::store::{
    PageRequest, casework,
    entity::{case_file, case_next_step, case_note},
    rows,
};
use crate::validate;

/// Serves `CaseService` from the node's database.
pub struct CaseApi {
    context: NodeContext,
}

impl CaseApi {
    pub fn new(context: NodeContext) -> Self {
        CaseApi { context }
    }
}

/// The case, which must be open to be worked on (`what` says what needs it open).
async fn open_case(db: &impl ConnectionTrait, id: Uuid, what: &str) -> Result<case_file::Model> {
    let case = rows::find::<case_file::Entity>(db, id, "case").await?;
    if case.status != "open" {
        return Err(Error::FailedPrecondition(format!(
            "case {id} ({}) is closed; {what}",
            case.title
        )));
    }
    Ok(case)
}

/// What the audit log names a call about this case for: the member it follows,
/// or — for a household case without a main member — the case itself.
fn audit_subject(case: &case_file::Model) -> String {
    case.member_id.unwrap_or(case.id).to_string()
}

async fn case_view(db: &impl ConnectionTrait, case: &case_file::Model) -> Result<v1::Case> {
    let open_steps = casework::open_next_steps(db, case.id).await?;
    Ok(wire::case_to_wire(case, open_steps))
}

#[tonic::async_trait]
impl CaseService for CaseApi {
    async fn open_case(
        &self,
        request: Request<v1::OpenCaseRequest>,
    ) -> Result<Response<v1::Case>, Status> {
        let case = request
            .into_inner()
            .r#case
            .ok_or_else(|| Error::invalid("case", "must be set"))?;
        let household = matches!(case.subject, Some(v1::case::Subject::Household(_)));
        let (row, named) = wire::case_from_wire(case, Uuid::now_v7())?;
        let (_turn, txn) = self.context.begin_write().await?;
        for (index, member_id) in named.iter().enumerate() {
            let field = match (household, row.member_id == Some(*member_id)) {
                (false, _) => "case.member_id".to_owned(),
                (true, true) => "case.household.main_member_id".to_owned(),
                (true, false) => {
                    let offset = usize::from(row.member_id.is_some());
                    format!("case.household.member_ids[{}]", index - offset)
                }
            };
            member_here(
                &txn,
                &self.context.region,
                &field,
                *member_id,
                "have cases here",
            )
            .await?;
        }
        let saved = rows::insert::<case_file::Entity>(&txn, row).await?;
        txn.commit().await.map_err(Error::from)?;
        tracing::info!(case_id = %saved.id, household, "case opened");
        Ok(with_subject(
            Response::new(wire::case_to_wire(&saved, 0)),
            audit_subject(&saved),
        ))
    }

    async fn get_case(
        &self,
        request: Request<v1::GetCaseRequest>,
    ) -> Result<Response<v1::Case>, Status> {
        let id = validate::id("id", &request.into_inner().id)?;
        let case = rows::find::<case_file::Entity>(&self.context.db, id, "case").await?;
        Ok(with_subject(
            Response::new(case_view(&self.context.db, &case).await?),
            audit_subject(&case),
        ))
    }

    async fn list_cases(
        &self,
        request: Request<v1::ListCasesRequest>,
    ) -> Result<Response<v1::ListCasesResponse>, Status> {
        let request = request.into_inner();
        let page = PageRequest::parse(request.page_size, &request.page_token)?;
        let status = enums::filter::<v1::CaseStatus>("status", request.status)?;
        let db = &self.context.db;
        let page = casework::list_cases(db, page, status.as_deref()).await?;
        let mut cases = Vec::with_capacity(page.items.len());
        for case in &page.items {
            cases.push(case_view(db, case).await?);
        }
        Ok(Response::new(v1::ListCasesResponse {
            next_page_token: page.next_page_token(),
            cases,
        }))
    }

    async fn close_case(
        &self,
        request: Request<v1::CloseCaseRequest>,
    ) -> Result<Response<v1::Case>, Status> {
        let request = request.into_inner();
        let id = validate::id("id", &request.id)?;
        let resolution =
            validate::optional_text("resolution", &request.resolution, wire::MAX_RESOLUTION)?;
        let (_turn, txn) = self.context.begin_write().await?;
        let case = open_case(&txn, id, "it cannot be closed again").await?;
        let subject = audit_subject(&case);
        if let Some(step) = casework::first_open_next_step(&txn, id).await? {
            let open = casework::open_next_steps(&txn, id).await?;
            return Err(Error::FailedPrecondition(format!(
                "case {id} has {open} open next step(s), the first due {}: {:?}; mark them done first",
                step.due_on, step.text
            ))
            .into());
        }
        let mut active = case.into_active_model();
        active.status = Set(enums::stored(v1::CaseStatus::Closed));
        active.resolution = Set(resolution);
        active.closed_at = Set(Some(Utc::now()));
        let saved = active.update(&txn).await.map_err(Error::from)?;
        txn.commit().await.map_err(Error::from)?;
        tracing::info!(case_id = %id, "case closed");
        Ok(with_subject(
            Response::new(wire::case_to_wire(&saved, 0)),
            subject,
        ))
    }

    async fn add_case_note(
        &self,
        request: Request<v1::AddCaseNoteRequest>,
    ) -> Result<Response<v1::CaseNote>, Status> {
        let request = request.into_inner();
        let case_id = validate::id("case_id", &request.case_id)?;
        let row = wire::note_from_wire(case_id, &request.author, &request.text, Utc::now())?;
        let (_turn, txn) = self.context.begin_write().await?;
        let case = open_case(&txn, case_id, "notes are added to open cases only").await?;
        let saved = rows::insert::<case_note::Entity>(&txn, row).await?;
        txn.commit().await.map_err(Error::from)?;
        // The note's text is never logged: it stays in this region's database.
        tracing::info!(%case_id, note_id = %saved.id, "case note added");
        Ok(with_subject(
            Response::new(wire::note_to_wire(&saved)),
            audit_subject(&case),
        ))
    }

    async fn list_case_notes(
        &self,
        request: Request<v1::ListCaseNotesRequest>,
    ) -> Result<Response<v1::ListCaseNotesResponse>, Status> {
        let request = request.into_inner();
        let case_id = validate::id("case_id", &request.case_id)?;
        let page = PageRequest::parse(request.page_size, &request.page_token)?;
        let db = &self.context.db;
        let case = rows::find::<case_file::Entity>(db, case_id, "case").await?;
        let page = casework::list_notes(db, page, case_id).await?;
        Ok(with_subject(
            Response::new(v1::ListCaseNotesResponse {
                next_page_token: page.next_page_token(),
                notes: page.items.iter().map(wire::note_to_wire).collect(),
            }),
            audit_subject(&case),
        ))
    }

    async fn add_next_step(
        &self,
        request: Request<v1::AddNextStepRequest>,
    ) -> Result<Response<v1::NextStep>, Status> {
        let request = request.into_inner();
        let case_id = validate::id("case_id", &request.case_id)?;
        let text = validate::required_text("text", &request.text, wire::MAX_NEXT_STEP)?;
        let due_on = required_date("due_on", &request.due_on)?;
        let (_turn, txn) = self.context.begin_write().await?;
        let case = open_case(&txn, case_id, "next steps are added to open cases only").await?;
        let saved = rows::insert::<case_next_step::Entity>(
            &txn,
            case_next_step::Model {
                id: Uuid::now_v7(),
                case_id,
                text,
                due_on,
                done: false,
                created_at: Utc::now(),
                done_at: None,
            },
        )
        .await?;
        txn.commit().await.map_err(Error::from)?;
        tracing::info!(%case_id, step_id = %saved.id, %due_on, "next step added");
        Ok(with_subject(
            Response::new(wire::next_step_to_wire(&saved)),
            audit_subject(&case),
        ))
    }

    async fn set_next_step_done(
        &self,
        request: Request<v1::SetNextStepDoneRequest>,
    ) -> Result<Response<v1::NextStep>, Status> {
        let request = request.into_inner();
        let id = validate::id("id", &request.id)?;
        let (_turn, txn) = self.context.begin_write().await?;
        let step = rows::find::<case_next_step::Entity>(&txn, id, "next step").await?;
        let case = open_case(&txn, step.case_id, "next steps change on open cases only").await?;
        let mut active = step.into_active_model();
        active.done = Set(request.done);
        active.done_at = Set(request.done.then(Utc::now));
        let saved = active.update(&txn).await.map_err(Error::from)?;
        txn.commit().await.map_err(Error::from)?;
        tracing::info!(step_id = %id, done = request.done, "next step marked");
        Ok(with_subject(
            Response::new(wire::next_step_to_wire(&saved)),
            audit_subject(&case),
        ))
    }

    async fn list_next_steps(
        &self,
        request: Request<v1::ListNextStepsRequest>,
    ) -> Result<Response<v1::ListNextStepsResponse>, Status> {
        let request = request.into_inner();
        let case_id = validate::id("case_id", &request.case_id)?;
        let page = PageRequest::parse(request.page_size, &request.page_token)?;
        let db = &self.context.db;
        let case = rows::find::<case_file::Entity>(db, case_id, "case").await?;
        let page = casework::list_next_steps(db, page, case_id).await?;
        Ok(with_subject(
            Response::new(v1::ListNextStepsResponse {
                next_page_token: page.next_page_token(),
                steps: page.items.iter().map(wire::next_step_to_wire).collect(),
            }),
            audit_subject(&case),
        ))
    }
}
