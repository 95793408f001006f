//! Members: the shared profile and the region-local record, in one row.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("member")
                    .col(uuid("id").primary_key())
                    .col(string("display_name"))
                    .col(string("home_region"))
                    .col(string("profession"))
                    .col(json("sectors"))
                    .col(json("skills"))
                    .col(json("languages"))
                    .col(string("education_level"))
                    .col(integer("experience_years"))
                    .col(integer("available_hours_per_week"))
                    .col(boolean("share_across_regions"))
                    .col(string("role"))
                    .col(string("residence_status"))
                    .col(date_null("asylum_application_date"))
                    .col(json("permits"))
                    .col(string("civic_integration"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("member_role_idx")
                    .table("member")
                    .col("role")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("member").to_owned())
            .await
    }
}
