//! One programme's cohort of one year.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "coaching_cohort")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub programme_id: Uuid,
    pub year: i32,
    pub starts_on: Date,
    pub ends_on: Date,
    pub capacity: i32,
    pub created_at: DateTimeUtc,
    /// The id the chapter's own spreadsheet gives it; empty when made through the API.
    pub external_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
