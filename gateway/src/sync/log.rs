//! The gateway's federation tables: the change log, region cursors and the member
//! directory, with the queries the sync hub needs.

use chrono::Utc;
use prost::Message as _;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, sea_query::OnConflict,
};
use uuid::Uuid;

use passage_proto::v1::{LogEntry, ProfileState};

use crate::error::Result;

/// `change_log`: one row per accepted change, in sequence order.
pub mod change_log {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "change_log")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub sequence: i64,
        pub member_id: Uuid,
        pub origin_region: String,
        pub state: Vec<u8>,
        pub appended_at: DateTimeUtc,
        /// Whether the entry is an erasure tombstone.
        pub erasure: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `region_cursor`: how far each region has applied the log.
pub mod region_cursor {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "region_cursor")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub region: String,
        pub applied_sequence: i64,
        pub last_seen: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `directory`: the home region of every member that was ever shared.
pub mod directory {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "directory")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub member_id: Uuid,
        pub home_region: String,
        pub epoch: i64,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// What became of a batch of changes a region sent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Appended {
    /// Log sequence of the last change appended, if any was.
    pub newest: Option<i64>,
    /// Changes refused, as (member id, reason); nothing of them was written.
    pub refused: Vec<(String, String)>,
}

/// Appends the changes `region` sent, in one transaction: a change for a member whose
/// home is another region is refused; a member seen for the first time gets `region`
/// as home in the directory.
pub async fn append(
    db: &DatabaseConnection,
    region: &str,
    changes: &[ProfileState],
) -> Result<Appended> {
    let mut outcome = Appended::default();
    let mut parsed = Vec::with_capacity(changes.len());
    for change in changes {
        match Uuid::try_parse(&change.member_id) {
            Ok(id) => parsed.push((id, change)),
            Err(_) => outcome
                .refused
                .push((change.member_id.clone(), "member_id is not a UUID".into())),
        }
    }
    if parsed.is_empty() {
        return Ok(outcome);
    }
    let txn = passage_migrations::begin_write(db).await?;
    let ids: Vec<Uuid> = parsed.iter().map(|(id, _)| *id).collect();
    let mut homes: std::collections::HashMap<Uuid, String> = directory::Entity::find()
        .filter(directory::Column::MemberId.is_in(ids))
        .all(&txn)
        .await?
        .into_iter()
        .map(|entry| (entry.member_id, entry.home_region))
        .collect();
    let now = Utc::now();
    let mut new_homes = Vec::new();
    let mut log_rows = Vec::with_capacity(parsed.len());
    for (member_id, change) in parsed {
        match homes.get(&member_id) {
            Some(home) if home != region => {
                outcome.refused.push((
                    change.member_id.clone(),
                    format!("member {member_id} belongs to region {home}, not {region}"),
                ));
                continue;
            }
            Some(_) => {}
            None => {
                homes.insert(member_id, region.to_owned());
                new_homes.push(directory::ActiveModel {
                    member_id: Set(member_id),
                    home_region: Set(region.to_owned()),
                    epoch: Set(1),
                    updated_at: Set(now),
                });
            }
        }
        log_rows.push(change_log::ActiveModel {
            member_id: Set(member_id),
            origin_region: Set(region.to_owned()),
            state: Set(change.encode_to_vec()),
            appended_at: Set(now),
            erasure: Set(change.erased.is_some()),
            ..Default::default()
        });
    }
    for chunk in new_homes.chunks(1000) {
        directory::Entity::insert_many(chunk.to_vec())
            .exec(&txn)
            .await?;
    }
    let appended = !log_rows.is_empty();
    for chunk in log_rows.chunks(1000) {
        change_log::Entity::insert_many(chunk.to_vec())
            .exec(&txn)
            .await?;
    }
    if appended {
        outcome.newest = Some(head(&txn).await?);
    }
    txn.commit().await?;
    Ok(outcome)
}

/// Up to `limit` log entries after `after` that did not come from `region`.
pub async fn entries_for(
    db: &impl ConnectionTrait,
    region: &str,
    after: i64,
    limit: u64,
) -> Result<Vec<LogEntry>> {
    let rows = change_log::Entity::find()
        .filter(change_log::Column::Sequence.gt(after))
        .filter(change_log::Column::OriginRegion.ne(region))
        .order_by_asc(change_log::Column::Sequence)
        .limit(limit)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let state = match ProfileState::decode(row.state.as_slice()) {
                Ok(state) => state,
                Err(error) => {
                    tracing::error!(sequence = row.sequence, %error, "undecodable log entry skipped");
                    return None;
                }
            };
            Some(LogEntry {
                sequence: row.sequence as u64,
                origin_region: row.origin_region,
                state: Some(state),
            })
        })
        .collect())
}

/// The newest sequence in the log (0 when empty).
pub async fn head(db: &impl ConnectionTrait) -> Result<i64> {
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
        .filter(change_log::Column::OriginRegion.ne(region));
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
