//! Where each month's median lies (`stat_median.low_amount`, `low_before`: the
//! amount of its lower middle record and how many records lie below it), so a
//! write moves the median by its own records instead of reading the month's
//! samples again ([`crate::tallies`]). The kept figures are then counted again
//! from the rows, which sets every month's position.

use sea_orm_migration::{prelude::*, schema::*};

use crate::tallies;

/// The review policy's default approvals to publish: the review hours are
/// counted under it here, and a node configured otherwise counts them again
/// when it starts (`tallies::counted_policy`).
const DEFAULT_APPROVALS_TO_PUBLISH: i32 = 2;

const COLUMNS: [&str; 2] = ["low_amount", "low_before"];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column a statement: SQLite alters one at a time.
        for column in COLUMNS {
            manager
                .alter_table(
                    Table::alter()
                        .table("stat_median")
                        .add_column(big_integer_null(column))
                        .to_owned(),
                )
                .await?;
        }
        let approvals = tallies::counted_policy(manager.get_connection())
            .await?
            .unwrap_or(DEFAULT_APPROVALS_TO_PUBLISH);
        tallies::refill(manager.get_connection(), approvals).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in COLUMNS {
            manager
                .alter_table(
                    Table::alter()
                        .table("stat_median")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
