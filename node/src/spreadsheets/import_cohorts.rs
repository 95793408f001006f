//! Importing a chapter's cohorts and their participants. A cohort line names a
//! coaching programme of the region by its name or id — programmes are created
//! in the console, not imported — and is checked as `CreateCohort` checks it:
//! one cohort per programme and year, the year that of `starts_on`. A
//! participant line enrols a newcomer of the region in a cohort imported
//! before, on the day they were enrolled (`enrolled_on`), with the outcome
//! recorded for them, if any: a member joins a cohort once, and a cohort holds
//! at most its capacity. What already happened is recorded as it happened
//! (cohorts that have started, and every participant) and nobody is notified.
//! Sessions and attendance are not part of these files: a cohort's sessions
//! are recorded in the console.

use std::collections::{BTreeSet, HashMap, HashSet, hash_map::Entry};

use chrono::{Datelike, NaiveDate, Utc};
use passage_proto::v1::{self, RefusalKind};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::cells::{Columns, Line, missing_column};
use super::csv_file::Sheet;
use super::history::{Known, Reference, happened, reference, required_date, unknown};
use super::import::{Changes, Checked, ExternalIds, Outcome, WRITE_CHUNK, Writes, read_lines};
use super::import_members::start_of;
use crate::context::{NodeContext, WriteTurn};
use crate::convert::coaching::{MAX_OUTCOME_DETAIL, cohort_from_wire};
use crate::convert::enums;
use crate::error::{Error, Refusal, Result};
use crate::store::entity::{coaching_cohort, coaching_enrolment, coaching_programme, member};
use crate::validate;

/// The columns of a cohorts file, every one required.
pub const COHORT_COLUMNS: &[&str] = &[
    "external_id",
    "programme",
    "starts_on",
    "ends_on",
    "capacity",
];

/// The columns of a cohort participants file.
pub const PARTICIPANT_COLUMNS: &[&str] = &[
    "external_id",
    "cohort_external_id",
    "cohort_id",
    "member_external_id",
    "member_id",
    "enrolled_on",
    "outcome",
    "outcome_recorded_on",
    "outcome_detail",
];
const PARTICIPANT_REQUIRED: &[&str] = &["external_id", "enrolled_on"];
/// The columns of a participant's outcome: a file with none of them leaves the
/// outcomes recorded in the console as they are.
const OUTCOME_COLUMNS: [&str; 3] = ["outcome", "outcome_recorded_on", "outcome_detail"];

/// As `CreateProgramme`'s limit on a programme's name.
const MAX_PROGRAMME_NAME: usize = 200;

/// One cohort line read.
struct ReadCohort {
    line: u32,
    external_id: String,
    /// The `programme` cell: a programme's name or id.
    programme: String,
    /// The cohort as `CreateCohort` checks it, of no programme yet.
    row: coaching_cohort::Model,
}

/// A refusal of `cohort_from_wire` in the file's columns: `cohort.ends_on` is
/// `ends_on`; the year is read from `starts_on`.
fn in_cohort_columns(error: Error) -> Error {
    match error {
        Error::InvalidArgument {
            field,
            reason,
            refusal,
        } => {
            let column = match field.strip_prefix("cohort.") {
                Some("year") => "starts_on",
                Some(column) => column,
                None => field.as_str(),
            }
            .to_owned();
            Error::InvalidArgument {
                field: column,
                reason,
                refusal,
            }
        }
        other => other,
    }
}

/// Reads a cohort line and checks its dates and capacity as `CreateCohort`
/// does; the programme is found after every line is read.
fn read_cohort(line: Line<'_>, ids: &mut ExternalIds, number: u32) -> Result<ReadCohort> {
    let external_id = ids.take(number, line.text("external_id"))?;
    let programme =
        validate::required_text("programme", line.text("programme"), MAX_PROGRAMME_NAME)?;
    let starts_on = required_date(line, "starts_on")?;
    let ends_on = required_date(line, "ends_on")?;
    if line.text("capacity").is_empty() {
        return Err(Error::missing("capacity", "must not be empty"));
    }
    let wire = v1::Cohort {
        year: starts_on.year(),
        starts_on: starts_on.to_string(),
        ends_on: ends_on.to_string(),
        capacity: line.number("capacity")?,
        ..Default::default()
    };
    let row = cohort_from_wire(&wire, Uuid::nil(), Uuid::nil()).map_err(in_cohort_columns)?;
    Ok(ReadCohort {
        line: number,
        external_id,
        programme,
        row,
    })
}

