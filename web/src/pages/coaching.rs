//! The coach's cohorts: the cohorts a chapter admin assigned me to coach, each
//! with its participants and their completion of the programme, its sessions with
//! who attended (checkboxes I correct), and — once the cohort has ended — its
//! aftercare contacts, a dated note per contact (recorded in
//! `coaching_aftercare.rs`). Whether I coach a cohort is my home node's decision;
//! I see no other cohort.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use passage_proto::v1;
use serde::Deserialize;

use super::roles::{day_in_words, member};
use super::{FieldError, Frame, refusal, render};
use crate::App;
use crate::gateway::call;
use crate::i18n::Text;
use crate::visit::Visit;

pub(super) const HERE: &str = "/coaching";

/// A cohort I coach, as the list shows it.
pub struct CohortView {
    pub id: String,
    pub name: String,
    pub period: String,
    pub phase: String,
    pub in_aftercare: bool,
    pub aftercare_until: String,
}

/// A participant and their completion.
pub struct ParticipantView {
    pub member_id: String,
    pub name: String,
    pub completed: bool,
    pub components: Vec<String>,
}

/// One attendance checkbox of a session.
pub struct Attendee {
    pub member_id: String,
    pub name: String,
    pub present: bool,
}

/// A session with its attendance.
pub struct SessionView {
    pub id: String,
    pub held_on: String,
    pub topic: String,
    pub component: String,
    pub attendees: Vec<Attendee>,
}

/// An aftercare contact.
pub struct ContactView {
    pub contacted_on: String,
    pub name: String,
    pub note: String,
}

#[derive(Template)]
#[template(path = "coaching.html")]
struct CohortsPage {
    frame: Frame,
    cohorts: Vec<CohortView>,
}

#[derive(Template)]
#[template(path = "coaching_cohort.html")]
struct CohortPage {
    frame: Frame,
    cohort: CohortView,
    participants: Vec<ParticipantView>,
    sessions: Vec<SessionView>,
    contacts: Vec<ContactView>,
    form: ContactForm,
    errors: Vec<FieldError>,
    done: String,
}

impl CohortPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|error| error.field == field)
            .map(|error| error.message.as_str())
    }
}

/// The aftercare contact form, as typed.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct ContactForm {
    #[serde(default)]
    pub(super) form_token: String,
    #[serde(default)]
    pub member_id: String,
    #[serde(default)]
    pub contacted_on: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Deserialize, Default)]
pub struct Shown {
    #[serde(default)]
    done: Option<String>,
}

/// The page's word for an enum value: `COHORT_PHASE_IN_AFTERCARE` with prefix
/// `COHORT_PHASE_` and key `cohort-phase` → the text of `cohort-phase-in-aftercare`.
fn word(text: Text, name: &str, prefix: &str, key: &str) -> String {
    let rest = name
        .trim_start_matches(prefix)
        .to_ascii_lowercase()
        .replace('_', "-");
    text.t(&format!("{key}-{rest}"))
}

fn cohort_view(text: Text, cohort: v1::Cohort) -> CohortView {
    let phase = v1::CohortPhase::try_from(cohort.phase).unwrap_or_default();
    CohortView {
        name: text.t_with(
            "coaching-cohort-name",
            &[
                ("programme", &cohort.programme_name),
                ("year", &cohort.year.to_string()),
            ],
        ),
        period: text.t_with(
            "coaching-period",
            &[
                ("from", &day_in_words(text, &cohort.starts_on)),
                ("to", &day_in_words(text, &cohort.ends_on)),
            ],
        ),
        phase: word(text, phase.as_str_name(), "COHORT_PHASE_", "cohort-phase"),
        in_aftercare: cohort.in_aftercare,
        aftercare_until: text.t1(
            "coaching-aftercare-until",
            "date",
            &day_in_words(text, &cohort.aftercare_ends_on),
        ),
        id: cohort.id,
    }
}

fn component_name(text: Text, component: i32) -> String {
    let component = v1::CoachingComponent::try_from(component).unwrap_or_default();
    word(
        text,
        component.as_str_name(),
        "COACHING_COMPONENT_",
        "coaching-component",
    )
}

/// `GET /coaching`: the cohorts I coach.
pub async fn show(State(app): State<App>, visit: Visit) -> Response {
    let (account, text) = match member(&app, &visit, HERE).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let listed = app
        .gateway
        .coaching()
        .list_coached_cohorts(call(
            &visit,
            Some(&account.region),
            v1::ListCoachedCohortsRequest {
                coach_member_id: account.member_id.clone(),
            },
        ))
        .await;
    match listed {
        Ok(listed) => {
            let page = CohortsPage {
                frame: Frame::new(&visit, text, HERE, true),
                cohorts: listed
                    .into_inner()
                    .cohorts
                    .into_iter()
                    .map(|cohort| cohort_view(text, cohort))
                    .collect(),
            };
            render(&visit, StatusCode::OK, &page)
        }
        Err(status) => refusal(&visit, text, HERE, &status),
    }
}

/// What a cohort's page is made of, from the region.
struct Cohort {
    cohort: v1::Cohort,
    participants: Vec<v1::CohortParticipant>,
    sessions: Vec<v1::CoachingSession>,
    contacts: Vec<v1::AftercareContact>,
}

