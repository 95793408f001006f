//! Importing a chapter's history of applications: each line a member's
//! application to an opportunity of the region, at the stage it reached, with
//! the day it was made (`applied_on`) and, for a final stage, the day it was
//! decided (`decided_on`). What already happened is recorded as it happened:
//! the region's labour-market rules are not evaluated again (the application
//! keeps no decision: no conditions, warnings or rules), and nobody is told; but
//! an opportunity takes applications only once community review published it.
//! An application that became a placement keeps its stage, member and
//! opportunity.

use std::collections::HashSet;

use chrono::Utc;
use passage_proto::v1::{self, RefusalKind};
use sea_orm::DatabaseTransaction;
use uuid::Uuid;

use super::cells::{Columns, Line, missing_column};
use super::csv_file::Sheet;
use super::history::{Known, Reference, happened, not_before, reference, required_date, unknown};
use super::import::{Changes, Checked, ExternalIds, Outcome, WRITE_CHUNK, Writes, read_lines};
use super::import_members::start_of;
use crate::context::{NodeContext, WriteTurn};
use crate::convert::enums;
use crate::error::{Error, Refusal, Result};
use crate::store::entity::{application, member, opportunity, placement};
use crate::validate;

/// The columns of an applications file.
pub const APPLICATION_COLUMNS: &[&str] = &[
    "external_id",
    "member_external_id",
    "member_id",
    "opportunity_external_id",
    "opportunity_id",
    "stage",
    "applied_on",
    "decided_on",
    "motivation",
    "stage_note",
];
const APPLICATION_REQUIRED: &[&str] = &["external_id", "stage", "applied_on"];

/// Statuses of an opportunity that has not been published: community review
/// comes before any application.
const UNPUBLISHED: [&str; 2] = ["draft", "in_review"];
/// Stages no application moves on from.
const FINAL_STAGES: [&str; 3] = ["accepted", "rejected", "withdrawn"];
/// As `PlacementService`'s own limits.
const MAX_MOTIVATION: usize = 2000;
const MAX_NOTE: usize = 500;

/// One application line read.
struct Read {
    line: u32,
    external_id: String,
    member: Reference,
    opportunity: Reference,
    stage: String,
    applied_on: chrono::NaiveDate,
    decided_on: Option<chrono::NaiveDate>,
    motivation: String,
    stage_note: String,
}

fn read(line: Line<'_>, ids: &mut ExternalIds, number: u32) -> Result<Read> {
    let today = Utc::now().date_naive();
    let external_id = ids.take(number, line.text("external_id"))?;
    let member = reference(
        line,
        ("member_external_id", "member_id"),
        RefusalKind::UnknownMember,
    )?;
    let opportunity = reference(
        line,
        ("opportunity_external_id", "opportunity_id"),
        RefusalKind::UnknownOpportunity,
    )?;
    let stage = enums::parse::<v1::ApplicationStage>(
        "stage",
        line.enumerated::<v1::ApplicationStage>("stage")?,
        true,
    )?;
    let stage = enums::stored(stage);
    let applied_on = happened("applied_on", required_date(line, "applied_on")?, today)?;
    let decided_on = match line.date("decided_on")? {
        Some(decided) => {
            let decided = happened("decided_on", decided, today)?;
            Some(not_before("decided_on", decided, "applied_on", applied_on)?)
        }
        None => None,
    };
    let stage_note = validate::optional_text("stage_note", line.text("stage_note"), MAX_NOTE)?;
    if !FINAL_STAGES.contains(&stage.as_str()) {
        for (column, filled) in [
            ("decided_on", decided_on.is_some()),
            ("stage_note", !stage_note.is_empty()),
        ] {
            if filled {
                return Err(Error::refused(
                    column,
                    format!(
                        "only an application in a final stage ({}) has {column}; it is at {stage}",
                        FINAL_STAGES.join(", ")
                    ),
                    Refusal::of(RefusalKind::OnlyForAFinalStage, &stage, []),
                ));
            }
        }
    }
    Ok(Read {
        line: number,
        external_id,
        member,
        opportunity,
        stage,
        applied_on,
        decided_on,
        motivation: validate::optional_text("motivation", line.text("motivation"), MAX_MOTIVATION)?,
        stage_note,
    })
}

