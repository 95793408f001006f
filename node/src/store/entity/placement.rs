//! A member started in an opportunity, from an accepted application.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "placement")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub application_id: Uuid,
    pub member_id: Uuid,
    pub opportunity_id: Uuid,
    pub organisation_id: Uuid,
    /// `paid_job`, `internship`, `volunteering`, `learn_work` or `project`.
    pub kind: String,
    pub start_date: Date,
    /// `None` while active.
    pub end_date: Option<Date>,
    /// `completed`, `contract_ended`, `left_for_other_job`, `dismissed`,
    /// `moved_away` or `other`; empty while active.
    pub end_reason: String,
    #[sea_orm(column_type = "Text")]
    pub end_note: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The id the chapter's own spreadsheet gives it, for an imported record
    /// (`ImportKind` APPLICATIONS or PLACEMENTS); none otherwise.
    pub external_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
