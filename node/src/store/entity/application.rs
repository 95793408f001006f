//! A member's application to an opportunity, with the rules decision it was
//! allowed under.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "application")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub member_id: Uuid,
    pub opportunity_id: Uuid,
    /// `applied`, `screening`, `interview`, `offer`, `accepted`, `rejected` or
    /// `withdrawn`.
    pub stage: String,
    #[sea_orm(column_type = "Text")]
    pub motivation: String,
    /// JSON array of the decision's conditions.
    pub conditions: Json,
    /// JSON array of the conditions that fall on the employer; none for an
    /// application made before they were told apart.
    pub employer_conditions: Option<Json>,
    /// The member agreed that the organisation sees `employer_conditions` from
    /// the offer on.
    pub share_employer_conditions: bool,
    /// JSON array of the decision's warnings.
    pub warnings: Json,
    /// JSON array of the ids of every rule that fired.
    pub rule_ids: Json,
    /// 0 = no cap.
    pub hours_cap: i32,
    pub rules_version: String,
    pub evaluated_on: Date,
    /// Why it was rejected or withdrawn.
    #[sea_orm(column_type = "Text")]
    pub stage_note: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The id the chapter's own spreadsheet gives it, for an imported record
    /// (`ImportKind` APPLICATIONS or PLACEMENTS); none otherwise.
    pub external_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
