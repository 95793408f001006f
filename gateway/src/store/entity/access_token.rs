//! The `access_token` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "access_token")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub secret_hash: String,
    pub role: String,
    pub region: Option<String>,
    pub member_id: Option<String>,
    /// The organisation an organisation's contact speaks for.
    pub organisation_id: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub label: String,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