/// The region's programmes the file's `programme` cells name, by name or id.
async fn programmes_named<'c>(
    txn: &DatabaseTransaction,
    cells: impl Iterator<Item = &'c str>,
) -> Result<Vec<coaching_programme::Model>> {
    let names: Vec<String> = cells
        .map(str::to_owned)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let ids: Vec<Uuid> = names
        .iter()
        .filter_map(|name| Uuid::try_parse(name).ok())
        .collect();
    let mut found = HashMap::new();
    for chunk in names.chunks(WRITE_CHUNK) {
        let rows = coaching_programme::Entity::find()
            .filter(coaching_programme::Column::Name.is_in(chunk.iter().cloned()))
            .all(txn)
            .await?;
        found.extend(rows.into_iter().map(|p| (p.id, p)));
    }
    for chunk in ids.chunks(WRITE_CHUNK) {
        let rows = coaching_programme::Entity::find()
            .filter(coaching_programme::Column::Id.is_in(chunk.iter().copied()))
            .all(txn)
            .await?;
        found.extend(rows.into_iter().map(|p| (p.id, p)));
    }
    Ok(found.into_values().collect())
}

/// The programme a `programme` cell names: by its id, or the one programme of
/// that name.
fn programme_of<'p>(
    programmes: &'p [coaching_programme::Model],
    cell: &str,
) -> Result<&'p coaching_programme::Model> {
    let id = Uuid::try_parse(cell).ok();
    if let Some(programme) = programmes.iter().find(|p| Some(p.id) == id) {
        return Ok(programme);
    }
    let named: Vec<&coaching_programme::Model> =
        programmes.iter().filter(|p| p.name == cell).collect();
    match named.as_slice() {
        [programme] => Ok(*programme),
        [] => Err(Error::refused(
            "programme",
            format!(
                "no coaching programme of the region is named {} or has it as its id; \
                 programmes are created in the console, not imported",
                validate::quoted(cell)
            ),
            Refusal::of(RefusalKind::UnknownCohort, cell, []),
        )),
        several => Err(Error::invalid(
            "programme",
            format!(
                "{} programmes of the region are named {}: give the id of the one meant",
                several.len(),
                validate::quoted(cell)
            ),
        )),
    }
}

/// How many participants each of these cohorts has; a cohort without any is
/// absent.
async fn participant_counts(
    txn: &DatabaseTransaction,
    cohort_ids: &[Uuid],
) -> Result<HashMap<Uuid, i64>> {
    let mut counts = HashMap::new();
    for chunk in cohort_ids.chunks(WRITE_CHUNK) {
        let rows: Vec<(Uuid, i64)> = coaching_enrolment::Entity::find()
            .select_only()
            .column(coaching_enrolment::Column::CohortId)
            .column_as(Expr::col(coaching_enrolment::Column::Id).count(), "count")
            .filter(coaching_enrolment::Column::CohortId.is_in(chunk.iter().copied()))
            .group_by(coaching_enrolment::Column::CohortId)
            .into_tuple::<(Uuid, i64)>()
            .all(txn)
            .await?;
        counts.extend(rows);
    }
    Ok(counts)
}

