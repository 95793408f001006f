//! The console's cohorts: every cohort of the region's coaching programmes with
//! how full it is and where it stands; and one cohort's page — its participants
//! with their completion and outcome, its coaches (the volunteers who follow it:
//! assigned here from the region's members, or taken off), and its report as a
//! CSV file.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use passage_proto::v1;
use serde::Deserialize;

use super::{chapter_admin, enum_word};
use crate::App;
use crate::gateway::call;
use crate::i18n::Text;
use crate::pages::{FieldError, Frame, encode_component, refusal, render};
use crate::visit::Visit;

const HERE: &str = "/console/cohorts";

/// One cohort in the list.
pub struct CohortRow {
    pub id: String,
    pub name: String,
    pub dates: String,
    pub places: String,
    pub phase: String,
}

#[derive(Template)]
#[template(path = "console_cohorts.html")]
struct CohortsPage {
    frame: Frame,
    cohorts: Vec<CohortRow>,
}

fn cohort_name(text: Text, cohort: &v1::Cohort) -> String {
    text.t_with(
        "console-cohort-name",
        &[
            ("programme", &cohort.programme_name),
            ("year", &cohort.year.to_string()),
        ],
    )
}

fn cohort_row(text: Text, cohort: &v1::Cohort) -> CohortRow {
    let phase = v1::CohortPhase::try_from(cohort.phase).unwrap_or(v1::CohortPhase::Unspecified);
    CohortRow {
        id: cohort.id.clone(),
        name: cohort_name(text, cohort),
        dates: text.t_with(
            "console-cohort-dates",
            &[("from", &cohort.starts_on), ("until", &cohort.ends_on)],
        ),
        places: text.t_with(
            "console-cohort-places",
            &[
                ("enrolled", &cohort.enrolled.to_string()),
                ("capacity", &cohort.capacity.to_string()),
            ],
        ),
        phase: enum_word(
            text,
            phase.as_str_name(),
            "COHORT_PHASE_",
            "console-cohort-phase",
        ),
    }
}

/// `GET /console/cohorts`.
pub async fn list(State(app): State<App>, visit: Visit) -> Response {
    let (account, text) = match chapter_admin(&app, &visit, HERE).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let listed = app
        .gateway
        .coaching()
        .list_cohorts(call(
            &visit,
            Some(&account.region),
            v1::ListCohortsRequest {
                page_size: 200,
                ..Default::default()
            },
        ))
        .await;
    match listed {
        Ok(listed) => {
            let page = CohortsPage {
                frame: Frame::chapter(&visit, text, HERE),
                cohorts: listed
                    .into_inner()
                    .cohorts
                    .iter()
                    .map(|cohort| cohort_row(text, cohort))
                    .collect(),
            };
            render(&visit, StatusCode::OK, &page)
        }
        Err(status) => refusal(&visit, text, HERE, &status),
    }
}

/// A participant as the cohort's page shows them.
pub struct ParticipantRow {
    pub name: String,
    pub completed: bool,
    pub outcome: String,
}

/// A coach of the cohort, or a member who could become one.
pub struct CoachRow {
    pub member_id: String,
    pub name: String,
}

#[derive(Template)]
#[template(path = "console_cohort.html")]
struct CohortPage {
    frame: Frame,
    id: String,
    cohort: CohortRow,
    participants: Vec<ParticipantRow>,
    coaches: Vec<CoachRow>,
    query: String,
    candidates: Vec<CoachRow>,
    searched: bool,
    errors: Vec<FieldError>,
    notice: String,
}

#[derive(Deserialize, Default)]
pub struct CohortQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    assigned: Option<String>,
    #[serde(default)]
    unassigned: Option<String>,
}

