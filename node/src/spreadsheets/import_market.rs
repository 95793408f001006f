//! Importing organisations and opportunities: each line becomes a row through the
//! create RPCs' own conversion (`convert::market`). An opportunity names its
//! organisation by the organisation's `external_id` (or its `organisation_id`);
//! it starts as a draft, so community review still applies, unless the line
//! marks it as a historical record — `status` filled or closed, with the day it
//! was posted (`posted_on`) and, when known, closed (`closed_on`). An import
//! changes an opportunity the region has only while it is a draft or a
//! historical record: what the community reviewed is what goes out. A record the
//! region has keeps the fields the file has no column for.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use passage_proto::v1;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter,
    QuerySelect, sea_query::OnConflict,
};
use uuid::Uuid;

use super::cells::{Columns, Line};
use super::csv_file::Sheet;
use super::import::{Checked, ExternalIds, Outcome, WRITE_CHUNK, Writes, read_lines};
use super::import_members::start_of;
use crate::context::{NodeContext, WriteTurn};
use crate::convert::market::{RowStamp, opportunity_to_row, organisation_to_row};
use crate::error::{Error, Refusal, Result};
use crate::store::entity::{opportunity, organisation};
use crate::store::search_index;
use crate::validate;

/// The columns of an organisations file.
pub const ORGANISATION_COLUMNS: &[&str] = &[
    "external_id",
    "name",
    "kind",
    "sector",
    "location",
    "website",
    "headcount",
];
const ORGANISATION_REQUIRED: &[&str] = &["external_id", "name", "kind", "sector"];

/// The columns of an opportunities file.
pub const OPPORTUNITY_COLUMNS: &[&str] = &[
    "external_id",
    "organisation_external_id",
    "organisation_id",
    "title",
    "description",
    "kind",
    "sector",
    "skills",
    "languages",
    "hours_per_week",
    "paid",
    "location",
    "self_employment",
    "hourly_wage_cents",
    "status",
    "posted_on",
    "closed_on",
];
const OPPORTUNITY_REQUIRED: &[&str] = &["external_id", "title", "kind", "sector", "hours_per_week"];

/// Statuses of a historical record.
const HISTORICAL: [&str; 2] = ["filled", "closed"];

/// Checks every line of an organisations file.
pub async fn check_organisations(sheet: &Sheet, txn: &DatabaseTransaction) -> Result<Checked> {
    let columns = Columns::check(
        &sheet.columns,
        ORGANISATION_COLUMNS,
        ORGANISATION_REQUIRED,
        "organisations",
    )?;
    let mut outcome = Outcome::default();
    let mut ids = ExternalIds::default();
    let mut lines = Vec::new();
    for (number, cells) in &sheet.lines {
        let line = Line {
            columns: &columns,
            cells,
        };
        let mut read = || -> Result<(String, v1::Organisation)> {
            Ok((
                ids.take(*number, line.text("external_id"))?,
                v1::Organisation {
                    name: line.text("name").to_owned(),
                    kind: line.enumerated::<v1::OrganisationKind>("kind")?,
                    sector: line.text("sector").to_owned(),
                    location: line.text("location").to_owned(),
                    website: line.text("website").to_owned(),
                    headcount: line.number("headcount")?,
                    ..Default::default()
                },
            ))
        };
        match read() {
            Ok(read) => lines.push((*number, read)),
            Err(error) => outcome.refuse(*number, error)?,
        }
    }
    let existing = organisations_known(txn, lines.iter().map(|l| l.1.0.clone()).collect()).await?;
    let paths: Vec<String> = ORGANISATION_COLUMNS[1..]
        .iter()
        .filter(|column| columns.has(column))
        .map(|column| (*column).to_owned())
        .collect();
    let now = Utc::now();
    let mut writes = MarketWrites::default();
    for (number, (external_id, wire)) in lines {
        let before = existing.get(&external_id);
        let stamp = RowStamp {
            id: before.map_or_else(Uuid::now_v7, |b| b.id),
            created_at: before.map_or(now, |b| b.created_at),
            updated_at: now,
        };
        // An organisation the region has keeps what the file has no column for.
        let wire = match before {
            Some(before) => {
                let mut current = crate::convert::market::organisation_to_wire(before);
                crate::convert::market::apply_organisation_mask(&mut current, &wire, &paths)?;
                current
            }
            None => wire,
        };
        let mut row = match organisation_to_row(&wire, "row", stamp) {
            Ok(row) => row,
            Err(error) => {
                outcome.refuse(number, error)?;
                continue;
            }
        };
        row.external_id = Some(external_id.clone());
        match before {
            Some(before)
                if *before
                    == organisation::Model {
                        updated_at: before.updated_at,
                        ..row.clone()
                    } =>
            {
                outcome.unchanged += 1
            }
            Some(_) => {
                writes.organisations_updated.push(row);
                outcome.updated.push(external_id);
            }
            None => {
                writes.organisations_created.push(row);
                outcome.created.push(external_id);
            }
        }
    }
    Ok((outcome, Box::new(writes)))
}

