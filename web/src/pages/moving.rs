//! Moving: a member who moves to another region starts the move here, with their
//! own confirmation, and follows it — confirmed (the chapter there takes them in
//! with its intake), handed over by their old home, arrived. Nobody moves a
//! member but the member; their profile and this page follow them.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use passage_proto::v1;
use serde::Deserialize;

use super::{FieldError, Frame, act, refusal, render, signed_in};
use crate::App;
use crate::gateway::call;
use crate::i18n::Text;
use crate::visit::Visit;

const HERE: &str = "/moving";

#[derive(Template)]
#[template(path = "moving.html")]
struct MovingPage {
    frame: Frame,
    home: String,
    /// Where the move stands, in plain words; empty when none was started.
    state: String,
    other_regions: Vec<RegionChoice>,
    errors: Vec<FieldError>,
}

/// A region she may move to: its slug (the form's value) and its name.
pub struct RegionChoice {
    pub slug: String,
    pub name: String,
}

#[derive(Deserialize, Default)]
pub struct Shown {
    #[serde(default)]
    refused: Option<String>,
}

/// A region's name, as the gateway gives it; the slug if it gives none.
fn name_of(found: &v1::MyMove, slug: &str) -> String {
    found
        .region_names
        .get(slug)
        .cloned()
        .unwrap_or_else(|| slug.to_owned())
}

/// Where the member's move stands, in the page's language.
fn state_of(text: Text, found: &v1::MyMove) -> String {
    let latest = found.latest.as_ref();
    if !found.confirmed_destination.is_empty() {
        let until = super::when::day(text, found.confirmation_expire_time.as_ref());
        return format!(
            "{} {}",
            text.t1(
                "moving-confirmed",
                "region",
                &name_of(found, &found.confirmed_destination)
            ),
            text.t1("moving-confirmed-until", "date", &until)
        );
    }
    match latest {
        Some(moved) if !moved.failure.is_empty() => {
            text.t1("moving-failed", "region", &name_of(found, &moved.to_region))
        }
        Some(moved) if moved.completed_time.is_some() && found.home_region == moved.to_region => {
            text.t1(
                "moving-arrived",
                "region",
                &name_of(found, &moved.to_region),
            )
        }
        Some(moved) if moved.completed_time.is_none() => text.t1(
            "moving-handing-over",
            "region",
            &name_of(found, &moved.to_region),
        ),
        _ => String::new(),
    }
}

/// `GET /moving`.
pub async fn show(State(app): State<App>, visit: Visit, Query(shown): Query<Shown>) -> Response {
    let (account, text) = match signed_in(&app, &visit, HERE).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let found = match app
        .gateway
        .moves()
        .get_my_move(call(&visit, Some(&account.region), v1::GetMyMoveRequest {}))
        .await
    {
        Ok(found) => found.into_inner(),
        Err(status) => return refusal(&visit, text, HERE, &status),
    };
    let errors = match shown.refused {
        Some(_) => vec![FieldError {
            field: "destination".into(),
            message: text.t("moving-choose"),
        }],
        None => Vec::new(),
    };
    let page = MovingPage {
        frame: Frame::new(&visit, text, HERE, true),
        state: state_of(text, &found),
        home: name_of(&found, &found.home_region),
        other_regions: found
            .other_regions
            .iter()
            .map(|slug| RegionChoice {
                slug: slug.clone(),
                name: name_of(&found, slug),
            })
            .collect(),
        errors,
    };
    let code = if page.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(&visit, code, &page)
}

#[derive(Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    form_token: String,
    #[serde(default)]
    destination: String,
}

/// `POST /moving`: the member confirms their move to the region they chose.
pub async fn confirm(State(app): State<App>, visit: Visit, Form(form): Form<MoveForm>) -> Response {
    if form.destination.trim().is_empty() {
        return visit.redirect("/moving?refused=1");
    }
    let moves = app.gateway.moves();
    let asking = visit.clone();
    act(
        &app,
        &visit,
        HERE,
        &form.form_token,
        HERE,
        |account| async move {
            moves
                .clone()
                .confirm_move(call(
                    &asking,
                    Some(&account.region),
                    v1::ConfirmMoveRequest {
                        destination_region: form.destination.trim().to_owned(),
                    },
                ))
                .await
                .map(|_| ())
        },
    )
    .await
}
