//! Importing a chapter's helpdesk history: each line a question a member asked
//! (`asked_on`, in `language`, about `topic`) and, when it was answered, the
//! answer, who gave it and when (`answer`, `answerer_external_id` or
//! `answerer_id`, `answered_on`). What already happened is recorded as it
//! happened: the asker is not told again. A question still unanswered is routed
//! as a new one would be, to a superlocal who speaks its language, who is told
//! as for any question routed to them; importing it again leaves it with
//! whoever has it. An answered question stays answered.

use chrono::{NaiveDate, Utc};
use passage_proto::v1::RefusalKind;
use sea_orm::DatabaseTransaction;
use uuid::Uuid;

use super::cells::{Columns, Line, missing_column};
use super::csv_file::Sheet;
use super::history::{Known, Reference, happened, not_before, reference, required_date, unknown};
use super::import::{Changes, Checked, ExternalIds, Outcome, Writes, read_lines};
use super::import_members::start_of;
use crate::context::{NodeContext, WriteTurn};
use crate::error::{Error, Refusal, Result};
use crate::store::entity::{helpdesk_question, member};
use crate::validate;

/// The columns of a helpdesk questions file.
pub const QUESTION_COLUMNS: &[&str] = &[
    "external_id",
    "asker_external_id",
    "asker_id",
    "language",
    "topic",
    "text",
    "asked_on",
    "answer",
    "answered_on",
    "answerer_external_id",
    "answerer_id",
];
const QUESTION_REQUIRED: &[&str] = &["external_id", "language", "topic", "text", "asked_on"];

/// As `AskQuestion`'s and `AnswerQuestion`'s own limits.
const MAX_TEXT: usize = 4000;
const MAX_TOPIC: usize = 100;

/// An answer, who gave it and when.
struct Answer {
    text: String,
    on: NaiveDate,
    by: Reference,
}

/// One question line read.
struct Read {
    line: u32,
    external_id: String,
    asker: Reference,
    language: String,
    topic: String,
    text: String,
    asked_on: NaiveDate,
    answer: Option<Answer>,
}

fn read(line: Line<'_>, ids: &mut ExternalIds, number: u32) -> Result<Read> {
    let today = Utc::now().date_naive();
    let external_id = ids.take(number, line.text("external_id"))?;
    let asker = reference(
        line,
        ("asker_external_id", "asker_id"),
        RefusalKind::UnknownMember,
    )?;
    let language = validate::language("language", line.text("language"))?;
    let topic = validate::required_text("topic", line.text("topic"), MAX_TOPIC)?;
    let text = validate::required_text("text", line.text("text"), MAX_TEXT)?;
    let asked_on = happened("asked_on", required_date(line, "asked_on")?, today)?;
    let answer = validate::optional_text("answer", line.text("answer"), MAX_TEXT)?;
    let answered = !line.text("answered_on").is_empty()
        || !line.text("answerer_external_id").is_empty()
        || !line.text("answerer_id").is_empty();
    let answer = match (answer.is_empty(), answered) {
        (true, false) => None,
        (true, true) => {
            return Err(Error::refused(
                "answer",
                "must not be empty when the question has an answerer or answered_on",
                Refusal::of(RefusalKind::Missing, "", []),
            ));
        }
        (false, _) => {
            let on = happened("answered_on", required_date(line, "answered_on")?, today)?;
            Some(Answer {
                text: answer,
                on: not_before("answered_on", on, "asked_on", asked_on)?,
                by: reference(
                    line,
                    ("answerer_external_id", "answerer_id"),
                    RefusalKind::UnknownMember,
                )?,
            })
        }
    };
    Ok(Read {
        line: number,
        external_id,
        asker,
        language,
        topic,
        text,
        asked_on,
        answer,
    })
}

