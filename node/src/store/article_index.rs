//! The knowledge base's full-text index, kept in the node's own tables so it works
//! the same on SQLite and PostgreSQL: every translation's title and body are cut
//! into terms (`crate::words` with case folding, common words of the language
//! left out, no stemming), and each term is stored with its article, language and
//! weight. A search looks up its terms and keeps the articles that have all of
//! them.

use std::collections::{BTreeMap, BTreeSet};

use sea_orm::sea_query::{Asterisk, Condition, Expr, ExprTrait, Order, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::entity::article_term;
use crate::error::Result;
use crate::words::{Folding, words};

/// How much a term in the title counts against one in the body.
const TITLE_WEIGHT: i32 = 3;

/// Common words left out of the index and of queries, per language.
fn stop_words(language: &str) -> &'static [&'static str] {
    match language {
        "nl" => &[
            "de", "het", "een", "en", "of", "in", "op", "te", "van", "voor", "met", "aan", "bij",
            "is", "zijn", "was", "ik", "je", "jij", "u", "hij", "zij", "ze", "we", "wij", "dat",
            "die", "dit", "deze", "er", "niet", "ook", "als", "om", "naar", "hoe", "wat", "wie",
            "waar", "kan", "mag", "moet", "heb", "heeft", "hebben", "mijn", "uw", "wordt", "door",
            "dan", "nog", "al", "maar", "wel", "geen", "over", "tot", "uit", "s",
        ],
        "en" => &[
            "a", "an", "the", "and", "or", "of", "in", "on", "at", "to", "for", "with", "by",
            "from", "is", "are", "was", "be", "been", "i", "you", "he", "she", "it", "we", "they",
            "my", "your", "this", "that", "these", "those", "there", "not", "no", "do", "does",
            "can", "may", "must", "how", "what", "who", "where", "when", "if", "as", "but", "so",
            "have", "has", "s", "t",
        ],
        "ar" => &[
            "في", "من", "على", "إلى", "الى", "عن", "مع", "و", "أو", "او", "هل", "ما", "ماذا",
            "كيف", "هذا", "هذه", "ذلك", "التي", "الذي", "أن", "ان", "إن", "لا", "لم", "هو", "هي",
            "أنا", "انا", "نحن", "كان", "يمكن", "أي", "اي",
        ],
        "es" => &[
            "el", "la", "los", "las", "un", "una", "y", "o", "de", "del", "en", "a", "al", "por",
            "para", "con", "que", "es", "son", "se", "no", "mi", "su", "como", "qué", "cómo",
            "puedo", "lo", "le", "me",
        ],
        "uk" => &[
            "і",
            "й",
            "та",
            "або",
            "в",
            "у",
            "на",
            "з",
            "із",
            "до",
            "від",
            "для",
            "що",
            "як",
            "це",
            "чи",
            "не",
            "я",
            "ви",
            "ми",
            "він",
            "вона",
            "вони",
            "мій",
            "можна",
            "є",
        ],
        _ => &[],
    }
}

/// The terms of `text` in `language`, in order, repeats kept.
pub fn terms(language: &str, text: &str) -> Vec<String> {
    let stop = stop_words(language);
    words(text, Folding::Case)
        .into_iter()
        .filter(|term| !stop.contains(&term.as_str()))
        .collect()
}

/// Each term of a translation with its weight: how often it occurs, a title
/// occurrence counting [`TITLE_WEIGHT`] times.
pub fn weights(language: &str, title: &str, body: &str) -> BTreeMap<String, i32> {
    let mut weights = BTreeMap::new();
    for term in terms(language, title) {
        *weights.entry(term).or_insert(0) += TITLE_WEIGHT;
    }
    for term in terms(language, body) {
        *weights.entry(term).or_insert(0) += 1;
    }
    weights
}

