//! The console's start page: what waits for the chapter — questions nobody who
//! answers speaks the language of, opportunities in community review, new
//! applications, next steps past their day, events with a waiting list, buddy
//! pairs the node proposed, and members of other regions whose move here waits to
//! be accepted — each with how many, the first few, and where to go.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use passage_proto::v1;

use super::{chapter_admin, count};
use crate::App;
use crate::gateway::call;
use crate::i18n::Text;
use crate::pages::when::day;
use crate::pages::{Frame, refusal, render};
use crate::visit::Visit;

const HERE: &str = "/console";
/// How many of a queue's items the start page names.
const SHOWN: usize = 5;
/// How many of a queue it counts before saying "or more".
const COUNTED: i32 = 500;

/// One item waiting.
pub struct QueueItem {
    pub label: String,
    pub detail: String,
    /// Where to deal with it; empty when the console has no page for it yet.
    pub href: String,
}

/// One work queue.
pub struct Queue {
    pub id: &'static str,
    pub title: String,
    pub count: String,
    pub waiting: bool,
    pub items: Vec<QueueItem>,
    pub empty: String,
}

#[derive(Template)]
#[template(path = "console.html")]
struct ConsolePage {
    frame: Frame,
    region: String,
    queues: Vec<Queue>,
}

fn queue(text: Text, id: &'static str, mut items: Vec<QueueItem>, more: bool) -> Queue {
    let total = items.len();
    items.truncate(SHOWN);
    Queue {
        id,
        title: text.t(&format!("console-queue-{id}")),
        count: count(text, total, more),
        waiting: total > 0,
        items,
        empty: text.t(&format!("console-queue-{id}-empty")),
    }
}

/// `GET /console`.
pub async fn show(State(app): State<App>, visit: Visit) -> Response {
    let (account, text) = match chapter_admin(&app, &visit, HERE).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    match queues(&app, &visit, &account.region, text).await {
        Ok(queues) => {
            let page = ConsolePage {
                frame: Frame::chapter(&visit, text, HERE),
                region: account.region_name,
                queues,
            };
            render(&visit, StatusCode::OK, &page)
        }
        Err(status) => refusal(&visit, text, HERE, &status),
    }
}

