//! Importing a chapter's history of community review: each line one newcomer's
//! verdict on an opportunity imported before, in the review round it was given
//! (`round`, 1 when empty), the day it was given (`reviewed_on`) and, for a
//! verdict other than approve, what the reviewer said (`comment`). Only an
//! opportunity whose review is over (published, filled or closed) takes
//! imported reviews: while it is a draft or in review, reviewers give their
//! verdicts in Passage. What already happened is recorded as it happened: the
//! reviews change no opportunity's status, and nobody is told. The round each
//! opportunity was last submitted in is kept (`submitted_on`, or the day of
//! that round's first review in the file), so the region's figures count the
//! hours from submission to publication.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use passage_proto::v1::{self, RefusalKind};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter,
};
use uuid::Uuid;

use super::cells::{Columns, Line, missing_column};
use super::csv_file::Sheet;
use super::history::{Known, Reference, happened, not_before, reference, required_date, unknown};
use super::import::{Changes, Checked, ExternalIds, Outcome, WRITE_CHUNK, Writes, read_lines};
use super::import_members::start_of;
use crate::context::{NodeContext, WriteTurn};
use crate::convert::enums;
use crate::error::{Error, Refusal, Result};
use crate::store::entity::{member, opportunity, opportunity_review, opportunity_review_round};
use crate::validate;

/// The columns of a reviews file.
pub const REVIEW_COLUMNS: &[&str] = &[
    "external_id",
    "opportunity_external_id",
    "opportunity_id",
    "reviewer_external_id",
    "reviewer_id",
    "verdict",
    "reviewed_on",
    "round",
    "submitted_on",
    "comment",
];
const REVIEW_REQUIRED: &[&str] = &["external_id", "verdict", "reviewed_on"];

/// Statuses of an opportunity whose community review is over.
const REVIEWED: [&str; 3] = ["published", "filled", "closed"];
/// As `ReviewOpportunity`'s own limit.
const MAX_COMMENT: usize = 2000;
/// The most rounds one opportunity went through.
const MAX_ROUND: i32 = 100;

/// One review line read.
struct Read {
    line: u32,
    external_id: String,
    opportunity: Reference,
    reviewer: Reference,
    verdict: String,
    reviewed_on: NaiveDate,
    round: i32,
    submitted_on: Option<NaiveDate>,
    comment: String,
}

fn read(line: Line<'_>, ids: &mut ExternalIds, number: u32) -> Result<Read> {
    let today = Utc::now().date_naive();
    let external_id = ids.take(number, line.text("external_id"))?;
    let opportunity = reference(
        line,
        ("opportunity_external_id", "opportunity_id"),
        RefusalKind::UnknownOpportunity,
    )?;
    let reviewer = reference(
        line,
        ("reviewer_external_id", "reviewer_id"),
        RefusalKind::UnknownMember,
    )?;
    let verdict = enums::parse::<v1::ReviewVerdict>(
        "verdict",
        line.enumerated::<v1::ReviewVerdict>("verdict")?,
        true,
    )?;
    let comment = match verdict {
        v1::ReviewVerdict::Approve => {
            validate::optional_text("comment", line.text("comment"), MAX_COMMENT)?
        }
        _ => {
            let comment = validate::optional_text("comment", line.text("comment"), MAX_COMMENT)?;
            if comment.is_empty() {
                return Err(Error::refused(
                    "comment",
                    "must say what to change, or why not, when the verdict is not approve",
                    Refusal::of(RefusalKind::NeedsAReason, "", []),
                ));
            }
            comment
        }
    };
    let reviewed_on = happened("reviewed_on", required_date(line, "reviewed_on")?, today)?;
    let submitted_on = match line.date("submitted_on")? {
        Some(submitted) => {
            let submitted = happened("submitted_on", submitted, today)?;
            // A review comes after its round was submitted.
            not_before("reviewed_on", reviewed_on, "submitted_on", submitted)?;
            Some(submitted)
        }
        None => None,
    };
    let round = match line.number::<i32>("round")? {
        0 => 1,
        round => validate::in_range("round", round, 1..=MAX_ROUND)?,
    };
    Ok(Read {
        line: number,
        external_id,
        opportunity,
        reviewer,
        verdict: enums::stored(verdict),
        reviewed_on,
        round,
        submitted_on,
        comment,
    })
}

