//! `region_cursor`: how far each region has applied the log.

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
