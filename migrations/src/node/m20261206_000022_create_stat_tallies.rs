//! The statistics a region keeps as it writes (issue 18 point 3): `stat_tally`
//! (counts per category, per month where the figure is per month), `stat_sample`
//! and `stat_median` (the records behind each month's medians, and the medians).
//! Filled here from the rows already stored, so a region that has been running
//! answers with the same figures the moment it is upgraded (see
//! [`crate::tallies`] for what each row counts as).

use sea_orm_migration::{prelude::*, schema::*};

use crate::tallies;

/// The review policy's default approvals to publish: the review hours are
/// counted under it here, and a node configured otherwise counts them again
/// when it starts (`tallies::counted_policy`).
const DEFAULT_APPROVALS_TO_PUBLISH: i32 = 2;

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
        tallies::refill(manager.get_connection(), DEFAULT_APPROVALS_TO_PUBLISH).await
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
