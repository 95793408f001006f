//! A case chapter staff follow: one member, or a household.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "case_file")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The member the case is about, or a household's main member; none for a
    /// household named by its members only.
    pub member_id: Option<Uuid>,
    pub is_household: bool,
    pub household_label: String,
    /// JSON array of the household's other member ids.
    pub household_member_ids: Json,
    pub title: String,
    pub caseworker: String,
    /// `open` or `closed`.
    pub status: String,
    #[sea_orm(column_type = "Text")]
    pub resolution: String,
    pub opened_at: DateTimeUtc,
    pub closed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