/// The cohorts these programmes have, by programme and year.
async fn cohorts_by_year(
    txn: &DatabaseTransaction,
    programmes: &[coaching_programme::Model],
) -> Result<HashMap<(Uuid, i32), Uuid>> {
    let ids: Vec<Uuid> = programmes.iter().map(|p| p.id).collect();
    let mut years = HashMap::new();
    for chunk in ids.chunks(WRITE_CHUNK) {
        for row in coaching_cohort::Entity::find()
            .filter(coaching_cohort::Column::ProgrammeId.is_in(chunk.iter().copied()))
            .all(txn)
            .await?
        {
            years.insert((row.programme_id, row.year), row.id);
        }
    }
    Ok(years)
}

/// Checks every line of a cohorts file.
pub async fn check_cohorts(sheet: &Sheet, txn: &DatabaseTransaction) -> Result<Checked> {
    let columns = Columns::check(&sheet.columns, COHORT_COLUMNS, COHORT_COLUMNS, "cohorts")?;
    let mut outcome = Outcome::default();
    let lines = read_lines(sheet, &columns, &mut outcome, read_cohort)?;
    let programmes = programmes_named(txn, lines.iter().map(|l| l.programme.as_str())).await?;
    let own: Vec<Reference> = lines
        .iter()
        .map(|l| Reference::External("external_id", l.external_id.clone()))
        .collect();
    let existing = Known::find::<coaching_cohort::Entity>(
        txn,
        own.iter(),
        (
            coaching_cohort::Column::ExternalId,
            coaching_cohort::Column::Id,
        ),
        |c: &coaching_cohort::Model| (c.id, c.external_id.clone()),
    )
    .await?;
    let known_ids: Vec<Uuid> = own
        .iter()
        .filter_map(|r| existing.get(r))
        .map(|c| c.id)
        .collect();
    let participants = participant_counts(txn, &known_ids).await?;
    let years = cohorts_by_year(txn, &programmes).await?;
    let now = Utc::now();
    let today = now.date_naive();
    let mut in_file: HashMap<(Uuid, i32), u32> = HashMap::new();
    let mut writes = Changes::<coaching_cohort::Model>::default();
    for (read, by_external) in lines.into_iter().zip(&own) {
        let programme = match programme_of(&programmes, &read.programme) {
            Ok(programme) => programme,
            Err(error) => {
                outcome.refuse(read.line, error)?;
                continue;
            }
        };
        let before = existing.get(by_external);
        let starts_on = read.row.starts_on;
        let row = coaching_cohort::Model {
            id: before.map_or_else(Uuid::now_v7, |b| b.id),
            programme_id: programme.id,
            created_at: before.map_or_else(|| Ord::min(now, start_of(starts_on)), |b| b.created_at),
            external_id: Some(read.external_id.clone()),
            ..read.row
        };
        let taken = before
            .and_then(|b| participants.get(&b.id))
            .copied()
            .unwrap_or(0);
        if let Err(error) = one_a_year(&row, &programme.name, &years, &in_file)
            .and_then(|()| holds_its_participants(&row, taken))
        {
            outcome.refuse(read.line, error)?;
            continue;
        }
        in_file.insert((row.programme_id, row.year), read.line);
        let history = row.starts_on <= today;
        writes.file(&mut outcome, read.external_id, before, row, history);
    }
    Ok((outcome, Box::new(writes)))
}

/// A programme has one cohort a year: `row` is the only one of its year, in the
/// region (`years`) and in the file (`in_file`, by the line it is on).
fn one_a_year(
    row: &coaching_cohort::Model,
    programme: &str,
    years: &HashMap<(Uuid, i32), Uuid>,
    in_file: &HashMap<(Uuid, i32), u32>,
) -> Result<()> {
    let key = (row.programme_id, row.year);
    let taken_by = match (in_file.get(&key), years.get(&key)) {
        (Some(line), _) => format!("line {line}"),
        (None, Some(other)) if *other != row.id => format!("cohort {other}"),
        _ => return Ok(()),
    };
    Err(Error::invalid(
        "starts_on",
        format!(
            "programme {} has one cohort a year, and its {} cohort is {taken_by}",
            validate::quoted(programme),
            row.year
        ),
    ))
}

