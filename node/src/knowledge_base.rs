//! The knowledge-base half of `HelpdeskService`: articles made from answered
//! questions, their translations, reviews, full-text search per language and the
//! list of stale articles. Every write keeps the article's index entries
//! (`store::article_index`) in the same transaction.

use std::collections::BTreeSet;

use chrono::{Days, Utc};
use passage_proto::v1;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, IntoActiveModel};
use uuid::Uuid;

use crate::community::{self, Acting, CommunityRole};
use crate::context::NodeContext;
use crate::convert::helpdesk::article_to_wire;
use crate::error::{Error, Refusal, Result};
use crate::store::entity::{article, article_translation, helpdesk_question};
use crate::store::helpdesk::{self as store, ArticleFilter};
use crate::store::{Page, PageRequest, article_index, rows};
use crate::validate;

/// Longest article title, in characters.
const MAX_TITLE: usize = 200;
/// Longest article body, in characters.
const MAX_BODY: usize = 20_000;
/// Longest search query, in characters.
const MAX_QUERY: usize = 500;
/// Most distinct words a query may have.
const MAX_QUERY_TERMS: usize = 20;
/// Days without review after which an article is stale, unless asked otherwise.
const DEFAULT_STALE_DAYS: i32 = 180;

/// A checked translation: language, title, body.
struct Text {
    language: String,
    title: String,
    body: String,
}

fn text(language: &str, title: &str, body: &str) -> Result<Text> {
    Ok(Text {
        language: validate::language("language", language)?,
        title: validate::required_text("title", title, MAX_TITLE)?,
        body: validate::required_text("body", body, MAX_BODY)?,
    })
}

/// The article with its translations, as the API answers it.
async fn article_out(db: &impl ConnectionTrait, row: &article::Model) -> Result<v1::Article> {
    let translations = store::translations(db, &[row.id]).await?;
    Ok(article_to_wire(row, &translations))
}

/// Writes (adds or replaces) a translation and its index entries.
async fn put_translation(db: &impl ConnectionTrait, article_id: Uuid, text: &Text) -> Result<()> {
    let now = Utc::now();
    match store::translation(db, article_id, &text.language).await? {
        Some(existing) => {
            let mut active = existing.into_active_model();
            active.title = Set(text.title.clone());
            active.body = Set(text.body.clone());
            active.updated_at = Set(now);
            active.update(db).await?;
        }
        None => {
            rows::insert::<article_translation::Entity>(
                db,
                article_translation::Model {
                    article_id,
                    language: text.language.clone(),
                    title: text.title.clone(),
                    body: text.body.clone(),
                    updated_at: now,
                },
            )
            .await?;
        }
    }
    article_index::reindex(db, article_id, &text.language, &text.title, &text.body).await
}

/// Refuses a member who is not a superlocal, or who did not answer `question`:
/// a superlocal makes articles of their own answers only.
async fn check_answerer(
    db: &impl ConnectionTrait,
    acting: Acting,
    question: &helpdesk_question::Model,
) -> Result<()> {
    community::require(db, acting, CommunityRole::Superlocal).await?;
    match acting {
        Acting::Member(member) if question.answerer_member_id != Some(member) => {
            Err(Error::PermissionDenied(format!(
                "question {} was not routed to member {member}; a superlocal writes articles of their own answers",
                question.id
            )))
        }
        _ => Ok(()),
    }
}

/// Makes an article of an answered question; a superlocal of their own answer.
pub async fn create_article(
    context: &NodeContext,
    acting: Acting,
    request: v1::CreateArticleRequest,
) -> Result<v1::Article> {
    let question_id = validate::id("question_id", &request.question_id)?;
    let text = text(&request.language, &request.title, &request.body)?;
    let (_turn, txn) = context.begin_write().await?;
    let question = rows::find::<helpdesk_question::Entity>(&txn, question_id, "question").await?;
    check_answerer(&txn, acting, &question).await?;
    if question.status != "answered" {
        return Err(Error::FailedPrecondition(format!(
            "question {question_id} is {}; only an answered question becomes an article",
            question.status
        )));
    }
    if let Some(existing) = question.article_id {
        return Err(Error::AlreadyExists(format!(
            "question {question_id} already became article {existing}"
        )));
    }
    let now = Utc::now();
    let saved = rows::insert::<article::Entity>(
        &txn,
        article::Model {
            id: Uuid::now_v7(),
            question_id,
            original_language: text.language.clone(),
            last_reviewed_on: now.date_naive(),
            created_at: now,
            updated_at: now,
        },
    )
    .await?;
    put_translation(&txn, saved.id, &text).await?;
    let mut question = question.into_active_model();
    question.article_id = Set(Some(saved.id));
    question.update(&txn).await?;
    let wire = article_out(&txn, &saved).await?;
    txn.commit().await?;
    tracing::info!(article_id = %saved.id, %question_id, language = %text.language, "article created");
    Ok(wire)
}

/// Adds or replaces a translation; a superlocal's of an article of their answer.
pub async fn set_translation(
    context: &NodeContext,
    acting: Acting,
    request: v1::SetTranslationRequest,
) -> Result<v1::Article> {
    let id = validate::id("article_id", &request.article_id)?;
    let text = text(&request.language, &request.title, &request.body)?;
    let (_turn, txn) = context.begin_write().await?;
    let row = rows::find::<article::Entity>(&txn, id, "article").await?;
    if acting != Acting::ChapterAdmin {
        let question =
            rows::find::<helpdesk_question::Entity>(&txn, row.question_id, "question").await?;
        check_answerer(&txn, acting, &question).await?;
    }
    put_translation(&txn, id, &text).await?;
    let mut active = row.into_active_model();
    active.updated_at = Set(Utc::now());
    let saved = active.update(&txn).await?;
    let wire = article_out(&txn, &saved).await?;
    txn.commit().await?;
    tracing::info!(article_id = %id, language = %text.language, "article translation set");
    Ok(wire)
}

