//! The receipt a member is given when they erase themself: the hash of its code
//! (the code itself is shown once and kept nowhere), the erased member's id — which
//! after the erasure names no one, as in the change log's erasure entry — their
//! home region then, and when they asked. Anyone holding the code can follow the
//! erasure's progress in each region.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("erasure_receipt")
                    .if_not_exists()
                    .col(string("code_hash").primary_key())
                    .col(uuid("member_id"))
                    .col(string("home_region"))
                    .col(timestamp_with_time_zone("requested_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("erasure_receipt").to_owned())
            .await
    }
}
