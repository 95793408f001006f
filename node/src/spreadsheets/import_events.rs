//! Importing a chapter's events and who came to them. Events come past or to
//! come (a chapter brings its upcoming events too), each built with
//! `CreateEvent`'s own validation; an event that has ended is history. Then the
//! registrations for events imported before, at the status each reached —
//! registered, waitlisted, cancelled, attended or no-show — with the day it was
//! made (`registered_on`): attendance only for an event that has started, a
//! member in an event once, and the seats taken (registered, attended, no-show)
//! within the event's capacity, counting the registrations the region holds
//! already. A line whose `external_id` was imported before changes that record
//! instead of adding one; an event's capacity does not shrink below the seats
//! its registrations hold.
//!
//! What already happened is recorded as it happened: nobody is notified, and no
//! waiting list moves (an imported cancellation gives nobody a seat). Members
//! registered for an event to come get the reminder the day before, as anyone
//! registered does.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use passage_proto::v1::{self, RefusalKind};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::cells::{Columns, Line, missing_column};
use super::csv_file::Sheet;
use super::history::{Known, Reference, happened, reference, required_date, unknown};
use super::import::{Changes, Checked, ExternalIds, Outcome, WRITE_CHUNK, Writes, read_lines};
use super::import_members::start_of;
use crate::context::{NodeContext, WriteTurn};
use crate::convert::{self, enums};
use crate::error::{Error, Refusal, Result};
use crate::store::entity::{community_event, event_registration, member};
use crate::store::events::HOLDING_SEAT;

/// The columns of an events file.
pub const EVENT_COLUMNS: &[&str] = &[
    "external_id",
    "kind",
    "title",
    "description",
    "starts_at",
    "ends_at",
    "place",
    "capacity",
    "languages",
];
const EVENT_REQUIRED: &[&str] = &[
    "external_id",
    "kind",
    "title",
    "starts_at",
    "ends_at",
    "place",
    "capacity",
];

/// The columns of an event registrations file.
pub const REGISTRATION_COLUMNS: &[&str] = &[
    "external_id",
    "event_external_id",
    "event_id",
    "member_external_id",
    "member_id",
    "status",
    "registered_on",
];
const REGISTRATION_REQUIRED: &[&str] = &["external_id", "status", "registered_on"];

/// The event's fields as `CreateEvent`'s validation names them (under the
/// prefix `row`) that the file names otherwise.
const RENAMED: [(&str, &str); 2] = [("row.start_time", "starts_at"), ("row.end_time", "ends_at")];
/// Statuses recorded once an event has started.
const MARKED: [&str; 2] = ["attended", "no_show"];
/// Statuses that settle a registration after it was made: marked at the event,
/// or cancelled.
const SETTLED: [&str; 3] = ["attended", "no_show", "cancelled"];

/// The record of the file's own `external_id` column.
fn own(external_id: &str) -> Reference {
    Reference::External("external_id", external_id.to_owned())
}

/// A moment the column needs: refused as missing when empty.
fn required_moment(line: Line<'_>, column: &str) -> Result<DateTime<Utc>> {
    line.date_time(column)?
        .ok_or_else(|| Error::missing(column, "must not be empty"))
}

/// One event line read, as `CreateEvent` takes it.
struct ReadEvent {
    line: u32,
    external_id: String,
    wire: v1::Event,
}

/// Reads an event line: its cells as `CreateEvent` takes them, checked when
/// the row is built.
fn read_event(line: Line<'_>, ids: &mut ExternalIds, number: u32) -> Result<ReadEvent> {
    let external_id = ids.take(number, line.text("external_id"))?;
    let starts_at = required_moment(line, "starts_at")?;
    let ends_at = required_moment(line, "ends_at")?;
    if line.text("capacity").is_empty() {
        return Err(Error::missing("capacity", "must not be empty"));
    }
    Ok(ReadEvent {
        line: number,
        external_id,
        wire: v1::Event {
            kind: line.enumerated::<v1::EventKind>("kind")?,
            title: line.text("title").to_owned(),
            description: line.text("description").to_owned(),
            start_time: Some(convert::timestamp(starts_at)),
            end_time: Some(convert::timestamp(ends_at)),
            place: line.text("place").to_owned(),
            capacity: line.number("capacity")?,
            languages: line.list("languages"),
            ..Default::default()
        },
    })
}

