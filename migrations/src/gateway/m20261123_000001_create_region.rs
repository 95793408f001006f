//! The region registry: every region the gateway knows, with its node's endpoint.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("region")
                    .col(string("slug").primary_key())
                    .col(string("name"))
                    .col(string("endpoint"))
                    .col(timestamp_with_time_zone("registered_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("region").to_owned())
            .await
    }
}
