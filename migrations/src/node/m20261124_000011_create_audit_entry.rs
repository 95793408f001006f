//! The region's audit log: every admin action and every read of the region's
//! personal data, and every refused call, with who made it, when, and what it was
//! about. Written by the node's access layer, read by the chapter admin.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::audit_table(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("audit_entry").to_owned())
            .await
    }
}
