//! A member whose home this region was, and the region they moved to: kept whole
//! until the new home confirms the arrival, then only as "moved to".

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "departure")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub member_id: Uuid,
    pub moved_to: String,
    pub departed_at: DateTimeUtc,
    /// The member's record as it was here (a `v1::Member`, with the region-local
    /// record), kept until the new home confirms the arrival.
    pub kept_record: Option<Vec<u8>>,
    /// When the new home confirmed the arrival; the region-local records went then.
    pub arrived_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
