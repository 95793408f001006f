//! An organisation of the local market.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "organisation")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub sector: String,
    pub location: String,
    pub website: String,
    /// Employees, all locations together (E-Verify duties depend on it); 0 when
    /// not recorded.
    pub headcount: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The id the chapter's own spreadsheet gives it (`SpreadsheetService`),
    /// unique in the region; `None` for records made any other way.
    pub external_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