/// Checks every line of a helpdesk questions file.
pub async fn check(sheet: &Sheet, txn: &DatabaseTransaction) -> Result<Checked> {
    let columns = Columns::check(
        &sheet.columns,
        QUESTION_COLUMNS,
        QUESTION_REQUIRED,
        "helpdesk questions",
    )?;
    if !columns.has("asker_external_id") && !columns.has("asker_id") {
        return Err(missing_column("helpdesk questions", "asker_external_id"));
    }
    let mut outcome = Outcome::default();
    let lines = read_lines(sheet, &columns, &mut outcome, read)?;
    let named: Vec<&Reference> = lines
        .iter()
        .flat_map(|l| std::iter::once(&l.asker).chain(l.answer.as_ref().map(|answer| &answer.by)))
        .collect();
    let people = Known::find::<member::Entity>(
        txn,
        named.into_iter(),
        (member::Column::ExternalId, member::Column::Id),
        |m: &member::Model| (m.id, m.external_id.clone()),
    )
    .await?;
    let existing = Known::find::<helpdesk_question::Entity>(
        txn,
        lines
            .iter()
            .map(|l| Reference::External("external_id", l.external_id.clone()))
            .collect::<Vec<_>>()
            .iter(),
        (
            helpdesk_question::Column::ExternalId,
            helpdesk_question::Column::Id,
        ),
        |q: &helpdesk_question::Model| (q.id, q.external_id.clone()),
    )
    .await?;

    let mut writes = Changes::<helpdesk_question::Model>::default();
    for read in lines {
        let Some(asker) = people.get(&read.asker) else {
            let error = unknown(&read.asker, RefusalKind::UnknownMember, "member", "members");
            outcome.refuse(read.line, error)?;
            continue;
        };
        let answerer = match &read.answer {
            Some(answer) => match people.get(&answer.by) {
                Some(answerer) => Some(answerer.id),
                None => {
                    let error =
                        unknown(&answer.by, RefusalKind::UnknownMember, "member", "members");
                    outcome.refuse(read.line, error)?;
                    continue;
                }
            },
            None => None,
        };
        let before = existing.get(&Reference::External(
            "external_id",
            read.external_id.clone(),
        ));
        if let (Some(before), None) = (before, &read.answer)
            && before.status == "answered"
        {
            outcome.refuse(
                read.line,
                Error::refused(
                    "answer",
                    format!(
                        "question {} was answered: an answered question stays answered",
                        read.external_id
                    ),
                    Refusal::of(RefusalKind::NotChangeable, &before.status, []),
                ),
            )?;
            continue;
        }
        let row = helpdesk_question::Model {
            id: before.map_or_else(Uuid::now_v7, |b| b.id),
            asker_member_id: asker.id,
            language: read.language,
            topic: read.topic,
            text: read.text,
            // An open question keeps whoever it was routed to; a new one is
            // routed after it is written.
            status: match (&read.answer, before) {
                (Some(_), _) => "answered".to_owned(),
                (None, Some(before)) => before.status.clone(),
                (None, None) => "unrouted".to_owned(),
            },
            answerer_member_id: match before {
                Some(before) if read.answer.is_none() => before.answerer_member_id,
                _ => answerer,
            },
            answer: read
                .answer
                .as_ref()
                .map(|answer| answer.text.clone())
                .unwrap_or_default(),
            article_id: before.and_then(|b| b.article_id),
            created_at: start_of(read.asked_on),
            answered_at: read.answer.as_ref().map(|answer| start_of(answer.on)),
            external_id: Some(read.external_id.clone()),
        };
        writes.file(&mut outcome, read.external_id, before, row, true);
    }
    Ok((outcome, Box::new(writes)))
}

#[tonic::async_trait]
impl Writes for Changes<helpdesk_question::Model> {
    async fn write(
        self: Box<Self>,
        context: &NodeContext,
        turn: WriteTurn,
        txn: DatabaseTransaction,
    ) -> Result<()> {
        Changes::write::<helpdesk_question::Entity>(&self, &txn).await?;
        // The region's kept figures, as `AskQuestion` and `AnswerQuestion` keep them.
        crate::store::tally::questions(&txn, self.pairs()).await?;
        let mut routed = 0;
        for row in self.created.iter().filter(|row| row.status == "unrouted") {
            crate::store::helpdesk::route(&txn, row.clone()).await?;
            routed += 1;
        }
        txn.commit().await?;
        drop(turn);
        if routed > 0 {
            context.mail_ready.notify_one();
        }
        tracing::info!(
            created = self.created.len(),
            updated = self.updated.len(),
            routed,
            "helpdesk questions imported as history"
        );
        Ok(())
    }
}
