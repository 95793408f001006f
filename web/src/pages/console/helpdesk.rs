//! The console's helpdesk: the superlocals who answer it (the members registered
//! as answerers, the languages they answer in and how many questions wait for
//! them), registering a member as an answerer in her languages or taking her off
//! (her open questions go to another answerer of their language), and the
//! knowledge base's articles that nobody has checked for six months.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use passage_proto::v1;
use serde::Deserialize;

use super::chapter_admin;
use crate::App;
use crate::gateway::call;
use crate::i18n::Text;
use crate::pages::{FieldError, Frame, refusal, render};
use crate::visit::Visit;

const HERE: &str = "/console/helpdesk";

/// An answerer, or a member who could become one.
pub struct AnswererRow {
    pub member_id: String,
    pub name: String,
    pub languages: String,
    pub waiting: String,
}

/// An article due for a check.
pub struct ArticleRow {
    pub title: String,
    pub lang: String,
    pub checked: String,
}

#[derive(Template)]
#[template(path = "console_helpdesk.html")]
struct HelpdeskPage {
    frame: Frame,
    answerers: Vec<AnswererRow>,
    query: String,
    searched: bool,
    candidates: Vec<AnswererRow>,
    stale: Vec<ArticleRow>,
    errors: Vec<FieldError>,
    notice: String,
}

#[derive(Deserialize, Default)]
pub struct HelpdeskQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    registered: Option<String>,
    #[serde(default)]
    unregistered: Option<String>,
}

