//! Moves of members between home regions, as the gateway records them: who asked,
//! when, from where to where, and the directory epoch the move produced.

use chrono::Utc;
use passage_proto::v1;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, sea_query::Expr,
};
use uuid::Uuid;

use crate::error::Result;

/// `member_transfer`: one row per requested move.
pub mod member_transfer {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "member_transfer")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub member_id: Uuid,
        pub from_region: String,
        pub to_region: String,
        /// The member's directory epoch once the move completed.
        pub epoch: Option<i64>,
        pub requested_by: String,
        pub requested_at: DateTimeUtc,
        pub completed_at: Option<DateTimeUtc>,
        /// Why the old home region could not hand the member over.
        pub failure: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

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
    }
}

/// Records a requested move, not yet completed; returns its id.
pub async fn request(
    db: &impl ConnectionTrait,
    member_id: Uuid,
    from: &str,
    to: &str,
    requested_by: &str,
) -> Result<i64> {
    let row = Entity::insert(member_transfer::ActiveModel {
        member_id: Set(member_id),
        from_region: Set(from.to_owned()),
        to_region: Set(to.to_owned()),
        epoch: Set(None),
        requested_by: Set(requested_by.to_owned()),
        requested_at: Set(Utc::now()),
        completed_at: Set(None),
        failure: Set(None),
        ..Default::default()
    })
    .exec(db)
    .await?;
    Ok(row.last_insert_id)
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
            ..Default::default()
        })
        .exec(db)
        .await?;
    }
    Ok(())
}

/// Records why a requested move did not happen.
pub async fn fail(db: &impl ConnectionTrait, id: i64, reason: &str) -> Result<()> {
    Entity::update_many()
        .col_expr(Column::Failure, Expr::value(reason.to_owned()))
        .filter(Column::Id.eq(id))
        .filter(Column::CompletedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
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
