//! A newcomer and a local buddy, from proposal to its end.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "buddy_pair")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub newcomer_member_id: Uuid,
    pub local_member_id: Uuid,
    /// `proposed`, `active`, `declined` or `ended`.
    pub status: String,
    /// JSON array of why they were matched ("shared language: ar").
    pub reasons: Json,
    #[sea_orm(column_type = "Text")]
    pub end_reason: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The id the chapter's own spreadsheet gives it; empty when made through the API.
    pub external_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
