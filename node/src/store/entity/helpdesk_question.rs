//! A helpdesk question, where it was routed and its answer.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "helpdesk_question")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub asker_member_id: Uuid,
    pub language: String,
    pub topic: String,
    #[sea_orm(column_type = "Text")]
    pub text: String,
    /// `unrouted`, `routed` or `answered`.
    pub status: String,
    pub answerer_member_id: Option<Uuid>,
    #[sea_orm(column_type = "Text")]
    pub answer: String,
    pub article_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub answered_at: Option<DateTimeUtc>,
    /// The id the chapter's own spreadsheet gives it; empty when made through the API.
    pub external_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
