//! My data: what Passage holds about me, to read and take away (GDPR art. 15 and
//! 20) — one JSON file with my account and every region's records about me — and
//! the way to erasing myself.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use passage_proto::v1;

use super::{Frame, problem, refusal, render, signed_in};
use crate::App;
use crate::gateway::call;
use crate::visit::Visit;

const HERE: &str = "/my-data";

#[derive(Template)]
#[template(path = "my_data.html")]
struct MyDataPage {
    frame: Frame,
}

/// `GET /my-data`.
pub async fn show(State(app): State<App>, visit: Visit) -> Response {
    let (_, text) = match signed_in(&app, &visit, HERE).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let page = MyDataPage {
        frame: Frame::new(&visit, text, HERE, true),
    };
    render(&visit, StatusCode::OK, &page)
}

/// `GET /my-data/download`: the file, or — when a region did not answer — a page
/// that says so rather than a file that would leave that region out.
pub async fn download(State(app): State<App>, visit: Visit) -> Response {
    let (_, text) = match signed_in(&app, &visit, HERE).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let exported = app
        .gateway
        .personal_data()
        .export_my_data(call(&visit, None, v1::ExportMyDataRequest {}))
        .await;
    let exported = match exported {
        Ok(exported) => exported.into_inner(),
        Err(status) => return refusal(&visit, text, HERE, &status),
    };
    if !exported.unavailable_regions.is_empty() {
        return problem(
            &visit,
            text,
            HERE,
            StatusCode::SERVICE_UNAVAILABLE,
            "my-data-incomplete",
            "my-data-incomplete-explained",
        );
    }
    let day = chrono::Utc::now().format("%Y-%m-%d");
    visit.download(
        &format!("passage-my-data-{day}.json"),
        "application/json; charset=utf-8",
        exported.json,
    )
}
