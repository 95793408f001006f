//! The console's events: the region's coming events with how many took a seat
//! and how many wait; and a form to hold a new one — an opportunity fair, an
//! information session or a training — with its day, hours (UTC, as the pages
//! show them), place, seats and languages.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{NaiveDate, NaiveTime};
use passage_proto::v1;
use serde::Deserialize;

use super::chapter_admin;
use super::members::{Choice, error_for};
use crate::App;
use crate::gateway::call;
use crate::i18n::Text;
use crate::pages::events::kind_name;
use crate::pages::when::span;
use crate::pages::{FieldError, Frame, refusal, refused_field, render};
use crate::visit::Visit;

const HERE: &str = "/console/events";

/// One coming event.
pub struct EventRow {
    pub title: String,
    pub kind: String,
    pub when: String,
    pub place: String,
    pub seats: String,
}

/// The new-event form, as typed.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct EventForm {
    #[serde(default)]
    form_token: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub day: String,
    #[serde(default)]
    pub starts: String,
    #[serde(default)]
    pub ends: String,
    #[serde(default)]
    pub place: String,
    #[serde(default)]
    pub capacity: String,
    #[serde(default)]
    pub languages: String,
}

#[derive(Template)]
#[template(path = "console_events.html")]
struct EventsPage {
    frame: Frame,
    events: Vec<EventRow>,
    form: EventForm,
    kinds: Vec<Choice>,
    errors: Vec<FieldError>,
    notice: String,
}

impl EventsPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

fn kind_choices(text: Text, chosen: &str) -> Vec<Choice> {
    [
        v1::EventKind::OpportunityFair,
        v1::EventKind::InformationSession,
        v1::EventKind::Training,
    ]
    .into_iter()
    .map(|kind| {
        let value = kind
            .as_str_name()
            .trim_start_matches("EVENT_KIND_")
            .to_ascii_lowercase();
        Choice {
            label: kind_name(text, kind as i32),
            chosen: value == chosen,
            value,
        }
    })
    .collect()
}

async fn page(
    app: &App,
    visit: &Visit,
    region: &str,
    text: Text,
    form: EventForm,
    errors: Vec<FieldError>,
    notice: String,
) -> Response {
    let listed = app
        .gateway
        .events()
        .list_events(call(
            visit,
            Some(region),
            v1::ListEventsRequest {
                page_size: 200,
                upcoming: true,
                ..Default::default()
            },
        ))
        .await;
    let events = match listed {
        Ok(listed) => listed.into_inner().events,
        Err(status) => return refusal(visit, text, HERE, &status),
    };
    let code = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = EventsPage {
        frame: Frame::chapter(visit, text, HERE),
        events: events
            .into_iter()
            .map(|event| EventRow {
                kind: kind_name(text, event.kind),
                when: match (&event.start_time, &event.end_time) {
                    (Some(start), Some(end)) => span(text, start.seconds, end.seconds),
                    _ => String::new(),
                },
                seats: text.t_with(
                    "console-event-seats",
                    &[
                        ("registered", &event.registered_count.to_string()),
                        ("capacity", &event.capacity.to_string()),
                        ("waiting", &event.waitlisted_count.to_string()),
                    ],
                ),
                title: event.title,
                place: event.place,
            })
            .collect(),
        kinds: kind_choices(text, &form.kind),
        form,
        errors,
        notice,
    };
    render(visit, code, &page)
}

/// `GET /console/events`.
pub async fn show(State(app): State<App>, visit: Visit) -> Response {
    let (account, text) = match chapter_admin(&app, &visit, HERE).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let form = EventForm {
        kind: "opportunity_fair".into(),
        ..Default::default()
    };
    page(
        &app,
        &visit,
        &account.region,
        text,
        form,
        Vec::new(),
        String::new(),
    )
    .await
}

