//! What a node needs to take part in the federation: per-field stamps of each
//! member's shared profile, the transactional outbox of profile changes, the
//! replicas of other regions' shared profiles, and its cursor in the gateway's log.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("member")
                    .add_column(text("profile_stamps").default("{}"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("outbox")
                    .col(big_pk_auto("id"))
                    .col(uuid("member_id"))
                    // An encoded passage.v1.ProfileState: shared fields only.
                    .col(blob("state"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("remote_profile")
                    .col(uuid("member_id").primary_key())
                    .col(string("home_region"))
                    .col(blob("state"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("sync_cursor")
                    .col(string("peer").primary_key())
                    .col(big_integer("applied_sequence"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["sync_cursor", "remote_profile", "outbox"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table("member")
                    .drop_column("profile_stamps")
                    .to_owned(),
            )
            .await
    }
}
