//! Region certificates the federation no longer trusts, by serial number: a `Sync`
//! stream presenting one is refused, and an open one is closed. Listed in the
//! gateway's settings (`federation.revoked_serials`) or added by an operator
//! (`passage admin certs revoke`); every gateway replica on the database reads them.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("revoked_certificate")
                    .if_not_exists()
                    .col(string("serial").primary_key())
                    .col(string("reason"))
                    .col(timestamp_with_time_zone("revoked_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("revoked_certificate").to_owned())
            .await
    }
}
