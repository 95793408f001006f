//! The review queue of a newcomer reviewer: the opportunities of my region waiting
//! for my verdict in their current review round, and the review form — approve,
//! ask for changes or reject, with a comment (required unless I approve). What an
//! organisation wrote, nothing about who applied; whether I review at all is my
//! home node's decision.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use passage_proto::v1;
use serde::Deserialize;

use super::matches::kind_name;
use super::refused::reason;
use super::roles::member;
use super::{FieldError, Frame, refusal, render};
use crate::App;
use crate::gateway::call;
use crate::i18n::Text;
use crate::visit::Visit;

const HERE: &str = "/review";
/// Longest comment, in characters (as the region allows).
const MAX_COMMENT: usize = 2000;

/// An opportunity waiting for my verdict, as the page shows it.
pub struct WaitingView {
    pub id: String,
    pub title: String,
    pub description: String,
    pub details: String,
    pub round: String,
    pub counts: String,
}

#[derive(Template)]
#[template(path = "review.html")]
struct QueuePage {
    frame: Frame,
    waiting: Vec<WaitingView>,
    reviewed: bool,
}

#[derive(Template)]
#[template(path = "review_form.html")]
struct ReviewPage {
    frame: Frame,
    opportunity: WaitingView,
    form: ReviewForm,
    errors: Vec<FieldError>,
}

impl ReviewPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|error| error.field == field)
            .map(|error| error.message.as_str())
    }
}

/// The review form, as typed.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct ReviewForm {
    #[serde(default)]
    form_token: String,
    /// `approve`, `request_changes` or `reject`.
    #[serde(default)]
    pub verdict: String,
    #[serde(default)]
    pub comment: String,
}

#[derive(Deserialize, Default)]
pub struct Shown {
    #[serde(default)]
    reviewed: Option<String>,
}

fn view(text: Text, waiting: v1::OpportunityToReview) -> WaitingView {
    let opportunity = waiting.opportunity.unwrap_or_default();
    let mut details = vec![
        kind_name(text, opportunity.kind),
        text.t1(
            "match-hours",
            "hours",
            &opportunity.hours_per_week.to_string(),
        ),
    ];
    if !opportunity.location.is_empty() {
        details.push(opportunity.location.clone());
    }
    WaitingView {
        id: opportunity.id,
        title: opportunity.title,
        description: opportunity.description,
        details: details.join(" · "),
        round: text.t1("review-round", "round", &waiting.round.to_string()),
        counts: text.t_with(
            "review-counts",
            &[
                ("approvals", &waiting.approvals.to_string()),
                ("rejections", &waiting.rejections.to_string()),
            ],
        ),
    }
}

/// My queue, oldest first.
async fn queue(
    app: &App,
    visit: &Visit,
    account: &v1::Account,
    text: Text,
) -> Result<Vec<WaitingView>, tonic::Status> {
    let listed = app
        .gateway
        .review()
        .list_opportunities_to_review(call(
            visit,
            Some(&account.region),
            v1::ListOpportunitiesToReviewRequest {
                reviewer_member_id: account.member_id.clone(),
                page_size: 500,
                page_token: String::new(),
            },
        ))
        .await?
        .into_inner();
    Ok(listed
        .opportunities
        .into_iter()
        .map(|waiting| view(text, waiting))
        .collect())
}

/// `GET /review`: the opportunities waiting for my verdict.
pub async fn show(State(app): State<App>, visit: Visit, Query(shown): Query<Shown>) -> Response {
    let (account, text) = match member(&app, &visit, HERE).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    match queue(&app, &visit, &account, text).await {
        Ok(waiting) => {
            let page = QueuePage {
                frame: Frame::new(&visit, text, HERE, true),
                waiting,
                reviewed: shown.reviewed.is_some(),
            };
            render(&visit, StatusCode::OK, &page)
        }
        Err(status) => refusal(&visit, text, HERE, &status),
    }
}

