//! An opportunity fair, information session or training of the region.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "community_event")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `opportunity_fair`, `information_session` or `training`.
    pub kind: String,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    pub place: String,
    /// Seats, 1 to 10000.
    pub capacity: i32,
    /// JSON array of ISO 639-1 codes.
    pub languages: Json,
    pub created_at: DateTimeUtc,
    /// The id the chapter's own spreadsheet gives it; empty when made through the API.
    pub external_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
