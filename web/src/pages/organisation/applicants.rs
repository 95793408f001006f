//! The applicants to one of our opportunities: where each application stands,
//! moving it one stage on, rejecting it, and at the offer accepting it into a
//! placement with its first day. Of the region's rules the page shows only a
//! condition that falls on us as employer, from the offer on, when the member
//! agreed (the node decides what reaches us).

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use passage_proto::v1;
use serde::Deserialize;

use super::contact;
use crate::App;
use crate::gateway::call;
use crate::i18n::Text;
use crate::pages::applications::stage_name;
use crate::pages::refused::reason;
use crate::pages::{FieldError, Frame, refusal, render};
use crate::visit::Visit;

/// One applicant as the page shows them.
pub struct ApplicantView {
    pub id: String,
    pub motivation: String,
    pub stage: String,
    /// The stage a move takes it to, and the button's words; empty at the offer
    /// and once closed.
    pub next: String,
    pub next_label: String,
    /// Still open: it may be rejected.
    pub open: bool,
    /// At the offer: it may be accepted with a start date.
    pub offered: bool,
    pub employer_conditions: Vec<String>,
    pub placement_id: String,
    /// The start date typed in, kept when it was refused.
    pub start_date: String,
}

#[derive(Template)]
#[template(path = "organisation/applicants.html")]
struct ApplicantsPage {
    frame: Frame,
    opportunity_id: String,
    title: String,
    applicants: Vec<ApplicantView>,
    errors: Vec<FieldError>,
    notice: String,
}

impl ApplicantsPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|error| error.field == field)
            .map(|error| error.message.as_str())
    }
}

#[derive(Deserialize, Default)]
pub struct Shown {
    #[serde(default)]
    moved: Option<String>,
    #[serde(default)]
    accepted: Option<String>,
}

fn here(opportunity: &str) -> String {
    format!("/our-opportunities/{opportunity}/applicants")
}

/// The stage after `stage`, if an organisation moves it there.
fn next_stage(stage: v1::ApplicationStage) -> Option<v1::ApplicationStage> {
    match stage {
        v1::ApplicationStage::Applied => Some(v1::ApplicationStage::Screening),
        v1::ApplicationStage::Screening => Some(v1::ApplicationStage::Interview),
        v1::ApplicationStage::Interview => Some(v1::ApplicationStage::Offer),
        _ => None,
    }
}

fn view(text: Text, application: v1::Application) -> ApplicantView {
    let stage = v1::ApplicationStage::try_from(application.stage)
        .unwrap_or(v1::ApplicationStage::Unspecified);
    let next = next_stage(stage);
    ApplicantView {
        stage: stage_name(text, application.stage),
        next: next.map(|n| n.as_str_name().to_owned()).unwrap_or_default(),
        next_label: next
            .map(|n| text.t1("applicants-move-to", "stage", &stage_name(text, n as i32)))
            .unwrap_or_default(),
        open: matches!(
            stage,
            v1::ApplicationStage::Applied
                | v1::ApplicationStage::Screening
                | v1::ApplicationStage::Interview
                | v1::ApplicationStage::Offer
        ),
        offered: stage == v1::ApplicationStage::Offer,
        motivation: application.motivation,
        employer_conditions: application.employer_conditions,
        placement_id: application.placement_id,
        start_date: String::new(),
        id: application.id,
    }
}

/// The page with its applicants (and the errors of a refused form).
async fn page(
    app: &App,
    visit: &Visit,
    opportunity_id: String,
    errors: Vec<FieldError>,
    typed: Option<(&str, &str)>,
    notice: &str,
) -> Response {
    let here = here(&opportunity_id);
    let (account, text) = match contact(app, visit, &here).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let opportunity = app
        .gateway
        .market()
        .get_opportunity(call(
            visit,
            Some(&account.region),
            v1::GetOpportunityRequest {
                id: opportunity_id.clone(),
            },
        ))
        .await;
    let title = match opportunity {
        Ok(found) => found.into_inner().title,
        Err(status) => return refusal(visit, text, &here, &status),
    };
    let listed = app
        .gateway
        .placements()
        .list_applications(call(
            visit,
            Some(&account.region),
            v1::ListApplicationsRequest {
                page_size: 200,
                opportunity_id: opportunity_id.clone(),
                ..Default::default()
            },
        ))
        .await;
    let applications = match listed {
        Ok(listed) => listed.into_inner().applications,
        Err(status) => return refusal(visit, text, &here, &status),
    };
    let applicants = applications
        .into_iter()
        .map(|application| {
            let mut shown = view(text, application);
            if let Some((id, start)) = typed
                && id == shown.id
            {
                start.clone_into(&mut shown.start_date);
            }
            shown
        })
        .collect();
    let code = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = ApplicantsPage {
        frame: Frame::organisation(visit, text, &here),
        opportunity_id,
        title,
        applicants,
        errors,
        notice: if notice.is_empty() {
            String::new()
        } else {
            text.t(notice)
        },
    };
    render(visit, code, &page)
}