/// A refusal of `CreateEvent`'s validation, naming the file's column.
fn in_file_terms(error: Error) -> Error {
    match error {
        Error::InvalidArgument {
            field,
            mut reason,
            refusal,
        } => {
            for (wire, column) in RENAMED {
                reason = reason.replace(wire, column);
            }
            let field = RENAMED
                .iter()
                .find(|(wire, _)| field == *wire)
                .map_or(field, |(_, column)| (*column).to_owned());
            Error::InvalidArgument {
                field,
                reason: reason.replace("row.", ""),
                refusal,
            }
        }
        other => other,
    }
}

/// Checks every line of an events file.
pub async fn check_events(sheet: &Sheet, txn: &DatabaseTransaction) -> Result<Checked> {
    let columns = Columns::check(&sheet.columns, EVENT_COLUMNS, EVENT_REQUIRED, "events")?;
    let mut outcome = Outcome::default();
    let lines = read_lines(sheet, &columns, &mut outcome, read_event)?;
    let existing = Known::find::<community_event::Entity>(
        txn,
        lines
            .iter()
            .map(|l| own(&l.external_id))
            .collect::<Vec<_>>()
            .iter(),
        (
            community_event::Column::ExternalId,
            community_event::Column::Id,
        ),
        |e: &community_event::Model| (e.id, e.external_id.clone()),
    )
    .await?;
    let now = Utc::now();
    let mut built = Vec::with_capacity(lines.len());
    for read in lines {
        let before = existing.get(&own(&read.external_id));
        let id = before.map_or_else(Uuid::now_v7, |b| b.id);
        match convert::events::event_to_row(&read.wire, "row", id, now) {
            Ok(mut row) => {
                // A new event is known from when it was made public, at the latest
                // when it started.
                row.created_at = before.map_or(now.min(row.starts_at), |b| b.created_at);
                row.external_id = Some(read.external_id.clone());
                built.push((read.line, read.external_id, before, row));
            }
            Err(error) => outcome.refuse(read.line, in_file_terms(error))?,
        }
    }
    let shrunk: Vec<Uuid> = built
        .iter()
        .filter_map(|(_, _, before, row)| before.filter(|b| b.capacity > row.capacity))
        .map(|b| b.id)
        .collect();
    let held = seats_held(txn, &shrunk).await?;

    let mut writes = Changes::<community_event::Model>::default();
    for (line, external_id, before, row) in built {
        let seats = held.get(&row.id).copied().unwrap_or(0);
        if seats > i64::from(row.capacity) {
            let error = Error::refused(
                "capacity",
                format!(
                    "event {external_id} has {seats} seats taken by its registrations; its capacity cannot be {}",
                    row.capacity
                ),
                Refusal::of(
                    RefusalKind::OverCapacity,
                    &row.capacity.to_string(),
                    [seats.to_string()],
                ),
            );
            outcome.refuse(line, error)?;
            continue;
        }
        let history = row.ends_at <= now;
        writes.file(&mut outcome, external_id, before, row, history);
    }
    Ok((outcome, Box::new(writes)))
}

/// The seats the registrations of these events hold in the database, per event
/// (an event without any is absent): one grouped count per chunk of events.
async fn seats_held(txn: &DatabaseTransaction, event_ids: &[Uuid]) -> Result<HashMap<Uuid, i64>> {
    let mut held = HashMap::new();
    for chunk in event_ids.chunks(WRITE_CHUNK) {
        let counts = crate::store::events::counts(txn, chunk).await?;
        held.extend(
            counts
                .into_iter()
                .map(|(event_id, count)| (event_id, count.seats_taken)),
        );
    }
    Ok(held)
}

/// One registration line read.
struct ReadRegistration {
    line: u32,
    external_id: String,
    event: Reference,
    member: Reference,
    /// Stored name: `registered`, `waitlisted`, `cancelled`, `attended`, `no_show`.
    status: String,
    registered_on: NaiveDate,
}

/// Reads a registration line: the event and member it names, its status and
/// the day it was made (not later than today).
fn read_registration(
    line: Line<'_>,
    ids: &mut ExternalIds,
    number: u32,
) -> Result<ReadRegistration> {
    let today = Utc::now().date_naive();
    let external_id = ids.take(number, line.text("external_id"))?;
    let event = reference(
        line,
        ("event_external_id", "event_id"),
        RefusalKind::UnknownEvent,
    )?;
    let member = reference(
        line,
        ("member_external_id", "member_id"),
        RefusalKind::UnknownMember,
    )?;
    let status = enums::parse::<v1::RegistrationStatus>(
        "status",
        line.enumerated::<v1::RegistrationStatus>("status")?,
        true,
    )?;
    let registered_on = required_date(line, "registered_on")?;
    Ok(ReadRegistration {
        line: number,
        external_id,
        event,
        member,
        status: enums::stored(status),
        registered_on: happened("registered_on", registered_on, today)?,
    })
}