/// The review page of `id`, with `form` and `errors`; 404 when it is not waiting
/// for me.
async fn form_page(
    app: &App,
    visit: &Visit,
    account: &v1::Account,
    text: Text,
    id: &str,
    form: ReviewForm,
    errors: Vec<FieldError>,
) -> Response {
    let here = format!("{HERE}/{}", super::encode_component(id));
    let waiting = match queue(app, visit, account, text).await {
        Ok(waiting) => waiting,
        Err(status) => return refusal(visit, text, &here, &status),
    };
    let Some(opportunity) = waiting.into_iter().find(|w| w.id == id) else {
        return super::problem(
            visit,
            text,
            &here,
            StatusCode::NOT_FOUND,
            "problem-not-found",
            "review-not-waiting",
        );
    };
    let code = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = ReviewPage {
        frame: Frame::new(visit, text, &here, true),
        opportunity,
        form,
        errors,
    };
    render(visit, code, &page)
}

/// `GET /review/{id}`: the review form of one opportunity.
pub async fn review(State(app): State<App>, visit: Visit, Path(id): Path<String>) -> Response {
    let here = format!("{HERE}/{}", super::encode_component(&id));
    let (account, text) = match member(&app, &visit, &here).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    form_page(
        &app,
        &visit,
        &account,
        text,
        &id,
        ReviewForm::default(),
        Vec::new(),
    )
    .await
}

/// The verdict the form chose.
fn verdict_of(form: &ReviewForm) -> Option<v1::ReviewVerdict> {
    match form.verdict.as_str() {
        "approve" => Some(v1::ReviewVerdict::Approve),
        "request_changes" => Some(v1::ReviewVerdict::RequestChanges),
        "reject" => Some(v1::ReviewVerdict::Reject),
        _ => None,
    }
}

/// What is wrong with the typed review, field by field.
fn check(text: Text, form: &ReviewForm) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let comment = form.comment.trim().chars().count();
    match verdict_of(form) {
        None => errors.push(FieldError {
            field: "verdict".into(),
            message: text.t("review-verdict-missing"),
        }),
        Some(v1::ReviewVerdict::Approve) => {}
        Some(_) if comment == 0 => errors.push(FieldError {
            field: "comment".into(),
            message: text.t("review-comment-missing"),
        }),
        Some(_) => {}
    }
    if comment > MAX_COMMENT {
        errors.push(FieldError {
            field: "comment".into(),
            message: text.t1("review-comment-too-long", "most", &MAX_COMMENT.to_string()),
        });
    }
    errors
}

/// `POST /review/{id}`: my verdict, as myself.
pub async fn submit(
    State(app): State<App>,
    visit: Visit,
    Path(id): Path<String>,
    Form(form): Form<ReviewForm>,
) -> Response {
    let here = format!("{HERE}/{}", super::encode_component(&id));
    let (account, text) = match member(&app, &visit, &here).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let errors = if visit.form_is_ours(&form.form_token) {
        check(text, &form)
    } else {
        vec![FieldError {
            field: "verdict".into(),
            message: text.t("form-expired"),
        }]
    };
    let Some(verdict) = verdict_of(&form).filter(|_| errors.is_empty()) else {
        return form_page(&app, &visit, &account, text, &id, form, errors).await;
    };
    let given = app
        .gateway
        .review()
        .review_opportunity(call(
            &visit,
            Some(&account.region),
            v1::ReviewOpportunityRequest {
                opportunity_id: id.clone(),
                reviewer_member_id: account.member_id.clone(),
                verdict: verdict as i32,
                comment: form.comment.trim().to_owned(),
            },
        ))
        .await;
    match given {
        Ok(_) => visit.redirect("/review?reviewed=1"),
        Err(status) if status.code() == tonic::Code::InvalidArgument => {
            let field = super::refused_field(&status, &["verdict", "comment"]).unwrap_or("comment");
            let errors = vec![FieldError {
                field: field.into(),
                message: text.t1("review-refused", "reason", &reason(text, &status)),
            }];
            form_page(&app, &visit, &account, text, &id, form, errors).await
        }
        Err(status) => refusal(&visit, text, &here, &status),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn a_rejection_without_a_comment_is_refused_naming_the_comment() {
        let arabic = Text::new(Lang::Ar);
        let form = |verdict: &str, comment: &str| ReviewForm {
            verdict: verdict.into(),
            comment: comment.into(),
            ..Default::default()
        };
        let errors = check(arabic, &form("reject", "  "));
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "comment");
        assert_eq!(errors[0].message, arabic.t("review-comment-missing"));
        assert!(check(arabic, &form("approve", "")).is_empty());
        assert_eq!(
            check(arabic, &form("", "")).first().unwrap().field,
            "verdict"
        );
    }
}