/// Checks every line of a reviews file.
pub async fn check(sheet: &Sheet, txn: &DatabaseTransaction) -> Result<Checked> {
    let columns = Columns::check(&sheet.columns, REVIEW_COLUMNS, REVIEW_REQUIRED, "reviews")?;
    for (external, id) in [
        ("opportunity_external_id", "opportunity_id"),
        ("reviewer_external_id", "reviewer_id"),
    ] {
        if !columns.has(external) && !columns.has(id) {
            return Err(missing_column("reviews", external));
        }
    }
    let mut outcome = Outcome::default();
    let lines = read_lines(sheet, &columns, &mut outcome, read)?;
    let reviewers = Known::find::<member::Entity>(
        txn,
        lines.iter().map(|l| &l.reviewer),
        (member::Column::ExternalId, member::Column::Id),
        |m: &member::Model| (m.id, m.external_id.clone()),
    )
    .await?;
    let opportunities = Known::find::<opportunity::Entity>(
        txn,
        lines.iter().map(|l| &l.opportunity),
        (opportunity::Column::ExternalId, opportunity::Column::Id),
        |o: &opportunity::Model| (o.id, o.external_id.clone()),
    )
    .await?;
    let existing = Known::find::<opportunity_review::Entity>(
        txn,
        lines
            .iter()
            .map(|l| Reference::External("external_id", l.external_id.clone()))
            .collect::<Vec<_>>()
            .iter(),
        (
            opportunity_review::Column::ExternalId,
            opportunity_review::Column::Id,
        ),
        |r: &opportunity_review::Model| (r.id, r.external_id.clone()),
    )
    .await?;
    let opportunity_ids: Vec<Uuid> = lines
        .iter()
        .filter_map(|l| opportunities.get(&l.opportunity).map(|o| o.id))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let stored = StoredReviews::of(txn, &opportunity_ids).await?;

    let mut writes = ReviewWrites::default();
    // Who reviewed what in which round, by this file: (opportunity, round,
    // reviewer) → the line.
    let mut given: HashMap<(Uuid, i32, Uuid), u32> = HashMap::new();
    for read in lines {
        let Some(opportunity) = opportunities.get(&read.opportunity) else {
            let error = unknown(
                &read.opportunity,
                RefusalKind::UnknownOpportunity,
                "opportunity",
                "opportunities",
            );
            outcome.refuse(read.line, error)?;
            continue;
        };
        let Some(reviewer) = reviewers.get(&read.reviewer) else {
            let error = unknown(
                &read.reviewer,
                RefusalKind::UnknownMember,
                "member",
                "members",
            );
            outcome.refuse(read.line, error)?;
            continue;
        };
        if let Err(error) = check_line(&read, opportunity, reviewer) {
            outcome.refuse(read.line, error)?;
            continue;
        }
        let before = existing.get(&Reference::External(
            "external_id",
            read.external_id.clone(),
        ));
        let key = (opportunity.id, read.round, reviewer.id);
        let twice = match given.get(&key) {
            Some(first) => Some(first.to_string()),
            None => stored
                .by_whom
                .get(&key)
                .filter(|id| before.is_none_or(|b| b.id != **id))
                .map(|_| String::new()),
        };
        if let Some(first) = twice {
            outcome.refuse(
                read.line,
                Error::refused(
                    read.reviewer.column(),
                    format!(
                        "{} already reviewed this opportunity in round {}{}",
                        read.reviewer.value(),
                        read.round,
                        if first.is_empty() {
                            String::new()
                        } else {
                            format!(" (line {first})")
                        }
                    ),
                    Refusal::of(
                        RefusalKind::AlreadyIn,
                        &read.reviewer.value(),
                        (!first.is_empty()).then_some(first),
                    ),
                ),
            )?;
            continue;
        }
        given.insert(key, read.line);
        writes.rounds.note(&read, opportunity.id);
        let row = opportunity_review::Model {
            id: before.map_or_else(Uuid::now_v7, |b| b.id),
            opportunity_id: opportunity.id,
            reviewer_member_id: reviewer.id,
            verdict: read.verdict,
            comment: read.comment,
            round: read.round,
            created_at: start_of(read.reviewed_on),
            external_id: Some(read.external_id.clone()),
        };
        writes
            .reviews
            .file(&mut outcome, read.external_id, before, row, true);
    }
    writes.rounds.stored = stored.rounds;
    Ok((outcome, Box::new(writes)))
}

/// What a review line asks of its opportunity and reviewer.
fn check_line(
    read: &Read,
    opportunity: &opportunity::Model,
    reviewer: &member::Model,
) -> Result<()> {
    if !REVIEWED.contains(&opportunity.status.as_str()) {
        return Err(Error::refused(
            read.opportunity.column(),
            format!(
                "opportunity {} is {}: its community review is not over, so reviewers give their verdicts in Passage",
                read.opportunity.value(),
                opportunity.status.replace('_', " ")
            ),
            Refusal::of(RefusalKind::ReviewNotOver, &opportunity.status, []),
        ));
    }
    if reviewer.role != "newcomer" {
        return Err(Error::refused(
            read.reviewer.column(),
            format!(
                "member {} is a {}, not a newcomer; only newcomers review opportunities",
                read.reviewer.value(),
                reviewer.role.replace('_', " ")
            ),
            Refusal::of(RefusalKind::NotANewcomer, &reviewer.role, []),
        ));
    }
    Ok(())
}

