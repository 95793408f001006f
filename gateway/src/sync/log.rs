//! The gateway's federation tables: the change log, region cursors and the member
//! directory, with the queries the sync hub needs.

use chrono::Utc;
use prost::Message as _;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::OnConflict,
};
use uuid::Uuid;

use passage_proto::merge::merge;
use passage_proto::v1::{LogEntry, ProfileState, SharedProfile};

use crate::error::Result;
use crate::store::entity::{change_log, directory, log_compaction, region_cursor};

/// The PostgreSQL advisory lock every gateway replica on one database takes to write
/// the log ("passage" and 1, as one 64-bit key).
const LOG_WRITE_LOCK: i64 = 0x7061_7373_6167_6501;

/// Opens a write transaction on the log and waits for its turn among every gateway
/// replica on the database: on PostgreSQL a transaction-scoped advisory lock, held
/// until commit or rollback, so appends commit their sequences in the order they got
/// them (a session that sent sequence N never finds a smaller one commit after). A
/// SQLite database has a single writer already, and a single gateway.
async fn begin_log_write(db: &DatabaseConnection) -> Result<DatabaseTransaction> {
    let txn = passage_migrations::begin_write(db).await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({LOG_WRITE_LOCK})"))
            .await?;
    }
    Ok(txn)
}

/// What became of a batch of changes a region sent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Appended {
    /// Log sequence of the last change appended, if any was.
    pub newest: Option<i64>,
    /// Changes refused, as (member id, reason); nothing of them was written.
    pub refused: Vec<(String, String)>,
    /// Members the sender handed over to another region: (member, new home, epoch).
    pub moved: Vec<(Uuid, String, i64)>,
}

/// The region a change hands its member over to, if it names a home other than the
/// sender's.
fn handed_over_to<'a>(change: &'a ProfileState, sender: &str) -> Option<&'a str> {
    if change.erased.is_some() || !change.stamps.contains_key("home_region") {
        return None;
    }
    let home = change.profile.as_ref()?.home_region.as_str();
    (!home.is_empty() && home != sender).then_some(home)
}

/// A stored state; none stored reads as the empty state. A stored state that does
/// not decode (a corrupt row) is logged and read as empty too, so the incoming
/// change replaces it.
pub(super) fn decode_state(bytes: Option<&[u8]>) -> ProfileState {
    let Some(bytes) = bytes else {
        return ProfileState::default();
    };
    ProfileState::decode(bytes).unwrap_or_else(|error| {
        tracing::error!(%error, "a stored profile state does not decode; read as empty");
        ProfileState::default()
    })
}

