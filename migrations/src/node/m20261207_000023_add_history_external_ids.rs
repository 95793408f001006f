//! The id a chapter's own spreadsheet gives an application or a placement
//! (`external_id`), as members, organisations and opportunities have theirs
//! (000016): importing a chapter's history again updates what the first import
//! created instead of creating it twice. Unique within the region; empty for
//! records made through the API.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: [&str; 2] = ["application", "placement"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::external_ids::add(manager, &TABLES).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::external_ids::drop(manager, &TABLES).await
    }
}
