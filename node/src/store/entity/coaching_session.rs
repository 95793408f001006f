//! A session of a cohort: job coaching, a training or another activity.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "coaching_session")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub cohort_id: Uuid,
    /// `job_coaching`, `application_training`, `communication_training`, `other`.
    pub component: String,
    pub held_on: Date,
    pub topic: String,
    /// Empty when only `coach_member_id` names the coach.
    pub coach_name: String,
    pub coach_member_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
