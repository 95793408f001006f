//! Notifications written once and digests (issue 16 points 1 and 4):
//! `notification_key` records the key of a notice that must be written once
//! only (a reminder of tomorrow's event, the day's digest of opportunities to
//! review), so a node that restarts does not tell anyone twice; `digest_item` is
//! a notification whose mail waits for its person's daily or weekly digest. Both
//! name the member, so erasure deletes and "my data" reads them.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("notification_key")
                    .col(string("key").primary_key())
                    .col(uuid("member_id"))
                    .col(uuid("notification_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("notification_key_member_idx")
                    .table("notification_key")
                    .col("member_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("digest_item")
                    .col(uuid("notification_id").primary_key())
                    .col(uuid("member_id"))
                    .col(string("kind"))
                    .col(string("link"))
                    .col(timestamp_with_time_zone("due_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("digest_item_due_idx")
                    .table("digest_item")
                    .col("due_at")
                    .col("member_id")
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["digest_item", "notification_key"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