/// Appends the changes `region` sent, in one transaction: a change larger than the
/// federation carries (`passage_proto::bounds`) is refused naming what is too big;
/// a change for a member whose home is another region is refused, and so is one stamped further than
/// `max_clock_skew_ms` beyond the gateway's clock (a rogue or broken clock must not
/// make every later edit lose); a member seen for the first time gets `region`
/// as home in the directory; a change naming another home region moves the member
/// there (new home and next epoch together); an erasure, or a withdrawal of
/// consent, drops the member's earlier entries, so their profile no longer sits in
/// the log; an erasure also erases the member's tokens, moves and audit entries
/// (`sync::erasure`). Appends of every gateway
/// replica on the database take turns (see `begin_log_write`).
pub async fn append(
    db: &DatabaseConnection,
    region: &str,
    changes: &[ProfileState],
    regions: &std::collections::BTreeSet<String>,
    max_clock_skew_ms: u64,
) -> Result<Appended> {
    let mut outcome = Appended::default();
    let wall_millis = passage_proto::hlc::wall_millis();
    let mut parsed = Vec::with_capacity(changes.len());
    for change in changes {
        let named: String = change.member_id.chars().take(36).collect();
        if let Some(why) = passage_proto::bounds::oversized(change, change.encoded_len()) {
            outcome.refused.push((named, why));
            continue;
        }
        match Uuid::try_parse(&change.member_id) {
            Ok(id) => parsed.push((id, change)),
            Err(_) => outcome
                .refused
                .push((named, "member_id is not a UUID".into())),
        }
    }
    if parsed.is_empty() {
        return Ok(outcome);
    }
    let txn = begin_log_write(db).await?;
    let mut ids: Vec<Uuid> = parsed.iter().map(|(id, _)| *id).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut entries: std::collections::HashMap<Uuid, directory::Model> = Default::default();
    for chunk in ids.chunks(1000) {
        for entry in directory::Entity::find()
            .filter(directory::Column::MemberId.is_in(chunk.iter().copied()))
            .all(&txn)
            .await?
        {
            entries.insert(entry.member_id, entry);
        }
    }
    let now = Utc::now();
    let mut touched = std::collections::BTreeMap::new();
    let mut log_rows = Vec::with_capacity(parsed.len());
    let mut erased = Vec::new();
    let mut tombstoned = Vec::new();
    let mut delivered_here = Vec::new();
    for (member_id, change) in parsed {
        let first_seen = !entries.contains_key(&member_id);
        let entry = entries
            .entry(member_id)
            .or_insert_with(|| directory::Model {
                member_id,
                home_region: region.to_owned(),
                epoch: 1,
                updated_at: now,
                state: None,
            });
        if entry.home_region != region {
            outcome.refused.push((
                change.member_id.clone(),
                format!(
                    "member {member_id} belongs to region {}, not {region}",
                    entry.home_region
                ),
            ));
            continue;
        }
        if change.listing {
            // The directory learns the member's home; nothing is logged or kept.
            if first_seen {
                touched.insert(member_id, entry.clone());
            }
            continue;
        }
        if let Some((field, refused)) =
            passage_proto::hlc::future_stamp_in(change, wall_millis, max_clock_skew_ms)
        {
            outcome
                .refused
                .push((change.member_id.clone(), format!("{field}: {refused}")));
            continue;
        }
        let new_home = handed_over_to(change, region);
        if let Some(home) = new_home
            && !regions.contains(home)
        {
            outcome.refused.push((
                change.member_id.clone(),
                format!("profile.home_region: {home:?} is not a region of this federation"),
            ));
            continue;
        }
        let recipient = (!change.deliver_only_to.is_empty()).then_some(&change.deliver_only_to);
        if let Some(recipient) = recipient {
            if !regions.contains(recipient.as_str()) || recipient == region {
                outcome.refused.push((
                    change.member_id.clone(),
                    format!(
                        "deliver_only_to: {recipient:?} is not another region of this federation"
                    ),
                ));
                continue;
            }
            // For one region only: the directory keeps nothing of it but the move.
            // From the home, it is its word to the old home that the member arrived:
            // what was handed to it privately has arrived, and goes from the log.
            if new_home.is_none() {
                delivered_here.push(member_id);
            }
            if let Some(home) = new_home {
                entry.home_region = home.to_owned();
                entry.epoch += 1;
                entry.updated_at = now;
                outcome
                    .moved
                    .push((member_id, home.to_owned(), entry.epoch));
                touched.insert(member_id, entry.clone());
            }
            log_rows.push(change_log::ActiveModel {
                member_id: Set(member_id),
                origin_region: Set(region.to_owned()),
                state: Set(change.encode_to_vec()),
                appended_at: Set(now),
                erasure: Set(false),
                recipient: Set(Some(recipient.clone())),
                ..Default::default()
            });
            continue;
        }
        let mut before = decode_state(entry.state.as_deref());
        before.member_id.clone_from(&change.member_id);
        let mut merged = merge(&before, change);
        merged.member_id.clone_from(&change.member_id);
        // An erasure, or a withdrawal of consent (the member's shared state now says
        // nothing): what the member's profile was is of no use to anyone now.
        let withdrawn = merged
            .profile
            .as_ref()
            .is_none_or(|profile| *profile == SharedProfile::default());
        let clears = change.erased.is_some() || withdrawn;
        if change.erased.is_some() {
            tombstoned.push(member_id);
        }
        if clears && new_home.is_none() && entry.state.is_some() && merged == before {
            // A change the member's erasure or withdrawal already dominates: a
            // batch repeated, or an older one replayed late. Logged, it would
            // follow the deletion below of the entry that carries the erasure or
            // withdrawal, and a region that had not read that entry yet would
            // show the older profile again; it would also put an erased
            // member's old profile back in the log. Nothing is new: nothing is
            // written.
            continue;
        }
        entry.state = Some(merged.encode_to_vec());
        entry.updated_at = now;
        if let Some(home) = new_home {
            entry.home_region = home.to_owned();
            entry.epoch += 1;
            outcome
                .moved
                .push((member_id, home.to_owned(), entry.epoch));
        }
        // The entry that replaces the member's earlier ones carries the merged
        // state, which holds all of them, not only this change: an older change
        // arriving late must not stand in for the withdrawal it follows.
        let logged = if clears { &merged } else { change };
        if clears {
            erased.push(member_id);
            log_rows.retain(|row: &change_log::ActiveModel| {
                !matches!(row.member_id, Set(id) if id == member_id)
                    || matches!(row.erasure, Set(true))
            });
        }
        touched.insert(member_id, entry.clone());
        log_rows.push(change_log::ActiveModel {
            member_id: Set(member_id),
            origin_region: Set(region.to_owned()),
            state: Set(logged.encode_to_vec()),
            appended_at: Set(now),
            erasure: Set(logged.erased.is_some()),
            recipient: Set(None),
            ..Default::default()
        });
    }
    // Deleted before this batch's rows are written: only earlier hand-overs go.
    for chunk in delivered_here.chunks(1000) {
        change_log::Entity::delete_many()
            .filter(change_log::Column::MemberId.is_in(chunk.iter().copied()))
            .filter(change_log::Column::Recipient.eq(region))
            .exec(&txn)
            .await?;
    }
    if !erased.is_empty() {
        // The erased and withdrawn members' earlier entries go; tombstones stay.
        change_log::Entity::delete_many()
            .filter(change_log::Column::MemberId.is_in(erased))
            .filter(change_log::Column::Erasure.eq(false))
            .exec(&txn)
            .await?;
    }
    for member_id in &tombstoned {
        super::erasure::erase_member(&txn, *member_id).await?;
    }
    let touched: Vec<directory::ActiveModel> = touched
        .into_values()
        .map(|entry| directory::ActiveModel {
            member_id: Set(entry.member_id),
            home_region: Set(entry.home_region),
            epoch: Set(entry.epoch),
            updated_at: Set(entry.updated_at),
            state: Set(entry.state),
        })
        .collect();
    for chunk in touched.chunks(1000) {
        directory::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::column(directory::Column::MemberId)
                    .update_columns([
                        directory::Column::HomeRegion,
                        directory::Column::Epoch,
                        directory::Column::UpdatedAt,
                        directory::Column::State,
                    ])
                    .to_owned(),
            )
            .exec(&txn)
            .await?;
    }
    let appended = !log_rows.is_empty();
    for chunk in log_rows.chunks(1000) {
        change_log::Entity::insert_many(chunk.to_vec())
            .exec(&txn)
            .await?;
    }
    for (member_id, home, epoch) in &outcome.moved {
        super::moves::complete(&txn, *member_id, region, home, *epoch, now).await?;
    }
    if appended {
        outcome.newest = Some(newest_entry(&txn).await?);
    }
    txn.commit().await?;
    if !tombstoned.is_empty() {
        // The append has committed: a checkpoint that fails is reported, not returned.
        match passage_migrations::scrub_after_erasure(db).await {
            Ok(true) => {}
            Ok(false) => tracing::warn!(
                "after an erasure the write-ahead log could not be emptied (held for 5 s by a reader, \
                 a writer or another checkpoint); \
                 the erased profile's old pages stay in it until the checkpointer empties it"
            ),
            Err(error) => {
                tracing::error!(%error, "emptying the write-ahead log after an erasure failed")
            }
        }
    }
    Ok(outcome)
}

