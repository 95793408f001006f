//! A notification whose mail waits for its person's daily or weekly digest (the
//! inbox has it at once): its kind, its link and when the digest is due.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "digest_item")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub notification_id: Uuid,
    pub member_id: Uuid,
    pub kind: String,
    pub link: String,
    /// The local morning the digest goes out, outside her quiet hours.
    pub due_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
