//! The `external_id` column a chapter's spreadsheet fills (migrations 000016,
//! 000023 and 000026 add it to their tables): nullable, with a unique index, so
//! importing the same file again finds the records the first import made.

use sea_orm_migration::{prelude::*, schema::*};

/// Adds the column and its unique index to each of `tables`.
pub async fn add(manager: &SchemaManager<'_>, tables: &[&'static str]) -> Result<(), DbErr> {
    for table in tables {
        manager
            .alter_table(
                Table::alter()
                    .table(*table)
                    .add_column(string_null("external_id"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(format!("{table}_external_id_idx"))
                    .table(*table)
                    .col("external_id")
                    .unique()
                    .to_owned(),
            )
            .await?;
    }
    Ok(())
}

/// Drops the index and the column from each of `tables`.
pub async fn drop(manager: &SchemaManager<'_>, tables: &[&'static str]) -> Result<(), DbErr> {
    for table in tables {
        manager
            .drop_index(
                Index::drop()
                    .name(format!("{table}_external_id_idx"))
                    .table(*table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(*table)
                    .drop_column("external_id")
                    .to_owned(),
            )
            .await?;
    }
    Ok(())
}
