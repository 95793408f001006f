//! The superlocal's questions: the helpdesk questions my region routed to me (I
//! answer in the languages I registered), the answer form, and making an answered
//! question a knowledge-base article, with its translations (`answering_article.rs`).
//! I see the question's words, never who asked; whether I answer at all is my home
//! node's decision.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use passage_proto::v1;
use serde::Deserialize;

use super::refused::reason;
use super::roles::member;
use super::when::{day, language_name};
use super::{FieldError, Frame, refusal, refused_field, render};
use crate::App;
use crate::gateway::call;
use crate::i18n::{Lang, Text};
use crate::visit::Visit;

pub(super) const HERE: &str = "/answering";
/// Longest answer, in characters (as the region allows).
const MAX_ANSWER: usize = 4000;

/// A question routed to me, as the page shows it.
pub struct RoutedView {
    pub id: String,
    pub topic: String,
    pub text: String,
    pub lang: String,
    pub language: String,
    pub asked_on: String,
    pub open: bool,
    pub answered: bool,
    pub answer: String,
    pub has_article: bool,
}

/// A translation the article has.
pub struct TranslationView {
    pub lang: String,
    pub language: String,
    pub title: String,
}

/// A language an article may be written or translated in.
pub struct LanguageChoice {
    pub code: &'static str,
    pub name: &'static str,
    pub chosen: bool,
}

#[derive(Template)]
#[template(path = "answering.html")]
struct QuestionsPage {
    frame: Frame,
    open: Vec<RoutedView>,
    answered: Vec<RoutedView>,
}

#[derive(Template)]
#[template(path = "answering_question.html")]
struct QuestionPage {
    frame: Frame,
    question: RoutedView,
    answer: AnswerForm,
    article: ArticleForm,
    choices: Vec<LanguageChoice>,
    translations: Vec<TranslationView>,
    errors: Vec<FieldError>,
    /// What was just done, said once; empty for nothing.
    done: String,
}

impl QuestionPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|error| error.field == field)
            .map(|error| error.message.as_str())
    }
}

/// The answer form, as typed.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct AnswerForm {
    #[serde(default)]
    form_token: String,
    #[serde(default)]
    pub answer: String,
}

/// The article form and the translation form, as typed.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct ArticleForm {
    #[serde(default)]
    pub(super) form_token: String,
    #[serde(default)]
    pub language: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub body: String,
}

#[derive(Deserialize, Default)]
pub struct Shown {
    #[serde(default)]
    done: Option<String>,
}

fn view(text: Text, question: v1::Question) -> RoutedView {
    RoutedView {
        open: question.status == v1::QuestionStatus::Routed as i32,
        answered: question.status == v1::QuestionStatus::Answered as i32,
        asked_on: day(text, question.create_time.as_ref()),
        language: language_name(&question.language),
        lang: question.language,
        has_article: !question.article_id.is_empty(),
        id: question.id,
        topic: question.topic,
        text: question.text,
        answer: question.answer,
    }
}

fn choices(chosen: &str) -> Vec<LanguageChoice> {
    Lang::ALL
        .into_iter()
        .map(|lang| LanguageChoice {
            code: lang.code(),
            name: lang.native_name(),
            chosen: lang.code() == chosen,
        })
        .collect()
}

/// `GET /answering`: the questions routed to me, open ones first.
pub async fn show(State(app): State<App>, visit: Visit) -> Response {
    let (account, text) = match member(&app, &visit, HERE).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let listed = app
        .gateway
        .helpdesk()
        .list_questions(call(
            &visit,
            Some(&account.region),
            v1::ListQuestionsRequest {
                answerer_member_id: account.member_id.clone(),
                page_size: 200,
                ..Default::default()
            },
        ))
        .await;
    let questions = match listed {
        Ok(listed) => listed.into_inner().questions,
        Err(status) => return refusal(&visit, text, HERE, &status),
    };
    let (open, answered): (Vec<_>, Vec<_>) = questions
        .into_iter()
        .map(|question| view(text, question))
        .partition(|question| question.open);
    let page = QuestionsPage {
        frame: Frame::new(&visit, text, HERE, true),
        open,
        answered: answered.into_iter().filter(|q| q.answered).collect(),
    };
    render(&visit, StatusCode::OK, &page)
}

/// What the question page shows besides the question: the forms as typed and
/// what is wrong with them.
#[derive(Default)]
pub(super) struct Showing {
    pub answer: AnswerForm,
    pub article: ArticleForm,
    pub errors: Vec<FieldError>,
    pub done: String,
}

