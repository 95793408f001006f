//! A change meant for one region only (the hand-over of a member who does not share
//! their profile, and the new home's confirmation of the arrival) names that region
//! in `recipient`; no other region's stream is given it.

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
                    .add_column(string_null("recipient"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("change_log")
                    .drop_column("recipient")
                    .to_owned(),
            )
            .await
    }
}
