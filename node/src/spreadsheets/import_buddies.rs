//! Importing a chapter's buddy pairs: each line a newcomer and a local (or a
//! volunteer coach) paired on a day (`proposed_on`), at the status the pair
//! reached — proposed, active, declined or ended — and, for a pair that ended,
//! the day and why (`ended_on`, `end_reason`). A newcomer holds one proposed or
//! active pair at most, and a local no more pairs than their `buddy_capacity`,
//! counting the pairs the region holds already. What already happened is
//! recorded as it happened: the pairs carry no matching reasons, and nobody is
//! told.

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use passage_proto::v1::{self, RefusalKind};
use sea_orm::sea_query::ExprTrait;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::cells::{Columns, Line, missing_column};
use super::csv_file::Sheet;
use super::history::{Known, Reference, happened, not_before, reference, required_date, unknown};
use super::import::{Changes, Checked, ExternalIds, Outcome, WRITE_CHUNK, Writes, read_lines};
use super::import_members::start_of;
use crate::context::{NodeContext, WriteTurn};
use crate::convert::enums;
use crate::error::{Error, Refusal, Result};
use crate::store::buddies::HOLDING;
use crate::store::entity::{buddy_pair, member};
use crate::validate;

/// The columns of a buddy pairs file.
pub const BUDDY_COLUMNS: &[&str] = &[
    "external_id",
    "newcomer_external_id",
    "newcomer_id",
    "local_external_id",
    "local_id",
    "status",
    "proposed_on",
    "ended_on",
    "end_reason",
];
const BUDDY_REQUIRED: &[&str] = &["external_id", "status", "proposed_on"];

/// Statuses of a pair that ended.
const ENDED: [&str; 2] = ["declined", "ended"];
/// As `EndBuddyPair`'s own limit.
const MAX_END_REASON: usize = 500;

/// One pair line read.
struct Read {
    line: u32,
    external_id: String,
    newcomer: Reference,
    local: Reference,
    status: String,
    proposed_on: NaiveDate,
    ended_on: Option<NaiveDate>,
    end_reason: String,
}

fn read(line: Line<'_>, ids: &mut ExternalIds, number: u32) -> Result<Read> {
    let today = Utc::now().date_naive();
    let external_id = ids.take(number, line.text("external_id"))?;
    let newcomer = reference(
        line,
        ("newcomer_external_id", "newcomer_id"),
        RefusalKind::UnknownMember,
    )?;
    let local = reference(
        line,
        ("local_external_id", "local_id"),
        RefusalKind::UnknownMember,
    )?;
    let status = enums::stored(enums::parse::<v1::BuddyPairStatus>(
        "status",
        line.enumerated::<v1::BuddyPairStatus>("status")?,
        true,
    )?);
    let proposed_on = happened("proposed_on", required_date(line, "proposed_on")?, today)?;
    let ended_on = match line.date("ended_on")? {
        Some(ended) => {
            let ended = happened("ended_on", ended, today)?;
            Some(not_before("ended_on", ended, "proposed_on", proposed_on)?)
        }
        None => None,
    };
    let end_reason =
        validate::optional_text("end_reason", line.text("end_reason"), MAX_END_REASON)?;
    let ended = ENDED.contains(&status.as_str());
    for (column, filled, allowed) in [
        ("ended_on", ended_on.is_some(), ended),
        ("end_reason", !end_reason.is_empty(), status == "ended"),
    ] {
        if filled && !allowed {
            return Err(Error::refused(
                column,
                format!("only a pair that ended has {column}; this one is {status}"),
                Refusal::of(RefusalKind::OnlyForAPairThatEnded, &status, []),
            ));
        }
    }
    Ok(Read {
        line: number,
        external_id,
        newcomer,
        local,
        status,
        proposed_on,
        ended_on,
        end_reason,
    })
}