/// A cohort's capacity does not go below the `taken` participants it has.
fn holds_its_participants(row: &coaching_cohort::Model, taken: i64) -> Result<()> {
    if taken <= i64::from(row.capacity) {
        return Ok(());
    }
    Err(Error::refused(
        "capacity",
        format!(
            "the cohort has {taken} participants already; its capacity cannot be {}",
            row.capacity
        ),
        Refusal::of(
            RefusalKind::OverCapacity,
            &taken.to_string(),
            [row.capacity.to_string()],
        ),
    ))
}

#[tonic::async_trait]
impl Writes for Changes<coaching_cohort::Model> {
    async fn write(
        self: Box<Self>,
        _context: &NodeContext,
        turn: WriteTurn,
        txn: DatabaseTransaction,
    ) -> Result<()> {
        Changes::write::<coaching_cohort::Entity>(&self, &txn).await?;
        txn.commit().await?;
        drop(turn);
        tracing::info!(
            created = self.created.len(),
            updated = self.updated.len(),
            "cohorts imported"
        );
        Ok(())
    }
}

/// One participant line read.
struct ReadParticipant {
    line: u32,
    external_id: String,
    cohort: Reference,
    member: Reference,
    enrolled_on: NaiveDate,
    /// The stored outcome (`paid_job`); empty when none is recorded.
    outcome: String,
    outcome_recorded_on: Option<NaiveDate>,
    outcome_detail: String,
}

/// Reads a participant line: the cohort and member it names, the day of
/// enrolment and the outcome, recorded on a day that has come with its detail
/// (as `RecordParticipantOutcome` limits it), or none.
fn read_participant(line: Line<'_>, ids: &mut ExternalIds, number: u32) -> Result<ReadParticipant> {
    let today = Utc::now().date_naive();
    let external_id = ids.take(number, line.text("external_id"))?;
    let cohort = reference(
        line,
        ("cohort_external_id", "cohort_id"),
        RefusalKind::UnknownCohort,
    )?;
    let member = reference(
        line,
        ("member_external_id", "member_id"),
        RefusalKind::UnknownMember,
    )?;
    let enrolled_on = happened("enrolled_on", required_date(line, "enrolled_on")?, today)?;
    let outcome = enums::parse::<v1::CoachingOutcome>(
        "outcome",
        line.enumerated::<v1::CoachingOutcome>("outcome")?,
        false,
    )?;
    let outcome_recorded_on = match line.date("outcome_recorded_on")? {
        Some(recorded) => Some(happened("outcome_recorded_on", recorded, today)?),
        None => None,
    };
    let outcome_detail = validate::optional_text(
        "outcome_detail",
        line.text("outcome_detail"),
        MAX_OUTCOME_DETAIL,
    )?;
    let recorded = outcome != v1::CoachingOutcome::Unspecified;
    if !recorded && (outcome_recorded_on.is_some() || !outcome_detail.is_empty()) {
        return Err(Error::missing(
            "outcome",
            "outcome_recorded_on and outcome_detail are of an outcome: \
             give it (paid_job, unpaid_role, education or none)",
        ));
    }
    if recorded && outcome_recorded_on.is_none() {
        return Err(Error::missing(
            "outcome_recorded_on",
            "an outcome needs the day it was recorded",
        ));
    }
    Ok(ReadParticipant {
        line: number,
        external_id,
        cohort,
        member,
        enrolled_on,
        outcome: if recorded {
            enums::stored(outcome)
        } else {
            String::new()
        },
        outcome_recorded_on,
        outcome_detail,
    })
}

