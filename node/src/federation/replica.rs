//! Other regions' shared profiles, as this node holds them: each entry of the
//! gateway's log is merged into the stored state, so applying an entry twice or out
//! of order changes nothing.

use chrono::Utc;
use passage_proto::hlc::{Hlc, HlcClock};
use passage_proto::merge::{is_shared, merge};
use passage_proto::v1::{self, LogEntry, ProfileState};
use prost::Message;
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseConnection, EntityTrait, sea_query::OnConflict,
};
use uuid::Uuid;

use crate::error::Result;
use crate::store::entity::{member, remote_profile, sync_cursor};

/// The peer name of the gateway's log in `sync_cursor`.
pub const GATEWAY: &str = "gateway";

/// Applies a batch of log entries and moves the cursor, in one transaction.
/// Returns the sequence of the last entry.
pub async fn apply_batch(
    db: &DatabaseConnection,
    clock: &HlcClock,
    entries: &[LogEntry],
) -> Result<Option<u64>> {
    let Some(last) = entries.last().map(|e| e.sequence) else {
        return Ok(None);
    };
    let txn = passage_migrations::begin_write(db).await?;
    for entry in entries {
        if let Some(state) = &entry.state {
            apply(&txn, clock, &entry.origin_region, state).await?;
        }
    }
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
    txn.commit().await?;
    Ok(Some(last))
}

async fn apply(
    db: &impl ConnectionTrait,
    clock: &HlcClock,
    origin_region: &str,
    incoming: &ProfileState,
) -> Result<()> {
    let Ok(member_id) = Uuid::try_parse(&incoming.member_id) else {
        tracing::warn!(member_id = %incoming.member_id, "log entry with a malformed member id");
        return Ok(());
    };
    for stamp in incoming.stamps.values().chain(incoming.erased.iter()) {
        clock.observe(Hlc::from_u64(stamp.hlc));
    }
    if member::Entity::find_by_id(member_id)
        .one(db)
        .await?
        .is_some()
    {
        // This region is the member's home: its own row is the truth.
        return Ok(());
    }
    let existing = remote_profile::Entity::find_by_id(member_id)
        .one(db)
        .await?;
    let merged = match &existing {
        Some(row) => match ProfileState::decode(row.state.as_slice()) {
            Ok(stored) => merge(&stored, incoming),
            Err(_) => merge(incoming, incoming),
        },
        None => merge(incoming, incoming),
    };
    let home_region = merged
        .profile
        .as_ref()
        .map(|p| p.home_region.clone())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| origin_region.to_owned());
    let row = remote_profile::ActiveModel {
        member_id: Set(member_id),
        home_region: Set(home_region),
        state: Set(merged.encode_to_vec()),
        updated_at: Set(Utc::now()),
    };
    remote_profile::Entity::insert(row)
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
    Ok(())
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