/// The page of question `id`, as `showing` says.
pub(super) async fn question_page(
    app: &App,
    visit: &Visit,
    account: &v1::Account,
    text: Text,
    id: &str,
    showing: Showing,
) -> Response {
    let here = format!("{HERE}/{}", super::encode_component(id));
    let found = app
        .gateway
        .helpdesk()
        .get_question(call(
            visit,
            Some(&account.region),
            v1::GetQuestionRequest { id: id.to_owned() },
        ))
        .await;
    let question = match found {
        Ok(found) => found.into_inner(),
        Err(status) => return refusal(visit, text, &here, &status),
    };
    let mut translations = Vec::new();
    if !question.article_id.is_empty() {
        let article = app
            .gateway
            .helpdesk()
            .get_article(call(
                visit,
                Some(&account.region),
                v1::GetArticleRequest {
                    id: question.article_id.clone(),
                },
            ))
            .await;
        match article {
            Ok(article) => {
                translations = article
                    .into_inner()
                    .translations
                    .into_iter()
                    .map(|t| TranslationView {
                        language: language_name(&t.language),
                        lang: t.language,
                        title: t.title,
                    })
                    .collect();
            }
            Err(status) => return refusal(visit, text, &here, &status),
        }
    }
    let Showing {
        answer,
        mut article,
        errors,
        done,
    } = showing;
    if article.language.is_empty() {
        // An article is first written in the question's language; a translation
        // in another.
        article.language = if question.article_id.is_empty() {
            question.language.clone()
        } else {
            Lang::ALL
                .into_iter()
                .map(Lang::code)
                .find(|code| !translations.iter().any(|t| t.lang == *code))
                .unwrap_or("en")
                .to_owned()
        };
    }
    if article.body.is_empty() && question.article_id.is_empty() {
        article.body = question.answer.clone();
    }
    let code = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = QuestionPage {
        frame: Frame::new(visit, text, &here, true),
        choices: choices(&article.language),
        question: view(text, question),
        answer,
        article,
        translations,
        errors,
        done,
    };
    render(visit, code, &page)
}

/// `GET /answering/{id}`: one question routed to me, with what I may do with it.
pub async fn question(
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
        Some("answer") => text.t("answering-answered"),
        Some("article") => text.t("answering-article-made"),
        Some("translation") => text.t("answering-translation-saved"),
        _ => String::new(),
    };
    let showing = Showing {
        done,
        ..Default::default()
    };
    question_page(&app, &visit, &account, text, &id, showing).await
}

/// Refuses `field` when `value` is empty or longer than `most` characters.
pub(super) fn missing_or_long(
    text: Text,
    errors: &mut Vec<FieldError>,
    field: &str,
    value: &str,
    most: usize,
) {
    let count = value.trim().chars().count();
    let message = if count == 0 {
        text.t(&format!("answering-{field}-missing"))
    } else if count > most {
        text.t1("answering-too-long", "most", &most.to_string())
    } else {
        return;
    };
    errors.push(FieldError {
        field: field.into(),
        message,
    });
}

/// The errors of a form whose token is not ours: it expired.
pub(super) fn expired(text: Text, field: &str) -> Vec<FieldError> {
    vec![FieldError {
        field: field.into(),
        message: text.t("form-expired"),
    }]
}

/// A refusal of the region that names one of `fields`, on the form again.
pub(super) fn refused_on_form(
    text: Text,
    status: &tonic::Status,
    fields: &[&str],
    or: &str,
) -> Vec<FieldError> {
    vec![FieldError {
        field: refused_field(status, fields).unwrap_or(or).into(),
        message: text.t1("answering-refused", "reason", &reason(text, status)),
    }]
}

/// `POST /answering/{id}/answer`: I answer the question, as myself.
pub async fn answer(
    State(app): State<App>,
    visit: Visit,
    Path(id): Path<String>,
    Form(form): Form<AnswerForm>,
) -> Response {
    let here = format!("{HERE}/{}", super::encode_component(&id));
    let (account, text) = match member(&app, &visit, &here).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let mut errors = Vec::new();
    if visit.form_is_ours(&form.form_token) {
        missing_or_long(text, &mut errors, "answer", &form.answer, MAX_ANSWER);
    } else {
        errors = expired(text, "answer");
    }
    if errors.is_empty() {
        let answered = app
            .gateway
            .helpdesk()
            .answer_question(call(
                &visit,
                Some(&account.region),
                v1::AnswerQuestionRequest {
                    id: id.clone(),
                    answerer_member_id: account.member_id.clone(),
                    answer: form.answer.trim().to_owned(),
                },
            ))
            .await;
        match answered {
            Ok(_) => return visit.redirect(&format!("{here}?done=answer#article-title")),
            Err(status) if status.code() == tonic::Code::InvalidArgument => {
                errors = refused_on_form(text, &status, &["answer"], "answer");
            }
            Err(status) => return refusal(&visit, text, &here, &status),
        }
    }
    let showing = Showing {
        answer: form,
        errors,
        ..Default::default()
    };
    question_page(&app, &visit, &account, text, &id, showing).await
}