/// Checks every line of a cohort participants file.
pub async fn check_participants(sheet: &Sheet, txn: &DatabaseTransaction) -> Result<Checked> {
    let columns = Columns::check(
        &sheet.columns,
        PARTICIPANT_COLUMNS,
        PARTICIPANT_REQUIRED,
        "cohort participants",
    )?;
    for (external, id) in [
        ("cohort_external_id", "cohort_id"),
        ("member_external_id", "member_id"),
    ] {
        if !columns.has(external) && !columns.has(id) {
            return Err(missing_column("cohort participants", external));
        }
    }
    let keeps_outcomes = !OUTCOME_COLUMNS.iter().any(|column| columns.has(column));
    let mut outcome = Outcome::default();
    let lines = read_lines(sheet, &columns, &mut outcome, read_participant)?;
    let cohorts = Known::find::<coaching_cohort::Entity>(
        txn,
        lines.iter().map(|l| &l.cohort),
        (
            coaching_cohort::Column::ExternalId,
            coaching_cohort::Column::Id,
        ),
        |c: &coaching_cohort::Model| (c.id, c.external_id.clone()),
    )
    .await?;
    let members = Known::find::<member::Entity>(
        txn,
        lines.iter().map(|l| &l.member),
        (member::Column::ExternalId, member::Column::Id),
        |m: &member::Model| (m.id, m.external_id.clone()),
    )
    .await?;
    let own: Vec<Reference> = lines
        .iter()
        .map(|l| Reference::External("external_id", l.external_id.clone()))
        .collect();
    let existing = Known::find::<coaching_enrolment::Entity>(
        txn,
        own.iter(),
        (
            coaching_enrolment::Column::ExternalId,
            coaching_enrolment::Column::Id,
        ),
        |e: &coaching_enrolment::Model| (e.id, e.external_id.clone()),
    )
    .await?;
    let touched: HashSet<Uuid> = own
        .iter()
        .filter_map(|r| existing.get(r))
        .map(|e| e.id)
        .collect();
    let cohort_ids: Vec<Uuid> = lines
        .iter()
        .filter_map(|l| cohorts.get(&l.cohort))
        .map(|c| c.id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    // Who each cohort has, and how many of them the file leaves as they are.
    let mut enrolled: HashMap<(Uuid, Uuid), Uuid> = HashMap::new();
    let mut seats: HashMap<Uuid, i64> = HashMap::new();
    for chunk in cohort_ids.chunks(WRITE_CHUNK) {
        for row in coaching_enrolment::Entity::find()
            .filter(coaching_enrolment::Column::CohortId.is_in(chunk.iter().copied()))
            .all(txn)
            .await?
        {
            enrolled.insert((row.cohort_id, row.member_id), row.id);
            if !touched.contains(&row.id) {
                *seats.entry(row.cohort_id).or_default() += 1;
            }
        }
    }

    let mut first_line: HashMap<(Uuid, Uuid), u32> = HashMap::new();
    let mut writes = Changes::<coaching_enrolment::Model>::default();
    for (read, by_external) in lines.into_iter().zip(&own) {
        let Some(cohort) = cohorts.get(&read.cohort) else {
            let error = unknown(
                &read.cohort,
                RefusalKind::UnknownCohort,
                "cohort",
                "cohorts",
            );
            outcome.refuse(read.line, error)?;
            continue;
        };
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
        let before = existing.get(by_external);
        let id = before.map_or_else(Uuid::now_v7, |b| b.id);
        let checked = may_join(&read, cohort, member)
            .and_then(|()| joins_once(&read, cohort, member, id, &enrolled, &mut first_line))
            .and_then(|()| {
                let taken = seats.entry(cohort.id).or_default();
                *taken += 1;
                has_a_seat(read.cohort.column(), cohort, *taken)
            });
        if let Err(error) = checked {
            outcome.refuse(read.line, error)?;
            continue;
        }
        let mut row = coaching_enrolment::Model {
            id,
            cohort_id: cohort.id,
            member_id: member.id,
            outcome: read.outcome,
            outcome_recorded_on: read.outcome_recorded_on,
            outcome_detail: read.outcome_detail,
            enrolled_at: start_of(read.enrolled_on),
            external_id: Some(read.external_id.clone()),
        };
        if let Some(before) = before.filter(|_| keeps_outcomes) {
            row.outcome.clone_from(&before.outcome);
            row.outcome_recorded_on = before.outcome_recorded_on;
            row.outcome_detail.clone_from(&before.outcome_detail);
        }
        writes.file(&mut outcome, read.external_id, before, row, true);
    }
    Ok((outcome, Box::new(writes)))
}

/// As `EnrolParticipant` and `RecordParticipantOutcome` check it: cohorts are
/// for newcomers, and an outcome is recorded once the cohort has ended.
fn may_join(
    read: &ReadParticipant,
    cohort: &coaching_cohort::Model,
    member: &member::Model,
) -> Result<()> {
    if member.role != "newcomer" {
        return Err(Error::refused(
            read.member.column(),
            format!(
                "member {} is a {}, not a newcomer; coaching cohorts are for newcomers",
                read.member.value(),
                member.role.replace('_', " ")
            ),
            Refusal::of(RefusalKind::NotANewcomer, &member.role, []),
        ));
    }
    match read.outcome_recorded_on {
        // As `RecordParticipantOutcome`: an outcome is what came after the cohort.
        Some(recorded) if recorded < cohort.ends_on => Err(Error::refused(
            "outcome_recorded_on",
            format!(
                "must be on or after the day the cohort ends ({}), got {recorded}",
                cohort.ends_on
            ),
            Refusal::of(
                RefusalKind::Before,
                &recorded.to_string(),
                [cohort.ends_on.to_string()],
            ),
        )),
        _ => Ok(()),
    }
}

/// A member joins a cohort once: on one line of the file (`first_line`), and
/// not as another participant the region has (`enrolled`, by cohort and member)
/// than the participant `id` the line is.
fn joins_once(
    read: &ReadParticipant,
    cohort: &coaching_cohort::Model,
    member: &member::Model,
    id: Uuid,
    enrolled: &HashMap<(Uuid, Uuid), Uuid>,
    first_line: &mut HashMap<(Uuid, Uuid), u32>,
) -> Result<()> {
    let key = (cohort.id, member.id);
    let (reason, allowed) = match first_line.entry(key) {
        Entry::Occupied(first) => (format!("also on line {}", first.get()), Some(*first.get())),
        Entry::Vacant(slot) => {
            slot.insert(read.line);
            match enrolled.get(&key) {
                Some(other) if *other != id => (format!("participant {other} already"), None),
                _ => return Ok(()),
            }
        }
    };
    Err(Error::refused(
        read.member.column(),
        format!(
            "member {} is in cohort {}: {reason}",
            read.member.value(),
            read.cohort.value()
        ),
        Refusal::of(
            RefusalKind::AlreadyIn,
            &read.member.value(),
            allowed.map(|line| line.to_string()),
        ),
    ))
}

/// The `taken`-th participant of the cohort, named in `column`, fits its
/// capacity.
fn has_a_seat(column: &str, cohort: &coaching_cohort::Model, taken: i64) -> Result<()> {
    if taken <= i64::from(cohort.capacity) {
        return Ok(());
    }
    Err(Error::refused(
        column,
        format!(
            "the cohort holds {} participants; this one would be participant {taken}",
            cohort.capacity
        ),
        Refusal::of(
            RefusalKind::OverCapacity,
            &taken.to_string(),
            [cohort.capacity.to_string()],
        ),
    ))
}

#[tonic::async_trait]
impl Writes for Changes<coaching_enrolment::Model> {
    async fn write(
        self: Box<Self>,
        _context: &NodeContext,
        turn: WriteTurn,
        txn: DatabaseTransaction,
    ) -> Result<()> {
        Changes::write::<coaching_enrolment::Entity>(&self, &txn).await?;
        // The region's kept figures, as `EnrolParticipant` and
        // `RecordParticipantOutcome` keep them.
        for (before, row) in self.pairs() {
            crate::store::tally::enrolment(&txn, before, row).await?;
        }
        txn.commit().await?;
        drop(turn);
        tracing::info!(
            created = self.created.len(),
            updated = self.updated.len(),
            "cohort participants imported as history"
        );
        Ok(())
    }
}
