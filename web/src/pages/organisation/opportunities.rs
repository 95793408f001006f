//! Our opportunities: every opportunity of the organisation with where it stands,
//! the way to a new draft, to edit a draft (or one the reviewers sent back), to
//! submit a draft for review, to the applicants and to the matching members.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use passage_proto::v1;
use serde::Deserialize;

use super::{contact, status_name};
use crate::App;
use crate::gateway::call;
use crate::pages::matches::kind_name;
use crate::pages::{Frame, refusal, render};
use crate::visit::Visit;

pub const HERE: &str = "/our-opportunities";

/// One opportunity as the list shows it.
pub struct OpportunityLine {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub status: String,
    /// A draft: it may be edited and submitted.
    pub draft: bool,
    /// Published: members may apply, and matching members are shown.
    pub published: bool,
}

#[derive(Template)]
#[template(path = "organisation/opportunities.html")]
struct OpportunitiesPage {
    frame: Frame,
    organisation: String,
    opportunities: Vec<OpportunityLine>,
    notice: String,
}

#[derive(Deserialize, Default)]
pub struct Shown {
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    saved: Option<String>,
    #[serde(default)]
    submitted: Option<String>,
}

/// `GET /our-opportunities`.
pub async fn show(State(app): State<App>, visit: Visit, Query(shown): Query<Shown>) -> Response {
    let (account, text) = match contact(&app, &visit, HERE).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let organisation = app
        .gateway
        .market()
        .get_organisation(call(
            &visit,
            Some(&account.region),
            v1::GetOrganisationRequest {
                id: account.organisation_id.clone(),
            },
        ))
        .await;
    let organisation = match organisation {
        Ok(found) => found.into_inner().name,
        Err(status) => return refusal(&visit, text, HERE, &status),
    };
    let listed = app
        .gateway
        .market()
        .list_opportunities(call(
            &visit,
            Some(&account.region),
            v1::ListOpportunitiesRequest {
                page_size: 200,
                organisation_id: account.organisation_id.clone(),
                ..Default::default()
            },
        ))
        .await;
    let opportunities = match listed {
        Ok(listed) => listed.into_inner().opportunities,
        Err(status) => return refusal(&visit, text, HERE, &status),
    };
    let lines = opportunities
        .into_iter()
        .map(|opportunity| OpportunityLine {
            kind: kind_name(text, opportunity.kind),
            status: status_name(text, opportunity.status),
            draft: opportunity.status == v1::OpportunityStatus::Draft as i32,
            published: opportunity.status == v1::OpportunityStatus::Published as i32,
            id: opportunity.id,
            title: opportunity.title,
        })
        .collect();
    let notice = if shown.created.is_some() {
        text.t("our-draft-created")
    } else if shown.saved.is_some() {
        text.t("our-draft-saved")
    } else if shown.submitted.is_some() {
        text.t("our-draft-submitted")
    } else {
        String::new()
    };
    let page = OpportunitiesPage {
        frame: Frame::organisation(&visit, text, HERE),
        organisation,
        opportunities: lines,
        notice,
    };
    render(&visit, StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct SubmitForm {
    #[serde(default)]
    form_token: String,
}

/// `POST /our-opportunities/{id}/submit`: the draft goes to community review.
pub async fn submit(
    State(app): State<App>,
    visit: Visit,
    Path(id): Path<String>,
    Form(form): Form<SubmitForm>,
) -> Response {
    let (account, text) = match contact(&app, &visit, HERE).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    if !visit.form_is_ours(&form.form_token) {
        return visit.redirect(HERE);
    }
    match app
        .gateway
        .review()
        .submit_for_review(call(
            &visit,
            Some(&account.region),
            v1::SubmitForReviewRequest { opportunity_id: id },
        ))
        .await
    {
        Ok(_) => visit.redirect("/our-opportunities?submitted=1"),
        Err(status) => refusal(&visit, text, HERE, &status),
    }
}
