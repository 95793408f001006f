//! An opportunity offered by an organisation of the same region.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "opportunity")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub kind: String,
    pub sector: String,
    /// JSON array of skills.
    pub skills: Json,
    /// JSON array of ISO 639-1 codes.
    pub languages: Json,
    pub hours_per_week: i32,
    pub paid: bool,
    pub location: String,
    pub status: String,
    pub self_employment: bool,
    /// Gross, in cents of the region's currency; 0 = not given.
    pub hourly_wage_cents: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The id the chapter's own spreadsheet gives it (`SpreadsheetService`),
    /// unique in the region; `None` for records made any other way.
    pub external_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
