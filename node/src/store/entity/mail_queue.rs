//! A mail waiting to be sent (or sent) for one notification; the notification's
//! id makes its `Message-ID`, so a retry sends the same message.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "mail_queue")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub notification_id: Uuid,
    pub member_id: Uuid,
    pub to_address: String,
    pub kind: String,
    pub link: String,
    pub language: String,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    /// The last refusal or failure, empty when none.
    pub last_error: String,
    pub sent_at: Option<DateTimeUtc>,
    /// The `.eml` file the mail was written to (no SMTP server set), relative to
    /// the mail folder; empty when sent over SMTP or not yet written.
    pub written_file: String,
    pub created_at: DateTimeUtc,
    /// A digest's items as JSON (`{"period": "daily", "items": [{"kind", "link"}]}`);
    /// empty for the mail of one notification.
    #[sea_orm(column_type = "Text")]
    pub digest_items: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
