//! The helpdesk and its knowledge base: a member asks a question in her own
//! language (a helper who speaks it answers), follows her questions to their
//! answers, and searches the articles her region made from earlier answers — in
//! her language where someone translated them, else in the language they were
//! written in, saying so.

use std::collections::HashSet;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use passage_proto::v1;
use serde::Deserialize;

use super::when::day;
use super::{FieldError, Frame, refusal, refused_field, render, signed_in};
use crate::App;
use crate::gateway::call;
use crate::i18n::{Lang, Text};
use crate::visit::Visit;

const HERE: &str = "/helpdesk";
/// Longest question, in characters (as the region allows).
const MAX_TEXT: usize = 4000;
/// Longest topic, in characters (as the region allows).
const MAX_TOPIC: usize = 100;
/// Longest search, in characters (as the region allows).
const MAX_QUERY: usize = 500;
/// The fields of the question form, as the API names them.
const FIELDS: [&str; 3] = ["text", "topic", "language"];

/// The question form, as typed.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct QuestionForm {
    #[serde(default)]
    form_token: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub topic: String,
    #[serde(default)]
    pub language: String,
}

/// One of her questions, as the page shows it.
pub struct QuestionView {
    pub topic: String,
    pub text: String,
    pub language: String,
    pub asked_on: String,
    pub status: String,
    pub answered: bool,
    pub answer: String,
    pub answered_on: String,
    pub article_id: String,
}

/// An article found, in the language it is shown in.
pub struct ArticleLink {
    pub id: String,
    pub title: String,
    pub lang: String,
    /// Says the article is shown in its original language; empty when it is in hers.
    pub fallback: String,
}

/// A language a question may be asked in.
pub struct LanguageChoice {
    pub code: &'static str,
    pub name: &'static str,
    pub chosen: bool,
}

#[derive(Template)]
#[template(path = "helpdesk.html")]
struct HelpdeskPage {
    frame: Frame,
    form: QuestionForm,
    choices: Vec<LanguageChoice>,
    errors: Vec<FieldError>,
    questions: Vec<QuestionView>,
    query: String,
    results: Vec<ArticleLink>,
    asked: bool,
}

impl HelpdeskPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|error| error.field == field)
            .map(|error| error.message.as_str())
    }
}

#[derive(Deserialize, Default)]
pub struct Shown {
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    asked: Option<String>,
}

