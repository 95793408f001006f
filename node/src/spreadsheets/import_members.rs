//! Importing members: a line becomes a member row through `convert::member::to_row`,
//! the check `CreateMember` makes. A new `external_id` creates a member, a known
//! one updates that member — the fields the file has columns for; the others stay
//! as they are (`joined_on`, when given, is when they joined). Shared
//! profiles are stamped and published as `CreateMember` and `UpdateMember` do, and
//! every written member is indexed for search, in the import's transaction.

use chrono::{NaiveDate, NaiveTime, TimeZone, Utc};
use passage_proto::v1;
use sea_orm::{
    ColumnTrait, DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter,
    sea_query::OnConflict,
};
use uuid::Uuid;

use super::cells::{Columns, Line};
use super::csv_file::Sheet;
use super::import::{Checked, ExternalIds, Outcome, WRITE_CHUNK, Writes, read_lines};
use crate::context::{NodeContext, WriteTurn};
use crate::convert::member::RowIdentity;
use crate::error::{Error, Refusal, Result};
use crate::federation::publish;
use crate::store::entity::member;
use crate::store::search_index;

/// The columns of a members file.
pub const COLUMNS: &[&str] = &[
    "external_id",
    "display_name",
    "profession",
    "sectors",
    "skills",
    "languages",
    "education_level",
    "experience_years",
    "available_hours_per_week",
    "share_across_regions",
    "role",
    "residence_status",
    "asylum_application_date",
    "permits",
    "civic_integration",
    "nationality",
    "safe_country_national",
    "in_reception_centre",
    "asylum_clock_stopped_days",
    "buddy_capacity",
    "in_school_programme",
    "identity_unclear",
    "joined_on",
];

/// The columns a members file must have.
pub const REQUIRED: &[&str] = &["external_id", "display_name", "role", "residence_status"];

/// Columns an import rewrites on a member it updates (not the id, home region,
/// or external id, which the row is found by).
const UPDATED: [member::Column; 24] = [
    member::Column::DisplayName,
    member::Column::Profession,
    member::Column::Sectors,
    member::Column::Skills,
    member::Column::Languages,
    member::Column::EducationLevel,
    member::Column::ExperienceYears,
    member::Column::AvailableHoursPerWeek,
    member::Column::ShareAcrossRegions,
    member::Column::Role,
    member::Column::ResidenceStatus,
    member::Column::AsylumApplicationDate,
    member::Column::Permits,
    member::Column::CivicIntegration,
    member::Column::Nationality,
    member::Column::SafeCountryNational,
    member::Column::InReceptionCentre,
    member::Column::AsylumClockStoppedDays,
    member::Column::BuddyCapacity,
    member::Column::InSchoolProgramme,
    member::Column::IdentityUnclear,
    member::Column::ProfileStamps,
    member::Column::CreatedAt,
    member::Column::UpdatedAt,
];

/// One line read: its external id, the member it describes, when they joined.
struct Read {
    line: u32,
    external_id: String,
    wire: v1::Member,
    joined_on: Option<NaiveDate>,
}

/// The update mask of a file's columns: the fields it gives.
fn mask_of(columns: &Columns) -> Vec<String> {
    COLUMNS
        .iter()
        .filter(|column| columns.has(column))
        .filter_map(|column| {
            let part = match *column {
                "external_id" | "joined_on" => return None,
                "role"
                | "residence_status"
                | "asylum_application_date"
                | "permits"
                | "civic_integration"
                | "nationality"
                | "safe_country_national"
                | "in_reception_centre"
                | "asylum_clock_stopped_days"
                | "buddy_capacity"
                | "in_school_programme"
                | "identity_unclear" => "regional",
                _ => "profile",
            };
            Some(format!("{part}.{column}"))
        })
        .collect()
}

/// Midnight UTC of `date`.
pub fn start_of(date: NaiveDate) -> chrono::DateTime<Utc> {
    Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN))
}

fn read(line: Line<'_>, ids: &mut ExternalIds, number: u32) -> Result<Read> {
    let external_id = ids.take(number, line.text("external_id"))?;
    let permits = line
        .list("permits")
        .into_iter()
        .map(|permit| match permit.split_once(':') {
            Some((kind, until)) => v1::Permit {
                kind: kind.trim().to_owned(),
                valid_until: until.trim().to_owned(),
            },
            None => v1::Permit {
                kind: permit,
                valid_until: String::new(),
            },
        })
        .collect();
    let wire = v1::Member {
        profile: Some(v1::SharedProfile {
            display_name: line.text("display_name").to_owned(),
            profession: line.text("profession").to_owned(),
            sectors: line.list("sectors"),
            skills: line.list("skills"),
            languages: line.list("languages"),
            education_level: line.enumerated::<v1::EducationLevel>("education_level")?,
            experience_years: line.number("experience_years")?,
            available_hours_per_week: line.number("available_hours_per_week")?,
            share_across_regions: line.yes_no("share_across_regions")?,
            ..Default::default()
        }),
        regional: Some(v1::RegionalRecord {
            role: line.enumerated::<v1::MemberRole>("role")?,
            residence_status: line.enumerated::<v1::ResidenceStatus>("residence_status")?,
            asylum_application_date: line.text("asylum_application_date").to_owned(),
            permits,
            civic_integration: line.enumerated::<v1::CivicIntegration>("civic_integration")?,
            nationality: line.text("nationality").to_owned(),
            safe_country_national: line.yes_no("safe_country_national")?,
            in_reception_centre: line.yes_no("in_reception_centre")?,
            asylum_clock_stopped_days: line.number("asylum_clock_stopped_days")?,
            buddy_capacity: line.number("buddy_capacity")?,
            in_school_programme: line.yes_no("in_school_programme")?,
            identity_unclear: line.yes_no("identity_unclear")?,
        }),
        ..Default::default()
    };
    let joined_on = line.date("joined_on")?;
    if let Some(date) = joined_on.filter(|date| *date > Utc::now().date_naive()) {
        return Err(Error::refused(
            "joined_on",
            "must not be in the future",
            Refusal::of(v1::RefusalKind::InTheFuture, &date.to_string(), []),
        ));
    }
    Ok(Read {
        line: number,
        external_id,
        wire,
        joined_on,
    })
}