/// The event the form says, or what is wrong with it, named by field.
fn event_of(text: Text, form: &EventForm) -> Result<v1::Event, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut refuse = |field: &str, key: &str| {
        errors.push(FieldError {
            field: field.into(),
            message: text.t(key),
        })
    };
    let day = NaiveDate::parse_from_str(form.day.trim(), "%Y-%m-%d").ok();
    if day.is_none() {
        refuse("day", "console-event-day-wrong");
    }
    let starts = NaiveTime::parse_from_str(form.starts.trim(), "%H:%M").ok();
    if starts.is_none() {
        refuse("starts", "console-event-time-wrong");
    }
    let ends = NaiveTime::parse_from_str(form.ends.trim(), "%H:%M").ok();
    if ends.is_none() {
        refuse("ends", "console-event-time-wrong");
    }
    let capacity = form.capacity.trim().parse::<i32>().ok();
    if capacity.is_none() {
        refuse("capacity", "console-not-a-number");
    }
    let (Some(day), Some(starts), Some(ends), Some(capacity)) = (day, starts, ends, capacity)
    else {
        return Err(errors);
    };
    let at = |time: NaiveTime| prost_types::Timestamp {
        seconds: day.and_time(time).and_utc().timestamp(),
        nanos: 0,
    };
    Ok(v1::Event {
        kind: v1::EventKind::from_str_name(&format!(
            "EVENT_KIND_{}",
            form.kind.to_ascii_uppercase()
        ))
        .map_or(0, |kind| kind as i32),
        title: form.title.trim().to_owned(),
        description: form.description.trim().to_owned(),
        start_time: Some(at(starts)),
        end_time: Some(at(ends)),
        place: form.place.trim().to_owned(),
        capacity,
        languages: form
            .languages
            .split(',')
            .map(|code| code.trim().to_ascii_lowercase())
            .filter(|code| !code.is_empty())
            .collect(),
        ..Default::default()
    })
}

/// The fields of an event, as the API names them, and the form's.
const FIELDS: [(&str, &str); 8] = [
    ("title", "title"),
    ("kind", "kind"),
    ("description", "description"),
    ("start_time", "starts"),
    ("end_time", "ends"),
    ("place", "place"),
    ("capacity", "capacity"),
    ("languages", "languages"),
];

/// `POST /console/events`: holds a new event.
pub async fn create(State(app): State<App>, visit: Visit, Form(form): Form<EventForm>) -> Response {
    let (account, text) = match chapter_admin(&app, &visit, HERE).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    if !visit.form_is_ours(&form.form_token) {
        return visit.redirect(HERE);
    }
    let event = match event_of(text, &form) {
        Ok(event) => event,
        Err(errors) => {
            return page(
                &app,
                &visit,
                &account.region,
                text,
                form,
                errors,
                String::new(),
            )
            .await;
        }
    };
    let created = app
        .gateway
        .events()
        .create_event(call(
            &visit,
            Some(&account.region),
            v1::CreateEventRequest { event: Some(event) },
        ))
        .await;
    match created {
        Ok(created) => {
            let notice = text.t1("console-event-held", "title", &created.into_inner().title);
            let blank = EventForm {
                kind: "opportunity_fair".into(),
                ..Default::default()
            };
            page(
                &app,
                &visit,
                &account.region,
                text,
                blank,
                Vec::new(),
                notice,
            )
            .await
        }
        Err(status) if status.code() == tonic::Code::InvalidArgument => {
            let api_fields = FIELDS.map(|(api, _)| api);
            let field = refused_field(&status, &api_fields)
                .and_then(|api| FIELDS.iter().find(|(name, _)| *name == api))
                .map_or("title", |(_, form)| form);
            let errors = vec![FieldError {
                field: field.into(),
                message: text.t1(
                    "console-refused",
                    "reason",
                    &crate::pages::refused::named(text, &status),
                ),
            }];
            page(
                &app,
                &visit,
                &account.region,
                text,
                form,
                errors,
                String::new(),
            )
            .await
        }
        Err(status) => refusal(&visit, text, HERE, &status),
    }
}
