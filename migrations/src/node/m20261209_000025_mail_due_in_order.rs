//! The mail task reads the mails due, a hundred at a time, in the order they fell
//! due (then by id). The index of 000018 found the unsent mails due but left them
//! to be sorted, all of them, on every read: with a backlog of thousands (a busy
//! hour, a mail server back after an outage) each read sorted the whole backlog.
//! The new index also holds the id, so the read takes the first hundred in order
//! and stops. It is made under a new name before the old one is dropped: neither
//! statement depends on the other having been seen (on SQLite each may run on
//! another of the pool's connections).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const OLD: &str = "mail_queue_due_idx";
const NEW: &str = "mail_queue_due_order_idx";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(NEW)
                    .table("mail_queue")
                    .col("sent_at")
                    .col("next_attempt_at")
                    .col("notification_id")
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(Index::drop().name(OLD).table("mail_queue").to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(OLD)
                    .table("mail_queue")
                    .col("sent_at")
                    .col("next_attempt_at")
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(Index::drop().name(NEW).table("mail_queue").to_owned())
            .await
    }
}
