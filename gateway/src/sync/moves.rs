//! Moves of members between home regions, as the gateway records them: who asked,
//! when, from where to where, and the directory epoch the move produced.
//!
//! The table is also how gateway replicas on one database share a move: the replica
//! that took the request records it, the replica holding the old home region's
//! `Sync` stream claims it and sends the hand-over, and the old home's answer (the
//! handed-over change, or a refusal) is written to the same row, which the requesting
//! replica reads.

use chrono::Utc;
use passage_proto::v1;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, sea_query::Expr,
};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::store::entity::member_transfer;

use member_transfer::{Column, Entity, Model};

fn timestamp(time: chrono::DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: time.timestamp(),
        nanos: time.timestamp_subsec_nanos() as i32,
    }
}

/// The wire form of a recorded move.
pub fn to_wire(row: &Model) -> v1::MemberTransfer {
    v1::MemberTransfer {
        member_id: row.member_id.to_string(),
        from_region: row.from_region.clone(),
        to_region: row.to_region.clone(),
        epoch: row.epoch.unwrap_or(0) as u64,
        requested_by: row.requested_by.clone(),
        requested_time: Some(timestamp(row.requested_at)),
        completed_time: row.completed_at.map(timestamp),
        failure: row.failure.clone().unwrap_or_default(),
    }
}

/// The PostgreSQL advisory lock gateway replicas take to record a move request
/// ("passage" and 2, as one 64-bit key), so two replicas never both start a move of
/// one member.
const MOVE_REQUEST_LOCK: i64 = 0x7061_7373_6167_6502;

