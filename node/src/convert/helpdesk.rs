//! Helpdesk questions, answerers and knowledge-base articles ↔ rows. Rows are
//! built by the helpdesk service from checked parts (routing, the node's clock),
//! so there is only the way out.

use passage_proto::v1;

use super::enums::from_stored;
use super::placements::day;
use super::{strings_from_json, timestamp};
use crate::store::entity::{article, article_translation, helpdesk_answerer, helpdesk_question};

pub fn question_to_wire(row: &helpdesk_question::Model) -> v1::Question {
    v1::Question {
        id: row.id.to_string(),
        asker_member_id: row.asker_member_id.to_string(),
        language: row.language.clone(),
        topic: row.topic.clone(),
        text: row.text.clone(),
        status: from_stored::<v1::QuestionStatus>(&row.status) as i32,
        answerer_member_id: row
            .answerer_member_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        answer: row.answer.clone(),
        article_id: row.article_id.map(|id| id.to_string()).unwrap_or_default(),
        create_time: Some(timestamp(row.created_at)),
        answer_time: row.answered_at.map(timestamp),
    }
}

pub fn answerer_to_wire(row: &helpdesk_answerer::Model, open_questions: u64) -> v1::Answerer {
    v1::Answerer {
        member_id: row.member_id.to_string(),
        languages: strings_from_json(&row.languages),
        open_questions: i32::try_from(open_questions).unwrap_or(i32::MAX),
        register_time: Some(timestamp(row.registered_at)),
    }
}

/// An article with those of `translations` that are its own.
pub fn article_to_wire(
    row: &article::Model,
    translations: &[article_translation::Model],
) -> v1::Article {
    v1::Article {
        id: row.id.to_string(),
        question_id: row.question_id.to_string(),
        original_language: row.original_language.clone(),
        translations: translations
            .iter()
            .filter(|t| t.article_id == row.id)
            .map(|t| v1::ArticleTranslation {
                language: t.language.clone(),
                title: t.title.clone(),
                body: t.body.clone(),
                update_time: Some(timestamp(t.updated_at)),
            })
            .collect(),
        last_reviewed_on: day(row.last_reviewed_on),
        create_time: Some(timestamp(row.created_at)),
        update_time: Some(timestamp(row.updated_at)),
    }
}
