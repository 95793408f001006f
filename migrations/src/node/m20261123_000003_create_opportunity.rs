//! Opportunities: jobs, internships, volunteering and the rest, offered by an
//! organisation of the same region.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("opportunity")
                    .col(uuid("id").primary_key())
                    .col(uuid("organisation_id"))
                    .col(string("title"))
                    .col(text("description"))
                    .col(string("kind"))
                    .col(string("sector"))
                    .col(json("skills"))
                    .col(json("languages"))
                    .col(integer("hours_per_week"))
                    .col(boolean("paid"))
                    .col(string("location"))
                    .col(string("status"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("opportunity_organisation_fk")
                            .from("opportunity", "organisation_id")
                            .to("organisation", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        for column in ["status", "kind", "sector"] {
            manager
                .create_index(
                    Index::create()
                        .name(format!("opportunity_{column}_idx"))
                        .table("opportunity")
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("opportunity").to_owned())
            .await
    }
}
