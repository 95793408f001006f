//! My applications: where each stands, what the rules asked before the work may
//! start, and stepping back from one still open.

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