/// The directory entry of one member.
pub async fn directory_entry(
    db: &impl ConnectionTrait,
    member_id: Uuid,
) -> Result<Option<(directory::Model, ProfileState)>> {
    Ok(directory::Entity::find_by_id(member_id)
        .one(db)
        .await?
        .map(|entry| {
            let state = decode_state(entry.state.as_deref());
            (entry, state)
        }))
}

/// One page of the snapshot: the latest state of members after `after`, in id
/// order, leaving out those whose home is `region` (it holds them itself); at most
/// `limit` members and about `max_bytes` of states (at least one). The flag says
/// whether the page is full, so that more may follow.
pub async fn snapshot_page(
    db: &impl ConnectionTrait,
    region: &str,
    after: Option<Uuid>,
    limit: u64,
    max_bytes: usize,
) -> Result<(Vec<LogEntry>, bool)> {
    let mut select = directory::Entity::find()
        .filter(directory::Column::HomeRegion.ne(region))
        .filter(directory::Column::State.is_not_null())
        .order_by_asc(directory::Column::MemberId)
        .limit(limit);
    if let Some(after) = after {
        select = select.filter(directory::Column::MemberId.gt(after));
    }
    let rows = select.all(db).await?;
    let mut full = rows.len() as u64 >= limit;
    let mut entries = Vec::with_capacity(rows.len());
    let mut bytes = 0usize;
    for entry in rows {
        let size = entry.state.as_ref().map_or(0, Vec::len);
        if !entries.is_empty() && bytes + size > max_bytes {
            full = true;
            break;
        }
        bytes += size;
        entries.push(LogEntry {
            sequence: 0,
            origin_region: entry.home_region,
            state: Some(decode_state(entry.state.as_deref())),
        });
    }
    Ok((entries, full))
}

