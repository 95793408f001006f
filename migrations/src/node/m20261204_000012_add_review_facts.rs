//! The facts issue 17's labour-market rules read that the schema did not hold yet:
//! on a member's region-local record whether they follow an education programme of
//! which an internship is part (the Dutch BPV exemption from the work permit) and
//! whether the authorities hold their identity to be unclear (the German work ban
//! of AufenthG §60b); on an organisation its headcount (Florida's E-Verify duty
//! starts at 25 employees).
//!
//! SQLite adds one column per `ALTER TABLE`, so each column is its own statement.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The new columns of each table, with the defaults existing rows take.
fn columns() -> Vec<(&'static str, ColumnDef)> {
    vec![
        (
            "member",
            boolean("in_school_programme").default(false).to_owned(),
        ),
        (
            "member",
            boolean("identity_unclear").default(false).to_owned(),
        ),
        ("organisation", integer("headcount").default(0).to_owned()),
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