/// Replaces the index entries of the article's translation in `language`.
pub async fn reindex(
    db: &impl ConnectionTrait,
    article_id: Uuid,
    language: &str,
    title: &str,
    body: &str,
) -> Result<()> {
    article_term::Entity::delete_many()
        .filter(article_term::Column::ArticleId.eq(article_id))
        .filter(article_term::Column::Language.eq(language))
        .exec(db)
        .await?;
    let entries: Vec<article_term::ActiveModel> = weights(language, title, body)
        .into_iter()
        .map(|(term, weight)| article_term::ActiveModel {
            article_id: sea_orm::ActiveValue::Set(article_id),
            language: sea_orm::ActiveValue::Set(language.to_owned()),
            term: sea_orm::ActiveValue::Set(term),
            weight: sea_orm::ActiveValue::Set(weight),
        })
        .collect();
    // A statement per few hundred entries keeps under every database's limit on
    // bound parameters.
    for chunk in entries.chunks(200) {
        article_term::Entity::insert_many(chunk.to_vec())
            .exec(db)
            .await?;
    }
    Ok(())
}

/// The page of the ranking that follows the article `after` (from the top when
/// `None`), at most `limit` articles: those whose translation in `language` has
/// every one of `terms`, with their score (the sum of the terms' weights), best
/// first, then the lowest id. Counted, added up and ordered by the database, so
/// a search reads one page, however many articles share a word. `None` when
/// `after` no longer has every term (the results changed since that page).
pub async fn search(
    db: &impl ConnectionTrait,
    language: &str,
    terms: &BTreeSet<String>,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Option<Vec<(Uuid, i32)>>> {
    if terms.is_empty() {
        return Ok(Some(Vec::new()));
    }
    let matched = || Expr::col(Asterisk).count();
    let score = || Expr::col(article_term::Column::Weight).sum();
    let all_terms = i64::try_from(terms.len()).unwrap_or(i64::MAX);
    let ranking = || {
        Query::select()
            .column(article_term::Column::ArticleId)
            .expr(score())
            .from(article_term::Entity)
            .and_where(Expr::col(article_term::Column::Language).eq(language))
            .and_where(Expr::col(article_term::Column::Term).is_in(terms.iter().cloned()))
            .group_by_col(article_term::Column::ArticleId)
            .and_having(matched().eq(all_terms))
            .to_owned()
    };
    let mut select = ranking();
    if let Some(after) = after {
        let mut of_after = ranking();
        of_after.and_where(Expr::col(article_term::Column::ArticleId).eq(after));
        let Some(row) = db.query_one(&of_after).await? else {
            return Ok(None);
        };
        let after_score: i64 = row.try_get_by_index(1)?;
        select.cond_having(
            Condition::any().add(score().lt(after_score)).add(
                Condition::all()
                    .add(score().eq(after_score))
                    .add(Expr::col(article_term::Column::ArticleId).gt(after)),
            ),
        );
    }
    select
        .order_by_expr(score(), Order::Desc)
        .order_by(article_term::Column::ArticleId, Order::Asc)
        .limit(limit);
    let mut ranked = Vec::new();
    for row in db.query_all(&select).await? {
        let score: i64 = row.try_get_by_index(1)?;
        ranked.push((
            row.try_get_by_index(0)?,
            i32::try_from(score).unwrap_or(i32::MAX),
        ));
    }
    Ok(Some(ranked))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_are_lower_case_words_of_any_script_without_common_words() {
        assert_eq!(
            terms("nl", "Hoe vind ik een HUISARTS in Amsterdam-Oost?"),
            ["vind", "huisarts", "amsterdam", "oost"]
        );
        assert_eq!(
            terms("en", "How do I register with a GP?"),
            ["register", "gp"]
        );
        // Arabic with vowel signs reads as the same word without them.
        assert_eq!(terms("ar", "كيف أسجّل في البلدية"), ["أسجل", "البلدية"]);
        assert_eq!(
            terms("uk", "Як отримати BSN-номер?"),
            ["отримати", "bsn", "номер"]
        );
        assert_eq!(
            terms("ht", "Kijan mwen ka jwenn travay"),
            ["kijan", "mwen", "ka", "jwenn", "travay"]
        );
    }

    #[test]
    fn a_title_word_weighs_more_than_a_body_word() {
        let weights = weights("en", "Work permit", "A work permit is not needed for work.");
        assert_eq!(weights["work"], 3 + 2);
        assert_eq!(weights["permit"], 3 + 1);
        assert_eq!(weights["needed"], 1);
        assert!(!weights.contains_key("is"));
    }
}
