//! What an organisation may be told of an application: `employer_conditions`
//! holds the decision's conditions that fall on the employer (a JSON array; null
//! for applications made before, which had none recorded), and
//! `share_employer_conditions` whether the member agreed that the organisation
//! sees them from the offer on.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("application")
                    .add_column(json_null("employer_conditions"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("application")
                    .add_column(boolean("share_employer_conditions").default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["share_employer_conditions", "employer_conditions"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("application")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