/// Who is in each of the file's events, and the seats taken there: first what
/// the database holds apart from the registrations the file names, then the
/// file's lines, in order.
#[derive(Debug, Default)]
struct Places {
    /// Event and member of each registration in the database, not cancelled.
    held: HashSet<(Uuid, Uuid)>,
    /// Event and member of each line of the file taken so far, with its line.
    lines: HashMap<(Uuid, Uuid), u32>,
    /// Seats taken, per event.
    seats: HashMap<Uuid, i64>,
}

impl Places {
    /// What the database holds for these events, leaving out the `named`
    /// registrations (the file says what they become): one query per chunk.
    async fn load(
        txn: &DatabaseTransaction,
        event_ids: &[Uuid],
        named: &HashSet<Uuid>,
    ) -> Result<Self> {
        let mut places = Places::default();
        for chunk in event_ids.chunks(WRITE_CHUNK) {
            let rows = event_registration::Entity::find()
                .select_only()
                .column(event_registration::Column::Id)
                .column(event_registration::Column::EventId)
                .column(event_registration::Column::MemberId)
                .column(event_registration::Column::Status)
                .filter(event_registration::Column::EventId.is_in(chunk.iter().copied()))
                .filter(event_registration::Column::Status.ne("cancelled"))
                .into_tuple::<(Uuid, Uuid, Uuid, String)>()
                .all(txn)
                .await?;
            for (id, event_id, member_id, status) in rows {
                if named.contains(&id) {
                    continue;
                }
                places.held.insert((event_id, member_id));
                if HOLDING_SEAT.contains(&status.as_str()) {
                    *places.seats.entry(event_id).or_default() += 1;
                }
            }
        }
        Ok(places)
    }

