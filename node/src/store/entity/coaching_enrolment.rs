//! A newcomer enrolled in a cohort, and where they ended up.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "coaching_enrolment")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub cohort_id: Uuid,
    pub member_id: Uuid,
    /// `paid_job`, `unpaid_role`, `education`, `none`; empty while not recorded.
    pub outcome: String,
    pub outcome_recorded_on: Option<Date>,
    #[sea_orm(column_type = "Text")]
    pub outcome_detail: String,
    pub enrolled_at: DateTimeUtc,
    /// The id the chapter's own spreadsheet gives it; empty when made through the API.
    pub external_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
