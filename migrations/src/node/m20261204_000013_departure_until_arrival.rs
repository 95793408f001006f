//! The old home keeps a member who moved away until the new home confirms the
//! arrival: `kept_record` holds their record as it was here (profile and
//! region-local record), `arrived_at` is when the new home confirmed. Only then are
//! the region-local records erased.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("departure")
                    .add_column(blob_null("kept_record"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("departure")
                    .add_column(timestamp_with_time_zone_null("arrived_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("departure")
                    .drop_column("arrived_at")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("departure")
                    .drop_column("kept_record")
                    .to_owned(),
            )
            .await
    }
}
