//! A member's contact details and how she wants to be told (region-local).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "contact_details")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub member_id: Uuid,
    /// Empty when she gave none: no mail.
    pub email: String,
    /// An IANA time zone name, such as `Europe/Amsterdam`.
    pub time_zone: String,
    /// The language of her mail (en, nl, ar, uk, es).
    pub language: String,
    /// `immediate`, `daily` or `weekly`.
    pub digest: String,
    /// Quiet hours in her time zone, minutes after midnight; both set or neither.
    pub quiet_from_minute: Option<i32>,
    pub quiet_until_minute: Option<i32>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
