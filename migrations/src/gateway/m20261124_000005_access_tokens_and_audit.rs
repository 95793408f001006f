//! Access tokens and the gateway's audit log.
//!
//! `access_token`: one row per bearer token: its public id, the SHA-256 of its
//! secret (the secret itself is shown once, when made, and never stored), its role,
//! the region (and member) it is bound to, when it expires and when it was revoked.
//! `audit_entry`: the operators' actions on the gateway and on tokens, with who
//! made them and when.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("access_token")
                    .col(string("id").primary_key())
                    .col(string("secret_hash"))
                    .col(string("role"))
                    .col(string_null("region"))
                    .col(string_null("member_id"))
                    .col(text("label"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .to_owned(),
            )
            .await?;
        crate::audit_table(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("audit_entry").to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table("access_token").to_owned())
            .await
    }
}
