//! Community review and buddies, both region-local.
//!
//! `opportunity_review_round`: the review round an opportunity is in (one row per
//! opportunity ever submitted; the round counts its submissions).
//! `opportunity_review`: one newcomer's verdict in one round; at most one per
//! reviewer per round.
//! `buddy_pair`: a newcomer and a local, proposed by the node and confirmed,
//! declined or ended by a chapter admin; two members are paired at most once.
//! Member ids carry no foreign key: a review or a pair outlives a member who is
//! deleted or moves away, and says so when it matters.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("opportunity_review_round")
                    .col(uuid("opportunity_id").primary_key())
                    .col(integer("round"))
                    .col(timestamp_with_time_zone("submitted_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("opportunity_review_round_opportunity_fk")
                            .from("opportunity_review_round", "opportunity_id")
                            .to("opportunity", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("opportunity_review")
                    .col(uuid("id").primary_key())
                    .col(uuid("opportunity_id"))
                    .col(uuid("reviewer_member_id"))
                    .col(string("verdict"))
                    .col(text("comment"))
                    .col(integer("round"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("opportunity_review_opportunity_fk")
                            .from("opportunity_review", "opportunity_id")
                            .to("opportunity", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("opportunity_review_one_per_reviewer_idx")
                    .table("opportunity_review")
                    .col("opportunity_id")
                    .col("round")
                    .col("reviewer_member_id")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("opportunity_review_list_idx")
                    .table("opportunity_review")
                    .col("opportunity_id")
                    .col("id")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("buddy_pair")
                    .col(uuid("id").primary_key())
                    .col(uuid("newcomer_member_id"))
                    .col(uuid("local_member_id"))
                    .col(string("status"))
                    .col(json("reasons"))
                    .col(text("end_reason"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("buddy_pair_once_idx")
                    .table("buddy_pair")
                    .col("newcomer_member_id")
                    .col("local_member_id")
                    .unique()
                    .to_owned(),
            )
            .await?;
        for column in ["local_member_id", "status"] {
            manager
                .create_index(
                    Index::create()
                        .name(format!("buddy_pair_{column}_idx"))
                        .table("buddy_pair")
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "buddy_pair",
            "opportunity_review",
            "opportunity_review_round",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
