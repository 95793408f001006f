//! Moves between home regions and snapshots: the directory keeps each member's latest
//! merged shared state (the snapshot a new or compacted-past region starts from),
//! every move is recorded, and the log remembers how far it was compacted.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("directory")
                    // An encoded passage.v1.ProfileState: the merge of every change.
                    .add_column(blob_null("state"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("member_transfer")
                    .col(big_pk_auto("id"))
                    .col(uuid("member_id"))
                    .col(string("from_region"))
                    .col(string("to_region"))
                    .col(big_integer_null("epoch"))
                    .col(string("requested_by"))
                    .col(timestamp_with_time_zone("requested_at"))
                    .col(timestamp_with_time_zone_null("completed_at"))
                    .col(text_null("failure"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("member_transfer_member_idx")
                    .table("member_transfer")
                    .col("member_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("log_compaction")
                    .col(integer("id").primary_key())
                    .col(big_integer("compacted_through"))
                    .col(timestamp_with_time_zone("compacted_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("log_compaction").to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table("member_transfer").to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("directory")
                    .drop_column("state")
                    .to_owned(),
            )
            .await
    }
}
