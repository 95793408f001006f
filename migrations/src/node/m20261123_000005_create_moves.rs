//! Members moving between regions. `arrival`: a move this region asked for, with the
//! region-local record taken at intake here, until the member's profile arrives.
//! `departure`: members whose home this region was, and where they went (their
//! region-local record here is deleted when they leave).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("arrival")
                    .col(uuid("member_id").primary_key())
                    // An encoded passage.v1.RegionalRecord.
                    .col(blob("regional"))
                    .col(string("requested_by"))
                    .col(timestamp_with_time_zone("requested_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("departure")
                    .col(uuid("member_id").primary_key())
                    .col(string("moved_to"))
                    .col(timestamp_with_time_zone("departed_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("departure").to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table("arrival").to_owned())
            .await
    }
}
