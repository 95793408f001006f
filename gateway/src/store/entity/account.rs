//! `account`: a person who signs in, bound to one caller kind.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "account")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    #[sea_orm(unique)]
    pub login: String,
    /// A token role: `member`, `chapter_admin`, `central_analyst`, `operator`.
    pub kind: String,
    /// A chapter admin's region; for a member, the region the account was made in.
    pub region: Option<String>,
    pub member_id: Option<Uuid>,
    /// The organisation an organisation's contact speaks for.
    pub organisation_id: Option<Uuid>,
    /// The argon2id hash (PHC string); none until an invitation is accepted.
    pub passphrase_hash: Option<String>,
    pub language: String,
    /// Wrong passphrases since the last sign-in or lock.
    pub failed_attempts: i32,
    pub locked_until: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
