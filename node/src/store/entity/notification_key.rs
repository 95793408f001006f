//! The key of a notice written once only — a reminder of tomorrow's event, the
//! day's notice of opportunities to review — so a restart tells no one twice.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "notification_key")]
pub struct Model {
    /// Such as `event_tomorrow:<event id>:<member id>`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    pub member_id: Uuid,
    pub notification_id: Uuid,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