/// Checks every line of an applications file.
pub async fn check(sheet: &Sheet, txn: &DatabaseTransaction) -> Result<Checked> {
    let columns = Columns::check(
        &sheet.columns,
        APPLICATION_COLUMNS,
        APPLICATION_REQUIRED,
        "applications",
    )?;
    for (external, id) in [
        ("member_external_id", "member_id"),
        ("opportunity_external_id", "opportunity_id"),
    ] {
        if !columns.has(external) && !columns.has(id) {
            return Err(missing_column("applications", external));
        }
    }
    let mut outcome = Outcome::default();
    let lines = read_lines(sheet, &columns, &mut outcome, read)?;
    let members = Known::find::<member::Entity>(
        txn,
        lines.iter().map(|l| &l.member),
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
    let existing = Known::find::<application::Entity>(
        txn,
        lines
            .iter()
            .map(|l| Reference::External("external_id", l.external_id.clone()))
            .collect::<Vec<_>>()
            .iter(),
        (application::Column::ExternalId, application::Column::Id),
        |a: &application::Model| (a.id, a.external_id.clone()),
    )
    .await?;
    let placed: Vec<Uuid> = lines
        .iter()
        .filter_map(|l| {
            existing
                .get(&Reference::External("external_id", l.external_id.clone()))
                .map(|a| a.id)
        })
        .collect();
    let mut placed_ids = HashSet::new();
    for chunk in placed.chunks(WRITE_CHUNK) {
        placed_ids.extend(
            crate::store::placements::placements_of(txn, chunk)
                .await?
                .into_iter()
                .map(|p: placement::Model| p.application_id),
        );
    }

    let mut writes = Changes::<application::Model>::default();
    for read in lines {
        let Some(member) = members.get(&read.member) else {
            let error = unknown(
                &read.member,
                RefusalKind::UnknownMember,
                "member",
                "members",
            );
            outcome.refuse(read.line, error)?;
            continue;
        };
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
        if UNPUBLISHED.contains(&opportunity.status.as_str()) {
            outcome.refuse(
                read.line,
                Error::refused(
                    read.opportunity.column(),
                    format!(
                        "opportunity {} is {}: it was never published, so it took no applications",
                        read.opportunity.value(),
                        opportunity.status.replace('_', " ")
                    ),
                    Refusal::of(RefusalKind::NeverPublished, &opportunity.status, []),
                ),
            )?;
            continue;
        }
        let before = existing.get(&Reference::External(
            "external_id",
            read.external_id.clone(),
        ));
        let row = application::Model {
            id: before.map_or_else(Uuid::now_v7, |b| b.id),
            member_id: member.id,
            opportunity_id: opportunity.id,
            stage: read.stage.clone(),
            motivation: read.motivation,
            // No decision is made again for what already happened.
            conditions: before.map_or_else(|| serde_json::json!([]), |b| b.conditions.clone()),
            employer_conditions: before.and_then(|b| b.employer_conditions.clone()),
            share_employer_conditions: before.is_some_and(|b| b.share_employer_conditions),
            warnings: before.map_or_else(|| serde_json::json!([]), |b| b.warnings.clone()),
            rule_ids: before.map_or_else(|| serde_json::json!([]), |b| b.rule_ids.clone()),
            hours_cap: before.map_or(0, |b| b.hours_cap),
            rules_version: before.map_or_else(String::new, |b| b.rules_version.clone()),
            evaluated_on: read.applied_on,
            stage_note: read.stage_note,
            created_at: start_of(read.applied_on),
            updated_at: start_of(read.decided_on.unwrap_or(read.applied_on)),
            external_id: Some(read.external_id.clone()),
        };
        match before {
            Some(before)
                if *before != row
                    && placed_ids.contains(&before.id)
                    && !keeps_placement(before, &row) =>
            {
                let column = if before.stage != row.stage {
                    "stage"
                } else if before.member_id != row.member_id {
                    read.member.column()
                } else {
                    read.opportunity.column()
                };
                outcome.refuse(
                    read.line,
                    Error::refused(
                        column,
                        format!(
                            "application {} became a placement: it stays accepted, for the same member and opportunity",
                            before.id
                        ),
                        Refusal::of(RefusalKind::AlreadyPlaced, &read.external_id, []),
                    ),
                )?;
            }
            _ => writes.file(&mut outcome, read.external_id, before, row, true),
        }
    }
    Ok((outcome, Box::new(writes)))
}

/// Whether `row` leaves what a placement was made from as it was.
fn keeps_placement(before: &application::Model, row: &application::Model) -> bool {
    before.stage == row.stage
        && before.member_id == row.member_id
        && before.opportunity_id == row.opportunity_id
}

#[tonic::async_trait]
impl Writes for Changes<application::Model> {
    async fn write(
        self: Box<Self>,
        _context: &NodeContext,
        turn: WriteTurn,
        txn: DatabaseTransaction,
    ) -> Result<()> {
        Changes::write::<application::Entity>(&self, &txn).await?;
        // The region's kept figures, as `Apply` and `MoveApplication` keep them.
        for (before, row) in self.pairs() {
            crate::store::tally::application(&txn, before, row).await?;
        }
        txn.commit().await?;
        drop(turn);
        tracing::info!(
            created = self.created.len(),
            updated = self.updated.len(),
            "applications imported as history"
        );
        Ok(())
    }
}
