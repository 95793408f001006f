//! One newcomer's verdict on an opportunity in one review round.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "opportunity_review")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub opportunity_id: Uuid,
    pub reviewer_member_id: Uuid,
    /// `approve`, `request_changes` or `reject`.
    pub verdict: String,
    #[sea_orm(column_type = "Text")]
    pub comment: String,
    pub round: i32,
    pub created_at: DateTimeUtc,
    /// The id the chapter's own spreadsheet gives it; empty when made through the API.
    pub external_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