/// A language's own name when the app speaks it, else its code.
fn language_name(code: &str) -> String {
    match Lang::from_code(code) {
        Some(lang) if lang.code() == code => lang.native_name().to_owned(),
        _ => code.to_owned(),
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

/// The page's word for a question's status.
fn status_name(text: Text, status: i32) -> String {
    let status = v1::QuestionStatus::try_from(status).unwrap_or(v1::QuestionStatus::Unspecified);
    let key = status
        .as_str_name()
        .trim_start_matches("QUESTION_STATUS_")
        .to_ascii_lowercase();
    text.t(&format!("question-status-{key}"))
}

fn question_view(text: Text, question: v1::Question) -> QuestionView {
    QuestionView {
        status: status_name(text, question.status),
        answered: question.status == v1::QuestionStatus::Answered as i32,
        asked_on: day(text, question.create_time.as_ref()),
        answered_on: day(text, question.answer_time.as_ref()),
        language: language_name(&question.language),
        topic: question.topic,
        text: question.text,
        answer: question.answer,
        article_id: question.article_id,
    }
}

/// The article's text in `lang` if it has one, else in the language it was
/// written in (or its first translation); and whether that is a fallback.
fn translation_in<'a>(
    article: &'a v1::Article,
    lang: &str,
) -> Option<(&'a v1::ArticleTranslation, bool)> {
    let in_lang = |code: &str| article.translations.iter().find(|t| t.language == code);
    if let Some(found) = in_lang(lang) {
        return Some((found, false));
    }
    in_lang(&article.original_language)
        .or_else(|| article.translations.first())
        .map(|found| (found, true))
}

fn article_link(text: Text, article: &v1::Article) -> Option<ArticleLink> {
    let (shown, fallback) = translation_in(article, text.code())?;
    Some(ArticleLink {
        id: article.id.clone(),
        title: shown.title.clone(),
        lang: shown.language.clone(),
        fallback: if fallback {
            text.t1(
                "helpdesk-in-original",
                "language",
                &language_name(&shown.language),
            )
        } else {
            String::new()
        },
    })
}

/// Her questions, newest first.
async fn her_questions(
    app: &App,
    visit: &Visit,
    account: &v1::Account,
    text: Text,
) -> Result<Vec<QuestionView>, tonic::Status> {
    let listed = app
        .gateway
        .helpdesk()
        .list_questions(call(
            visit,
            Some(&account.region),
            v1::ListQuestionsRequest {
                page_size: 100,
                asker_member_id: account.member_id.clone(),
                ..Default::default()
            },
        ))
        .await?
        .into_inner();
    Ok(listed
        .questions
        .into_iter()
        .rev()
        .map(|question| question_view(text, question))
        .collect())
}

/// The articles whose words match `query`: those in her language first, then
/// those found in the app's other languages (shown in hers where translated). A
/// query with no words to search for in any language is refused, naming why.
async fn search(
    app: &App,
    visit: &Visit,
    region: &str,
    text: Text,
    query: &str,
) -> Result<Result<Vec<ArticleLink>, String>, tonic::Status> {
    let mut languages = vec![text.lang];
    languages.extend(Lang::ALL.into_iter().filter(|lang| *lang != text.lang));
    let mut seen = HashSet::new();
    let mut found = Vec::new();
    let mut refused = None;
    for lang in languages {
        let answer = app
            .gateway
            .helpdesk()
            .search_articles(call(
                visit,
                Some(region),
                v1::SearchArticlesRequest {
                    language: lang.code().into(),
                    query: query.to_owned(),
                    page_size: 20,
                    page_token: String::new(),
                },
            ))
            .await;
        match answer {
            Ok(answer) => {
                refused = Some(None);
                for matched in answer.into_inner().matches {
                    if let Some(article) = matched.article
                        && seen.insert(article.id.clone())
                        && let Some(link) = article_link(text, &article)
                    {
                        found.push(link);
                    }
                }
            }
            // Nothing to search for in this language (only its common words).
            Err(status) if status.code() == tonic::Code::InvalidArgument => {
                if refused.is_none() {
                    refused = Some(Some(super::refused::named(text, &status)));
                }
            }
            Err(status) => return Err(status),
        }
    }
    Ok(match refused {
        Some(Some(reason)) => Err(reason),
        _ => Ok(found),
    })
}

/// What the page shows besides her questions: the form as typed, what is wrong
/// with it, the search, and whether a question was just sent.
struct Showing {
    form: QuestionForm,
    errors: Vec<FieldError>,
    query: String,
    asked: bool,
}

impl Showing {
    /// The refused form again, with what is wrong.
    fn again(form: QuestionForm, errors: Vec<FieldError>) -> Self {
        Showing {
            form,
            errors,
            query: String::new(),
            asked: false,
        }
    }
}

/// The page, as `showing` says.
async fn page(
    app: &App,
    visit: &Visit,
    account: &v1::Account,
    text: Text,
    showing: Showing,
) -> Response {
    let Showing {
        form,
        mut errors,
        query,
        asked,
    } = showing;
    let questions = match her_questions(app, visit, account, text).await {
        Ok(questions) => questions,
        Err(status) => return refusal(visit, text, HERE, &status),
    };
    let query = query.trim();
    let mut results = Vec::new();
    if query.chars().count() > MAX_QUERY {
        errors.push(FieldError {
            field: "q".into(),
            message: text.t1("helpdesk-query-too-long", "most", &MAX_QUERY.to_string()),
        });
    } else if !query.is_empty() {
        match search(app, visit, &account.region, text, query).await {
            Ok(Ok(found)) => results = found,
            Ok(Err(reason)) => errors.push(FieldError {
                field: "q".into(),
                message: text.t1("helpdesk-query-refused", "reason", &reason),
            }),
            Err(status) => return refusal(visit, text, HERE, &status),
        }
    }
    let here = if query.is_empty() {
        HERE.to_owned()
    } else {
        format!("{HERE}?q={}", super::encode_component(query))
    };
    let code = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = HelpdeskPage {
        frame: Frame::new(visit, text, &here, true),
        choices: choices(&form.language),
        form,
        errors,
        questions,
        query: query.to_owned(),
        results,
        asked,
    };
    render(visit, code, &page)
}

/// The answer to chapter staff, who ask no questions here: these pages are a
/// member's.
pub fn members_only(visit: &Visit, text: Text, here: &str) -> Response {
    super::problem(
        visit,
        text,
        here,
        StatusCode::NOT_FOUND,
        "problem-members-only",
        "problem-members-only-explained",
    )
}

/// `GET /helpdesk`, and `GET /helpdesk?q=…` to search the knowledge base.
pub async fn show(State(app): State<App>, visit: Visit, Query(shown): Query<Shown>) -> Response {
    let (account, text) = match signed_in(&app, &visit, HERE).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    if account.member_id.is_empty() {
        return members_only(&visit, text, HERE);
    }
    let form = QuestionForm {
        language: text.code().into(),
        ..Default::default()
    };
    let showing = Showing {
        form,
        errors: Vec::new(),
        query: shown.q.unwrap_or_default(),
        asked: shown.asked.is_some(),
    };
    page(&app, &visit, &account, text, showing).await
}

/// What is wrong with the typed question, field by field.
fn check(text: Text, form: &QuestionForm) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut refuse = |field: &str, message: String| {
        errors.push(FieldError {
            field: field.into(),
            message,
        })
    };
    let question = form.text.trim().chars().count();
    if question == 0 {
        refuse("text", text.t("helpdesk-text-missing"));
    } else if question > MAX_TEXT {
        refuse(
            "text",
            text.t_with(
                "helpdesk-text-too-long",
                &[
                    ("most", &MAX_TEXT.to_string()),
                    ("count", &question.to_string()),
                ],
            ),
        );
    }
    let topic = form.topic.trim().chars().count();
    if topic == 0 {
        refuse("topic", text.t("helpdesk-topic-missing"));
    } else if topic > MAX_TOPIC {
        refuse(
            "topic",
            text.t1("helpdesk-topic-too-long", "most", &MAX_TOPIC.to_string()),
        );
    }
    if Lang::ALL.iter().all(|lang| lang.code() != form.language) {
        refuse("language", text.t("helpdesk-language-missing"));
    }
    errors
}

