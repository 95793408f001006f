//! The console's groups: the region's coffee and expert groups with how many
//! members each has and when it meets next; and a form to start a new one — its
//! kind, name, sector (an expert group needs one), languages and usual meeting
//! place.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use passage_proto::v1;
use serde::Deserialize;

use super::chapter_admin;
use super::members::{Choice, error_for};
use crate::App;
use crate::gateway::call;
use crate::i18n::Text;
use crate::pages::groups::kind_name;
use crate::pages::when::moment;
use crate::pages::{FieldError, Frame, refusal, refused_field, render};
use crate::visit::Visit;

const HERE: &str = "/console/groups";

/// One group of the region.
pub struct GroupRow {
    pub name: String,
    pub kind: String,
    pub sector: String,
    pub members: String,
    /// When and where it meets next; empty when no meeting is planned.
    pub next: String,
}

/// The new-group form, as typed.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct GroupForm {
    #[serde(default)]
    form_token: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub sector: String,
    #[serde(default)]
    pub languages: String,
    #[serde(default)]
    pub meeting_place: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Template)]
#[template(path = "console_groups.html")]
struct GroupsPage {
    frame: Frame,
    groups: Vec<GroupRow>,
    form: GroupForm,
    kinds: Vec<Choice>,
    errors: Vec<FieldError>,
    notice: String,
}

impl GroupsPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

fn kind_choices(text: Text, chosen: &str) -> Vec<Choice> {
    [v1::GroupKind::Coffee, v1::GroupKind::Expert]
        .into_iter()
        .map(|kind| {
            let value = kind
                .as_str_name()
                .trim_start_matches("GROUP_KIND_")
                .to_ascii_lowercase();
            Choice {
                label: kind_name(text, kind as i32),
                chosen: value == chosen,
                value,
            }
        })
        .collect()
}

/// When and where group `id` meets next, in words; empty when it has no meeting
/// ahead.
async fn next_meeting(
    app: &App,
    visit: &Visit,
    region: &str,
    text: Text,
    group: &v1::Group,
) -> Result<String, tonic::Status> {
    let now = chrono::Utc::now().timestamp();
    let meetings = app
        .gateway
        .groups()
        .list_meetings(call(
            visit,
            Some(region),
            v1::ListMeetingsRequest {
                group_id: group.id.clone(),
                page_size: 500,
                page_token: String::new(),
            },
        ))
        .await?
        .into_inner()
        .meetings;
    let next = meetings
        .into_iter()
        .filter_map(|meeting| {
            let start = meeting.start_time.as_ref()?.seconds;
            (start >= now).then_some((start, meeting.place))
        })
        .min_by_key(|(start, _)| *start);
    Ok(next.map_or_else(String::new, |(start, place)| {
        text.t_with(
            "console-group-next",
            &[("when", &moment(text, start)), ("place", &place)],
        )
    }))
}

async fn page(
    app: &App,
    visit: &Visit,
    region: &str,
    text: Text,
    form: GroupForm,
    errors: Vec<FieldError>,
    notice: String,
) -> Response {
    let listed = app
        .gateway
        .groups()
        .list_groups(call(
            visit,
            Some(region),
            v1::ListGroupsRequest {
                page_size: 500,
                ..Default::default()
            },
        ))
        .await;
    let listed = match listed {
        Ok(listed) => listed.into_inner().groups,
        Err(status) => return refusal(visit, text, HERE, &status),
    };
    let mut groups = Vec::with_capacity(listed.len());
    for group in listed {
        let next = match next_meeting(app, visit, region, text, &group).await {
            Ok(next) => next,
            Err(status) => return refusal(visit, text, HERE, &status),
        };
        groups.push(GroupRow {
            kind: kind_name(text, group.kind),
            members: text.t1(
                "console-group-members",
                "count",
                &group.member_count.to_string(),
            ),
            name: group.name,
            sector: group.sector,
            next,
        });
    }
    let code = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = GroupsPage {
        frame: Frame::chapter(visit, text, HERE),
        groups,
        kinds: kind_choices(text, &form.kind),
        form,
        errors,
        notice,
    };
    render(visit, code, &page)
}

fn blank() -> GroupForm {
    GroupForm {
        kind: "coffee".into(),
        ..Default::default()
    }
}

/// `GET /console/groups`.
pub async fn show(State(app): State<App>, visit: Visit) -> Response {
    let (account, text) = match chapter_admin(&app, &visit, HERE).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    page(
        &app,
        &visit,
        &account.region,
        text,
        blank(),
        Vec::new(),
        String::new(),
    )
    .await
}

/// The fields of a group, as the API and the form name them.
const FIELDS: [&str; 6] = [
    "name",
    "kind",
    "sector",
    "languages",
    "meeting_place",
    "description",
];

/// `POST /console/groups`: starts a new group.
pub async fn create(State(app): State<App>, visit: Visit, Form(form): Form<GroupForm>) -> Response {
    let (account, text) = match chapter_admin(&app, &visit, HERE).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    if !visit.form_is_ours(&form.form_token) {
        return visit.redirect(HERE);
    }
    let group = v1::Group {
        kind: v1::GroupKind::from_str_name(&format!(
            "GROUP_KIND_{}",
            form.kind.to_ascii_uppercase()
        ))
        .map_or(0, |kind| kind as i32),
        name: form.name.trim().to_owned(),
        description: form.description.trim().to_owned(),
        sector: form.sector.trim().to_owned(),
        languages: form
            .languages
            .split(',')
            .map(|code| code.trim().to_ascii_lowercase())
            .filter(|code| !code.is_empty())
            .collect(),
        meeting_place: form.meeting_place.trim().to_owned(),
        ..Default::default()
    };
    let created = app
        .gateway
        .groups()
        .create_group(call(
            &visit,
            Some(&account.region),
            v1::CreateGroupRequest { group: Some(group) },
        ))
        .await;
    let region = &account.region;
    match created {
        Ok(created) => {
            let notice = text.t1("console-group-started", "name", &created.into_inner().name);
            page(&app, &visit, region, text, blank(), Vec::new(), notice).await
        }
        Err(status) if status.code() == tonic::Code::InvalidArgument => {
            let field = refused_field(&status, &FIELDS).unwrap_or("name");
            let errors = vec![FieldError {
                field: field.into(),
                message: text.t1(
                    "console-refused",
                    "reason",
                    &crate::pages::refused::named(text, &status),
                ),
            }];
            page(&app, &visit, region, text, form, errors, String::new()).await
        }
        Err(status) => refusal(&visit, text, HERE, &status),
    }
}
