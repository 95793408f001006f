//! The start page: for someone signed in, where to go (a member's pages — with a
//! card for each community role their home node knows them by: reviewing,
//! answering, coaching — or an organisation's contact's); for anyone else, the
//! way in.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use passage_proto::v1;

use super::{Frame, render, signed_in};
use crate::App;
use crate::gateway::call;
use crate::visit::Visit;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    frame: Frame,
    login: String,
    region: String,
    is_member: bool,
    roles: v1::CommunityRoles,
    /// A central analyst or an operator: the figures are theirs.
    reads_figures: bool,
    /// A chapter admin: the console is hers.
    runs_chapter: bool,
    /// An organisation's contact: its opportunities and fairs are theirs.
    is_organisation: bool,
}

/// `GET /`.
pub async fn show(State(app): State<App>, visit: Visit) -> Response {
    let (account, text) = match signed_in(&app, &visit, "/").await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let is_member = !account.member_id.is_empty();
    let roles = if is_member {
        let asked = app
            .gateway
            .members()
            .get_my_community_roles(call(
                &visit,
                Some(&account.region),
                v1::GetMyCommunityRolesRequest {
                    member_id: account.member_id.clone(),
                },
            ))
            .await;
        // Without an answer the member's own cards still lead on; the role cards
        // come back with the region.
        asked
            .map(tonic::Response::into_inner)
            .unwrap_or_else(|status| {
                tracing::warn!(%status, "community roles not known");
                v1::CommunityRoles::default()
            })
    } else {
        v1::CommunityRoles::default()
    };
    let is_organisation = account.kind == v1::AccountKind::Organisation as i32;
    let page = HomePage {
        frame: Frame::new(&visit, text, "/", true).for_account(&account),
        login: account.login,
        region: account.region_name,
        is_member,
        roles,
        is_organisation,
        runs_chapter: account.kind == v1::AccountKind::ChapterAdmin as i32,
        reads_figures: matches!(
            v1::AccountKind::try_from(account.kind),
            Ok(v1::AccountKind::CentralAnalyst | v1::AccountKind::Operator)
        ),
    };
    render(&visit, StatusCode::OK, &page)
}
