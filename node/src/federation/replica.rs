//! Other regions' shared profiles, as this node holds them: each entry of the
//! gateway's log is merged into the stored state, so applying an entry twice or out
//! of order changes nothing.
//!
//! An erasure's tombstone also erases every region-local record this region still
//! holds of the member (`store::erasure`) — as the old home of a member who moved
//! away, it may hold her cases and notes — in the same transaction that moves the
//! cursor. So the gateway's "this region applied the log through the tombstone"
//! is "this region has erased her": the erasure ledger counts a region as
//! confirmed on exactly that.

use chrono::Utc;
use passage_proto::hlc::Hlc;
use passage_proto::merge::{is_shared, merge};
use passage_proto::v1::{self, ProfileState};
use prost::Message;
use std::collections::{BTreeMap, BTreeSet};

use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, sea_query::OnConflict,
};
use uuid::Uuid;

use crate::context::NodeContext;
use crate::error::Result;
use crate::store::entity::{member, remote_profile, sync_cursor};

/// The peer name of the gateway's log in `sync_cursor`.
pub const GATEWAY: &str = "gateway";

/// Applies a batch of log entries (or a page of a snapshot) and moves the cursor, in
/// one transaction. Returns the sequence the node has now applied through, if the
/// batch moves it. A batch with an entry stamped beyond this node's clock (more
/// than the allowed skew) is refused whole, `Unavailable`, and nothing of it is
/// applied: it comes again.
///
/// The entries for one member are merged first (the merge is associative and
/// commutative, so this is the same as applying them one by one), then every
/// affected replica is read and written in one statement each.
pub async fn apply_batch(context: &NodeContext, batch: &v1::LogBatch) -> Result<Option<u64>> {
    let (region, clock) = (context.region.as_str(), &context.clock);
    let entries = &batch.entries;
    let last = entries
        .iter()
        .map(|e| e.sequence)
        .max()
        .unwrap_or(0)
        .max(batch.snapshot_through);
    let mut incoming: BTreeMap<Uuid, (String, ProfileState)> = BTreeMap::new();
    // Which regions spoke about each member in this batch: the new home speaking
    // confirms an arrival to the old home (`moves::confirm_arrivals`).
    let mut spoken: BTreeMap<Uuid, BTreeSet<String>> = BTreeMap::new();
    // Members handed over to this region privately (they do not share): never kept
    // as a replica if the arrival fails.
    let mut private = BTreeSet::new();
    for entry in entries {
        let Some(state) = &entry.state else { continue };
        let Ok(member_id) = Uuid::try_parse(&state.member_id) else {
            tracing::warn!(member_id = %state.member_id, "log entry with a malformed member id");
            continue;
        };
        if !state.deliver_only_to.is_empty() {
            if state.deliver_only_to != region {
                tracing::error!(
                    %member_id,
                    recipient = %state.deliver_only_to,
                    "a change meant for another region reached this one; ignored"
                );
                continue;
            }
            private.insert(member_id);
        }
        spoken
            .entry(member_id)
            .or_default()
            .insert(entry.origin_region.clone());
        if super::publish::is_bare_notice(state) {
            // Addressing only (an arrival confirmed): nothing to merge.
            continue;
        }
        if let Some((field, refused)) = passage_proto::hlc::future_stamp_in(
            state,
            passage_proto::hlc::wall_millis(),
            clock.max_skew_ms(),
        ) {
            // Skipped, the entry would be lost: the cursor moves past it with the
            // batch. Refused, nothing of the batch is applied or acknowledged, the
            // stream ends, and the gateway sends the batch again after the
            // reconnection's backoff — until this node's clock reaches the stamp,
            // or its skew is mended. The session logs why it ended.
            return Err(crate::error::Error::Unavailable(format!(
                "log entry {} (member {member_id}, from {}) is stamped beyond this node's clock: {field}: {refused}",
                entry.sequence, entry.origin_region
            )));
        }
        for stamp in state.stamps.values().chain(state.erased.iter()) {
            // Checked just above: every stamp is within the skew.
            let _ = clock.observe(Hlc::from_u64(stamp.hlc));
        }
        let merged = match incoming.get(&member_id) {
            Some((_, earlier)) => merge(earlier, state),
            None => merge(state, state),
        };
        incoming.insert(member_id, (entry.origin_region.clone(), merged));
    }
    let (_turn, txn) = context.begin_write().await?;
    let ids: Vec<Uuid> = incoming.keys().copied().collect();
    let mut erased = Vec::new();
    let mut arrived = false;
    for chunk in ids.chunks(1000) {
        let applied = apply_members(&txn, region, &incoming, &private, chunk).await?;
        erased.extend(applied.erased);
        arrived |= applied.arrived;
    }
    let confirmed = super::moves::confirm_arrivals(&txn, &spoken).await?;
    for id in &erased {
        let records = crate::store::erasure::erase_member_records(
            &txn,
            *id,
            crate::store::erasure::Reason::Erasure,
        )
        .await?;
        if records.any() {
            tracing::info!(
                member_id = %id,
                cases = records.cases,
                questions = records.questions,
                applications_unlinked = records.applications_unlinked,
                reviews_unlinked = records.reviews_unlinked,
                audit_entries = records.audit_entries,
                other_records = records.other_records,
                "erasure from the log: this region's records of the member erased"
            );
        }
    }
    if last > 0 {
        let cursor = sync_cursor::ActiveModel {
            peer: Set(GATEWAY.to_owned()),
            applied_sequence: Set(last as i64),
        };
        sync_cursor::Entity::insert(cursor)
            .on_conflict(
                OnConflict::column(sync_cursor::Column::Peer)
                    .update_column(sync_cursor::Column::AppliedSequence)
                    .to_owned(),
            )
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    if arrived {
        // Each arrival queued its confirmation to the old home, and told her
        // (by mail too, when she gave this region an address).
        context.outbox_ready.notify_one();
        context.mail_ready.notify_one();
    }
    if !erased.is_empty() || !confirmed.is_empty() {
        crate::store::erasure::scrub(&context.db).await;
    }
    for id in erased.iter().chain(confirmed.iter()) {
        crate::notify::files::erase_for(context, *id).await;
    }
    Ok((last > 0).then_some(last))
}

/// At start-up: erases what this region still holds of members whose tombstone it
/// applied before a tombstone erased region-local records (a node before issue
/// 13 only merged it into the replica). Reads the replicas 1,000 at a time and
/// erases, in one transaction per page, only the members a record still names,
/// so a federation of any size is checked in bounded memory. Returns how many.
pub async fn erase_leftovers(context: &NodeContext) -> Result<usize> {
    let mut erased = 0;
    let mut after: Option<Uuid> = None;
    loop {
        let mut page = remote_profile::Entity::find()
            .order_by_asc(remote_profile::Column::MemberId)
            .limit(1000);
        if let Some(after) = after {
            page = page.filter(remote_profile::Column::MemberId.gt(after));
        }
        let rows = page.all(&context.db).await?;
        let Some(last) = rows.last() else { break };
        after = Some(last.member_id);
        let tombstoned: Vec<Uuid> = rows
            .iter()
            .filter_map(|row| {
                ProfileState::decode(row.state.as_slice())
                    .is_ok_and(|state| state.erased.is_some())
                    .then_some(row.member_id)
            })
            .collect();
        erased += erase_still_named(context, &tombstoned).await?;
    }
    if erased > 0 {
        tracing::warn!(
            members = erased,
            "erased records this region still held of members erased earlier"
        );
    }
    Ok(erased)
}

/// Erases, in one transaction, what this region still holds of the members
/// `tombstoned` (at most a page of them) but those at home here again, who are
/// never erased by a replica's tombstone. Returns how many.
async fn erase_still_named(context: &NodeContext, tombstoned: &[Uuid]) -> Result<usize> {
    let mut named = BTreeSet::new();
    for chunk in tombstoned.chunks(500) {
        named.extend(crate::store::erasure::still_named(&context.db, chunk).await?);
        let here: Vec<Uuid> = member::Entity::find()
            .select_only()
            .column(member::Column::Id)
            .filter(member::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(&context.db)
            .await?;
        for id in here {
            named.remove(&id);
        }
    }
    if named.is_empty() {
        return Ok(0);
    }
    let (_turn, txn) = context.begin_write().await?;
    for id in &named {
        crate::store::erasure::erase_member_records(
            &txn,
            *id,
            crate::store::erasure::Reason::Erasure,
        )
        .await?;
    }
    txn.commit().await?;
    crate::store::erasure::scrub(&context.db).await;
    for id in &named {
        crate::notify::files::erase_for(context, *id).await;
    }
    Ok(named.len())
}

/// What merging a batch into the replicas did.
#[derive(Default)]
struct Applied {
    /// Members whose incoming state is an erasure (other regions' members only).
    erased: Vec<Uuid>,
    /// Whether a member arrived here (and a confirmation was queued).
    arrived: bool,
}

/// Merges the incoming states of `ids` into the replicas, and takes on the members
/// handed over to this region.
async fn apply_members(
    db: &impl ConnectionTrait,
    region: &str,
    incoming: &BTreeMap<Uuid, (String, ProfileState)>,
    private: &BTreeSet<Uuid>,
    ids: &[Uuid],
) -> Result<Applied> {
    // This region's own members: its own rows are the truth.
    let local: BTreeSet<Uuid> = member::Entity::find()
        .select_only()
        .column(member::Column::Id)
        .filter(member::Column::Id.is_in(ids.iter().copied()))
        .into_tuple::<Uuid>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let stored: BTreeMap<Uuid, ProfileState> = remote_profile::Entity::find()
        .filter(remote_profile::Column::MemberId.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|row| match ProfileState::decode(row.state.as_slice()) {
            Ok(state) => Some((row.member_id, state)),
            Err(error) => {
                // Merging into nothing rebuilds the replica from what arrives now.
                tracing::error!(member_id = %row.member_id, %error, "undecodable replica replaced");
                None
            }
        })
        .collect();
    let now = Utc::now();
    let mut rows = Vec::with_capacity(ids.len());
    let mut applied = Applied::default();
    for id in ids {
        if local.contains(id) {
            continue;
        }
        let Some((origin_region, state)) = incoming.get(id) else {
            continue;
        };
        if state.erased.is_some() {
            applied.erased.push(*id);
        }
        let merged = match stored.get(id) {
            Some(existing) => merge(existing, state),
            None => state.clone(),
        };
        let home_region = merged
            .profile
            .as_ref()
            .map(|p| p.home_region.clone())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| origin_region.clone());
        if home_region == region && merged.erased.is_none() {
            if super::moves::arrive(db, region, *id, &merged, origin_region).await? {
                applied.arrived = true;
                continue;
            }
            if private.contains(id) {
                // Not taken on, and not shared: nothing of them is kept here.
                continue;
            }
        }
        rows.push(remote_profile::ActiveModel {
            member_id: Set(*id),
            home_region: Set(home_region),
            state: Set(merged.encode_to_vec()),
            updated_at: Set(now),
        });
    }
    if rows.is_empty() {
        return Ok(applied);
    }
    remote_profile::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::column(remote_profile::Column::MemberId)
                .update_columns([
                    remote_profile::Column::HomeRegion,
                    remote_profile::Column::State,
                    remote_profile::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(applied)
}

/// The shared profile of another region's member, if this node holds one the member
/// still shares.
pub async fn shared_member(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<v1::Member>> {
    let Some(row) = remote_profile::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let Ok(state) = ProfileState::decode(row.state.as_slice()) else {
        return Ok(None);
    };
    if !is_shared(&state) {
        return Ok(None);
    }
    Ok(Some(v1::Member {
        id: id.to_string(),
        profile: state.profile,
        regional: None,
        create_time: None,
        update_time: Some(crate::convert::timestamp(row.updated_at)),
    }))
}

/// The merged state this node holds for another region's member, erased or not.
pub async fn stored_state(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<ProfileState>> {
    Ok(remote_profile::Entity::find_by_id(id)
        .one(db)
        .await?
        .and_then(|row| ProfileState::decode(row.state.as_slice()).ok()))
}

/// The home region of another region's member this node holds a replica of, if it
/// is not erased.
pub async fn home_region(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<String>> {
    let Some(row) = remote_profile::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let erased = ProfileState::decode(row.state.as_slice()).map_or(true, |s| s.erased.is_some());
    Ok((!erased).then_some(row.home_region))
}
