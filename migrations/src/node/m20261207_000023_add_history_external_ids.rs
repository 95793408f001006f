//! The id a chapter's own spreadsheet gives an application or a placement
//! (`external_id`), as members, organisations and opportunities have theirs
//! (000016): importing a chapter's history again updates what the first import
//! created instead of creating it twice. Unique within the region; empty for
//! records made through the API.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: [&str; 2] = ["application", "placement"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(string_null("external_id"))
                        .to_owned(),
                )
                .await?;
            manager
                .create_index(
                    Index::create()
                        .name(format!("{table}_external_id_idx"))
                        .table(table)
                        .col("external_id")
                        .unique()
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES {
            manager
                .drop_index(
                    Index::drop()
                        .name(format!("{table}_external_id_idx"))
                        .table(table)
                        .to_owned(),
                )
                .await?;
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .drop_column("external_id")
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