/// The region's reviews of the file's opportunities, and the round each is in.
struct StoredReviews {
    /// (opportunity, round, reviewer) → the review's id.
    by_whom: HashMap<(Uuid, i32, Uuid), Uuid>,
    rounds: HashMap<Uuid, opportunity_review_round::Model>,
}

impl StoredReviews {
    async fn of(txn: &DatabaseTransaction, opportunity_ids: &[Uuid]) -> Result<Self> {
        let mut stored = StoredReviews {
            by_whom: HashMap::new(),
            rounds: HashMap::new(),
        };
        for chunk in opportunity_ids.chunks(WRITE_CHUNK) {
            for review in opportunity_review::Entity::find()
                .filter(opportunity_review::Column::OpportunityId.is_in(chunk.iter().copied()))
                .all(txn)
                .await?
            {
                stored.by_whom.insert(
                    (
                        review.opportunity_id,
                        review.round,
                        review.reviewer_member_id,
                    ),
                    review.id,
                );
            }
            for round in opportunity_review_round::Entity::find()
                .filter(
                    opportunity_review_round::Column::OpportunityId.is_in(chunk.iter().copied()),
                )
                .all(txn)
                .await?
            {
                stored.rounds.insert(round.opportunity_id, round);
            }
        }
        Ok(stored)
    }
}

/// A review round and when it was submitted.
type Submitted = (i32, DateTime<Utc>);

/// The last round of each opportunity the file reviews, and when it was
/// submitted: the day the file says, else the day of its first review.
#[derive(Default)]
struct Rounds {
    last: BTreeMap<Uuid, (i32, NaiveDate)>,
    stored: HashMap<Uuid, opportunity_review_round::Model>,
}

impl Rounds {
    fn note(&mut self, read: &Read, opportunity_id: Uuid) {
        let submitted = read.submitted_on.unwrap_or(read.reviewed_on);
        let entry = self
            .last
            .entry(opportunity_id)
            .or_insert((read.round, submitted));
        if read.round > entry.0 {
            *entry = (read.round, submitted);
        } else if read.round == entry.0 {
            let stated = read.submitted_on.is_some();
            entry.1 = if stated {
                submitted
            } else {
                entry.1.min(submitted)
            };
        }
    }

    /// The rounds to keep: each opportunity's last round in the file, unless the
    /// region holds a later one, as (what it was, what it becomes).
    fn changes(&self) -> Vec<(Uuid, Option<Submitted>, Submitted)> {
        self.last
            .iter()
            .filter_map(|(opportunity_id, (round, submitted))| {
                let was = self
                    .stored
                    .get(opportunity_id)
                    .map(|row| (row.round, row.submitted_at));
                let is = (*round, start_of(*submitted));
                match was {
                    Some(was) if was.0 > is.0 || was == is => None,
                    _ => Some((*opportunity_id, was, is)),
                }
            })
            .collect()
    }
}

/// The reviews an import creates and changes (with what each was), and the
/// rounds it keeps.
#[derive(Default)]
struct ReviewWrites {
    reviews: Changes<opportunity_review::Model>,
    rounds: Rounds,
}

#[tonic::async_trait]
impl Writes for ReviewWrites {
    async fn write(
        self: Box<Self>,
        context: &NodeContext,
        turn: WriteTurn,
        txn: DatabaseTransaction,
    ) -> Result<()> {
        let approvals_to_publish = context.review_policy.approvals_to_publish;
        // The rounds first: the hours to publication count from a round's
        // submission to the approvals given in it.
        let rounds = self.rounds.changes();
        for (opportunity_id, was, (round, submitted_at)) in &rounds {
            let row = opportunity_review_round::Model {
                opportunity_id: *opportunity_id,
                round: *round,
                submitted_at: *submitted_at,
            }
            .into_active_model();
            match was {
                Some(_) => {
                    row.reset_all().update(&txn).await?;
                }
                None => {
                    opportunity_review_round::Entity::insert(row)
                        .exec_without_returning(&txn)
                        .await?;
                }
            }
            crate::store::tally::review_round(
                &txn,
                approvals_to_publish,
                *opportunity_id,
                *was,
                Some((*round, *submitted_at)),
            )
            .await?;
        }
        // One review at a time, so each one's figures see those before it.
        for row in &self.reviews.created {
            opportunity_review::Entity::insert(row.clone().into_active_model())
                .exec_without_returning(&txn)
                .await?;
            crate::store::tally::review(&txn, approvals_to_publish, None, Some(row)).await?;
        }
        for (before, row) in &self.reviews.updated {
            row.clone()
                .into_active_model()
                .reset_all()
                .update(&txn)
                .await?;
            crate::store::tally::review(&txn, approvals_to_publish, Some(before), Some(row))
                .await?;
        }
        txn.commit().await?;
        drop(turn);
        tracing::info!(
            created = self.reviews.created.len(),
            updated = self.reviews.updated.len(),
            rounds = rounds.len(),
            "reviews imported as history"
        );
        Ok(())
    }
}
