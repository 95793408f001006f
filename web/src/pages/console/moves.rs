//! The console's moves to accept: members of other regions who confirmed, with
//! their own credential, that they move here. The chapter admin sees who (by name
//! when they share their profile), from where, and until when the confirmation
//! holds; she accepts a move with the member's intake record — the region-local
//! facts the member record form keeps — and the old home hands the member over;
//! or she declines it, which withdraws the member's confirmation.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use passage_proto::v1;
use serde::Deserialize;

use super::chapter_admin;
use super::members::{
    Choice, PermitRow, RecordForm, civic_choices, error_for, refused_record_field,
    residence_choices, role_choices,
};
use crate::App;
use crate::gateway::call;
use crate::i18n::Text;
use crate::pages::when::day;
use crate::pages::{FieldError, Frame, problem, refusal, render};
use crate::visit::Visit;

const HERE: &str = "/console/moves";
/// How many waiting moves the pages read: far more than a region sees in a week.
const READ: i32 = 500;

/// A move waiting, as the pages show it.
pub struct MoveView {
    pub member_id: String,
    /// Her name, or words saying her profile comes with the hand-over.
    pub name: String,
    pub shared: bool,
    pub from: String,
    pub confirmed: String,
    pub until: String,
    /// "From Amsterdam, confirmed …, until …".
    pub detail: String,
}

/// The moves waiting at the chapter admin's region, soonest to expire first, and
/// whether there are more than were read.
pub async fn waiting(
    app: &App,
    visit: &Visit,
    region: &str,
    text: Text,
    page_size: i32,
) -> Result<(Vec<MoveView>, bool), tonic::Status> {
    let listed = app
        .gateway
        .moves()
        .list_incoming_moves(call(
            visit,
            Some(region),
            v1::ListIncomingMovesRequest {
                page_size,
                page_token: String::new(),
            },
        ))
        .await?
        .into_inner();
    let names = &listed.region_names;
    let moves = listed
        .moves
        .iter()
        .map(|waiting| {
            let from = names
                .get(&waiting.from_region)
                .cloned()
                .unwrap_or_else(|| waiting.from_region.clone());
            let confirmed = day(text, waiting.confirm_time.as_ref());
            let until = day(text, waiting.expire_time.as_ref());
            MoveView {
                member_id: waiting.member_id.clone(),
                shared: !waiting.display_name.is_empty(),
                name: if waiting.display_name.is_empty() {
                    text.t("console-move-unshared")
                } else {
                    waiting.display_name.clone()
                },
                detail: text.t_with(
                    "console-move-detail",
                    &[
                        ("region", &from),
                        ("confirmed", &confirmed),
                        ("until", &until),
                    ],
                ),
                from,
                confirmed,
                until,
            }
        })
        .collect();
    Ok((moves, !listed.next_page_token.is_empty()))
}

#[derive(Template)]
#[template(path = "console_moves.html")]
struct MovesPage {
    frame: Frame,
    moves: Vec<MoveView>,
    notice: String,
}

#[derive(Deserialize, Default)]
pub struct MovesShown {
    #[serde(default)]
    declined: Option<String>,
}

/// `GET /console/moves`.
pub async fn list(
    State(app): State<App>,
    visit: Visit,
    Query(shown): Query<MovesShown>,
) -> Response {
    let (account, text) = match chapter_admin(&app, &visit, HERE).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    match waiting(&app, &visit, &account.region, text, READ).await {
        Ok((moves, _)) => {
            let page = MovesPage {
                frame: Frame::chapter(&visit, text, HERE),
                moves,
                notice: if shown.declined.is_some() {
                    text.t("console-move-declined")
                } else {
                    String::new()
                },
            };
            render(&visit, StatusCode::OK, &page)
        }
        Err(status) => refusal(&visit, text, HERE, &status),
    }
}

#[derive(Template)]
#[template(path = "console_move.html")]
struct AcceptPage {
    frame: Frame,
    waiting: MoveView,
    form: RecordForm,
    permits: Vec<PermitRow>,
    roles: Vec<Choice>,
    residences: Vec<Choice>,
    civics: Vec<Choice>,
    errors: Vec<FieldError>,
}

impl AcceptPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

