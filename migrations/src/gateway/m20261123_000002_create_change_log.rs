//! The federation's durable, sequenced change log; each region's cursor in it; and
//! the directory of which region is home to which shared member.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("change_log")
                    .col(big_pk_auto("sequence"))
                    .col(uuid("member_id"))
                    .col(string("origin_region"))
                    // An encoded passage.v1.ProfileState: shared fields only.
                    .col(blob("state"))
                    .col(timestamp_with_time_zone("appended_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("change_log_member_idx")
                    .table("change_log")
                    .col("member_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("region_cursor")
                    .col(string("region").primary_key())
                    .col(big_integer("applied_sequence"))
                    .col(timestamp_with_time_zone_null("last_seen"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("directory")
                    .col(uuid("member_id").primary_key())
                    .col(string("home_region"))
                    .col(big_integer("epoch"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["directory", "region_cursor", "change_log"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
