//! Our fair presentations: the region's coming opportunity fairs, what we present
//! at each, and presenting one more of our published opportunities there.

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
use crate::pages::when::span;
use crate::pages::{Frame, refusal, render};
use crate::visit::Visit;

const HERE: &str = "/our-fairs";

/// One of our opportunities, to present or presented.
pub struct Offered {
    pub id: String,
    pub title: String,
}

/// One fair as the page shows it.
pub struct FairView {
    pub id: String,
    pub title: String,
    pub when: String,
    pub place: String,
    pub presented: Vec<Offered>,
    /// Our published opportunities not presented there yet.
    pub to_present: Vec<Offered>,
}

#[derive(Template)]
#[template(path = "organisation/fairs.html")]
struct FairsPage {
    frame: Frame,
    fairs: Vec<FairView>,
    notice: String,
}

#[derive(Deserialize, Default)]
pub struct Shown {
    #[serde(default)]
    presented: Option<String>,
}

/// `GET /our-fairs`.
pub async fn show(State(app): State<App>, visit: Visit, Query(shown): Query<Shown>) -> Response {
    let (account, text) = match contact(&app, &visit, HERE).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let region = Some(account.region.as_str());
    let fairs = app
        .gateway
        .events()
        .list_events(call(
            &visit,
            region,
            v1::ListEventsRequest {
                page_size: 100,
                kind: v1::EventKind::OpportunityFair as i32,
                upcoming: true,
                ..Default::default()
            },
        ))
        .await;
    let fairs = match fairs {
        Ok(listed) => listed.into_inner().events,
        Err(status) => return refusal(&visit, text, HERE, &status),
    };
    let published = app
        .gateway
        .market()
        .list_opportunities(call(
            &visit,
            region,
            v1::ListOpportunitiesRequest {
                page_size: 200,
                organisation_id: account.organisation_id.clone(),
                status: v1::OpportunityStatus::Published as i32,
                ..Default::default()
            },
        ))
        .await;
    let published = match published {
        Ok(listed) => listed.into_inner().opportunities,
        Err(status) => return refusal(&visit, text, HERE, &status),
    };
    let mut views = Vec::with_capacity(fairs.len());
    for fair in fairs {
        let presentations = app
            .gateway
            .events()
            .list_fair_presentations(call(
                &visit,
                region,
                v1::ListFairPresentationsRequest {
                    event_id: fair.id.clone(),
                    page_size: 100,
                    organisation_id: account.organisation_id.clone(),
                    ..Default::default()
                },
            ))
            .await;
        let presented: Vec<String> = match presentations {
            Ok(listed) => listed
                .into_inner()
                .presentations
                .into_iter()
                .map(|p| p.opportunity_id)
                .collect(),
            Err(status) => return refusal(&visit, text, HERE, &status),
        };
        let (shown, open): (Vec<_>, Vec<_>) = published
            .iter()
            .map(|o| Offered {
                id: o.id.clone(),
                title: o.title.clone(),
            })
            .partition(|o| presented.contains(&o.id));
        views.push(FairView {
            when: span(
                text,
                fair.start_time.map_or(0, |t| t.seconds),
                fair.end_time.map_or(0, |t| t.seconds),
            ),
            id: fair.id,
            title: fair.title,
            place: fair.place,
            presented: shown,
            to_present: open,
        });
    }
    let page = FairsPage {
        frame: Frame::organisation(&visit, text, HERE),
        fairs: views,
        notice: if shown.presented.is_some() {
            text.t("fairs-presented")
        } else {
            String::new()
        },
    };
    render(&visit, StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct PresentForm {
    #[serde(default)]
    form_token: String,
    #[serde(default)]
    opportunity_id: String,
}

/// `POST /our-fairs/{event}/present`.
pub async fn present(
    State(app): State<App>,
    visit: Visit,
    Path(event): Path<String>,
    Form(form): Form<PresentForm>,
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
        .events()
        .add_fair_presentation(call(
            &visit,
            Some(&account.region),
            v1::AddFairPresentationRequest {
                event_id: event,
                organisation_id: account.organisation_id.clone(),
                opportunity_ids: vec![form.opportunity_id],
            },
        ))
        .await
    {
        Ok(_) => visit.redirect("/our-fairs?presented=1"),
        Err(status) => refusal(&visit, text, HERE, &status),
    }
}