/// `GET /console/cohorts/{id}[?q=…]`: the cohort, and when `q` is given the
/// region's members whose words match, to assign as coaches.
pub async fn show(
    State(app): State<App>,
    visit: Visit,
    Path(id): Path<String>,
    Query(query): Query<CohortQuery>,
) -> Response {
    let here = format!("{HERE}/{id}");
    let (account, text) = match chapter_admin(&app, &visit, &here).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let region = Some(account.region.as_str());
    let coaching = app.gateway.coaching();
    let cohort = match coaching
        .clone()
        .get_cohort(call(
            &visit,
            region,
            v1::GetCohortRequest { id: id.clone() },
        ))
        .await
    {
        Ok(cohort) => cohort.into_inner(),
        Err(status) => return refusal(&visit, text, &here, &status),
    };
    let participants = match coaching
        .clone()
        .list_cohort_participants(call(
            &visit,
            region,
            v1::ListCohortParticipantsRequest {
                cohort_id: id.clone(),
                page_size: 500,
                page_token: String::new(),
            },
        ))
        .await
    {
        Ok(listed) => listed.into_inner().participants,
        Err(status) => return refusal(&visit, text, &here, &status),
    };
    let coaches = match coaching
        .clone()
        .list_cohort_coaches(call(
            &visit,
            region,
            v1::ListCohortCoachesRequest {
                cohort_id: id.clone(),
            },
        ))
        .await
    {
        Ok(listed) => listed.into_inner().coaches,
        Err(status) => return refusal(&visit, text, &here, &status),
    };
    let words = query.q.trim().to_owned();
    let mut errors = Vec::new();
    let mut candidates = Vec::new();
    if !words.is_empty() {
        let found = app
            .gateway
            .members()
            .search_members(call(
                &visit,
                region,
                v1::SearchMembersRequest {
                    query: words.clone(),
                    page_size: 20,
                    page_token: String::new(),
                },
            ))
            .await;
        match found {
            Ok(found) => {
                candidates = found
                    .into_inner()
                    .matches
                    .into_iter()
                    .filter(|hit| !coaches.iter().any(|c| c.coach_member_id == hit.id))
                    .map(|hit| CoachRow {
                        member_id: hit.id,
                        name: hit.display_name,
                    })
                    .collect();
            }
            Err(status) if status.code() == tonic::Code::InvalidArgument => {
                errors.push(FieldError {
                    field: "q".into(),
                    message: text.t1(
                        "console-search-refused",
                        "reason",
                        &crate::pages::refused::named(text, &status),
                    ),
                });
            }
            Err(status) => return refusal(&visit, text, &here, &status),
        }
    }
    let notice = if query.assigned.is_some() {
        text.t("console-coach-assigned")
    } else if query.unassigned.is_some() {
        text.t("console-coach-unassigned")
    } else {
        String::new()
    };
    let code = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = CohortPage {
        frame: Frame::chapter(&visit, text, &here),
        cohort: cohort_row(text, &cohort),
        id,
        participants: participants
            .into_iter()
            .map(|participant| {
                let outcome = v1::CoachingOutcome::try_from(participant.outcome)
                    .unwrap_or(v1::CoachingOutcome::Unspecified);
                ParticipantRow {
                    name: participant.display_name,
                    completed: participant.completed_programme,
                    outcome: enum_word(
                        text,
                        outcome.as_str_name(),
                        "COACHING_OUTCOME_",
                        "console-outcome",
                    ),
                }
            })
            .collect(),
        coaches: coaches
            .into_iter()
            .map(|coach| CoachRow {
                member_id: coach.coach_member_id,
                name: coach.display_name,
            })
            .collect(),
        searched: !words.is_empty() && errors.is_empty(),
        query: words,
        candidates,
        errors,
        notice,
    };
    render(&visit, code, &page)
}

#[derive(Debug, Deserialize, Default)]
pub struct CoachForm {
    #[serde(default)]
    form_token: String,
    #[serde(default)]
    coach_member_id: String,
}

/// `POST /console/cohorts/{id}/coaches`: assigns a coach.
pub async fn assign(
    State(app): State<App>,
    visit: Visit,
    Path(id): Path<String>,
    Form(form): Form<CoachForm>,
) -> Response {
    change_coach(app, visit, id, form, true).await
}

/// `POST /console/cohorts/{id}/coaches/remove`: takes a coach off the cohort.
pub async fn unassign(
    State(app): State<App>,
    visit: Visit,
    Path(id): Path<String>,
    Form(form): Form<CoachForm>,
) -> Response {
    change_coach(app, visit, id, form, false).await
}

async fn change_coach(
    app: App,
    visit: Visit,
    id: String,
    form: CoachForm,
    assign: bool,
) -> Response {
    let here = format!("{HERE}/{}", encode_component(&id));
    let (account, text) = match chapter_admin(&app, &visit, &here).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    if !visit.form_is_ours(&form.form_token) {
        return visit.redirect(&here);
    }
    let region = Some(account.region.as_str());
    let mut coaching = app.gateway.coaching();
    let done = if assign {
        coaching
            .assign_coach(call(
                &visit,
                region,
                v1::AssignCoachRequest {
                    cohort_id: id.clone(),
                    coach_member_id: form.coach_member_id.clone(),
                },
            ))
            .await
            .map(|_| "assigned")
    } else {
        coaching
            .unassign_coach(call(
                &visit,
                region,
                v1::UnassignCoachRequest {
                    cohort_id: id.clone(),
                    coach_member_id: form.coach_member_id.clone(),
                },
            ))
            .await
            .map(|_| "unassigned")
    };
    match done {
        Ok(done) => visit.redirect(&format!("{here}?{done}=1")),
        Err(status) => refusal(&visit, text, &here, &status),
    }
}
