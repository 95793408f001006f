//! The start page: for someone signed in, where to go (a member's pages, or an
//! organisation's contact's); for anyone else, the way in.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use passage_proto::v1;

use super::{Frame, render, signed_in};
use crate::App;
use crate::visit::Visit;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    frame: Frame,
    login: String,
    region: String,
    is_member: bool,
    is_organisation: bool,
}

/// `GET /`.
pub async fn show(State(app): State<App>, visit: Visit) -> Response {
    let (account, text) = match signed_in(&app, &visit, "/").await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let is_organisation = account.kind == v1::AccountKind::Organisation as i32;
    let frame = if is_organisation {
        Frame::organisation(&visit, text, "/")
    } else {
        Frame::new(&visit, text, "/", true)
    };
    let page = HomePage {
        frame,
        login: account.login,
        region: account.region_name,
        is_member: !account.member_id.is_empty(),
        is_organisation,
    };
    render(&visit, StatusCode::OK, &page)
}
