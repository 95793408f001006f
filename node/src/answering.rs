//! Group commit for helpdesk answers. Concurrent `AnswerQuestion` calls, checked
//! outside the write turn (the superlocal, the question routed to her), queue
//! here; one task takes whatever has queued (up to [`MAX_BATCH`] answers) and
//! writes it in one transaction: each answer with its conditional UPDATE (written
//! only if the question is still routed to her), then, for every answer that
//! was written, the kept statistics as one change and the askers' notices in a
//! few statements ([`crate::store::notifications::notify_all`]). An answer whose
//! question changed meanwhile gets its own refusal; the others commit. Each call
//! is answered only after the commit, and the mail task is poked once.

use tokio::sync::{mpsc, oneshot};
use tonic::Status;

use crate::context::NodeContext;
use crate::error::{Error, Result};
use crate::store::entity::helpdesk_question;
use crate::store::{helpdesk, notifications, rows, tally};

/// Most answers written in one transaction.
const MAX_BATCH: usize = 128;

/// One answer waiting for its turn: the question as read when the call was
/// checked, and as answered.
pub struct Answer {
    pub was: helpdesk_question::Model,
    pub answered: helpdesk_question::Model,
    pub done: oneshot::Sender<std::result::Result<(), Status>>,
}

/// Starts the task that writes queued answers; it ends when every sender is gone.
pub fn start(context: NodeContext) -> mpsc::Sender<Answer> {
    let (queue, mut queued) = mpsc::channel::<Answer>(MAX_BATCH * 4);
    tokio::spawn(async move {
        while let Some(first) = queued.recv().await {
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match queued.try_recv() {
                    Ok(next) => batch.push(next),
                    Err(_) => break,
                }
            }
            apply(&context, batch).await;
        }
    });
    queue
}

async fn apply(context: &NodeContext, batch: Vec<Answer>) {
    let (answers, dones): (Vec<_>, Vec<_>) = batch
        .into_iter()
        .map(|answer| ((answer.was, answer.answered), answer.done))
        .unzip();
    match write(context, &answers).await {
        Ok(outcomes) => {
            for (done, outcome) in dones.into_iter().zip(outcomes) {
                let _ = done.send(outcome);
            }
        }
        Err(error) => {
            // The transaction did not commit: none of the batch was written.
            let status = Status::from(error);
            for done in dones {
                let _ = done.send(Err(status.clone()));
            }
        }
    }
}

/// Writes every answer whose question is still routed to its answerer, in one
/// transaction; the outcome of each, in the order given.
async fn write(
    context: &NodeContext,
    answers: &[(helpdesk_question::Model, helpdesk_question::Model)],
) -> Result<Vec<std::result::Result<(), Status>>> {
    let (_turn, txn) = context.begin_write().await?;
    let mut outcomes = Vec::with_capacity(answers.len());
    let mut written = Vec::with_capacity(answers.len());
    for (was, answered) in answers {
        if helpdesk::answer(&txn, answered).await? {
            written.push((was, answered));
            outcomes.push(Ok(()));
            continue;
        }
        // Changed since the call was checked (re-routed, or answered by a call
        // of this very batch): why, as the checks would say it now.
        let now = rows::find::<helpdesk_question::Entity>(&txn, answered.id, "question").await?;
        let refusal = match answered.answerer_member_id {
            Some(answerer) => answerable(&now, answerer).err(),
            None => None,
        };
        outcomes.push(Err(refusal.unwrap_or_else(|| {
            Error::FailedPrecondition(format!(
                "question {} changed while it was answered; try again",
                answered.id
            ))
            .into()
        })));
    }
    if written.is_empty() {
        return Ok(outcomes);
    }
    tally::questions(
        &txn,
        written
            .iter()
            .map(|(was, answered)| (Some(*was), Some(*answered))),
    )
    .await?;
    let answered: Vec<helpdesk_question::Model> = written
        .iter()
        .map(|(_, answered)| (*answered).clone())
        .collect();
    let mailed = notifications::hooks::questions_answered(&txn, &answered).await?;
    txn.commit().await.map_err(Error::from)?;
    if mailed {
        context.mail_ready.notify_one();
    }
    Ok(outcomes)
}

/// Refuses an answer by `answerer` to `question` unless it is routed to her.
pub fn answerable(
    question: &helpdesk_question::Model,
    answerer: uuid::Uuid,
) -> std::result::Result<(), Status> {
    let id = question.id;
    if question.status != "routed" {
        return Err(Error::FailedPrecondition(format!(
            "question {id} is {}; only a routed question is answered",
            question.status
        ))
        .into());
    }
    if question.answerer_member_id != Some(answerer) {
        return Err(Error::FailedPrecondition(format!(
            "question {id} is routed to member {}; only they answer it",
            question
                .answerer_member_id
                .map(|a| a.to_string())
                .unwrap_or_default()
        ))
        .into());
    }
    Ok(())
}