/// `POST /helpdesk`: she asks a question, as herself.
pub async fn ask(State(app): State<App>, visit: Visit, Form(form): Form<QuestionForm>) -> Response {
    let (account, text) = match signed_in(&app, &visit, HERE).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    if account.member_id.is_empty() {
        return members_only(&visit, text, HERE);
    }
    let errors = if visit.form_is_ours(&form.form_token) {
        check(text, &form)
    } else {
        vec![FieldError {
            field: "text".into(),
            message: text.t("form-expired"),
        }]
    };
    if !errors.is_empty() {
        return page(&app, &visit, &account, text, Showing::again(form, errors)).await;
    }
    let asked = app
        .gateway
        .helpdesk()
        .ask_question(call(
            &visit,
            Some(&account.region),
            v1::AskQuestionRequest {
                asker_member_id: account.member_id.clone(),
                language: form.language.clone(),
                topic: form.topic.trim().to_owned(),
                text: form.text.trim().to_owned(),
            },
        ))
        .await;
    match asked {
        Ok(_) => visit.redirect("/helpdesk?asked=1#questions"),
        Err(status) if status.code() == tonic::Code::InvalidArgument => {
            let field = refused_field(&status, &FIELDS).unwrap_or("text");
            let reason = super::refused::reason(text, &status);
            let errors = vec![FieldError {
                field: field.into(),
                message: text.t1("helpdesk-refused", "reason", &reason),
            }];
            page(&app, &visit, &account, text, Showing::again(form, errors)).await
        }
        Err(status) => refusal(&visit, text, HERE, &status),
    }
}

