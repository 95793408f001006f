//! Importing a chapter's history of placements: each line the placement an
//! accepted application became (named by the application's `external_id` or
//! id), with its first day (`start_date`) and, for a placement that ended, its
//! last day, why and how (`end_date`, `end_reason`, `end_note`). Its kind,
//! member, opportunity and organisation are the application's, as
//! `AcceptApplication` makes them; an application becomes one placement only.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, Utc};
use passage_proto::v1::{self, RefusalKind};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter,
};
use uuid::Uuid;

use super::cells::{Columns, Line, missing_column};
use super::csv_file::Sheet;
use super::history::{Known, Reference, happened, not_before, reference, required_date, unknown};
use super::import::{Checked, ExternalIds, Outcome, WRITE_CHUNK, Writes, read_lines};
use super::import_members::start_of;
use crate::context::{NodeContext, WriteTurn};
use crate::convert::{enums, placements::placement_kind};
use crate::error::{Error, Refusal, Result};
use crate::store::entity::{application, opportunity, placement};
use crate::validate;

/// The columns of a placements file.
pub const PLACEMENT_COLUMNS: &[&str] = &[
    "external_id",
    "application_external_id",
    "application_id",
    "start_date",
    "end_date",
    "end_reason",
    "end_note",
];
const PLACEMENT_REQUIRED: &[&str] = &["external_id", "start_date"];

/// As `EndPlacement`'s own limit.
const MAX_NOTE: usize = 500;

/// One placement line read.
struct Read {
    line: u32,
    external_id: String,
    application: Reference,
    start_date: NaiveDate,
    end_date: Option<NaiveDate>,
    end_reason: String,
    end_note: String,
}

fn read(line: Line<'_>, ids: &mut ExternalIds, number: u32) -> Result<Read> {
    let today = Utc::now().date_naive();
    let external_id = ids.take(number, line.text("external_id"))?;
    let application = reference(
        line,
        ("application_external_id", "application_id"),
        RefusalKind::UnknownApplication,
    )?;
    let start_date = happened("start_date", required_date(line, "start_date")?, today)?;
    let end_date = match line.date("end_date")? {
        Some(end) => Some(not_before(
            "end_date",
            happened("end_date", end, today)?,
            "start_date",
            start_date,
        )?),
        None => None,
    };
    let reason = enums::parse::<v1::PlacementEndReason>(
        "end_reason",
        line.enumerated::<v1::PlacementEndReason>("end_reason")?,
        end_date.is_some(),
    )?;
    let end_note = validate::optional_text("end_note", line.text("end_note"), MAX_NOTE)?;
    if end_date.is_none() {
        for (column, filled) in [
            ("end_reason", reason != v1::PlacementEndReason::Unspecified),
            ("end_note", !end_note.is_empty()),
        ] {
            if filled {
                return Err(Error::refused(
                    column,
                    format!("only a placement that ended (with an end_date) has {column}"),
                    Refusal::of(RefusalKind::OnlyForAnEndedPlacement, "", []),
                ));
            }
        }
    }
    if reason == v1::PlacementEndReason::Other && end_note.is_empty() {
        return Err(Error::refused(
            "end_note",
            "must say why when the end_reason is other",
            Refusal::of(RefusalKind::Missing, "", []),
        ));
    }
    Ok(Read {
        line: number,
        external_id,
        application,
        start_date,
        end_date,
        end_reason: if end_date.is_some() {
            enums::stored(reason)
        } else {
            String::new()
        },
        end_note,
    })
}

