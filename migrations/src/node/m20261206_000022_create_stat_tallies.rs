//! The statistics a region keeps as it writes (issue 18 point 3): `stat_tally`
//! (counts per category, per month where the figure is per month), `stat_sample`
//! and `stat_median` (the records behind each month's medians, and the medians).
//! Filled from the rows already stored, so a region that has been running
//! answers with the same figures the moment it is upgraded: by 000024, once
//! `stat_median` has every column the filling writes (see [`crate::tallies`]
//! for what each row counts as). Until 000024 this migration filled them itself.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("stat_tally")
                    .col(string("tally"))
                    .col(string("month"))
                    .col(string("category"))
                    .col(big_integer("value"))
                    .primary_key(Index::create().col("tally").col("month").col("category"))
                    .to_owned(),
            )
            .await?;
        // A call reads today's counters (no month) and those of its months.
        manager
            .create_index(
                Index::create()
                    .name("stat_tally_month")
                    .table("stat_tally")
                    .col("month")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("stat_sample")
                    .col(string("tally"))
                    .col(string("month"))
                    .col(big_integer("amount"))
                    .col(big_integer("value"))
                    .primary_key(Index::create().col("tally").col("month").col("amount"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("stat_median")
                    .col(string("tally"))
                    .col(string("month"))
                    .col(double("median"))
                    .col(big_integer("records"))
                    .primary_key(Index::create().col("tally").col("month"))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["stat_median", "stat_sample", "stat_tally"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
