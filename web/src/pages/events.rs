//! Events: the fairs, information sessions and trainings of my region that have
//! not ended, with the seats left and where I stand on each (a seat, or my place
//! on the waiting list); registering, and cancelling a seat or a waiting place.
//! The region decides who gets a seat; this page only asks and shows.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use passage_proto::v1;
use serde::Deserialize;

use super::when::{LanguageName, languages, list_separator, span};
use super::{Frame, act, encode_component, problem, refusal, render, signed_in};
use crate::App;
use crate::gateway::call;
use crate::i18n::Text;
use crate::visit::Visit;

const HERE: &str = "/events";

/// Most pages of her own registrations the page reads (500 each).
const MOST_REGISTRATION_PAGES: usize = 20;

/// One event as the page shows it.
pub struct EventView {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub when: String,
    pub place: String,
    pub languages: Vec<LanguageName>,
    pub description: String,
    /// "3 of 20 seats free", or that it is full and how many wait.
    pub seats: String,
    pub full: bool,
    /// Where she stands, in words; empty when she has not registered.
    pub mine: String,
    /// She holds a seat or a waiting place, which she may give up.
    pub cancellable: bool,
    /// She holds no seat or waiting place and may ask for one.
    pub registrable: bool,
    pub waitlisted: bool,
}

#[derive(Template)]
#[template(path = "events.html")]
struct EventsPage {
    frame: Frame,
    events: Vec<EventView>,
    notice: String,
    /// Between the languages of an event.
    separator: &'static str,
}

#[derive(Deserialize, Default)]
pub struct Shown {
    #[serde(default)]
    registered: Option<String>,
    #[serde(default)]
    cancelled: Option<String>,
}

/// `EVENT_KIND_OPPORTUNITY_FAIR` → the page's word for it.
pub fn kind_name(text: Text, kind: i32) -> String {
    let kind = v1::EventKind::try_from(kind).unwrap_or(v1::EventKind::Unspecified);
    let key = kind
        .as_str_name()
        .trim_start_matches("EVENT_KIND_")
        .to_ascii_lowercase()
        .replace('_', "-");
    text.t(&format!("event-kind-{key}"))
}

/// Where the member stands on an event, in words.
pub fn standing(text: Text, registration: &v1::EventRegistration) -> String {
    match v1::RegistrationStatus::try_from(registration.status) {
        Ok(v1::RegistrationStatus::Waitlisted) => text.t1(
            "registration-waitlisted",
            "position",
            &registration.waitlist_position.to_string(),
        ),
        Ok(status) => {
            let key = status
                .as_str_name()
                .trim_start_matches("REGISTRATION_STATUS_")
                .to_ascii_lowercase()
                .replace('_', "-");
            text.t(&format!("registration-{key}"))
        }
        Err(_) => text.t("registration-unspecified"),
    }
}

fn view(text: Text, event: v1::Event, mine: Option<&v1::EventRegistration>) -> EventView {
    let seconds = |t: &Option<prost_types::Timestamp>| t.as_ref().map_or(0, |t| t.seconds);
    let free = (event.capacity - event.registered_count).max(0);
    let full = free == 0;
    let seats = if full && event.waitlisted_count == 0 {
        text.t("events-full-nobody-waiting")
    } else if full {
        text.t1(
            "events-full",
            "waiting",
            &event.waitlisted_count.to_string(),
        )
    } else {
        text.t_with(
            "events-seats-free",
            &[
                ("free", &free.to_string()),
                ("capacity", &event.capacity.to_string()),
            ],
        )
    };
    let status = mine.and_then(|r| v1::RegistrationStatus::try_from(r.status).ok());
    let cancellable = matches!(
        status,
        Some(v1::RegistrationStatus::Registered | v1::RegistrationStatus::Waitlisted)
    );
    EventView {
        when: span(text, seconds(&event.start_time), seconds(&event.end_time)),
        kind: kind_name(text, event.kind),
        languages: languages(&event.languages),
        seats,
        full,
        mine: mine.map(|r| standing(text, r)).unwrap_or_default(),
        cancellable,
        registrable: mine.is_none(),
        waitlisted: status == Some(v1::RegistrationStatus::Waitlisted),
        id: event.id,
        title: event.title,
        place: event.place,
        description: event.description,
    }
}