/// One translation the article has, as a link to read it in.
pub struct OtherLanguage {
    pub code: String,
    pub name: String,
}

#[derive(Template)]
#[template(path = "helpdesk_article.html")]
struct ArticlePage {
    frame: Frame,
    title: String,
    lang: String,
    paragraphs: Vec<String>,
    fallback: String,
    reviewed_on: String,
    others: Vec<OtherLanguage>,
}

#[derive(Deserialize, Default)]
pub struct ArticleShown {
    /// A translation to read rather than the one in the page's language.
    #[serde(default, rename = "in")]
    in_language: Option<String>,
}

/// `GET /helpdesk/articles/{id}`: one article, in her language where it has it.
pub async fn article(
    State(app): State<App>,
    visit: Visit,
    Path(id): Path<String>,
    Query(shown): Query<ArticleShown>,
) -> Response {
    let here = format!("{HERE}/articles/{}", super::encode_component(&id));
    let (account, text) = match signed_in(&app, &visit, &here).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let found = app
        .gateway
        .helpdesk()
        .get_article(call(
            &visit,
            Some(&account.region),
            v1::GetArticleRequest { id },
        ))
        .await;
    let article = match found {
        Ok(found) => found.into_inner(),
        Err(status) if status.code() == tonic::Code::InvalidArgument => {
            return super::problem(
                &visit,
                text,
                &here,
                StatusCode::NOT_FOUND,
                "problem-not-found",
                "problem-not-found-explained",
            );
        }
        Err(status) => return refusal(&visit, text, &here, &status),
    };
    let wanted = shown
        .in_language
        .filter(|code| article.translations.iter().any(|t| &t.language == code))
        .unwrap_or_else(|| text.code().to_owned());
    let Some((shown, fallback)) = translation_in(&article, &wanted) else {
        return super::problem(
            &visit,
            text,
            &here,
            StatusCode::NOT_FOUND,
            "problem-not-found",
            "problem-not-found-explained",
        );
    };
    let reviewed_on = parse_day(&article.last_reviewed_on)
        .map(|seconds| day(text, Some(&prost_types::Timestamp { seconds, nanos: 0 })))
        .unwrap_or_default();
    let page = ArticlePage {
        title: shown.title.clone(),
        lang: shown.language.clone(),
        paragraphs: shown
            .body
            .split("\n\n")
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect(),
        fallback: if fallback {
            text.t1(
                "helpdesk-in-original",
                "language",
                &language_name(&shown.language),
            )
        } else {
            String::new()
        },
        reviewed_on,
        others: article
            .translations
            .iter()
            .filter(|t| t.language != shown.language)
            .map(|t| OtherLanguage {
                code: t.language.clone(),
                name: language_name(&t.language),
            })
            .collect(),
        frame: Frame::new(&visit, text, &here, true),
    };
    render(&visit, StatusCode::OK, &page)
}

/// `YYYY-MM-DD` as the Unix time of its start.
fn parse_day(day: &str) -> Option<i64> {
    let day = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?;
    Some(day.and_hms_opt(0, 0, 0)?.and_utc().timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_review_day_is_read_back_as_its_day() {
        assert_eq!(parse_day("1970-01-01"), Some(0));
        assert_eq!(parse_day("2026-12-04"), Some(1_796_342_400));
        assert_eq!(parse_day("2000-02-29"), Some(951_782_400));
        assert_eq!(parse_day("not a day"), None);
    }

    #[test]
    fn an_empty_question_is_refused_by_name_in_her_language() {
        let arabic = Text::new(Lang::Ar);
        let errors = check(
            arabic,
            &QuestionForm {
                language: "ar".into(),
                topic: "السكن".into(),
                ..Default::default()
            },
        );
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "text");
        assert_eq!(errors[0].message, arabic.t("helpdesk-text-missing"));
    }
}