    /// Refuses a registration that could not have been — attendance at an event
    /// that had not started by `now`, a member in the event twice, a seat beyond
    /// its capacity — and lets one that fits take its place.
    fn take(
        &mut self,
        read: &ReadRegistration,
        event: &community_event::Model,
        member_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<()> {
        if MARKED.contains(&read.status.as_str()) && event.starts_at > now {
            return Err(Error::refused(
                "status",
                format!(
                    "{} is recorded once an event has started; event {} starts at {}",
                    read.status.replace('_', " "),
                    read.event.value(),
                    convert::minute_text(event.starts_at)
                ),
                Refusal::of(
                    RefusalKind::NotStartedYet,
                    &read.status,
                    [event.starts_at.to_rfc3339()],
                ),
            ));
        }
        if read.status == "cancelled" {
            return Ok(());
        }
        let key = (event.id, member_id);
        let first = self.lines.get(&key).copied();
        if first.is_some() || self.held.contains(&key) {
            let (place, allowed) = match first {
                Some(first) => (format!("on line {first}"), vec![first.to_string()]),
                None => ("in the region's records".to_owned(), Vec::new()),
            };
            return Err(Error::refused(
                read.member.column(),
                format!(
                    "member {} is in event {} already, {place}",
                    read.member.value(),
                    read.event.value()
                ),
                Refusal::of(RefusalKind::AlreadyIn, &read.member.value(), allowed),
            ));
        }
        self.lines.insert(key, read.line);
        if HOLDING_SEAT.contains(&read.status.as_str()) {
            let seats = self.seats.get(&event.id).copied().unwrap_or(0) + 1;
            let capacity = i64::from(event.capacity);
            if seats > capacity {
                return Err(Error::refused(
                    "status",
                    format!(
                        "event {} has {capacity} seats; this registration would take seat {seats}",
                        read.event.value()
                    ),
                    Refusal::of(
                        RefusalKind::OverCapacity,
                        &seats.to_string(),
                        [capacity.to_string()],
                    ),
                ));
            }
            self.seats.insert(event.id, seats);
        }
        Ok(())
    }
}

/// When a registration last changed: the day it was made (`created_at`), or for
/// one settled afterwards (attended, no-show, cancelled) when its event ended,
/// not later than `now` and not before it was made.
fn settled_at(
    status: &str,
    created_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    if SETTLED.contains(&status) {
        created_at.max(ends_at.min(now))
    } else {
        created_at
    }
}

/// Checks every line of an event registrations file.
pub async fn check_registrations(sheet: &Sheet, txn: &DatabaseTransaction) -> Result<Checked> {
    let columns = Columns::check(
        &sheet.columns,
        REGISTRATION_COLUMNS,
        REGISTRATION_REQUIRED,
        "registrations",
    )?;
    for (external, id) in [
        ("event_external_id", "event_id"),
        ("member_external_id", "member_id"),
    ] {
        if !columns.has(external) && !columns.has(id) {
            return Err(missing_column("registrations", external));
        }
    }
    let mut outcome = Outcome::default();
    let lines = read_lines(sheet, &columns, &mut outcome, read_registration)?;
    let events = Known::find::<community_event::Entity>(
        txn,
        lines.iter().map(|l| &l.event),
        (
            community_event::Column::ExternalId,
            community_event::Column::Id,
        ),
        |e: &community_event::Model| (e.id, e.external_id.clone()),
    )
    .await?;
    let members = Known::find::<member::Entity>(
        txn,
        lines.iter().map(|l| &l.member),
        (member::Column::ExternalId, member::Column::Id),
        |m: &member::Model| (m.id, m.external_id.clone()),
    )
    .await?;
    let existing = Known::find::<event_registration::Entity>(
        txn,
        lines
            .iter()
            .map(|l| own(&l.external_id))
            .collect::<Vec<_>>()
            .iter(),
        (
            event_registration::Column::ExternalId,
            event_registration::Column::Id,
        ),
        |r: &event_registration::Model| (r.id, r.external_id.clone()),
    )
    .await?;
    let mut event_ids: Vec<Uuid> = lines
        .iter()
        .filter_map(|l| events.get(&l.event))
        .map(|e| e.id)
        .collect();
    event_ids.sort_unstable();
    event_ids.dedup();
    let named: HashSet<Uuid> = lines
        .iter()
        .filter_map(|l| existing.get(&own(&l.external_id)))
        .map(|r| r.id)
        .collect();
    let mut places = Places::load(txn, &event_ids, &named).await?;

    let now = Utc::now();
    let mut writes = Changes::<event_registration::Model>::default();
    for read in lines {
        let Some(event) = events.get(&read.event) else {
            let error = unknown(&read.event, RefusalKind::UnknownEvent, "event", "events");
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
        if let Err(error) = places.take(&read, event, member.id, now) {
            outcome.refuse(read.line, error)?;
            continue;
        }
        let before = existing.get(&own(&read.external_id));
        let created_at = start_of(read.registered_on);
        let row = event_registration::Model {
            id: before.map_or_else(Uuid::now_v7, |b| b.id),
            event_id: event.id,
            member_id: member.id,
            updated_at: settled_at(&read.status, created_at, event.ends_at, now),
            status: read.status,
            created_at,
            external_id: Some(read.external_id.clone()),
        };
        let history = event.ends_at <= now;
        // The moment it settled moves with `now` until the event ends: not a change.
        let same = |before: &event_registration::Model, row: &event_registration::Model| {
            *before
                == event_registration::Model {
                    updated_at: before.updated_at,
                    ..row.clone()
                }
        };
        writes.file_by(&mut outcome, read.external_id, before, row, history, same);
    }
    Ok((outcome, Box::new(writes)))
}

/// The `Writes` of the rows of `$table`: created ones inserted in chunks,
/// changed ones updated one by one, then the commit. Events and registrations
/// keep no figures of their own (`store::tally`), and what already happened
/// moves no waiting list and notifies nobody.
macro_rules! rows_written {
    ($table:ident, $done:literal) => {
        #[tonic::async_trait]
        impl Writes for Changes<$table::Model> {
            async fn write(
                self: Box<Self>,
                _context: &NodeContext,
                turn: WriteTurn,
                txn: DatabaseTransaction,
            ) -> Result<()> {
                Changes::write::<$table::Entity>(&self, &txn).await?;
                txn.commit().await?;
                drop(turn);
                tracing::info!(
                    created = self.created.len(),
                    updated = self.updated.len(),
                    $done
                );
                Ok(())
            }
        }
    };
}

rows_written!(community_event, "events imported");
rows_written!(event_registration, "event registrations imported");

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use chrono::TimeZone;

    use super::*;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 10, day, hour, 0, 0).unwrap()
    }

    fn fair(capacity: i32) -> community_event::Model {
        community_event::Model {
            id: Uuid::now_v7(),
            kind: "opportunity_fair".into(),
            title: "Kansenbeurs Oost".into(),
            description: String::new(),
            starts_at: at(3, 13),
            ends_at: at(3, 17),
            place: "Buurthuis Oost".into(),
            capacity,
            languages: serde_json::json!(["nl"]),
            created_at: at(1, 0),
            external_id: Some("evt-1".into()),
        }
    }

    fn line(line: u32, member: &str, status: &str) -> ReadRegistration {
        ReadRegistration {
            line,
            external_id: format!("reg-{line}"),
            event: Reference::External("event_external_id", "evt-1".into()),
            member: Reference::External("member_external_id", member.into()),
            status: status.into(),
            registered_on: at(1, 0).date_naive(),
        }
    }

    fn refused(result: Result<()>) -> (String, RefusalKind, String, Vec<String>) {
        let Err(Error::InvalidArgument { field, refusal, .. }) = result else {
            panic!("refused");
        };
        (field, refusal.kind, refusal.value, refusal.allowed)
    }

    #[test]
    fn a_two_seat_event_takes_two_and_a_member_once() {
        let event = fair(2);
        let members: Vec<Uuid> = (0..4).map(|_| Uuid::now_v7()).collect();
        let mut places = Places::default();
        let mut take = |number, member: usize, status: &str| {
            let read = line(number, &format!("m-{member}"), status);
            places.take(&read, &event, members[member], at(10, 0))
        };
        for (number, member, status) in [
            (2, 0, "attended"),
            (3, 1, "no_show"),
            (4, 2, "waitlisted"),
            (5, 0, "cancelled"),
        ] {
            take(number, member, status).unwrap();
        }
        assert_eq!(
            refused(take(6, 0, "no_show")),
            (
                "member_external_id".to_owned(),
                RefusalKind::AlreadyIn,
                "m-0".to_owned(),
                vec!["2".to_owned()]
            )
        );
        assert_eq!(
            refused(take(7, 3, "registered")),
            (
                "status".to_owned(),
                RefusalKind::OverCapacity,
                "3".to_owned(),
                vec!["2".to_owned()]
            )
        );
    }

    #[test]
    fn attendance_waits_for_the_start_and_the_records_count() {
        let event = fair(2);
        let member = Uuid::now_v7();
        let (_, kind, value, allowed) =
            refused(Places::default().take(&line(2, "m-1", "attended"), &event, member, at(2, 0)));
        assert_eq!(kind, RefusalKind::NotStartedYet);
        assert_eq!(value, "attended");
        assert_eq!(allowed, ["2024-10-03T13:00:00+00:00"]);
        let mut held = Places::default();
        held.held.insert((event.id, member));
        let (_, kind, _, allowed) =
            refused(held.take(&line(2, "m-1", "registered"), &event, member, at(2, 0)));
        assert_eq!(kind, RefusalKind::AlreadyIn);
        assert!(allowed.is_empty());
    }

    #[test]
    fn a_settled_registration_changed_when_its_event_ended() {
        let (made, ended) = (at(1, 0), at(3, 17));
        assert_eq!(settled_at("attended", made, ended, at(10, 0)), ended);
        assert_eq!(settled_at("cancelled", made, ended, at(2, 9)), at(2, 9));
        assert_eq!(settled_at("registered", made, ended, at(10, 0)), made);
    }

    #[test]
    fn an_event_ending_before_it_starts_names_the_files_column() {
        let wire = v1::Event {
            kind: v1::EventKind::Training as i32,
            title: "Sollicitatietraining".into(),
            start_time: Some(convert::timestamp(at(3, 17))),
            end_time: Some(convert::timestamp(at(3, 13))),
            place: "Bibliotheek".into(),
            capacity: 12,
            ..Default::default()
        };
        let error = convert::events::event_to_row(&wire, "row", Uuid::now_v7(), at(1, 0))
            .map(|_| ())
            .map_err(in_file_terms);
        let Err(Error::InvalidArgument { field, reason, .. }) = error else {
            panic!("refused");
        };
        assert_eq!(field, "ends_at");
        assert!(!reason.contains("row."), "{reason}");
    }
}
