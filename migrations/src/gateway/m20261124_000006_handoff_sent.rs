//! Records when a requested move was handed to the old home region's `Sync` stream:
//! the gateway replica that holds that stream claims the request here, so the old
//! home is asked exactly once, whichever replica took the request. Recent requests
//! are found by the time they were made.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("member_transfer")
                    .add_column(timestamp_with_time_zone_null("handoff_sent_at"))
                    .to_owned(),
            )
            .await?;
        // Every replica looks for recent requests a few times a second.
        manager
            .create_index(
                Index::create()
                    .name("member_transfer_requested_idx")
                    .table("member_transfer")
                    .col("requested_at")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("member_transfer_requested_idx")
                    .table("member_transfer")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("member_transfer")
                    .drop_column("handoff_sent_at")
                    .to_owned(),
            )
            .await
    }
}
