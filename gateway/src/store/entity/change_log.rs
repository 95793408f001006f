//! `change_log`: one row per accepted change, in sequence order.

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
    /// The one region this entry is for (a private hand-over or arrival); none: every
    /// region but its origin.
    pub recipient: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
