//! A digest is one mail for many notifications (issue 16 point 4): the queued
//! mail keeps the items it lists — each a kind and a link, as JSON, never anyone's
//! words — so a retry sends the same mail with the same `Message-ID`. Empty for
//! the mail of one notification.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("mail_queue")
                    .add_column(text("digest_items").default(""))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("mail_queue")
                    .drop_column("digest_items")
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
