//! The facts the labour-market rules read that the schema did not hold yet: on a
//! member's region-local record their nationality, whether they are a national of a
//! safe country, whether they live in a reception centre, the days their own delays
//! stopped the asylum clock and how many newcomers they can buddy; on an opportunity
//! whether it is self-employment and its gross hourly wage in cents.
//!
//! SQLite adds one column per `ALTER TABLE`, so each column is its own statement.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The new columns of each table, with the defaults existing rows take.
fn columns() -> Vec<(&'static str, ColumnDef)> {
    vec![
        ("member", string("nationality").default("").to_owned()),
        (
            "member",
            boolean("safe_country_national").default(false).to_owned(),
        ),
        (
            "member",
            boolean("in_reception_centre").default(false).to_owned(),
        ),
        (
            "member",
            integer("asylum_clock_stopped_days").default(0).to_owned(),
        ),
        ("member", integer("buddy_capacity").default(0).to_owned()),
        (
            "opportunity",
            boolean("self_employment").default(false).to_owned(),
        ),
        (
            "opportunity",
            big_integer("hourly_wage_cents").default(0i64).to_owned(),
        ),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, column) in columns() {
            manager
                .alter_table(Table::alter().table(table).add_column(column).to_owned())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, column) in columns().into_iter().rev() {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .drop_column(column.get_column_name())
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
