//! The id a chapter's own spreadsheet gives a member, an organisation or an
//! opportunity (`external_id`), so that importing the same file again updates
//! what the first import created instead of creating it twice. Unique within the
//! region (a node holds one region); empty for records made any other way, and
//! several records may have none.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: [&str; 3] = ["member", "organisation", "opportunity"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::external_ids::add(manager, &TABLES).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::external_ids::drop(manager, &TABLES).await
    }
}
