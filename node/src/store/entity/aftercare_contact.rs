//! One contact with a cohort's participant during its aftercare: a dated note.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "aftercare_contact")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub cohort_id: Uuid,
    pub participant_member_id: Uuid,
    /// The coach who recorded it; `None` for the chapter admin, or once the coach
    /// is erased.
    pub coach_member_id: Option<Uuid>,
    pub contacted_on: Date,
    #[sea_orm(column_type = "Text")]
    pub note: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