async fn cohort_of(
    app: &App,
    visit: &Visit,
    region: &str,
    id: &str,
) -> Result<Cohort, tonic::Status> {
    let mut coaching = app.gateway.coaching();
    let region = Some(region);
    let cohort = coaching
        .get_cohort(call(visit, region, v1::GetCohortRequest { id: id.into() }))
        .await?
        .into_inner();
    let participants = coaching
        .list_cohort_participants(call(
            visit,
            region,
            v1::ListCohortParticipantsRequest {
                cohort_id: id.into(),
                page_size: 500,
                page_token: String::new(),
            },
        ))
        .await?
        .into_inner()
        .participants;
    let sessions = coaching
        .list_coaching_sessions(call(
            visit,
            region,
            v1::ListCoachingSessionsRequest {
                cohort_id: id.into(),
                page_size: 500,
                ..Default::default()
            },
        ))
        .await?
        .into_inner()
        .sessions;
    let contacts = coaching
        .list_aftercare_contacts(call(
            visit,
            region,
            v1::ListAftercareContactsRequest {
                cohort_id: id.into(),
                page_size: 500,
                ..Default::default()
            },
        ))
        .await?
        .into_inner()
        .contacts;
    Ok(Cohort {
        cohort,
        participants,
        sessions,
        contacts,
    })
}

/// The page of cohort `id`, with the contact form as typed and its errors.
#[allow(clippy::too_many_arguments)]
pub(super) async fn cohort_page(
    app: &App,
    visit: &Visit,
    account: &v1::Account,
    text: Text,
    id: &str,
    form: ContactForm,
    errors: Vec<FieldError>,
    done: String,
) -> Response {
    let here = format!("{HERE}/{}", super::encode_component(id));
    let found = match cohort_of(app, visit, &account.region, id).await {
        Ok(found) => found,
        Err(status) => return refusal(visit, text, &here, &status),
    };
    let names: HashMap<&str, &str> = found
        .participants
        .iter()
        .map(|p| (p.member_id.as_str(), p.display_name.as_str()))
        .collect();
    let name_of = |member: &str| {
        names
            .get(member)
            .filter(|name| !name.is_empty())
            .map_or_else(
                || text.t("coaching-former-participant"),
                |n| (*n).to_owned(),
            )
    };
    let participants = found
        .participants
        .iter()
        .map(|p| ParticipantView {
            member_id: p.member_id.clone(),
            name: name_of(&p.member_id),
            completed: p.completed_programme,
            components: p
                .components
                .iter()
                .map(|c| {
                    text.t_with(
                        if c.completed {
                            "coaching-component-done"
                        } else {
                            "coaching-component-open"
                        },
                        &[
                            ("component", &component_name(text, c.component)),
                            ("sessions", &c.sessions_attended.to_string()),
                        ],
                    )
                })
                .collect(),
        })
        .collect();
    let sessions = found
        .sessions
        .iter()
        .map(|s| SessionView {
            id: s.id.clone(),
            held_on: day_in_words(text, &s.held_on),
            topic: s.topic.clone(),
            component: component_name(text, s.component),
            attendees: found
                .participants
                .iter()
                .map(|p| Attendee {
                    member_id: p.member_id.clone(),
                    name: name_of(&p.member_id),
                    present: s.attendee_member_ids.contains(&p.member_id),
                })
                .collect(),
        })
        .collect();
    let contacts = found
        .contacts
        .iter()
        .rev()
        .map(|c| ContactView {
            contacted_on: day_in_words(text, &c.contacted_on),
            name: name_of(&c.member_id),
            note: c.note.clone(),
        })
        .collect();
    let code = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = CohortPage {
        frame: Frame::new(visit, text, &here, true),
        cohort: cohort_view(text, found.cohort),
        participants,
        sessions,
        contacts,
        form,
        errors,
        done,
    };
    render(visit, code, &page)
}

/// `GET /coaching/{cohort}`: one cohort I coach.
pub async fn cohort(
    State(app): State<App>,
    visit: Visit,
    Path(id): Path<String>,
    Query(shown): Query<Shown>,
) -> Response {
    let here = format!("{HERE}/{}", super::encode_component(&id));
    let (account, text) = match member(&app, &visit, &here).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let done = match shown.done.as_deref() {
        Some("attendance") => text.t("coaching-attendance-saved"),
        Some("contact") => text.t("coaching-contact-saved"),
        _ => String::new(),
    };
    let form = ContactForm {
        contacted_on: chrono::Utc::now().date_naive().to_string(),
        ..Default::default()
    };
    cohort_page(&app, &visit, &account, text, &id, form, Vec::new(), done).await
}

/// `POST /coaching/{cohort}/sessions/{session}`: who attended the session
/// (each ticked `attendee`), replacing what was recorded.
pub async fn attendance(
    State(app): State<App>,
    visit: Visit,
    Path((cohort, session)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let here = format!("{HERE}/{}", super::encode_component(&cohort));
    let (account, text) = match member(&app, &visit, &here).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let token = fields
        .iter()
        .find(|(name, _)| name == "form_token")
        .map_or("", |(_, value)| value.as_str());
    if !visit.form_is_ours(token) {
        return visit.redirect(&here);
    }
    let attendees = fields
        .into_iter()
        .filter(|(name, _)| name == "attendee")
        .map(|(_, value)| value)
        .collect();
    let recorded = app
        .gateway
        .coaching()
        .record_session_attendance(call(
            &visit,
            Some(&account.region),
            v1::RecordSessionAttendanceRequest {
                session_id: session,
                attendee_member_ids: attendees,
            },
        ))
        .await;
    match recorded {
        Ok(_) => visit.redirect(&format!("{here}?done=attendance#sessions-title")),
        Err(status) => refusal(&visit, text, &here, &status),
    }
}