/// The sequence through which the log has been compacted (0 if never).
pub async fn compacted_through(db: &impl ConnectionTrait) -> Result<i64> {
    Ok(log_compaction::Entity::find_by_id(1)
        .one(db)
        .await?
        .map_or(0, |row| row.compacted_through))
}

/// Drops entries every region of `regions` has applied, and entries appended before
/// `older_than` whoever still needs them; erasure entries stay. Returns the new
/// compaction point and how many entries went.
pub async fn compact(
    db: &DatabaseConnection,
    regions: &[String],
    older_than: chrono::DateTime<Utc>,
) -> Result<(i64, u64)> {
    let txn = begin_log_write(db).await?;
    let cursors: std::collections::BTreeMap<String, i64> = cursors(&txn)
        .await?
        .into_iter()
        .map(|row| (row.region, row.applied_sequence))
        .collect();
    let applied_everywhere = regions
        .iter()
        .map(|region| cursors.get(region).copied().unwrap_or(0))
        .min()
        .unwrap_or(0);
    let expired = change_log::Entity::find()
        .filter(change_log::Column::AppendedAt.lt(older_than))
        .order_by_desc(change_log::Column::Sequence)
        .one(&txn)
        .await?
        .map_or(0, |row| row.sequence);
    let through = applied_everywhere
        .max(expired)
        .max(compacted_through(&txn).await?);
    let removed = change_log::Entity::delete_many()
        .filter(change_log::Column::Sequence.lte(through))
        .filter(change_log::Column::Erasure.eq(false))
        .exec(&txn)
        .await?
        .rows_affected;
    log_compaction::Entity::insert(log_compaction::ActiveModel {
        id: Set(1),
        compacted_through: Set(through),
        compacted_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::column(log_compaction::Column::Id)
            .update_columns([
                log_compaction::Column::CompactedThrough,
                log_compaction::Column::CompactedAt,
            ])
            .to_owned(),
    )
    .exec(&txn)
    .await?;
    txn.commit().await?;
    Ok((through, removed))
}

/// The log entries a region is given: those for every region, and those for it alone.
pub(super) fn for_region(region: &str) -> sea_orm::Condition {
    sea_orm::Condition::any()
        .add(change_log::Column::Recipient.is_null())
        .add(change_log::Column::Recipient.eq(region))
}

/// The next log entries after `after` that did not come from `region`: at most
/// `max_rows` of them, merged per member (the merge is associative, so a node that
/// applies the merged state ends where it would have applying each entry), for at
/// most `max_members` members and about `max_bytes` of states (at least one entry).
/// Each entry carries the sequence of the member's last
/// change in it; the highest is where the batch ends.
pub async fn entries_for(
    db: &impl ConnectionTrait,
    region: &str,
    after: i64,
    max_rows: u64,
    max_members: usize,
    max_bytes: usize,
) -> Result<Vec<LogEntry>> {
    let rows = change_log::Entity::find()
        .filter(change_log::Column::Sequence.gt(after))
        .filter(change_log::Column::OriginRegion.ne(region))
        .filter(for_region(region))
        .order_by_asc(change_log::Column::Sequence)
        .limit(max_rows)
        .all(db)
        .await?;
    let mut entries: Vec<LogEntry> = Vec::new();
    let mut index: std::collections::HashMap<Uuid, usize> = Default::default();
    let mut bytes = 0usize;
    for row in rows {
        // Rows in sequence order: stopping before one leaves out only later ones.
        if bytes > 0 && bytes + row.state.len() > max_bytes {
            break;
        }
        bytes += row.state.len();
        let state = match ProfileState::decode(row.state.as_slice()) {
            Ok(state) => state,
            Err(error) => {
                tracing::error!(sequence = row.sequence, %error, "undecodable log entry skipped");
                continue;
            }
        };
        match index.get(&row.member_id) {
            Some(&at) => {
                let entry = &mut entries[at];
                entry.state = Some(merge(entry.state.as_ref().unwrap_or(&state), &state));
                entry.sequence = row.sequence as u64;
                entry.origin_region = row.origin_region;
            }
            None if entries.len() >= max_members => break,
            None => {
                index.insert(row.member_id, entries.len());
                entries.push(LogEntry {
                    sequence: row.sequence as u64,
                    origin_region: row.origin_region,
                    state: Some(state),
                });
            }
        }
    }
    Ok(entries)
}

/// The newest sequence in the log (0 when nothing was ever appended); compaction
/// never moves it back.
pub async fn head(db: &impl ConnectionTrait) -> Result<i64> {
    Ok(newest_entry(db).await?.max(compacted_through(db).await?))
}

/// The sequence of the newest entry the log holds (0 when it holds none).
async fn newest_entry(db: &impl ConnectionTrait) -> Result<i64> {
    let newest = change_log::Entity::find()
        .order_by_desc(change_log::Column::Sequence)
        .one(db)
        .await?;
    Ok(newest.map_or(0, |row| row.sequence))
}

/// Where `region` left off (0 for a region never seen).
pub async fn cursor(db: &impl ConnectionTrait, region: &str) -> Result<i64> {
    Ok(region_cursor::Entity::find_by_id(region.to_owned())
        .one(db)
        .await?
        .map_or(0, |row| row.applied_sequence))
}

/// Records that `region` applied everything up to `sequence` (never moves back).
pub async fn advance_cursor(db: &impl ConnectionTrait, region: &str, sequence: i64) -> Result<()> {
    let current = cursor(db, region).await?;
    let row = region_cursor::ActiveModel {
        region: Set(region.to_owned()),
        applied_sequence: Set(sequence.max(current)),
        last_seen: Set(Some(Utc::now())),
    };
    region_cursor::Entity::insert(row)
        .on_conflict(
            OnConflict::column(region_cursor::Column::Region)
                .update_columns([
                    region_cursor::Column::AppliedSequence,
                    region_cursor::Column::LastSeen,
                ])
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// How far `region` is behind: entries from other regions after its cursor, and the
/// time the oldest of them was appended.
pub async fn backlog(
    db: &impl ConnectionTrait,
    region: &str,
    cursor: i64,
) -> Result<(u64, Option<chrono::DateTime<Utc>>)> {
    use sea_orm::PaginatorTrait;
    let pending = change_log::Entity::find()
        .filter(change_log::Column::Sequence.gt(cursor))
        .filter(change_log::Column::OriginRegion.ne(region))
        .filter(for_region(region));
    let count = pending.clone().count(db).await?;
    let oldest = pending
        .order_by_asc(change_log::Column::Sequence)
        .one(db)
        .await?
        .map(|row| row.appended_at);
    Ok((count, oldest))
}

/// Every region's cursor row.
pub async fn cursors(db: &impl ConnectionTrait) -> Result<Vec<region_cursor::Model>> {
    Ok(region_cursor::Entity::find().all(db).await?)
}

/// One page of erasures, oldest first, after log sequence `after`.
pub async fn erasures(
    db: &impl ConnectionTrait,
    after: i64,
    limit: u64,
) -> Result<Vec<change_log::Model>> {
    Ok(change_log::Entity::find()
        .filter(change_log::Column::Erasure.eq(true))
        .filter(change_log::Column::Sequence.gt(after))
        .order_by_asc(change_log::Column::Sequence)
        .limit(limit)
        .all(db)
        .await?)
}