/// Checks every line of a buddy pairs file.
pub async fn check(sheet: &Sheet, txn: &DatabaseTransaction) -> Result<Checked> {
    let columns = Columns::check(&sheet.columns, BUDDY_COLUMNS, BUDDY_REQUIRED, "buddy pairs")?;
    for (external, id) in [
        ("newcomer_external_id", "newcomer_id"),
        ("local_external_id", "local_id"),
    ] {
        if !columns.has(external) && !columns.has(id) {
            return Err(missing_column("buddy pairs", external));
        }
    }
    let mut outcome = Outcome::default();
    let lines = read_lines(sheet, &columns, &mut outcome, read)?;
    let named: Vec<&Reference> = lines.iter().flat_map(|l| [&l.newcomer, &l.local]).collect();
    let people = Known::find::<member::Entity>(
        txn,
        named.into_iter(),
        (member::Column::ExternalId, member::Column::Id),
        |m: &member::Model| (m.id, m.external_id.clone()),
    )
    .await?;
    let own: Vec<Reference> = lines
        .iter()
        .map(|l| Reference::External("external_id", l.external_id.clone()))
        .collect();
    let existing = Known::find::<buddy_pair::Entity>(
        txn,
        own.iter(),
        (buddy_pair::Column::ExternalId, buddy_pair::Column::Id),
        |p: &buddy_pair::Model| (p.id, p.external_id.clone()),
    )
    .await?;
    let mut holding = Holding::default();
    let member_ids: Vec<Uuid> = lines
        .iter()
        .flat_map(|l| [people.get(&l.newcomer), people.get(&l.local)])
        .flatten()
        .map(|m| m.id)
        .collect();
    holding.load(txn, &member_ids).await?;

    let mut writes = Changes::<buddy_pair::Model>::default();
    for read in lines {
        let found = [(&read.newcomer, "newcomer"), (&read.local, "local")]
            .map(|(reference, _)| people.get(reference));
        let [Some(newcomer), Some(local)] = found else {
            let missing = if found[0].is_none() {
                &read.newcomer
            } else {
                &read.local
            };
            outcome.refuse(
                read.line,
                unknown(missing, RefusalKind::UnknownMember, "member", "members"),
            )?;
            continue;
        };
        let before = existing.get(&Reference::External(
            "external_id",
            read.external_id.clone(),
        ));
        if let Err(error) = roles(&read, newcomer, local)
            .and_then(|()| holding.take(&read, newcomer, local, before.map(|b| b.id)))
        {
            outcome.refuse(read.line, error)?;
            continue;
        }
        let row = buddy_pair::Model {
            id: before.map_or_else(Uuid::now_v7, |b| b.id),
            newcomer_member_id: newcomer.id,
            local_member_id: local.id,
            status: read.status,
            reasons: before.map_or_else(|| serde_json::json!([]), |b| b.reasons.clone()),
            end_reason: read.end_reason,
            created_at: start_of(read.proposed_on),
            updated_at: start_of(read.ended_on.unwrap_or(read.proposed_on)),
            external_id: Some(read.external_id.clone()),
        };
        writes.file(&mut outcome, read.external_id, before, row, true);
    }
    Ok((outcome, Box::new(writes)))
}

/// A pair is a newcomer and a local or volunteer coach.
fn roles(read: &Read, newcomer: &member::Model, local: &member::Model) -> Result<()> {
    if newcomer.role != "newcomer" {
        return Err(Error::refused(
            read.newcomer.column(),
            format!(
                "member {} is a {}, not a newcomer",
                read.newcomer.value(),
                newcomer.role.replace('_', " ")
            ),
            Refusal::of(RefusalKind::NotANewcomer, &newcomer.role, []),
        ));
    }
    if local.role == "newcomer" {
        return Err(Error::refused(
            read.local.column(),
            format!(
                "member {} is a newcomer; a buddy is a local or a volunteer coach",
                read.local.value()
            ),
            Refusal::of(
                RefusalKind::NotOneOf,
                &local.role,
                ["local".to_owned(), "volunteer_coach".to_owned()],
            ),
        ));
    }
    Ok(())
}

/// The pairs holding a place (proposed or active) of the file's members: those
/// the region has, and those the file's lines take as they are read.
#[derive(Default)]
struct Holding {
    /// A newcomer's pair holding a place in the region: its id.
    newcomer_in_region: HashMap<Uuid, Uuid>,
    /// A local's pairs holding a place in the region: their ids.
    local_in_region: HashMap<Uuid, Vec<Uuid>>,
    /// The line on which the file gave a newcomer a pair holding a place.
    newcomer_in_file: HashMap<Uuid, u32>,
    /// The pairs the file gives a local, and those of the region it changes.
    local_in_file: HashMap<Uuid, (usize, Vec<Uuid>)>,
}

