//! The console's opportunities: the region's opportunities by their state —
//! drafts, in community review, published, filled, closed — newest first and
//! paged, or found by the words of their title, description, skills and sector
//! (the node's word index: case and accents do not matter); each with its kind,
//! sector and organisation, whose page it links to.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use passage_proto::v1;
use serde::Deserialize;

use super::{chapter_admin, count, enum_word};
use crate::App;
use crate::gateway::call;
use crate::i18n::Text;
use crate::pages::matches::kind_name;
use crate::pages::{FieldError, Frame, encode_component, refusal, render};
use crate::visit::Visit;

const HERE: &str = "/console/opportunities";
/// How many opportunities a page shows.
const PAGE: i32 = 50;

/// The states a chapter admin looks at, in the order an opportunity goes through.
const STATES: [v1::OpportunityStatus; 5] = [
    v1::OpportunityStatus::Draft,
    v1::OpportunityStatus::InReview,
    v1::OpportunityStatus::Published,
    v1::OpportunityStatus::Filled,
    v1::OpportunityStatus::Closed,
];

/// A state's link above the list.
pub struct StateLink {
    pub href: String,
    pub label: String,
    pub current: bool,
}

/// One opportunity of the list.
pub struct OpportunityRow {
    pub title: String,
    pub status: String,
    pub kind: String,
    pub sector: String,
    pub organisation_id: String,
    pub organisation: String,
}

#[derive(Template)]
#[template(path = "console_opportunities.html")]
struct OpportunitiesPage {
    frame: Frame,
    states: Vec<StateLink>,
    query: String,
    heading: String,
    rows: Vec<OpportunityRow>,
    next: String,
    errors: Vec<FieldError>,
}

#[derive(Deserialize, Default)]
pub struct OpportunitiesQuery {
    /// A state as its proto name in lower case (`in_review`); empty for all.
    #[serde(default)]
    status: String,
    #[serde(default)]
    q: String,
    /// The page token of the page to show.
    #[serde(default)]
    after: String,
}

fn status_of(value: &str) -> Option<v1::OpportunityStatus> {
    STATES.into_iter().find(|state| {
        state
            .as_str_name()
            .trim_start_matches("OPPORTUNITY_STATUS_")
            .eq_ignore_ascii_case(value)
    })
}

fn status_word(text: Text, status: i32) -> String {
    let status =
        v1::OpportunityStatus::try_from(status).unwrap_or(v1::OpportunityStatus::Unspecified);
    enum_word(
        text,
        status.as_str_name(),
        "OPPORTUNITY_STATUS_",
        "opportunity-status",
    )
}

fn state_links(
    text: Text,
    chosen: Option<v1::OpportunityStatus>,
    searching: bool,
) -> Vec<StateLink> {
    let all = StateLink {
        href: HERE.into(),
        label: text.t("console-opportunities-all"),
        current: chosen.is_none() && !searching,
    };
    std::iter::once(all)
        .chain(STATES.into_iter().map(|state| {
            let value = state
                .as_str_name()
                .trim_start_matches("OPPORTUNITY_STATUS_")
                .to_ascii_lowercase();
            StateLink {
                href: format!("{HERE}?status={value}"),
                label: status_word(text, state as i32),
                current: chosen == Some(state) && !searching,
            }
        }))
        .collect()
}

/// `GET /console/opportunities[?status=…][&q=…][&after=…]`.
pub async fn list(
    State(app): State<App>,
    visit: Visit,
    Query(query): Query<OpportunitiesQuery>,
) -> Response {
    let (account, text) = match chapter_admin(&app, &visit, HERE).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let region = Some(account.region.as_str());
    let chosen = status_of(&query.status);
    let words = query.q.trim().to_owned();
    let organisations = match app
        .gateway
        .market()
        .list_organisations(call(
            &visit,
            region,
            v1::ListOrganisationsRequest {
                page_size: 500,
                ..Default::default()
            },
        ))
        .await
    {
        Ok(listed) => listed
            .into_inner()
            .organisations
            .into_iter()
            .map(|organisation| (organisation.id, organisation.name))
            .collect::<HashMap<_, _>>(),
        Err(status) => return refusal(&visit, text, HERE, &status),
    };
    let mut page = OpportunitiesPage {
        frame: Frame::chapter(&visit, text, HERE),
        states: state_links(text, chosen, !words.is_empty()),
        query: words.clone(),
        heading: String::new(),
        rows: Vec::new(),
        next: String::new(),
        errors: Vec::new(),
    };
    let (found, next_token) = if words.is_empty() {
        let listed = app
            .gateway
            .market()
            .list_opportunities(call(
                &visit,
                region,
                v1::ListOpportunitiesRequest {
                    page_size: PAGE,
                    page_token: query.after.clone(),
                    status: chosen.map_or(0, |state| state as i32),
                    ..Default::default()
                },
            ))
            .await;
        match listed {
            Ok(listed) => {
                let listed = listed.into_inner();
                (listed.opportunities, listed.next_page_token)
            }
            Err(status) => return refusal(&visit, text, HERE, &status),
        }
    } else {
        let searched = app
            .gateway
            .market()
            .search_opportunities(call(
                &visit,
                region,
                v1::SearchOpportunitiesRequest {
                    query: words.clone(),
                    page_size: PAGE,
                    page_token: query.after.clone(),
                },
            ))
            .await;
        match searched {
            Ok(searched) => {
                let searched = searched.into_inner();
                let hits = searched
                    .matches
                    .into_iter()
                    .filter_map(|hit| hit.opportunity)
                    .collect();
                (hits, searched.next_page_token)
            }
            Err(status) if status.code() == tonic::Code::InvalidArgument => {
                page.errors.push(FieldError {
                    field: "q".into(),
                    message: text.t1(
                        "console-search-refused",
                        "reason",
                        &crate::pages::refused::named(text, &status),
                    ),
                });
                return render(&visit, StatusCode::UNPROCESSABLE_ENTITY, &page);
            }
            Err(status) => return refusal(&visit, text, HERE, &status),
        }
    };
    let shown = count(text, found.len(), !next_token.is_empty());
    page.heading = if words.is_empty() {
        text.t1("console-opportunities-listed", "count", &shown)
    } else {
        text.t1("console-opportunities-found", "count", &shown)
    };
    page.rows = found
        .into_iter()
        .map(|opportunity| OpportunityRow {
            status: status_word(text, opportunity.status),
            kind: kind_name(text, opportunity.kind),
            organisation: organisations
                .get(&opportunity.organisation_id)
                .cloned()
                .unwrap_or_default(),
            organisation_id: opportunity.organisation_id,
            title: opportunity.title,
            sector: opportunity.sector,
        })
        .collect();
    if !next_token.is_empty() {
        page.next = format!(
            "{HERE}?status={}&q={}&after={}",
            encode_component(&query.status),
            encode_component(&words),
            encode_component(&next_token)
        );
    }
    render(&visit, StatusCode::OK, &page)
}
