//! My applications: where each stands, what the rules asked before the work may
//! start, letting the organisation see the conditions that fall on it as
//! employer (from the offer on), and stepping back from one still open.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use passage_proto::v1;
use serde::Deserialize;

use super::{Frame, act, refusal, render, signed_in};
use crate::App;
use crate::gateway::call;
use crate::i18n::Text;
use crate::visit::Visit;

const HERE: &str = "/applications";

pub struct ApplicationView {
    pub id: String,
    pub title: String,
    pub stage: String,
    pub open: bool,
    pub conditions: Vec<String>,
    pub warnings: Vec<String>,
    pub hours_cap: String,
    /// The conditions that fall on the employer, which the member may let the
    /// organisation see from the offer on.
    pub employer_conditions: Vec<String>,
    /// The member agreed that the organisation sees them.
    pub shared: bool,
}

#[derive(Template)]
#[template(path = "applications.html")]
struct ApplicationsPage {
    frame: Frame,
    applications: Vec<ApplicationView>,
    notice: String,
}

#[derive(Deserialize, Default)]
pub struct Shown {
    #[serde(default)]
    applied: Option<String>,
    #[serde(default)]
    withdrawn: Option<String>,
    #[serde(default)]
    shared: Option<String>,
}

/// The page's word for a stage.
pub fn stage_name(text: Text, stage: i32) -> String {
    let stage = v1::ApplicationStage::try_from(stage).unwrap_or(v1::ApplicationStage::Unspecified);
    let key = stage
        .as_str_name()
        .trim_start_matches("APPLICATION_STAGE_")
        .to_ascii_lowercase();
    text.t(&format!("stage-{key}"))
}

/// `GET /applications`.
pub async fn show(State(app): State<App>, visit: Visit, Query(shown): Query<Shown>) -> Response {
    let (account, text) = match signed_in(&app, &visit, HERE).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let listed = app
        .gateway
        .placements()
        .list_applications(call(
            &visit,
            Some(&account.region),
            v1::ListApplicationsRequest {
                page_size: 100,
                member_id: account.member_id.clone(),
                ..Default::default()
            },
        ))
        .await;
    let applications = match listed {
        Ok(listed) => listed.into_inner().applications,
        Err(status) => return refusal(&visit, text, HERE, &status),
    };
    let mut views = Vec::with_capacity(applications.len());
    for application in applications {
        let title = if application.opportunity_title.is_empty() {
            text.t("applications-untitled")
        } else {
            application.opportunity_title.clone()
        };
        let open = matches!(
            v1::ApplicationStage::try_from(application.stage),
            Ok(v1::ApplicationStage::Applied
                | v1::ApplicationStage::Screening
                | v1::ApplicationStage::Interview
                | v1::ApplicationStage::Offer)
        );
        views.push(ApplicationView {
            id: application.id,
            title,
            stage: stage_name(text, application.stage),
            open,
            conditions: application.conditions,
            warnings: application.warnings,
            employer_conditions: application.employer_conditions,
            shared: application.share_employer_conditions,
            hours_cap: if application.hours_cap > 0 {
                text.t1(
                    "match-hours-cap",
                    "hours",
                    &application.hours_cap.to_string(),
                )
            } else {
                String::new()
            },
        });
    }
    let notice = if shown.applied.is_some() {
        text.t("applications-applied")
    } else if shown.withdrawn.is_some() {
        text.t("applications-withdrawn")
    } else if let Some(shared) = &shown.shared {
        text.t(if shared == "yes" {
            "applications-shared"
        } else {
            "applications-not-shared"
        })
    } else {
        String::new()
    };
    let page = ApplicationsPage {
        frame: Frame::new(&visit, text, HERE, true),
        applications: views,
        notice,
    };
    render(&visit, StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct WithdrawForm {
    #[serde(default)]
    form_token: String,
}

/// `POST /applications/{id}/withdraw`.
pub async fn withdraw(
    State(app): State<App>,
    visit: Visit,
    Path(id): Path<String>,
    Form(form): Form<WithdrawForm>,
) -> Response {
    let placements = app.gateway.placements();
    let asking = visit.clone();
    act(
        &app,
        &visit,
        HERE,
        &form.form_token,
        "/applications?withdrawn=1",
        |account| async move {
            placements
                .clone()
                .withdraw_application(call(
                    &asking,
                    Some(&account.region),
                    v1::WithdrawApplicationRequest {
                        id,
                        member_id: account.member_id.clone(),
                        note: String::new(),
                    },
                ))
                .await
                .map(|_| ())
        },
    )
    .await
}

#[derive(Deserialize)]
pub struct ShareForm {
    #[serde(default)]
    form_token: String,
    /// "yes" to let the organisation see them, "no" to take that back.
    #[serde(default)]
    share: String,
}

/// `POST /applications/{id}/share`: the member decides whether the organisation
/// sees the conditions that fall on it as employer.
pub async fn share(
    State(app): State<App>,
    visit: Visit,
    Path(id): Path<String>,
    Form(form): Form<ShareForm>,
) -> Response {
    let placements = app.gateway.placements();
    let asking = visit.clone();
    let share = form.share == "yes";
    let done = format!("/applications?shared={}", if share { "yes" } else { "no" });
    act(
        &app,
        &visit,
        HERE,
        &form.form_token,
        &done,
        |account| async move {
            placements
                .clone()
                .share_employer_conditions(call(
                    &asking,
                    Some(&account.region),
                    v1::ShareEmployerConditionsRequest {
                        id,
                        member_id: account.member_id.clone(),
                        share,
                    },
                ))
                .await
                .map(|_| ())
        },
    )
    .await
}