/// The region's members under these external ids.
pub async fn known(
    txn: &DatabaseTransaction,
    external_ids: Vec<String>,
) -> Result<std::collections::HashMap<String, member::Model>> {
    let mut found = std::collections::HashMap::new();
    for chunk in external_ids.chunks(WRITE_CHUNK) {
        let rows = member::Entity::find()
            .filter(member::Column::ExternalId.is_in(chunk.iter().cloned()))
            .all(txn)
            .await?;
        for row in rows {
            if let Some(id) = row.external_id.clone() {
                found.insert(id, row);
            }
        }
    }
    Ok(found)
}

/// Checks every line of a members file.
pub async fn check(
    context: &NodeContext,
    sheet: &Sheet,
    txn: &DatabaseTransaction,
) -> Result<Checked> {
    let columns = Columns::check(&sheet.columns, COLUMNS, REQUIRED, "members")?;
    let mut outcome = Outcome::default();
    let lines = read_lines(sheet, &columns, &mut outcome, read)?;
    let read_at = std::time::Instant::now();
    let existing = known(txn, lines.iter().map(|l| l.external_id.clone()).collect()).await?;
    let paths = mask_of(&columns);
    tracing::debug!(
        known = existing.len(),
        ms = read_at.elapsed().as_millis(),
        "members found by external id"
    );
    let now = Utc::now();
    let mut writes = MemberWrites::default();
    for read in lines {
        let before = existing.get(&read.external_id);
        let created_at = match (read.joined_on, before) {
            (Some(date), _) => start_of(date),
            (None, Some(before)) => before.created_at,
            (None, None) => now,
        };
        let identity = RowIdentity {
            id: before.map_or_else(Uuid::now_v7, |b| b.id),
            home_region: context.region.clone(),
            created_at,
            updated_at: now,
        };
        // A member the region has keeps what the file has no column for.
        let wire = match before {
            Some(before) => {
                let mut wire = crate::convert::member::to_wire(before);
                crate::convert::member::apply_mask(&mut wire, &read.wire, &paths)?;
                wire
            }
            None => read.wire,
        };
        let mut row = match crate::convert::member::to_row(&wire, "", identity) {
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
                    == member::Model {
                        updated_at: before.updated_at,
                        profile_stamps: before.profile_stamps.clone(),
                        home_region: before.home_region.clone(),
                        ..row.clone()
                    } =>
            {
                outcome.unchanged += 1;
            }
            Some(before) => {
                let published =
                    publish::restamp(Some(before), &mut row, &context.clock, &context.region);
                writes.published.extend(published);
                writes.replaced.push(before.clone());
                writes.updated.push(row);
                outcome.updated.push(read.external_id);
            }
            None => {
                let published = publish::restamp(None, &mut row, &context.clock, &context.region);
                writes.published.extend(published);
                writes.created.push(row);
                outcome.created.push(read.external_id);
            }
        }
    }
    Ok((outcome, Box::new(writes)))
}

/// The members an import creates and changes, and the states it publishes.
#[derive(Default)]
struct MemberWrites {
    created: Vec<member::Model>,
    updated: Vec<member::Model>,
    /// What each of `updated` was, for the kept statistics.
    replaced: Vec<member::Model>,
    published: Vec<v1::ProfileState>,
}

#[tonic::async_trait]
impl Writes for MemberWrites {
    async fn write(
        self: Box<Self>,
        context: &NodeContext,
        turn: WriteTurn,
        txn: DatabaseTransaction,
    ) -> Result<()> {
        let started = std::time::Instant::now();
        for chunk in self.created.chunks(WRITE_CHUNK) {
            member::Entity::insert_many(
                chunk
                    .iter()
                    .cloned()
                    .map(IntoActiveModel::into_active_model),
            )
            .exec_without_returning(&txn)
            .await?;
        }
        for chunk in self.updated.chunks(WRITE_CHUNK) {
            member::Entity::insert_many(
                chunk
                    .iter()
                    .cloned()
                    .map(IntoActiveModel::into_active_model),
            )
            .on_conflict(
                OnConflict::column(member::Column::Id)
                    .update_columns(UPDATED)
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
        }
        let tallied: Vec<_> = (self.created.iter().map(|row| (None, Some(row))))
            .chain(
                self.replaced
                    .iter()
                    .zip(&self.updated)
                    .map(|(before, row)| (Some(before), Some(row))),
            )
            .collect();
        crate::store::tally::members(&txn, &tallied).await?;
        let rows_ms = started.elapsed().as_millis();
        search_index::index_members(&txn, &self.created).await?;
        search_index::index_members(&txn, &self.updated).await?;
        let indexed_ms = started.elapsed().as_millis();
        for chunk in self.published.chunks(WRITE_CHUNK) {
            publish::enqueue_all(&txn, chunk).await?;
        }
        txn.commit().await?;
        drop(turn);
        if !self.published.is_empty() {
            context.outbox_ready.notify_one();
        }
        tracing::info!(
            created = self.created.len(),
            updated = self.updated.len(),
            rows_ms,
            indexed_ms,
            total_ms = started.elapsed().as_millis(),
            "members imported"
        );
        Ok(())
    }
}
