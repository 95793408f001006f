//! Importing a file: reads it, hands its lines to the kind's own import
//! (`import_members`, `import_market`, and for a chapter's history
//! `import_applications`, `import_placements`, `import_reviews`,
//! `import_events`, `import_cohorts`, `import_questions` and `import_buddies`), and makes the
//! report. Every kind follows
//! the same steps: read each line's cells, refuse a repeated `external_id`, load
//! the records the region already has under the file's `external_id`s, build each
//! row with the create RPCs' own validation, and — only when asked and only when
//! no line is refused — write everything in one transaction.

use std::collections::HashMap;

use passage_proto::v1;
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, DatabaseTransaction, EntityTrait, IntoActiveModel,
    TransactionTrait,
};

use super::cells::{Columns, Line, column_of};
use super::csv_file;
use crate::context::{NodeContext, WriteTurn};
use crate::error::{Error, Refusal, Result};
use crate::validate;

/// The most refused lines a report lists; the count says how many there were.
pub const LISTED_REFUSALS: usize = 1_000;
/// Rows written in one statement at most (well under the bind limits of SQLite
/// and PostgreSQL for the widest table).
pub const WRITE_CHUNK: usize = 500;

/// What one kind's import found, and whether it wrote it.
#[derive(Debug, Default)]
pub struct Outcome {
    pub refused: Vec<v1::RefusedLine>,
    pub created: Vec<String>,
    pub updated: Vec<String>,
    pub unchanged: u32,
    /// Of the created and updated rows, the records of what already happened.
    pub history: u32,
}

impl Outcome {
    /// Records a refused line; a refusal that is not about a field (the database
    /// failed) ends the import instead.
    pub fn refuse(&mut self, line: u32, error: Error) -> Result<()> {
        match error {
            Error::InvalidArgument {
                field,
                reason,
                refusal,
            } => {
                self.refused.push(v1::RefusedLine {
                    line,
                    column: column_of(&field),
                    reason,
                    kind: refusal.kind as i32,
                    value: refusal.value,
                    allowed: refusal.allowed,
                });
                Ok(())
            }
            other => Err(other),
        }
    }
}

/// The `external_id` of a line: required, at most 100 characters, and on one
/// line of the file only.
#[derive(Debug, Default)]
pub struct ExternalIds(HashMap<String, u32>);

impl ExternalIds {
    pub fn take(&mut self, line: u32, value: &str) -> Result<String> {
        let id = validate::required_text("external_id", value, 100)?;
        if let Some(first) = self.0.get(&id) {
            return Err(Error::refused(
                "external_id",
                format!("{} is also on line {first}", validate::quoted(&id)),
                Refusal::of(
                    v1::RefusalKind::RepeatedExternalId,
                    &id,
                    [first.to_string()],
                ),
            ));
        }
        self.0.insert(id.clone(), line);
        Ok(id)
    }
}