pub async fn mark_reviewed(
    context: &NodeContext,
    request: v1::MarkReviewedRequest,
) -> Result<v1::Article> {
    let id = validate::id("id", &request.id)?;
    let today = Utc::now().date_naive();
    let reviewed_on =
        validate::optional_date("reviewed_on", &request.reviewed_on)?.unwrap_or(today);
    if reviewed_on > today {
        return Err(Error::refused(
            "reviewed_on",
            format!("must not be after today ({today}), got {reviewed_on}"),
            Refusal::of(v1::RefusalKind::InTheFuture, &reviewed_on.to_string(), []),
        ));
    }
    let (_turn, txn) = context.begin_write().await?;
    let row = rows::find::<article::Entity>(&txn, id, "article").await?;
    let mut active = row.into_active_model();
    active.last_reviewed_on = Set(reviewed_on);
    active.updated_at = Set(Utc::now());
    let saved = active.update(&txn).await?;
    let wire = article_out(&txn, &saved).await?;
    txn.commit().await?;
    tracing::info!(article_id = %id, %reviewed_on, "article reviewed");
    Ok(wire)
}

pub async fn get_article(context: &NodeContext, id: &str) -> Result<v1::Article> {
    let id = validate::id("id", id)?;
    let row = rows::find::<article::Entity>(&context.db, id, "article").await?;
    article_out(&context.db, &row).await
}

/// A page of articles with their translations.
async fn page_out(
    db: &impl ConnectionTrait,
    page: Page<article::Model>,
) -> Result<v1::ListArticlesResponse> {
    let ids: Vec<Uuid> = page.items.iter().map(|a| a.id).collect();
    let translations = store::translations(db, &ids).await?;
    Ok(v1::ListArticlesResponse {
        next_page_token: page.next_page_token(),
        articles: page
            .items
            .iter()
            .map(|a| article_to_wire(a, &translations))
            .collect(),
    })
}

pub async fn list_articles(
    context: &NodeContext,
    request: v1::ListArticlesRequest,
) -> Result<v1::ListArticlesResponse> {
    let page = PageRequest::parse(request.page_size, &request.page_token)?;
    let language = if request.language.trim().is_empty() {
        None
    } else {
        Some(validate::language("language", &request.language)?)
    };
    let filter = ArticleFilter {
        language,
        reviewed_on_or_before: None,
    };
    let page = store::list_articles(&context.db, page, &filter).await?;
    page_out(&context.db, page).await
}

pub async fn list_stale_articles(
    context: &NodeContext,
    request: v1::ListStaleArticlesRequest,
) -> Result<v1::ListArticlesResponse> {
    let days = match request.days {
        0 => DEFAULT_STALE_DAYS,
        days => validate::in_range("days", days, 1..=3650)?,
    };
    let page = PageRequest::parse(request.page_size, &request.page_token)?;
    let today = Utc::now().date_naive();
    let cutoff = today
        .checked_sub_days(Days::new(u64::from(days.unsigned_abs())))
        .unwrap_or(today);
    let filter = ArticleFilter {
        language: None,
        reviewed_on_or_before: Some(cutoff),
    };
    let page = store::list_articles(&context.db, page, &filter).await?;
    page_out(&context.db, page).await
}

pub async fn search_articles(
    context: &NodeContext,
    request: v1::SearchArticlesRequest,
) -> Result<v1::SearchArticlesResponse> {
    let language = validate::language("language", &request.language)?;
    let query = validate::required_text("query", &request.query, MAX_QUERY)?;
    let page = PageRequest::parse(request.page_size, &request.page_token)?;
    let terms: BTreeSet<String> = article_index::terms(&language, &query)
        .into_iter()
        .collect();
    if terms.is_empty() {
        return Err(Error::refused(
            "query",
            format!("has no words to search for once common words of {language:?} are left out"),
            Refusal::of(v1::RefusalKind::NothingToSearch, &query, []),
        ));
    }
    if terms.len() > MAX_QUERY_TERMS {
        return Err(Error::refused(
            "query",
            format!(
                "at most {MAX_QUERY_TERMS} different words, got {}",
                terms.len()
            ),
            Refusal::of(
                v1::RefusalKind::TooManyWords,
                &terms.len().to_string(),
                [MAX_QUERY_TERMS.to_string()],
            ),
        ));
    }
    // The token names the last article of the previous page: continue after it in
    // the ranking as it is now.
    let window = article_index::search(&context.db, &language, &terms, page.after, page.size + 1)
        .await?
        .ok_or_else(|| {
            Error::invalid(
                "page_token",
                "the results changed since the previous page; search again",
            )
        })?;
    let page = Page::from_rows(window, page.size, |(id, _)| *id);
    let ids: Vec<Uuid> = page.items.iter().map(|(id, _)| *id).collect();
    let articles = store::articles(&context.db, &ids).await?;
    let translations = store::translations(&context.db, &ids).await?;
    Ok(v1::SearchArticlesResponse {
        next_page_token: page.next_page_token(),
        matches: page
            .items
            .iter()
            .filter_map(|(id, score)| {
                articles
                    .iter()
                    .find(|a| a.id == *id)
                    .map(|a| v1::ArticleMatch {
                        article: Some(article_to_wire(a, &translations)),
                        score: *score,
                    })
            })
            .collect(),
    })
}