/// `GET /our-opportunities/{id}/applicants`.
pub async fn show(
    State(app): State<App>,
    visit: Visit,
    Path(opportunity): Path<String>,
    Query(shown): Query<Shown>,
) -> Response {
    let notice = if shown.moved.is_some() {
        "applicants-moved"
    } else if shown.accepted.is_some() {
        "applicants-accepted"
    } else {
        ""
    };
    page(&app, &visit, opportunity, Vec::new(), None, notice).await
}

#[derive(Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    form_token: String,
    /// `APPLICATION_STAGE_…`: the next stage, or REJECTED.
    #[serde(default)]
    stage: String,
}

/// `POST /our-opportunities/{id}/applicants/{application}/move`.
pub async fn move_on(
    State(app): State<App>,
    visit: Visit,
    Path((opportunity, application)): Path<(String, String)>,
    Form(form): Form<MoveForm>,
) -> Response {
    let here = here(&opportunity);
    let (account, text) = match contact(&app, &visit, &here).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    if !visit.form_is_ours(&form.form_token) {
        return visit.redirect(&here);
    }
    let stage = v1::ApplicationStage::from_str_name(&form.stage)
        .unwrap_or(v1::ApplicationStage::Unspecified);
    match app
        .gateway
        .placements()
        .move_application(call(
            &visit,
            Some(&account.region),
            v1::MoveApplicationRequest {
                id: application,
                stage: stage as i32,
                note: String::new(),
            },
        ))
        .await
    {
        Ok(_) => visit.redirect(&format!("{here}?moved=1")),
        Err(status) => refusal(&visit, text, &here, &status),
    }
}

#[derive(Deserialize)]
pub struct AcceptForm {
    #[serde(default)]
    form_token: String,
    #[serde(default)]
    start_date: String,
}

/// `POST /our-opportunities/{id}/applicants/{application}/accept`: the offer
/// taken, a placement from `start_date` (YYYY-MM-DD).
pub async fn accept(
    State(app): State<App>,
    visit: Visit,
    Path((opportunity, application)): Path<(String, String)>,
    Form(form): Form<AcceptForm>,
) -> Response {
    let here = here(&opportunity);
    let (account, text) = match contact(&app, &visit, &here).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let field = format!("start_date-{application}");
    let refused = |message: String| {
        vec![FieldError {
            field: field.clone(),
            message,
        }]
    };
    if !visit.form_is_ours(&form.form_token) {
        let errors = refused(text.t("form-expired"));
        let typed = Some((application.as_str(), form.start_date.as_str()));
        return page(&app, &visit, opportunity.clone(), errors, typed, "").await;
    }
    let start = form.start_date.trim();
    if chrono::NaiveDate::parse_from_str(start, "%Y-%m-%d").is_err() {
        let errors = refused(text.t("applicants-start-date-invalid"));
        let typed = Some((application.as_str(), form.start_date.as_str()));
        return page(&app, &visit, opportunity.clone(), errors, typed, "").await;
    }
    match app
        .gateway
        .placements()
        .accept_application(call(
            &visit,
            Some(&account.region),
            v1::AcceptApplicationRequest {
                id: application.clone(),
                start_date: start.to_owned(),
                fill_opportunity: false,
            },
        ))
        .await
    {
        Ok(_) => visit.redirect(&format!("{here}?accepted=1")),
        Err(status) if status.code() == tonic::Code::InvalidArgument => {
            let errors = refused(text.t1(
                "applicants-start-date-refused",
                "reason",
                &reason(text, &status),
            ));
            let typed = Some((application.as_str(), form.start_date.as_str()));
            page(&app, &visit, opportunity.clone(), errors, typed, "").await
        }
        Err(status) => refusal(&visit, text, &here, &status),
    }
}