async fn organisations_known(
    txn: &DatabaseTransaction,
    external_ids: Vec<String>,
) -> Result<HashMap<String, organisation::Model>> {
    let mut found = HashMap::new();
    for chunk in external_ids.chunks(WRITE_CHUNK) {
        for row in organisation::Entity::find()
            .filter(organisation::Column::ExternalId.is_in(chunk.iter().cloned()))
            .all(txn)
            .await?
        {
            if let Some(id) = row.external_id.clone() {
                found.insert(id, row);
            }
        }
    }
    Ok(found)
}

/// One opportunity line read.
struct ReadOpportunity {
    line: u32,
    external_id: String,
    organisation: OrganisationRef,
    wire: v1::Opportunity,
    posted_on: Option<chrono::NaiveDate>,
    closed_on: Option<chrono::NaiveDate>,
}

/// How a line names its organisation.
enum OrganisationRef {
    External(String),
    Id(Uuid),
}

fn read_opportunity(line: Line<'_>, ids: &mut ExternalIds, number: u32) -> Result<ReadOpportunity> {
    let external_id = ids.take(number, line.text("external_id"))?;
    let organisation = match (
        line.text("organisation_external_id"),
        line.text("organisation_id"),
    ) {
        ("", "") => {
            return Err(Error::refused(
                if line.columns.has("organisation_external_id") {
                    "organisation_external_id"
                } else {
                    "organisation_id"
                },
                "must not be empty",
                Refusal::of(v1::RefusalKind::Missing, "", []),
            ));
        }
        ("", id) => OrganisationRef::Id(validate::id("organisation_id", id)?),
        (external, _) => OrganisationRef::External(external.to_owned()),
    };
    let status = line.text("status").to_lowercase();
    let posted_on = line.date("posted_on")?;
    let closed_on = line.date("closed_on")?;
    let today = Utc::now().date_naive();
    let wire_status = match status.as_str() {
        "" | "draft" => {
            if posted_on.is_some() || closed_on.is_some() {
                return Err(Error::refused(
                    if posted_on.is_some() {
                        "posted_on"
                    } else {
                        "closed_on"
                    },
                    "posted_on and closed_on are for historical records: give status filled or closed",
                    Refusal::of(v1::RefusalKind::OnlyForHistoricalRecords, "", []),
                ));
            }
            v1::OpportunityStatus::Draft
        }
        "filled" | "closed" => {
            let Some(posted) = posted_on else {
                return Err(Error::refused(
                    "posted_on",
                    "a historical record (status filled or closed) needs the day it was posted",
                    Refusal::of(v1::RefusalKind::Missing, "", []),
                ));
            };
            if posted > today {
                return Err(Error::refused(
                    "posted_on",
                    "must not be in the future",
                    Refusal::of(v1::RefusalKind::InTheFuture, &posted.to_string(), []),
                ));
            }
            if let Some(closed) = closed_on
                && (closed < posted || closed > today)
            {
                return Err(Error::refused(
                    "closed_on",
                    "must be between posted_on and today",
                    Refusal::of(
                        v1::RefusalKind::OutOfRange,
                        &closed.to_string(),
                        [posted.to_string(), today.to_string()],
                    ),
                ));
            }
            if status == "filled" {
                v1::OpportunityStatus::Filled
            } else {
                v1::OpportunityStatus::Closed
            }
        }
        other => {
            return Err(Error::refused(
                "status",
                format!(
                    "{} cannot be imported: an imported opportunity starts as a draft \
                     (community review still applies), or is a historical record (filled or closed, with posted_on)",
                    validate::quoted(other)
                ),
                Refusal::of(
                    v1::RefusalKind::NotOneOf,
                    other,
                    ["draft".to_owned(), "filled".to_owned(), "closed".to_owned()],
                ),
            ));
        }
    };
    Ok(ReadOpportunity {
        line: number,
        external_id,
        organisation,
        wire: v1::Opportunity {
            title: line.text("title").to_owned(),
            description: line.text("description").to_owned(),
            kind: line.enumerated::<v1::OpportunityKind>("kind")?,
            sector: line.text("sector").to_owned(),
            skills: line.list("skills"),
            languages: line.list("languages"),
            hours_per_week: line.number("hours_per_week")?,
            paid: line.yes_no("paid")?,
            location: line.text("location").to_owned(),
            self_employment: line.yes_no("self_employment")?,
            hourly_wage_cents: line.number("hourly_wage_cents")?,
            status: wire_status as i32,
            ..Default::default()
        },
        posted_on,
        closed_on,
    })
}

