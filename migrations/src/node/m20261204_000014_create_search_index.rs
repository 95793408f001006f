//! Search within the region: word indexes of the region's own members
//! (`member_term`: name, profession, skills, sectors, languages) and of its
//! opportunities (`opportunity_term`: title, description, skills, sector), each
//! word with its weight, kept by the node in the transaction of every write that
//! changes those fields, so search ranks the same on SQLite and PostgreSQL. The
//! index on (term, owner, weight) answers a search without reading the table.
//! `search_index_version` records which version of the node's word cutting the
//! indexes were built with; a node finding an older one (or none) rebuilds them at
//! start-up. A database that holds no member and no opportunity yet has nothing
//! to index, so this migration records it as built with version 1.

use sea_orm_migration::{prelude::*, schema::*};

/// The node's word cutting this migration's tables start with
/// (`passage_node::store::search_index::VERSION`).
const FIRST_VERSION: i32 = 1;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, owner, owner_table) in [
            ("member_term", "member_id", "member"),
            ("opportunity_term", "opportunity_id", "opportunity"),
        ] {
            manager
                .create_table(
                    Table::create()
                        .table(table)
                        .col(uuid(owner))
                        .col(string("term"))
                        .col(integer("weight"))
                        .primary_key(Index::create().col(owner).col("term"))
                        .foreign_key(
                            ForeignKey::create()
                                .name(format!("{table}_{owner}_fk"))
                                .from(table, owner)
                                .to(owner_table, "id")
                                .on_delete(ForeignKeyAction::Cascade),
                        )
                        .to_owned(),
                )
                .await?;
            manager
                .create_index(
                    Index::create()
                        .name(format!("{table}_term_idx"))
                        .table(table)
                        .col("term")
                        .col(owner)
                        .col("weight")
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("search_index_version")
                    .col(string("name").primary_key())
                    .col(integer("version"))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        let mut empty = true;
        for table in ["member", "opportunity"] {
            let select = Query::select()
                .expr(Expr::col(Asterisk).count())
                .from(table)
                .to_owned();
            let row = db.query_one_raw(backend.build(&select)).await?;
            let count: i64 = match row {
                Some(row) => row.try_get_by_index(0)?,
                None => 0,
            };
            empty &= count == 0;
        }
        if empty {
            let insert = Query::insert()
                .into_table("search_index_version")
                .columns(["name", "version"])
                .values_panic(["words".into(), FIRST_VERSION.into()])
                .to_owned();
            db.execute_raw(backend.build(&insert)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["search_index_version", "opportunity_term", "member_term"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