/// The accept page of member `id`'s move: her intake form as typed, with its
/// errors; a page saying the move no longer waits when it does not.
async fn accept_page(
    app: &App,
    visit: &Visit,
    region: &str,
    text: Text,
    id: &str,
    form: RecordForm,
    errors: Vec<FieldError>,
) -> Response {
    let here = format!("{HERE}/{id}");
    let found = match waiting(app, visit, region, text, READ).await {
        Ok((moves, _)) => moves.into_iter().find(|waiting| waiting.member_id == id),
        Err(status) => return refusal(visit, text, &here, &status),
    };
    let Some(waiting) = found else {
        return problem(
            visit,
            text,
            &here,
            StatusCode::NOT_FOUND,
            "console-move-gone",
            "console-move-gone-explained",
        );
    };
    let code = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = AcceptPage {
        frame: Frame::chapter(visit, text, &here),
        waiting,
        permits: form.permit_rows(),
        roles: role_choices(text, &form.role),
        residences: residence_choices(text, &form.residence_status),
        civics: civic_choices(text, &form.civic_integration),
        form,
        errors,
    };
    render(visit, code, &page)
}

/// `GET /console/moves/{id}`: the move and the intake form.
pub async fn show(State(app): State<App>, visit: Visit, Path(id): Path<String>) -> Response {
    let here = format!("{HERE}/{id}");
    let (account, text) = match chapter_admin(&app, &visit, &here).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let intake = RecordForm::from_record(&v1::RegionalRecord {
        role: v1::MemberRole::Newcomer as i32,
        ..Default::default()
    });
    accept_page(&app, &visit, &account.region, text, &id, intake, Vec::new()).await
}

/// `POST /console/moves/{id}/accept`: takes her in with the intake record; the old
/// home hands her over, and her record here opens.
pub async fn accept(
    State(app): State<App>,
    visit: Visit,
    Path(id): Path<String>,
    Form(form): Form<RecordForm>,
) -> Response {
    let here = format!("{HERE}/{id}");
    let (account, text) = match chapter_admin(&app, &visit, &here).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    if !visit.form_is_ours(&form.form_token) {
        return visit.redirect(&here);
    }
    let region = account.region.clone();
    let record = match form.record(text) {
        Ok(record) => record,
        Err(errors) => {
            return accept_page(&app, &visit, &region, text, &id, form, errors).await;
        }
    };
    let moved = app
        .gateway
        .members()
        .transfer_member(call(
            &visit,
            Some(&region),
            v1::TransferMemberRequest {
                member_id: id.clone(),
                regional: Some(record),
                // Recorded with the move, in the federation's language.
                requested_by: format!("chapter admin {}", account.login),
            },
        ))
        .await;
    match moved {
        Ok(_) => visit.redirect(&format!("/console/members/{id}?arrived=1")),
        Err(status) if status.code() == tonic::Code::InvalidArgument => {
            let errors = vec![FieldError {
                field: refused_record_field(&status).into(),
                message: text.t1(
                    "console-refused",
                    "reason",
                    &crate::pages::refused::named(text, &status),
                ),
            }];
            accept_page(&app, &visit, &region, text, &id, form, errors).await
        }
        Err(status) => refusal(&visit, text, &here, &status),
    }
}

/// The decline form: its token only.
#[derive(Debug, Deserialize, Default)]
pub struct DeclineForm {
    #[serde(default)]
    form_token: String,
}

/// `POST /console/moves/{id}/decline`: the member's confirmation is withdrawn.
pub async fn decline(
    State(app): State<App>,
    visit: Visit,
    Path(id): Path<String>,
    Form(form): Form<DeclineForm>,
) -> Response {
    let (account, text) = match chapter_admin(&app, &visit, HERE).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    if !visit.form_is_ours(&form.form_token) {
        return visit.redirect(HERE);
    }
    let declined = app
        .gateway
        .moves()
        .decline_move(call(
            &visit,
            Some(&account.region),
            v1::DeclineMoveRequest { member_id: id },
        ))
        .await;
    match declined {
        Ok(_) => visit.redirect(&format!("{HERE}?declined=1")),
        Err(status) => refusal(&visit, text, HERE, &status),
    }
}