impl Holding {
    async fn load(&mut self, txn: &DatabaseTransaction, member_ids: &[Uuid]) -> Result<()> {
        for chunk in member_ids.chunks(WRITE_CHUNK) {
            let pairs = buddy_pair::Entity::find()
                .filter(buddy_pair::Column::Status.is_in(HOLDING))
                .filter(
                    buddy_pair::Column::NewcomerMemberId
                        .is_in(chunk.iter().copied())
                        .or(buddy_pair::Column::LocalMemberId.is_in(chunk.iter().copied())),
                )
                .all(txn)
                .await?;
            for pair in pairs {
                self.newcomer_in_region
                    .insert(pair.newcomer_member_id, pair.id);
                let held = self
                    .local_in_region
                    .entry(pair.local_member_id)
                    .or_default();
                if !held.contains(&pair.id) {
                    held.push(pair.id);
                }
            }
        }
        Ok(())
    }

    /// Takes the places the line's pair holds, or refuses it: a newcomer's one
    /// pair, and one of the local's `buddy_capacity`. `own` is the pair the line
    /// changes, whose places are its own already.
    fn take(
        &mut self,
        read: &Read,
        newcomer: &member::Model,
        local: &member::Model,
        own: Option<Uuid>,
    ) -> Result<()> {
        if !HOLDING.contains(&read.status.as_str()) {
            return Ok(());
        }
        let elsewhere = self
            .newcomer_in_region
            .get(&newcomer.id)
            .is_some_and(|pair| Some(*pair) != own);
        if let Some(first) = self.newcomer_in_file.get(&newcomer.id) {
            return Err(already(read, Some(*first)));
        }
        if elsewhere {
            return Err(already(read, None));
        }
        let (in_file, changed) = self.local_in_file.entry(local.id).or_default();
        let in_region = self.local_in_region.get(&local.id).map_or(0, |pairs| {
            pairs
                .iter()
                .filter(|pair| Some(**pair) != own && !changed.contains(pair))
                .count()
        });
        let taken = in_region + *in_file + 1;
        let capacity = usize::try_from(local.buddy_capacity).unwrap_or(0);
        if taken > capacity {
            return Err(Error::refused(
                read.local.column(),
                format!(
                    "{} has room for {capacity} buddies; this would be the {taken}th",
                    read.local.value()
                ),
                Refusal::of(
                    RefusalKind::OverCapacity,
                    &taken.to_string(),
                    [capacity.to_string()],
                ),
            ));
        }
        *in_file += 1;
        if let Some(own) = own {
            changed.push(own);
        }
        self.newcomer_in_file.insert(newcomer.id, read.line);
        Ok(())
    }
}

/// The newcomer has a buddy already: on line `first` of the file, or in the
/// region's records.
fn already(read: &Read, first: Option<u32>) -> Error {
    Error::refused(
        read.newcomer.column(),
        format!(
            "{} has a buddy pair proposed or active already{}",
            read.newcomer.value(),
            first.map_or_else(String::new, |line| format!(" (line {line})"))
        ),
        Refusal::of(
            RefusalKind::AlreadyIn,
            &read.newcomer.value(),
            first.map(|line| line.to_string()),
        ),
    )
}

#[tonic::async_trait]
impl Writes for Changes<buddy_pair::Model> {
    async fn write(
        self: Box<Self>,
        _context: &NodeContext,
        turn: WriteTurn,
        txn: DatabaseTransaction,
    ) -> Result<()> {
        Changes::write::<buddy_pair::Entity>(&self, &txn).await?;
        // The region's kept figures, as proposing, confirming and ending keep them.
        crate::store::tally::buddy_pairs(&txn, &self.pairs()).await?;
        txn.commit().await?;
        drop(turn);
        tracing::info!(
            created = self.created.len(),
            updated = self.updated.len(),
            "buddy pairs imported as history"
        );
        Ok(())
    }
}
