//! Organisations as callers: an organisation's contact holds an account (and
//! may hold a token) bound to one organisation of one region. `organisation_id`
//! on `account` and `access_token` names it; the region is the row's `region`.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("account")
                    .add_column(uuid_null("organisation_id"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("access_token")
                    .add_column(string_null("organisation_id"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["access_token", "account"] {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .drop_column("organisation_id")
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
