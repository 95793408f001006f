//! Groups: the coffee groups and expert groups of my region, which of them I am
//! in, joining and leaving, and when my groups meet next.

use std::collections::HashSet;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use passage_proto::v1;
use serde::Deserialize;

use super::when::{LanguageName, languages, list_separator, moment};
use super::{Frame, act, encode_component, problem, refusal, render, signed_in};
use crate::App;
use crate::gateway::call;
use crate::i18n::Text;
use crate::visit::Visit;

const HERE: &str = "/groups";

/// Most coming meetings the page lists.
const MOST_MEETINGS: usize = 10;

/// One group as the page shows it.
pub struct GroupView {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub sector: String,
    pub description: String,
    pub meeting_place: String,
    pub languages: Vec<LanguageName>,
    pub members: String,
    /// She is in it.
    pub mine: bool,
}

/// A coming meeting of one of her groups.
pub struct MeetingView {
    pub group: String,
    pub when: String,
    pub place: String,
    pub topic: String,
}

#[derive(Template)]
#[template(path = "groups.html")]
struct GroupsPage {
    frame: Frame,
    groups: Vec<GroupView>,
    meetings: Vec<MeetingView>,
    in_any: bool,
    notice: String,
    /// Between the languages of a group.
    separator: &'static str,
}

#[derive(Deserialize, Default)]
pub struct Shown {
    #[serde(default)]
    joined: Option<String>,
    #[serde(default)]
    left: Option<String>,
}

/// `GROUP_KIND_COFFEE` → the page's word for it.
pub fn kind_name(text: Text, kind: i32) -> String {
    let kind = v1::GroupKind::try_from(kind).unwrap_or(v1::GroupKind::Unspecified);
    let key = kind
        .as_str_name()
        .trim_start_matches("GROUP_KIND_")
        .to_ascii_lowercase()
        .replace('_', "-");
    text.t(&format!("group-kind-{key}"))
}

fn view(text: Text, group: v1::Group, mine: bool) -> GroupView {
    GroupView {
        kind: kind_name(text, group.kind),
        languages: languages(&group.languages),
        members: group.member_count.to_string(),
        mine,
        id: group.id,
        name: group.name,
        sector: group.sector,
        description: group.description,
        meeting_place: group.meeting_place,
    }
}

/// The coming meetings of her groups, soonest first.
async fn coming_meetings(
    app: &App,
    visit: &Visit,
    region: &str,
    groups: &[&GroupView],
    text: Text,
) -> Result<Vec<MeetingView>, tonic::Status> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let mut client = app.gateway.groups();
    let mut coming: Vec<(i64, MeetingView)> = Vec::new();
    for group in groups {
        let meetings = client
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
        for meeting in meetings {
            let start = meeting.start_time.as_ref().map_or(0, |t| t.seconds);
            if start < now {
                continue;
            }
            coming.push((
                start,
                MeetingView {
                    group: group.name.clone(),
                    when: moment(text, start),
                    place: meeting.place,
                    topic: meeting.topic,
                },
            ));
        }
    }
    coming.sort_by_key(|(start, _)| *start);
    Ok(coming
        .into_iter()
        .take(MOST_MEETINGS)
        .map(|(_, meeting)| meeting)
        .collect())
}

/// `GET /groups`.
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
    let region = Some(account.region.as_str());
    let mut client = app.gateway.groups();
    let listed = client
        .list_groups(call(
            &visit,
            region,
            v1::ListGroupsRequest {
                page_size: 500,
                ..Default::default()
            },
        ))
        .await;
    let groups = match listed {
        Ok(listed) => listed.into_inner().groups,
        Err(status) => return refusal(&visit, text, HERE, &status),
    };
    let hers = client
        .list_member_groups(call(
            &visit,
            region,
            v1::ListMemberGroupsRequest {
                member_id: account.member_id.clone(),
                page_size: 500,
                page_token: String::new(),
            },
        ))
        .await;
    let hers: HashSet<String> = match hers {
        Ok(hers) => hers.into_inner().groups.into_iter().map(|g| g.id).collect(),
        Err(status) => return refusal(&visit, text, HERE, &status),
    };
    let views: Vec<GroupView> = groups
        .into_iter()
        .map(|group| {
            let mine = hers.contains(&group.id);
            view(text, group, mine)
        })
        .collect();
    let in_groups: Vec<&GroupView> = views.iter().filter(|g| g.mine).collect();
    let meetings = match coming_meetings(&app, &visit, &account.region, &in_groups, text).await {
        Ok(meetings) => meetings,
        Err(status) => return refusal(&visit, text, HERE, &status),
    };
    let named = |id: &str| views.iter().find(|g| g.id == id).map(|g| g.name.clone());
    let notice = match (&shown.joined, &shown.left) {
        (Some(id), _) => named(id)
            .map(|name| text.t1("groups-notice-joined", "name", &name))
            .unwrap_or_default(),
        (None, Some(id)) => named(id)
            .map(|name| text.t1("groups-notice-left", "name", &name))
            .unwrap_or_default(),
        (None, None) => String::new(),
    };
    let page = GroupsPage {
        separator: list_separator(text),
        frame: Frame::new(&visit, text, HERE, true),
        in_any: !in_groups.is_empty(),
        groups: views,
        meetings,
        notice,
    };
    render(&visit, StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct GroupForm {
    #[serde(default)]
    form_token: String,
}

/// `POST /groups/{id}/join`.
pub async fn join(
    State(app): State<App>,
    visit: Visit,
    Path(id): Path<String>,
    Form(form): Form<GroupForm>,
) -> Response {
    let groups = app.gateway.groups();
    let asking = visit.clone();
    let done = format!("{HERE}?joined={}", encode_component(&id));
    act(
        &app,
        &visit,
        HERE,
        &form.form_token,
        &done,
        |account| async move {
            groups
                .clone()
                .join_group(call(
                    &asking,
                    Some(&account.region),
                    v1::JoinGroupRequest {
                        group_id: id,
                        member_id: account.member_id.clone(),
                    },
                ))
                .await
                .map(|_| ())
        },
    )
    .await
}

/// `POST /groups/{id}/leave`: her attendance at past meetings stays recorded.
pub async fn leave(
    State(app): State<App>,
    visit: Visit,
    Path(id): Path<String>,
    Form(form): Form<GroupForm>,
) -> Response {
    let groups = app.gateway.groups();
    let asking = visit.clone();
    let done = format!("{HERE}?left={}", encode_component(&id));
    act(
        &app,
        &visit,
        HERE,
        &form.form_token,
        &done,
        |account| async move {
            groups
                .clone()
                .leave_group(call(
                    &asking,
                    Some(&account.region),
                    v1::LeaveGroupRequest {
                        group_id: id,
                        member_id: account.member_id.clone(),
                    },
                ))
                .await
                .map(|_| ())
        },
    )
    .await
}
