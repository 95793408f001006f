//! The members who match one of our published opportunities, best first: their
//! name, profession and why they fit (skills, sector, language, hours) — nothing
//! the region knows about their residence or what its rules conclude.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use passage_proto::v1;

use super::contact;
use crate::App;
use crate::gateway::call;
use crate::pages::matches::fit_reason;
use crate::pages::{Frame, refusal, render};
use crate::visit::Visit;

/// One matching member as the page shows them.
pub struct MemberLine {
    pub name: String,
    pub profession: String,
    pub reasons: Vec<String>,
}

#[derive(Template)]
#[template(path = "organisation/members.html")]
struct MembersPage {
    frame: Frame,
    title: String,
    members: Vec<MemberLine>,
}

/// `GET /our-opportunities/{id}/members`.
pub async fn show(State(app): State<App>, visit: Visit, Path(id): Path<String>) -> Response {
    let here = format!("/our-opportunities/{id}/members");
    let (account, text) = match contact(&app, &visit, &here).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let opportunity = app
        .gateway
        .market()
        .get_opportunity(call(
            &visit,
            Some(&account.region),
            v1::GetOpportunityRequest { id: id.clone() },
        ))
        .await;
    let title = match opportunity {
        Ok(found) => found.into_inner().title,
        Err(status) => return refusal(&visit, text, &here, &status),
    };
    let matched = app
        .gateway
        .matches()
        .match_members(call(
            &visit,
            Some(&account.region),
            v1::MatchMembersRequest {
                opportunity_id: id,
                page_size: 50,
                date: String::new(),
            },
        ))
        .await;
    let matches = match matched {
        Ok(matched) => matched.into_inner().matches,
        Err(status) => return refusal(&visit, text, &here, &status),
    };
    let page = MembersPage {
        frame: Frame::organisation(&visit, text, &here),
        title,
        members: matches
            .into_iter()
            .map(|found| MemberLine {
                name: found.display_name,
                profession: found.profession,
                reasons: found
                    .fit
                    .iter()
                    .map(|reason| fit_reason(text, reason))
                    .collect(),
            })
            .collect(),
    };
    render(&visit, StatusCode::OK, &page)
}
