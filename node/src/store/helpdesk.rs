//! Helpdesk answerers and questions, and knowledge-base articles with their
//! translations.

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect,
    sea_query::{Expr, Query},
};
use uuid::Uuid;

use super::entity::{article, article_translation, helpdesk_answerer, helpdesk_question};
use super::strings_from_json;
use super::{Page, PageRequest, rows};
use crate::error::Result;

/// Every answerer, earliest registered first.
pub async fn answerers(db: &impl ConnectionTrait) -> Result<Vec<helpdesk_answerer::Model>> {
    Ok(helpdesk_answerer::Entity::find()
        .order_by_asc(helpdesk_answerer::Column::RegisteredAt)
        .order_by_asc(helpdesk_answerer::Column::MemberId)
        .all(db)
        .await?)
}

/// One page of answerers by member id, optionally only those who speak `language`:
/// read by the database's match on the language's code (quoted, as the JSON list
/// holds it) with the page's limit, then checked exactly.
pub async fn list_answerers(
    db: &impl ConnectionTrait,
    request: PageRequest,
    language: Option<&str>,
) -> Result<Page<helpdesk_answerer::Model>> {
    let mut select = helpdesk_answerer::Entity::find();
    if let Some(after) = request.after {
        select = select.filter(helpdesk_answerer::Column::MemberId.gt(after));
    }
    if let Some(language) = language {
        select = select.filter(super::json_text_may_hold(
            helpdesk_answerer::Column::Languages,
            language,
        ));
    }
    let rows: Vec<helpdesk_answerer::Model> = select
        .order_by_asc(helpdesk_answerer::Column::MemberId)
        .limit(request.size + 1)
        .all(db)
        .await?
        .into_iter()
        .filter(|a| language.is_none_or(|l| speaks(a, l)))
        .collect();
    Ok(Page::from_rows(rows, request.size, |a| a.member_id))
}

/// Whether the answerer answers in `language`.
pub fn speaks(answerer: &helpdesk_answerer::Model, language: &str) -> bool {
    strings_from_json(&answerer.languages)
        .iter()
        .any(|l| l == language)
}

