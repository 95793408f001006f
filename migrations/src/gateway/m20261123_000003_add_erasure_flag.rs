//! Marks the change-log entries that are erasures, so operators can follow each
//! erasure until every region has applied it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("change_log")
                    .add_column(boolean("erasure").default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("change_log_erasure_idx")
                    .table("change_log")
                    .col("erasure")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("change_log_erasure_idx")
                    .table("change_log")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("change_log")
                    .drop_column("erasure")
                    .to_owned(),
            )
            .await
    }
}
