//! People's accounts and sessions, beside the access tokens.
//!
//! `account`: one row per person who signs in: their login, the caller kind (a
//! token role), the region (a chapter admin's; for a member the region the account
//! was made in — their home comes from the directory), the member, the argon2id
//! hash of their passphrase (none until an invitation is accepted), their language,
//! and the lock after repeated wrong passphrases.
//! `account_invitation`: single-use invitation codes, kept as SHA-256.
//! `account_session`: sessions made by signing in, kept as the SHA-256 of their
//! secret, expiring, renewed while used, revoked by signing out.
//! `sign_in_address`: wrong passphrases per client address, and its lock.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("account")
                    .col(string("id").primary_key())
                    .col(string_uniq("login"))
                    .col(string("kind"))
                    .col(string_null("region"))
                    .col(uuid_null("member_id"))
                    .col(string_null("passphrase_hash"))
                    .col(string("language"))
                    .col(integer("failed_attempts").default(0))
                    .col(timestamp_with_time_zone_null("locked_until"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("account_invitation")
                    .col(string("id").primary_key())
                    .col(string("account_id"))
                    .col(uuid_null("member_id"))
                    .col(string("code_hash"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("used_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("account_session")
                    .col(string("id").primary_key())
                    .col(string("account_id"))
                    .col(uuid_null("member_id"))
                    .col(string("secret_hash"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .to_owned(),
            )
            .await?;
        for (table, column) in [
            ("account_invitation", "account_id"),
            ("account_session", "account_id"),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(format!("idx_{table}_{column}"))
                        .table(table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("sign_in_address")
                    .col(string("address").primary_key())
                    .col(integer("failures"))
                    .col(timestamp_with_time_zone("last_failure_at"))
                    .col(timestamp_with_time_zone_null("locked_until"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "sign_in_address",
            "account_session",
            "account_invitation",
            "account",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
