//! `member_transfer`: one row per requested move.

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
    /// When a gateway replica sent the hand-over on the old home's `Sync` stream.
    pub handoff_sent_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