/// Checks every line of a placements file.
pub async fn check(sheet: &Sheet, txn: &DatabaseTransaction) -> Result<Checked> {
    let columns = Columns::check(
        &sheet.columns,
        PLACEMENT_COLUMNS,
        PLACEMENT_REQUIRED,
        "placements",
    )?;
    if !columns.has("application_external_id") && !columns.has("application_id") {
        return Err(missing_column("placements", "application_external_id"));
    }
    let mut outcome = Outcome::default();
    let lines = read_lines(sheet, &columns, &mut outcome, read)?;
    let applications = Known::find::<application::Entity>(
        txn,
        lines.iter().map(|l| &l.application),
        (application::Column::ExternalId, application::Column::Id),
        |a: &application::Model| (a.id, a.external_id.clone()),
    )
    .await?;
    let own: Vec<Reference> = lines
        .iter()
        .map(|l| Reference::External("external_id", l.external_id.clone()))
        .collect();
    let existing = Known::find::<placement::Entity>(
        txn,
        own.iter(),
        (placement::Column::ExternalId, placement::Column::Id),
        |p: &placement::Model| (p.id, p.external_id.clone()),
    )
    .await?;
    let named: Vec<&application::Model> = lines
        .iter()
        .filter_map(|l| applications.get(&l.application))
        .collect();
    // The placement each named application already became, and its opportunity.
    let mut placed: HashMap<Uuid, Uuid> = HashMap::new();
    let mut opportunities: HashMap<Uuid, opportunity::Model> = HashMap::new();
    for chunk in named.chunks(WRITE_CHUNK) {
        let application_ids: Vec<Uuid> = chunk.iter().map(|a| a.id).collect();
        for row in crate::store::placements::placements_of(txn, &application_ids).await? {
            placed.insert(row.application_id, row.id);
        }
        for row in opportunity::Entity::find()
            .filter(opportunity::Column::Id.is_in(chunk.iter().map(|a| a.opportunity_id)))
            .all(txn)
            .await?
        {
            opportunities.insert(row.id, row);
        }
    }

    let mut taken = HashSet::new();
    let mut writes = PlacementWrites::default();
    for read in lines {
        let Some(accepted) = applications.get(&read.application) else {
            let error = unknown(
                &read.application,
                RefusalKind::UnknownApplication,
                "application",
                "applications",
            );
            outcome.refuse(read.line, error)?;
            continue;
        };
        let column = read.application.column();
        if accepted.stage != "accepted" {
            outcome.refuse(
                read.line,
                Error::refused(
                    column,
                    format!(
                        "application {} is at stage {}; only an accepted application becomes a placement",
                        read.application.value(),
                        accepted.stage
                    ),
                    Refusal::of(RefusalKind::NotAccepted, &accepted.stage, []),
                ),
            )?;
            continue;
        }
        let before = existing.get(&Reference::External(
            "external_id",
            read.external_id.clone(),
        ));
        let placed_as_other = placed
            .get(&accepted.id)
            .is_some_and(|placement| before.is_none_or(|b| b.id != *placement));
        if placed_as_other || !taken.insert(accepted.id) {
            outcome.refuse(
                read.line,
                Error::refused(
                    column,
                    format!(
                        "application {} already became a placement",
                        read.application.value()
                    ),
                    Refusal::of(RefusalKind::AlreadyPlaced, &read.application.value(), []),
                ),
            )?;
            continue;
        }
        let Some((opportunity, kind)) = opportunities
            .get(&accepted.opportunity_id)
            .and_then(|o| Some((o, placement_kind(&o.kind)?)))
        else {
            return Err(Error::FailedPrecondition(format!(
                "application {} names opportunity {}, which has no placement kind",
                accepted.id, accepted.opportunity_id
            )));
        };
        let row = placement::Model {
            id: before.map_or_else(Uuid::now_v7, |b| b.id),
            application_id: accepted.id,
            member_id: accepted.member_id,
            opportunity_id: opportunity.id,
            organisation_id: opportunity.organisation_id,
            kind: kind.to_owned(),
            start_date: read.start_date,
            end_date: read.end_date,
            end_reason: read.end_reason,
            end_note: read.end_note,
            created_at: start_of(read.start_date),
            updated_at: start_of(read.end_date.unwrap_or(read.start_date)),
            external_id: Some(read.external_id.clone()),
        };
        match before {
            Some(before) if *before == row => outcome.unchanged += 1,
            Some(before) => {
                writes.placements.push((Some(before.clone()), row));
                outcome.updated.push(read.external_id);
                outcome.history += 1;
            }
            None => {
                writes.placements.push((None, row));
                outcome.created.push(read.external_id);
                outcome.history += 1;
            }
        }
    }
    Ok((outcome, Box::new(writes)))
}

/// The placements an import creates and changes, each with what it was.
#[derive(Default)]
struct PlacementWrites {
    placements: Vec<(Option<placement::Model>, placement::Model)>,
}

#[tonic::async_trait]
impl Writes for PlacementWrites {
    async fn write(
        self: Box<Self>,
        _context: &NodeContext,
        turn: WriteTurn,
        txn: DatabaseTransaction,
    ) -> Result<()> {
        // One at a time, each counted right after it is written, as
        // `AcceptApplication` and `EndPlacement` do: a member's days to her first
        // placement are read from the placements written before.
        for (before, row) in &self.placements {
            let active = row.clone().into_active_model();
            match before {
                Some(_) => {
                    active.reset_all().update(&txn).await?;
                }
                None => {
                    placement::Entity::insert(active)
                        .exec_without_returning(&txn)
                        .await?;
                }
            }
            crate::store::tally::placement(&txn, before.as_ref(), Some(row)).await?;
        }
        txn.commit().await?;
        drop(turn);
        tracing::info!(
            placements = self.placements.len(),
            "placements imported as history"
        );
        Ok(())
    }
}