/// Her registrations that still count (not cancelled), by event: the latest of
/// each, as the region lists them in the order they were made.
async fn her_registrations(
    app: &App,
    visit: &Visit,
    account: &v1::Account,
) -> Result<HashMap<String, v1::EventRegistration>, tonic::Status> {
    let mut events = app.gateway.events();
    let mut current = HashMap::new();
    let mut page_token = String::new();
    for _ in 0..MOST_REGISTRATION_PAGES {
        let page = events
            .list_event_registrations(call(
                visit,
                Some(&account.region),
                v1::ListEventRegistrationsRequest {
                    member_id: account.member_id.clone(),
                    page_size: 500,
                    page_token: page_token.clone(),
                    ..Default::default()
                },
            ))
            .await?
            .into_inner();
        for registration in page.registrations {
            if registration.status == v1::RegistrationStatus::Cancelled as i32 {
                current.remove(&registration.event_id);
            } else {
                current.insert(registration.event_id.clone(), registration);
            }
        }
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    Ok(current)
}

/// `GET /events`.
pub async fn show(State(app): State<App>, visit: Visit, Query(shown): Query<Shown>) -> Response {
    let (account, text) = match signed_in(&app, &visit, HERE).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    if account.member_id.is_empty() {
        return problem(
            &visit,
            text,
            HERE,
            StatusCode::NOT_FOUND,
            "problem-member-page",
            "problem-member-page-explained",
        );
    }
    let listed = app
        .gateway
        .events()
        .list_events(call(
            &visit,
            Some(&account.region),
            v1::ListEventsRequest {
                page_size: 500,
                upcoming: true,
                ..Default::default()
            },
        ))
        .await;
    let mut events = match listed {
        Ok(listed) => listed.into_inner().events,
        Err(status) => return refusal(&visit, text, HERE, &status),
    };
    let mine = match her_registrations(&app, &visit, &account).await {
        Ok(mine) => mine,
        Err(status) => return refusal(&visit, text, HERE, &status),
    };
    events.sort_by_key(|e| e.start_time.as_ref().map_or(0, |t| t.seconds));
    let views: Vec<EventView> = events
        .into_iter()
        .map(|event| {
            let registration = mine.get(&event.id);
            view(text, event, registration)
        })
        .collect();
    let titled = |id: &str| views.iter().find(|e| e.id == id);
    let notice = match (&shown.registered, &shown.cancelled) {
        (Some(id), _) => match titled(id) {
            Some(event) if event.waitlisted => text.t_with(
                "events-notice-waitlisted",
                &[
                    ("title", &event.title),
                    (
                        "position",
                        &mine
                            .get(id)
                            .map(|r| r.waitlist_position.to_string())
                            .unwrap_or_default(),
                    ),
                ],
            ),
            Some(event) if !event.registrable => {
                text.t1("events-notice-registered", "title", &event.title)
            }
            _ => String::new(),
        },
        (None, Some(id)) => match titled(id) {
            Some(event) => text.t1("events-notice-cancelled", "title", &event.title),
            None => text.t("events-notice-cancelled-ended"),
        },
        (None, None) => String::new(),
    };
    let page = EventsPage {
        separator: list_separator(text),
        frame: Frame::new(&visit, text, HERE, true),
        events: views,
        notice,
    };
    render(&visit, StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct EventForm {
    #[serde(default)]
    form_token: String,
}

/// `POST /events/{id}/register`: a seat, or a place on the waiting list when the
/// event is full.
pub async fn register(
    State(app): State<App>,
    visit: Visit,
    Path(id): Path<String>,
    Form(form): Form<EventForm>,
) -> Response {
    let events = app.gateway.events();
    let asking = visit.clone();
    let done = format!("{HERE}?registered={}", encode_component(&id));
    act(
        &app,
        &visit,
        HERE,
        &form.form_token,
        &done,
        |account| async move {
            events
                .clone()
                .register_for_event(call(
                    &asking,
                    Some(&account.region),
                    v1::RegisterForEventRequest {
                        event_id: id,
                        member_id: account.member_id.clone(),
                    },
                ))
                .await
                .map(|_| ())
        },
    )
    .await
}

/// `POST /events/{id}/cancel`: gives up her seat (it goes to the first who waits)
/// or her place on the waiting list.
pub async fn cancel(
    State(app): State<App>,
    visit: Visit,
    Path(id): Path<String>,
    Form(form): Form<EventForm>,
) -> Response {
    let events = app.gateway.events();
    let asking = visit.clone();
    let done = format!("{HERE}?cancelled={}", encode_component(&id));
    act(
        &app,
        &visit,
        HERE,
        &form.form_token,
        &done,
        |account| async move {
            events
                .clone()
                .cancel_event_registration(call(
                    &asking,
                    Some(&account.region),
                    v1::CancelEventRegistrationRequest {
                        event_id: id,
                        member_id: account.member_id.clone(),
                    },
                ))
                .await
                .map(|_| ())
        },
    )
    .await
}