async fn queues(
    app: &App,
    visit: &Visit,
    region: &str,
    text: Text,
) -> Result<Vec<Queue>, tonic::Status> {
    let slug = region;
    let region = Some(region);
    let gateway = &app.gateway;

    let questions = gateway
        .helpdesk()
        .list_questions(call(
            visit,
            region,
            v1::ListQuestionsRequest {
                page_size: COUNTED,
                status: v1::QuestionStatus::Unrouted as i32,
                ..Default::default()
            },
        ))
        .await?
        .into_inner();
    let unrouted = questions
        .questions
        .iter()
        .map(|question| QueueItem {
            label: question.topic.clone(),
            detail: text.t_with(
                "console-question-detail",
                &[
                    ("language", &text.language(&question.language)),
                    ("date", &day(text, question.create_time.as_ref())),
                ],
            ),
            href: "/console/helpdesk".into(),
        })
        .collect();

    let in_review = gateway
        .market()
        .list_opportunities(call(
            visit,
            region,
            v1::ListOpportunitiesRequest {
                page_size: COUNTED,
                status: v1::OpportunityStatus::InReview as i32,
                ..Default::default()
            },
        ))
        .await?
        .into_inner();
    let reviews = in_review
        .opportunities
        .iter()
        .map(|opportunity| QueueItem {
            label: opportunity.title.clone(),
            detail: String::new(),
            href: "/console/opportunities?status=in_review".into(),
        })
        .collect();

    let applied = gateway
        .placements()
        .list_applications(call(
            visit,
            region,
            v1::ListApplicationsRequest {
                page_size: COUNTED,
                stage: v1::ApplicationStage::Applied as i32,
                ..Default::default()
            },
        ))
        .await?
        .into_inner();
    let applications = applied
        .applications
        .iter()
        .map(|application| QueueItem {
            label: text.t1(
                "console-application-label",
                "date",
                &day(text, application.create_time.as_ref()),
            ),
            detail: String::new(),
            href: format!("/console/members/{}", application.member_id),
        })
        .collect();

    let (steps, steps_more) = next_steps_due(app, visit, region, text).await?;

    let events = gateway
        .events()
        .list_events(call(
            visit,
            region,
            v1::ListEventsRequest {
                page_size: COUNTED,
                upcoming: true,
                ..Default::default()
            },
        ))
        .await?
        .into_inner();
    let waiting_lists = events
        .events
        .iter()
        .filter(|event| event.waitlisted_count > 0)
        .map(|event| QueueItem {
            label: event.title.clone(),
            detail: text.t1(
                "console-waiting-detail",
                "count",
                &event.waitlisted_count.to_string(),
            ),
            href: "/console/events".into(),
        })
        .collect();

    let proposed = gateway
        .buddies()
        .list_buddy_pairs(call(
            visit,
            region,
            v1::ListBuddyPairsRequest {
                page_size: COUNTED,
                status: v1::BuddyPairStatus::Proposed as i32,
                ..Default::default()
            },
        ))
        .await?
        .into_inner();
    let proposals = proposed
        .pairs
        .iter()
        .map(|pair| QueueItem {
            label: text.t_with(
                "console-pair-label",
                &[
                    ("newcomer", &pair.newcomer_display_name),
                    ("local", &pair.local_display_name),
                ],
            ),
            detail: pair.reasons.join(" · "),
            href: format!("/console/members/{}", pair.newcomer_member_id),
        })
        .collect();

    let (arriving, arriving_more) = super::moves::waiting(app, visit, slug, text, COUNTED).await?;
    let arrivals = arriving
        .into_iter()
        .map(|waiting| QueueItem {
            href: format!("/console/moves/{}", waiting.member_id),
            label: waiting.name,
            detail: waiting.detail,
        })
        .collect();

    Ok(vec![
        queue(
            text,
            "questions",
            unrouted,
            !questions.next_page_token.is_empty(),
        ),
        queue(
            text,
            "reviews",
            reviews,
            !in_review.next_page_token.is_empty(),
        ),
        queue(
            text,
            "applications",
            applications,
            !applied.next_page_token.is_empty(),
        ),
        queue(text, "next-steps", steps, steps_more),
        queue(
            text,
            "waiting-lists",
            waiting_lists,
            !events.next_page_token.is_empty(),
        ),
        queue(
            text,
            "buddy-proposals",
            proposals,
            !proposed.next_page_token.is_empty(),
        ),
        queue(text, "moves", arrivals, arriving_more),
    ])
}

/// The open cases' next steps not done whose day has come (today included),
/// oldest first. Reads at most the first 100 open cases (the queue says "or
/// more" when there are further ones).
async fn next_steps_due(
    app: &App,
    visit: &Visit,
    region: Option<&str>,
    text: Text,
) -> Result<(Vec<QueueItem>, bool), tonic::Status> {
    let today = chrono::Utc::now()
        .date_naive()
        .format("%Y-%m-%d")
        .to_string();
    let cases = app
        .gateway
        .cases()
        .list_cases(call(
            visit,
            region,
            v1::ListCasesRequest {
                status: v1::CaseStatus::Open as i32,
                page_size: 100,
                page_token: String::new(),
            },
        ))
        .await?
        .into_inner();
    let mut due = Vec::new();
    for case in &cases.cases {
        let steps = app
            .gateway
            .cases()
            .list_next_steps(call(
                visit,
                region,
                v1::ListNextStepsRequest {
                    case_id: case.id.clone(),
                    page_size: 100,
                    page_token: String::new(),
                },
            ))
            .await?
            .into_inner();
        for step in steps.steps {
            if !step.done && !step.due_on.is_empty() && step.due_on <= today {
                due.push((
                    step.due_on.clone(),
                    case.title.clone(),
                    step.text,
                    case.id.clone(),
                ));
            }
        }
    }
    due.sort();
    let items = due
        .into_iter()
        .map(|(due_on, case, step, case_id)| QueueItem {
            label: step,
            detail: text.t_with("console-step-detail", &[("case", &case), ("date", &due_on)]),
            href: format!("/console/cases/{case_id}"),
        })
        .collect();
    Ok((items, !cases.next_page_token.is_empty()))
}
