//! `directory`: the home region of every member that was ever shared, the epoch of
//! that home (one more for every move), and the merge of every change to the member.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "directory")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub member_id: Uuid,
    pub home_region: String,
    pub epoch: i64,
    pub updated_at: DateTimeUtc,
    /// An encoded `passage.v1.ProfileState`; unset for rows older than snapshots.
    pub state: Option<Vec<u8>>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