/// Checks every line of an opportunities file.
pub async fn check_opportunities(sheet: &Sheet, txn: &DatabaseTransaction) -> Result<Checked> {
    let columns = Columns::check(
        &sheet.columns,
        OPPORTUNITY_COLUMNS,
        OPPORTUNITY_REQUIRED,
        "opportunities",
    )?;
    if !columns.has("organisation_external_id") && !columns.has("organisation_id") {
        return Err(super::cells::missing_column(
            "opportunities",
            "organisation_external_id",
        ));
    }
    let mut outcome = Outcome::default();
    let lines = read_lines(sheet, &columns, &mut outcome, read_opportunity)?;
    let organisations = organisations_known(
        txn,
        lines
            .iter()
            .filter_map(|l| match &l.organisation {
                OrganisationRef::External(id) => Some(id.clone()),
                OrganisationRef::Id(_) => None,
            })
            .collect::<HashSet<_>>()
            .into_iter()
            .collect(),
    )
    .await?;
    let named_ids: Vec<Uuid> = lines
        .iter()
        .filter_map(|l| match l.organisation {
            OrganisationRef::Id(id) => Some(id),
            OrganisationRef::External(_) => None,
        })
        .collect();
    let mut organisation_ids = HashSet::new();
    for chunk in named_ids.chunks(WRITE_CHUNK) {
        let found: Vec<Uuid> = organisation::Entity::find()
            .select_only()
            .column(organisation::Column::Id)
            .filter(organisation::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(txn)
            .await?;
        organisation_ids.extend(found);
    }
    let mut existing = HashMap::new();
    let external_ids: Vec<String> = lines.iter().map(|l| l.external_id.clone()).collect();
    for chunk in external_ids.chunks(WRITE_CHUNK) {
        for row in opportunity::Entity::find()
            .filter(opportunity::Column::ExternalId.is_in(chunk.iter().cloned()))
            .all(txn)
            .await?
        {
            if let Some(id) = row.external_id.clone() {
                existing.insert(id, row);
            }
        }
    }
    let paths: Vec<String> = OPPORTUNITY_COLUMNS
        .iter()
        .filter(|column| columns.has(column))
        .filter(|column| crate::convert::market::OPPORTUNITY_UPDATABLE.contains(column))
        .map(|column| (*column).to_owned())
        .collect();
    let now = Utc::now();
    let mut writes = MarketWrites::default();
    for mut read in lines {
        let organisation_id = match &read.organisation {
            OrganisationRef::External(external) => match organisations.get(external) {
                Some(found) => found.id,
                None => {
                    outcome.refuse(
                        read.line,
                        Error::refused(
                            "organisation_external_id",
                            format!(
                                "no organisation of the region has the external_id {} (import the organisations first)",
                                validate::quoted(external)
                            ),
                            Refusal::of(v1::RefusalKind::UnknownOrganisation, external, []),
                        ),
                    )?;
                    continue;
                }
            },
            OrganisationRef::Id(id) if organisation_ids.contains(id) => *id,
            OrganisationRef::Id(id) => {
                outcome.refuse(
                    read.line,
                    Error::refused(
                        "organisation_id",
                        format!("no organisation {id} in the region"),
                        Refusal::of(v1::RefusalKind::UnknownOrganisation, &id.to_string(), []),
                    ),
                )?;
                continue;
            }
        };
        read.wire.organisation_id = organisation_id.to_string();
        let before = existing.get(&read.external_id);
        // An opportunity the region has keeps what the file has no column for.
        if let Some(before) = before {
            let mut current = crate::convert::market::opportunity_to_wire(before);
            crate::convert::market::apply_opportunity_mask(&mut current, &read.wire, &paths)?;
            current.organisation_id = read.wire.organisation_id.clone();
            current.status = read.wire.status;
            read.wire = current;
        }
        let stamp = RowStamp {
            id: before.map_or_else(Uuid::now_v7, |b| b.id),
            created_at: match (read.posted_on, before) {
                (Some(posted), _) => start_of(posted),
                (None, Some(before)) => before.created_at,
                (None, None) => now,
            },
            updated_at: match (read.closed_on, read.posted_on) {
                (Some(closed), _) => start_of(closed),
                (None, Some(posted)) => start_of(posted),
                (None, None) => now,
            },
        };
        let mut row = match opportunity_to_row(&read.wire, "row", stamp) {
            Ok(row) => row,
            Err(error) => {
                outcome.refuse(read.line, error)?;
                continue;
            }
        };
        row.external_id = Some(read.external_id.clone());
        match before {
            Some(before)
                if *before
                    == opportunity::Model {
                        updated_at: before.updated_at,
                        ..row.clone()
                    } =>
            {
                outcome.unchanged += 1
            }
            Some(before)
                if before.status != "draft"
                    && !(HISTORICAL.contains(&before.status.as_str())
                        && HISTORICAL.contains(&row.status.as_str())) =>
            {
                outcome.refuse(
                    read.line,
                    Error::refused(
                        "external_id",
                        format!(
                            "opportunity {} is {} now; an import changes only drafts and historical records",
                            before.id, before.status
                        ),
                        Refusal::of(v1::RefusalKind::NotChangeable, &before.status, []),
                    ),
                )?;
            }
            Some(before) => {
                outcome.history += u32::from(HISTORICAL.contains(&row.status.as_str()));
                writes.opportunities_replaced.push(before.clone());
                writes.opportunities_updated.push(row);
                outcome.updated.push(read.external_id);
            }
            None => {
                outcome.history += u32::from(HISTORICAL.contains(&row.status.as_str()));
                writes.opportunities_created.push(row);
                outcome.created.push(read.external_id);
            }
        }
    }
    Ok((outcome, Box::new(writes)))
}

/// The organisations and opportunities an import creates and changes.
#[derive(Default)]
struct MarketWrites {
    organisations_created: Vec<organisation::Model>,
    organisations_updated: Vec<organisation::Model>,
    opportunities_created: Vec<opportunity::Model>,
    opportunities_updated: Vec<opportunity::Model>,
    /// What each of `opportunities_updated` was, for the kept statistics.
    opportunities_replaced: Vec<opportunity::Model>,
}

#[tonic::async_trait]
impl Writes for MarketWrites {
    async fn write(
        self: Box<Self>,
        context: &NodeContext,
        turn: WriteTurn,
        txn: DatabaseTransaction,
    ) -> Result<()> {
        for chunk in self.organisations_created.chunks(WRITE_CHUNK) {
            organisation::Entity::insert_many(
                chunk
                    .iter()
                    .cloned()
                    .map(IntoActiveModel::into_active_model),
            )
            .exec_without_returning(&txn)
            .await?;
        }
        for row in &self.organisations_updated {
            organisation::Entity::update(row.clone().into_active_model().reset_all())
                .exec(&txn)
                .await?;
        }
        for chunk in self.opportunities_created.chunks(WRITE_CHUNK) {
            opportunity::Entity::insert_many(
                chunk
                    .iter()
                    .cloned()
                    .map(IntoActiveModel::into_active_model),
            )
            .exec_without_returning(&txn)
            .await?;
        }
        for chunk in self.opportunities_updated.chunks(WRITE_CHUNK) {
            opportunity::Entity::insert_many(
                chunk
                    .iter()
                    .cloned()
                    .map(IntoActiveModel::into_active_model),
            )
            .on_conflict(
                OnConflict::column(opportunity::Column::Id)
                    .update_columns([
                        opportunity::Column::Title,
                        opportunity::Column::Description,
                        opportunity::Column::Kind,
                        opportunity::Column::Sector,
                        opportunity::Column::Skills,
                        opportunity::Column::Languages,
                        opportunity::Column::HoursPerWeek,
                        opportunity::Column::Paid,
                        opportunity::Column::Location,
                        opportunity::Column::SelfEmployment,
                        opportunity::Column::HourlyWageCents,
                        opportunity::Column::Status,
                        opportunity::Column::OrganisationId,
                        opportunity::Column::CreatedAt,
                        opportunity::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
        }
        let tallied: Vec<_> = (self.opportunities_created.iter())
            .map(|row| (None, Some(row)))
            .chain(
                self.opportunities_replaced
                    .iter()
                    .zip(&self.opportunities_updated)
                    .map(|(before, row)| (Some(before), Some(row))),
            )
            .collect();
        crate::store::tally::opportunities(&txn, &tallied).await?;
        search_index::index_opportunities(&txn, &self.opportunities_created).await?;
        search_index::index_opportunities(&txn, &self.opportunities_updated).await?;
        txn.commit().await?;
        drop(turn);
        // Matching keeps published opportunities and their organisations in memory.
        for row in &self.organisations_updated {
            context
                .catalogue
                .follow_organisation(&context.db, row.id)
                .await;
        }
        let changed: Vec<Uuid> = self
            .opportunities_updated
            .iter()
            .map(|row| row.id)
            .collect();
        if !changed.is_empty() {
            context.catalogue.follow(&context.db, &changed).await;
        }
        tracing::info!(
            organisations = self.organisations_created.len() + self.organisations_updated.len(),
            opportunities = self.opportunities_created.len() + self.opportunities_updated.len(),
            "market records imported"
        );
        Ok(())
    }
}
