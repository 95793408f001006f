//! A member's own confirmation of a move to another region, made with their own
//! credential at the gateway: one per member (a new one replaces an unused one),
//! used once by the hand-over it allows, expiring after seven days.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("move_confirmation")
                    .if_not_exists()
                    .col(uuid("member_id").primary_key())
                    .col(string("destination_region"))
                    .col(timestamp_with_time_zone("confirmed_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("move_confirmation").to_owned())
            .await
    }
}