fn languages(text: Text, codes: &[String]) -> String {
    codes
        .iter()
        .map(|code| text.language(code))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `GET /console/helpdesk[?q=…]`.
pub async fn show(
    State(app): State<App>,
    visit: Visit,
    Query(query): Query<HelpdeskQuery>,
) -> Response {
    let (account, text) = match chapter_admin(&app, &visit, HERE).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let notice = if query.registered.is_some() {
        text.t("console-answerer-registered")
    } else if query.unregistered.is_some() {
        text.t("console-answerer-unregistered")
    } else {
        String::new()
    };
    page(
        &app,
        &visit,
        &account.region,
        text,
        &query.q,
        Vec::new(),
        notice,
    )
    .await
}

async fn page(
    app: &App,
    visit: &Visit,
    region: &str,
    text: Text,
    words: &str,
    mut errors: Vec<FieldError>,
    notice: String,
) -> Response {
    let region = Some(region);
    let answerers = match app
        .gateway
        .helpdesk()
        .list_answerers(call(
            visit,
            region,
            v1::ListAnswerersRequest {
                page_size: 500,
                ..Default::default()
            },
        ))
        .await
    {
        Ok(listed) => listed.into_inner().answerers,
        Err(status) => return refusal(visit, text, HERE, &status),
    };
    let mut rows = Vec::new();
    for answerer in &answerers {
        let name = match app
            .gateway
            .members()
            .get_member(call(
                visit,
                region,
                v1::GetMemberRequest {
                    id: answerer.member_id.clone(),
                },
            ))
            .await
        {
            Ok(member) => member
                .into_inner()
                .profile
                .map(|profile| profile.display_name)
                .unwrap_or_default(),
            Err(status) => return refusal(visit, text, HERE, &status),
        };
        rows.push(AnswererRow {
            member_id: answerer.member_id.clone(),
            name,
            languages: languages(text, &answerer.languages),
            waiting: text.t1(
                "console-answerer-waiting",
                "count",
                &answerer.open_questions.to_string(),
            ),
        });
    }
    let words = words.trim();
    let mut candidates = Vec::new();
    if !words.is_empty() {
        match app
            .gateway
            .members()
            .search_members(call(
                visit,
                region,
                v1::SearchMembersRequest {
                    query: words.to_owned(),
                    page_size: 20,
                    page_token: String::new(),
                },
            ))
            .await
        {
            Ok(found) => {
                candidates = found
                    .into_inner()
                    .matches
                    .into_iter()
                    .filter(|hit| !answerers.iter().any(|a| a.member_id == hit.id))
                    .map(|hit| AnswererRow {
                        member_id: hit.id,
                        name: hit.display_name,
                        languages: String::new(),
                        waiting: String::new(),
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
            Err(status) => return refusal(visit, text, HERE, &status),
        }
    }
    let stale = match app
        .gateway
        .helpdesk()
        .list_stale_articles(call(
            visit,
            region,
            v1::ListStaleArticlesRequest {
                days: 180,
                page_size: 50,
                page_token: String::new(),
            },
        ))
        .await
    {
        Ok(listed) => listed
            .into_inner()
            .articles
            .into_iter()
            .filter_map(|article| {
                let shown = article
                    .translations
                    .iter()
                    .find(|t| t.language == text.code())
                    .or_else(|| {
                        article
                            .translations
                            .iter()
                            .find(|t| t.language == article.original_language)
                    })
                    .or(article.translations.first())?;
                Some(ArticleRow {
                    title: shown.title.clone(),
                    lang: shown.language.clone(),
                    checked: if article.last_reviewed_on.is_empty() {
                        text.t("console-article-never-checked")
                    } else {
                        text.t1("console-article-checked", "date", &article.last_reviewed_on)
                    },
                })
            })
            .collect(),
        Err(status) => return refusal(visit, text, HERE, &status),
    };
    let code = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = HelpdeskPage {
        frame: Frame::chapter(visit, text, HERE),
        answerers: rows,
        searched: !words.is_empty() && errors.is_empty(),
        query: words.to_owned(),
        candidates,
        stale,
        errors,
        notice,
    };
    render(visit, code, &page)
}

#[derive(Debug, Deserialize, Default)]
pub struct AnswererForm {
    #[serde(default)]
    form_token: String,
    #[serde(default)]
    member_id: String,
    #[serde(default)]
    languages: String,
}

/// `POST /console/helpdesk/answerers`: registers a member as an answerer in the
/// languages typed.
pub async fn register(
    State(app): State<App>,
    visit: Visit,
    Form(form): Form<AnswererForm>,
) -> Response {
    let (account, text) = match chapter_admin(&app, &visit, HERE).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    if !visit.form_is_ours(&form.form_token) {
        return visit.redirect(HERE);
    }
    let codes: Vec<String> = form
        .languages
        .split(',')
        .map(|code| code.trim().to_ascii_lowercase())
        .filter(|code| !code.is_empty())
        .collect();
    let registered = app
        .gateway
        .helpdesk()
        .register_answerer(call(
            &visit,
            Some(&account.region),
            v1::RegisterAnswererRequest {
                member_id: form.member_id.clone(),
                languages: codes,
            },
        ))
        .await;
    match registered {
        Ok(_) => visit.redirect(&format!("{HERE}?registered=1")),
        Err(status) if status.code() == tonic::Code::InvalidArgument => {
            let errors = vec![FieldError {
                field: format!("languages-{}", form.member_id),
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
                "",
                errors,
                String::new(),
            )
            .await
        }
        Err(status) => refusal(&visit, text, HERE, &status),
    }
}

/// `POST /console/helpdesk/answerers/remove`: takes a member off the answerers.
pub async fn unregister(
    State(app): State<App>,
    visit: Visit,
    Form(form): Form<AnswererForm>,
) -> Response {
    let (account, text) = match chapter_admin(&app, &visit, HERE).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    if !visit.form_is_ours(&form.form_token) {
        return visit.redirect(HERE);
    }
    let done = app
        .gateway
        .helpdesk()
        .unregister_answerer(call(
            &visit,
            Some(&account.region),
            v1::UnregisterAnswererRequest {
                member_id: form.member_id.clone(),
            },
        ))
        .await;
    match done {
        Ok(_) => visit.redirect(&format!("{HERE}?unregistered=1")),
        Err(status) => refusal(&visit, text, HERE, &status),
    }
}
