//! `account_session`: a signed-in session, checked on every call as a token is.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "account_session")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub account_id: String,
    pub member_id: Option<Uuid>,
    /// SHA-256 of the session's secret.
    pub secret_hash: String,
    pub created_at: DateTimeUtc,
    /// Moved on while the session is used.
    pub expires_at: DateTimeUtc,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

/// A session belongs to its account: the check on every call reads both in one
/// query.
impl Related<super::account::Entity> for Entity {
    fn to() -> RelationDef {
        Entity::belongs_to(super::account::Entity)
            .from(Column::AccountId)
            .to(super::account::Column::Id)
            .into()
    }
}

impl ActiveModelBehavior for ActiveModel {}