/// Writes `answered` (a question with its answer) over the question, if it is
/// still routed to its answerer: whether it was.
pub async fn answer(
    db: &impl ConnectionTrait,
    answered: &helpdesk_question::Model,
) -> Result<bool> {
    let updated = helpdesk_question::Entity::update_many()
        .col_expr(
            helpdesk_question::Column::Status,
            Expr::value(answered.status.clone()),
        )
        .col_expr(
            helpdesk_question::Column::Answer,
            Expr::value(answered.answer.clone()),
        )
        .col_expr(
            helpdesk_question::Column::AnsweredAt,
            Expr::value(answered.answered_at),
        )
        .filter(helpdesk_question::Column::Id.eq(answered.id))
        .filter(helpdesk_question::Column::Status.eq("routed"))
        .filter(helpdesk_question::Column::AnswererMemberId.eq(answered.answerer_member_id))
        .exec(db)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// How many routed, unanswered questions each answerer has.
pub async fn open_counts(db: &impl ConnectionTrait) -> Result<HashMap<Uuid, u64>> {
    // Counted by the database: one row per answerer, however many wait.
    let assigned: Vec<(Option<Uuid>, i64)> = helpdesk_question::Entity::find()
        .select_only()
        .column(helpdesk_question::Column::AnswererMemberId)
        .column_as(helpdesk_question::Column::Id.count(), "open")
        .filter(helpdesk_question::Column::Status.eq("routed"))
        .group_by(helpdesk_question::Column::AnswererMemberId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(assigned
        .into_iter()
        .filter_map(|(id, open)| Some((id?, u64::try_from(open).unwrap_or(0))))
        .collect())
}

/// Questions with `status`, optionally only those assigned to `answerer` or in
/// one of `languages`, oldest first.
///
/// At most [`QUESTIONS_PAGE`], after question `after`: a caller routing a
/// backlog reads it a page at a time.
pub async fn questions_with_status(
    db: &impl ConnectionTrait,
    status: &str,
    answerer: Option<Uuid>,
    languages: Option<&[String]>,
    after: Option<Uuid>,
) -> Result<Vec<helpdesk_question::Model>> {
    let mut select =
        helpdesk_question::Entity::find().filter(helpdesk_question::Column::Status.eq(status));
    if let Some(after) = after {
        select = select.filter(helpdesk_question::Column::Id.gt(after));
    }
    if let Some(id) = answerer {
        select = select.filter(helpdesk_question::Column::AnswererMemberId.eq(id));
    }
    if let Some(languages) = languages {
        select =
            select.filter(helpdesk_question::Column::Language.is_in(languages.iter().cloned()));
    }
    Ok(select
        .order_by_asc(helpdesk_question::Column::Id)
        .limit(QUESTIONS_PAGE)
        .all(db)
        .await?)
}

/// Questions read at once by [`questions_with_status`].
pub const QUESTIONS_PAGE: u64 = 500;

/// Routes every question with `status` (routed to `answerer`, in one of
/// `languages`, where given) again, a page at a time, handing each as routed
/// to `each`: how many.
pub async fn route_again(
    db: &impl ConnectionTrait,
    status: &str,
    answerer: Option<Uuid>,
    languages: Option<&[String]>,
    mut each: impl FnMut(helpdesk_question::Model),
) -> Result<usize> {
    let mut routed = 0;
    let mut after = None;
    loop {
        let page = questions_with_status(db, status, answerer, languages, after).await?;
        let full = page.len() as u64 == QUESTIONS_PAGE;
        after = page.last().map(|question| question.id);
        for question in page {
            each(route(db, question).await?);
            routed += 1;
        }
        if !full {
            return Ok(routed);
        }
    }
}

/// Which questions a list asks for; `None` means any.
#[derive(Debug, Default, Clone)]
pub struct QuestionFilter {
    pub status: Option<String>,
    pub language: Option<String>,
    pub answerer_member_id: Option<Uuid>,
    pub asker_member_id: Option<Uuid>,
}

/// One page of questions matching `filter`, oldest first.
pub async fn list_questions(
    db: &impl ConnectionTrait,
    request: PageRequest,
    filter: &QuestionFilter,
) -> Result<Page<helpdesk_question::Model>> {
    let mut select = helpdesk_question::Entity::find();
    if let Some(status) = &filter.status {
        select = select.filter(helpdesk_question::Column::Status.eq(status.as_str()));
    }
    if let Some(language) = &filter.language {
        select = select.filter(helpdesk_question::Column::Language.eq(language.as_str()));
    }
    if let Some(id) = filter.answerer_member_id {
        select = select.filter(helpdesk_question::Column::AnswererMemberId.eq(id));
    }
    if let Some(id) = filter.asker_member_id {
        select = select.filter(helpdesk_question::Column::AskerMemberId.eq(id));
    }
    rows::page(db, select, helpdesk_question::Column::Id, request, |q| q.id).await
}

/// The translations of these articles, by language within each.
pub async fn translations(
    db: &impl ConnectionTrait,
    article_ids: &[Uuid],
) -> Result<Vec<article_translation::Model>> {
    if article_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(article_translation::Entity::find()
        .filter(article_translation::Column::ArticleId.is_in(article_ids.iter().copied()))
        .order_by_asc(article_translation::Column::ArticleId)
        .order_by_asc(article_translation::Column::Language)
        .all(db)
        .await?)
}

/// The article's translation in `language`, if it has one.
pub async fn translation(
    db: &impl ConnectionTrait,
    article_id: Uuid,
    language: &str,
) -> Result<Option<article_translation::Model>> {
    Ok(
        article_translation::Entity::find_by_id((article_id, language.to_owned()))
            .one(db)
            .await?,
    )
}

/// The articles with these ids, in no particular order.
pub async fn articles(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<article::Model>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(article::Entity::find()
        .filter(article::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

/// Which articles a list asks for.
#[derive(Debug, Default, Clone)]
pub struct ArticleFilter {
    /// Only those with a translation in this language.
    pub language: Option<String>,
    /// Only those last reviewed on or before this day.
    pub reviewed_on_or_before: Option<NaiveDate>,
}

/// One page of articles matching `filter`, oldest first.
pub async fn list_articles(
    db: &impl ConnectionTrait,
    request: PageRequest,
    filter: &ArticleFilter,
) -> Result<Page<article::Model>> {
    let mut select = article::Entity::find();
    if let Some(language) = &filter.language {
        select = select.filter(
            article::Column::Id.in_subquery(
                Query::select()
                    .column(article_translation::Column::ArticleId)
                    .from(article_translation::Entity)
                    .and_where(article_translation::Column::Language.eq(language.as_str()))
                    .to_owned(),
            ),
        );
    }
    if let Some(day) = filter.reviewed_on_or_before {
        select = select.filter(article::Column::LastReviewedOn.lte(day));
    }
    rows::page(db, select, article::Column::Id, request, |a| a.id).await
}

/// Takes `member_id` off the answerers and routes their open questions again (to
/// another speaker, or back to UNROUTED); `None` when they were no answerer. Also
/// run when a member is deleted or moves away, in the same transaction.
pub async fn withdraw_answerer(
    db: &impl ConnectionTrait,
    member_id: Uuid,
) -> Result<Option<Vec<helpdesk_question::Model>>> {
    let deleted = helpdesk_answerer::Entity::delete_by_id(member_id)
        .exec(db)
        .await?;
    if deleted.rows_affected == 0 {
        return Ok(None);
    }
    // Her own open questions: the answer lists them.
    let mut rerouted = Vec::new();
    route_again(db, "routed", Some(member_id), None, |question| {
        rerouted.push(question)
    })
    .await?;
    Ok(Some(rerouted))
}

/// Routes a question to the answerer who speaks its language and has the fewest
/// open questions (the earliest registered on a tie), or leaves it UNROUTED.
/// The answerer it goes to hears of it (`notifications::hooks::question_routed`).
pub async fn route(
    db: &impl ConnectionTrait,
    question: helpdesk_question::Model,
) -> Result<helpdesk_question::Model> {
    let answerers = answerers(db).await?;
    let counts = open_counts(db).await?;
    let chosen = answerers
        .iter()
        .enumerate()
        .filter(|(_, a)| speaks(a, &question.language))
        .min_by_key(|(order, a)| (counts.get(&a.member_id).copied().unwrap_or(0), *order))
        .map(|(_, a)| a.member_id);
    let was = question.clone();
    let mut active = question.into_active_model();
    active.status = Set(if chosen.is_some() {
        "routed"
    } else {
        "unrouted"
    }
    .to_owned());
    active.answerer_member_id = Set(chosen);
    let routed = active.update(db).await?;
    super::tally::question(db, Some(&was), Some(&routed)).await?;
    crate::store::notifications::hooks::question_routed(db, &routed).await?;
    Ok(routed)
}