/// Records a requested move, not yet completed, and returns its id; `None` when a
/// move of the member requested after `busy_since` is still open (someone waits
/// for it).
pub async fn request(
    db: &DatabaseConnection,
    member_id: Uuid,
    from: &str,
    to: &str,
    requested_by: &str,
    busy_since: chrono::DateTime<Utc>,
) -> Result<Option<i64>> {
    let txn = passage_migrations::begin_write(db).await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared(&format!(
            "SELECT pg_advisory_xact_lock({MOVE_REQUEST_LOCK})"
        ))
        .await?;
    }
    let under_way = Entity::find()
        .filter(Column::MemberId.eq(member_id))
        .filter(Column::CompletedAt.is_null())
        .filter(Column::Failure.is_null())
        .filter(Column::RequestedAt.gt(busy_since))
        .one(&txn)
        .await?;
    if under_way.is_some() {
        return Ok(None);
    }
    // Nobody moves a member but the member: their own confirmation, used once.
    if !super::confirm::take(&txn, member_id, to, Utc::now()).await? {
        return Err(Error::PermissionDenied(format!(
            "member {member_id} has not confirmed a move to {to}: the member confirms it \
             with their own credential (MoveService.ConfirmMove) before the move is asked for"
        )));
    }
    let row = Entity::insert(member_transfer::ActiveModel {
        member_id: Set(member_id),
        from_region: Set(from.to_owned()),
        to_region: Set(to.to_owned()),
        epoch: Set(None),
        requested_by: Set(requested_by.to_owned()),
        requested_at: Set(Utc::now()),
        completed_at: Set(None),
        failure: Set(None),
        handoff_sent_at: Set(None),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    txn.commit().await?;
    Ok(Some(row.last_insert_id))
}

/// Open requests to move members away from one of `regions`, made after `since`,
/// that no gateway replica has sent to the old home region yet; oldest first.
pub async fn awaiting_handoff(
    db: &impl ConnectionTrait,
    regions: &[String],
    since: chrono::DateTime<Utc>,
) -> Result<Vec<Model>> {
    Ok(Entity::find()
        .filter(Column::RequestedAt.gt(since))
        .filter(Column::FromRegion.is_in(regions.iter().cloned()))
        .filter(Column::HandoffSentAt.is_null())
        .filter(Column::CompletedAt.is_null())
        .filter(Column::Failure.is_null())
        .order_by_asc(Column::Id)
        .all(db)
        .await?)
}

/// Claims the hand-over of an open request for the replica about to send it; false
/// when another replica sent it already, or the request is no longer open.
pub async fn claim_handoff(db: &impl ConnectionTrait, id: i64) -> Result<bool> {
    let claimed = Entity::update_many()
        .col_expr(Column::HandoffSentAt, Expr::value(Utc::now()))
        .filter(Column::Id.eq(id))
        .filter(Column::HandoffSentAt.is_null())
        .filter(Column::CompletedAt.is_null())
        .filter(Column::Failure.is_null())
        .exec(db)
        .await?;
    Ok(claimed.rows_affected == 1)
}

/// Records why a request failed before any replica sent the hand-over (the old home
/// region was not connected); false when a replica sent it meanwhile, so the old
/// home may still hand the member over.
pub async fn fail_unsent(db: &impl ConnectionTrait, id: i64, reason: &str) -> Result<bool> {
    let failed = Entity::update_many()
        .col_expr(Column::Failure, Expr::value(reason.to_owned()))
        .filter(Column::Id.eq(id))
        .filter(Column::HandoffSentAt.is_null())
        .filter(Column::CompletedAt.is_null())
        .filter(Column::Failure.is_null())
        .exec(db)
        .await?;
    Ok(failed.rows_affected == 1)
}

/// Records the old home region's refusal to hand a member over on every open request
/// it was sent for; returns how many there were.
pub async fn refuse(
    db: &impl ConnectionTrait,
    member_id: Uuid,
    from: &str,
    reason: &str,
) -> Result<u64> {
    let refused = Entity::update_many()
        .col_expr(Column::Failure, Expr::value(reason.to_owned()))
        .filter(Column::MemberId.eq(member_id))
        .filter(Column::FromRegion.eq(from))
        .filter(Column::HandoffSentAt.is_not_null())
        .filter(Column::CompletedAt.is_null())
        .filter(Column::Failure.is_null())
        .exec(db)
        .await?;
    Ok(refused.rows_affected)
}

/// Marks the open request for this move completed at `epoch`; records the move as
/// asked for by the old home region if nobody requested it here.
pub async fn complete(
    db: &impl ConnectionTrait,
    member_id: Uuid,
    from: &str,
    to: &str,
    epoch: i64,
    at: chrono::DateTime<Utc>,
) -> Result<()> {
    let updated = Entity::update_many()
        .col_expr(Column::Epoch, Expr::value(epoch))
        .col_expr(Column::CompletedAt, Expr::value(at))
        .filter(Column::MemberId.eq(member_id))
        .filter(Column::ToRegion.eq(to))
        .filter(Column::CompletedAt.is_null())
        .filter(Column::Failure.is_null())
        .exec(db)
        .await?;
    if updated.rows_affected == 0 {
        Entity::insert(member_transfer::ActiveModel {
            member_id: Set(member_id),
            from_region: Set(from.to_owned()),
            to_region: Set(to.to_owned()),
            epoch: Set(Some(epoch)),
            requested_by: Set(format!("region {from}")),
            requested_at: Set(at),
            completed_at: Set(Some(at)),
            failure: Set(None),
            handoff_sent_at: Set(None),
            ..Default::default()
        })
        .exec(db)
        .await?;
    }
    Ok(())
}

/// The latest recorded move of a member, if any.
pub async fn latest_of(db: &impl ConnectionTrait, member_id: Uuid) -> Result<Option<Model>> {
    Ok(Entity::find()
        .filter(Column::MemberId.eq(member_id))
        .order_by_desc(Column::Id)
        .one(db)
        .await?)
}

/// One recorded move by id.
pub async fn find(db: &impl ConnectionTrait, id: i64) -> Result<Option<Model>> {
    Ok(Entity::find_by_id(id).one(db).await?)
}

/// Recorded moves after id `after`, oldest first, of one member or of all.
pub async fn list(
    db: &impl ConnectionTrait,
    member_id: Option<Uuid>,
    after: i64,
    limit: u64,
) -> Result<Vec<Model>> {
    let mut select = Entity::find()
        .filter(Column::Id.gt(after))
        .order_by_asc(Column::Id)
        .limit(limit);
    if let Some(member_id) = member_id {
        select = select.filter(Column::MemberId.eq(member_id));
    }
    Ok(select.all(db).await?)
}