/// Reads every data line of `sheet` by `columns` with `read`, which takes its
/// `external_id` from the file's [`ExternalIds`]; a refused line goes to
/// `outcome` and the rest are returned, in the file's order.
pub fn read_lines<R>(
    sheet: &csv_file::Sheet,
    columns: &Columns,
    outcome: &mut Outcome,
    read: impl Fn(Line<'_>, &mut ExternalIds, u32) -> Result<R>,
) -> Result<Vec<R>> {
    let mut ids = ExternalIds::default();
    let mut lines = Vec::with_capacity(sheet.lines.len());
    for (number, cells) in &sheet.lines {
        let line = Line { columns, cells };
        match read(line, &mut ids, *number) {
            Ok(read) => lines.push(read),
            Err(error) => outcome.refuse(*number, error)?,
        }
    }
    Ok(lines)
}

/// Reads `file` as `kind` and imports it (a dry run unless `apply`).
pub async fn import(
    context: &NodeContext,
    kind: v1::ImportKind,
    file: &[u8],
    apply: bool,
) -> Result<v1::ImportReport> {
    if kind == v1::ImportKind::Unspecified {
        return Err(Error::missing(
            "kind",
            "must be set (IMPORT_KIND_MEMBERS, IMPORT_KIND_ORGANISATIONS, IMPORT_KIND_OPPORTUNITIES, \
             IMPORT_KIND_APPLICATIONS, IMPORT_KIND_PLACEMENTS, IMPORT_KIND_REVIEWS, IMPORT_KIND_EVENTS, \
             IMPORT_KIND_EVENT_REGISTRATIONS, IMPORT_KIND_COHORTS, IMPORT_KIND_COHORT_PARTICIPANTS, \
             IMPORT_KIND_HELPDESK_QUESTIONS or IMPORT_KIND_BUDDY_PAIRS)",
        ));
    }
    let started = std::time::Instant::now();
    let sheet = match csv_file::read(file) {
        Ok(sheet) => sheet,
        Err(error) => return whole_file_refused(error, 0, ("", "")),
    };
    let read_ms = started.elapsed().as_millis();
    // A dry run reads in a transaction of its own and leaves the write turn to
    // others; applying checks and writes in one write transaction, so what it
    // checked is what it writes.
    let separator = sheet.separator.to_string();
    let read = (separator.as_str(), sheet.encoding);
    let lines = sheet.lines.len() as u32;
    let (mut outcome, applied) = if apply {
        let (turn, txn) = context.begin_write().await?;
        let (outcome, writes) = match check(context, kind, &sheet, &txn).await {
            Ok(checked) => checked,
            Err(error) => return whole_file_refused(error, lines, read),
        };
        let applied = outcome.refused.is_empty();
        if applied {
            writes.write(context, turn, txn).await?;
        }
        (outcome, applied)
    } else {
        let txn = context.db.begin().await?;
        match check(context, kind, &sheet, &txn).await {
            Ok(checked) => (checked.0, false),
            Err(error) => return whole_file_refused(error, lines, read),
        }
    };
    tracing::info!(
        kind = kind.as_str_name(),
        lines = sheet.lines.len(),
        refused = outcome.refused.len(),
        applied,
        read_ms,
        total_ms = started.elapsed().as_millis(),
        "file imported"
    );
    outcome.refused.sort_by_key(|refusal| refusal.line);
    let refused_count = outcome.refused.len() as u32;
    outcome.refused.truncate(LISTED_REFUSALS);
    Ok(v1::ImportReport {
        lines: sheet.lines.len() as u32,
        refused: outcome.refused,
        created: outcome.created,
        updated: outcome.updated,
        unchanged: outcome.unchanged,
        history: outcome.history,
        applied,
        separator: read.0.to_owned(),
        encoding: sheet.encoding.to_owned(),
        refused_count,
    })
}

/// The report of a file refused as a whole — not CSV, empty, a column unknown,
/// named twice or missing — as one refused line: the header, line 1, with the
/// column (or `file`) and the refusal's kind, so a client words it in its
/// reader's language as it words a line's. Anything else (the database failed)
/// stays an error.
fn whole_file_refused(
    error: Error,
    lines: u32,
    (separator, encoding): (&str, &str),
) -> Result<v1::ImportReport> {
    let mut outcome = Outcome::default();
    outcome.refuse(1, error)?;
    Ok(v1::ImportReport {
        lines,
        refused: outcome.refused,
        separator: separator.to_owned(),
        encoding: encoding.to_owned(),
        refused_count: 1,
        ..Default::default()
    })
}

/// The kind's own check of every line, in `txn`.
async fn check(
    context: &NodeContext,
    kind: v1::ImportKind,
    sheet: &csv_file::Sheet,
    txn: &DatabaseTransaction,
) -> Result<Checked> {
    match kind {
        v1::ImportKind::Members => super::import_members::check(context, sheet, txn).await,
        v1::ImportKind::Organisations => {
            super::import_market::check_organisations(sheet, txn).await
        }
        v1::ImportKind::Applications => super::import_applications::check(sheet, txn).await,
        v1::ImportKind::Placements => super::import_placements::check(sheet, txn).await,
        v1::ImportKind::Reviews => super::import_reviews::check(sheet, txn).await,
        v1::ImportKind::Events => super::import_events::check_events(sheet, txn).await,
        v1::ImportKind::EventRegistrations => {
            super::import_events::check_registrations(sheet, txn).await
        }
        v1::ImportKind::Cohorts => super::import_cohorts::check_cohorts(sheet, txn).await,
        v1::ImportKind::CohortParticipants => {
            super::import_cohorts::check_participants(sheet, txn).await
        }
        v1::ImportKind::HelpdeskQuestions => super::import_questions::check(sheet, txn).await,
        v1::ImportKind::BuddyPairs => super::import_buddies::check(sheet, txn).await,
        v1::ImportKind::Opportunities | v1::ImportKind::Unspecified => {
            super::import_market::check_opportunities(sheet, txn).await
        }
    }
}

/// What an import would write, ready to be written in its transaction.
#[tonic::async_trait]
pub trait Writes: Send {
    /// Writes everything and commits; the write turn ends after the commit.
    async fn write(
        self: Box<Self>,
        context: &NodeContext,
        turn: WriteTurn,
        txn: DatabaseTransaction,
    ) -> Result<()>;
}

/// The rows of one table an import creates, and those it changes with what
/// each was.
#[derive(Debug)]
pub struct Changes<M> {
    pub created: Vec<M>,
    pub updated: Vec<(M, M)>,
}

impl<M> Default for Changes<M> {
    fn default() -> Self {
        Changes {
            created: Vec::new(),
            updated: Vec::new(),
        }
    }
}

impl<M: PartialEq + Clone + Sync> Changes<M> {
    /// Files the row a line makes: `before` is the record its `external_id`
    /// names, if the region has one. Unchanged when equal; else created or
    /// changed, reported by `external_id` and counted as history when `history`.
    pub fn file(
        &mut self,
        outcome: &mut Outcome,
        external_id: String,
        before: Option<&M>,
        row: M,
        history: bool,
    ) {
        self.file_by(outcome, external_id, before, row, history, M::eq);
    }

    /// [`Changes::file`], with `same` telling a row unchanged.
    pub fn file_by(
        &mut self,
        outcome: &mut Outcome,
        external_id: String,
        before: Option<&M>,
        row: M,
        history: bool,
        same: impl Fn(&M, &M) -> bool,
    ) {
        match before {
            Some(before) if same(before, &row) => {
                outcome.unchanged += 1;
                return;
            }
            Some(before) => {
                self.updated.push((before.clone(), row));
                outcome.updated.push(external_id);
            }
            None => {
                self.created.push(row);
                outcome.created.push(external_id);
            }
        }
        outcome.history += u32::from(history);
    }

    /// Each row as it was (`None` when created) and as it is: what the kept
    /// figures are changed by.
    pub fn pairs(&self) -> Vec<(Option<&M>, Option<&M>)> {
        self.created
            .iter()
            .map(|row| (None, Some(row)))
            .chain(
                self.updated
                    .iter()
                    .map(|(before, row)| (Some(before), Some(row))),
            )
            .collect()
    }

    /// Writes the created rows, `WRITE_CHUNK` to a statement, and each changed
    /// row over the row it was, in `txn`.
    pub async fn write<E>(&self, txn: &DatabaseTransaction) -> Result<()>
    where
        E: EntityTrait<Model = M>,
        M: IntoActiveModel<E::ActiveModel>,
        E::ActiveModel: ActiveModelTrait<Entity = E> + ActiveModelBehavior + Send,
    {
        for chunk in self.created.chunks(WRITE_CHUNK) {
            E::insert_many(
                chunk
                    .iter()
                    .cloned()
                    .map(IntoActiveModel::into_active_model),
            )
            .exec_without_returning(txn)
            .await?;
        }
        for (_, row) in &self.updated {
            row.clone()
                .into_active_model()
                .reset_all()
                .update(txn)
                .await?;
        }
        Ok(())
    }
}

/// A kind's check: the outcome and what applying it writes.
pub type Checked = (Outcome, Box<dyn Writes>);
