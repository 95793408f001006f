//! Coaches and aftercare, region-local like the rest of coaching.
//!
//! `cohort_coach`: a member who coaches a cohort (a chapter admin assigns them);
//! once per cohort and member.
//! `aftercare_contact`: one contact with a participant during their cohort's
//! aftercare, a dated note; by a coach (`coach_member_id`) or the chapter admin
//! (null). Member ids carry no foreign key, as elsewhere.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A foreign key from `table.cohort_id` to the cohort, going with it.
fn of_cohort(table: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("{table}_cohort_id_fk"))
        .from(table, "cohort_id")
        .to("coaching_cohort", "id")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("cohort_coach")
                    .col(uuid("cohort_id"))
                    .col(uuid("coach_member_id"))
                    .col(timestamp_with_time_zone("assigned_at"))
                    .primary_key(Index::create().col("cohort_id").col("coach_member_id"))
                    .foreign_key(&mut of_cohort("cohort_coach"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("cohort_coach_coach_member_id_idx")
                    .table("cohort_coach")
                    .col("coach_member_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("aftercare_contact")
                    .col(uuid("id").primary_key())
                    .col(uuid("cohort_id"))
                    .col(uuid("participant_member_id"))
                    .col(uuid_null("coach_member_id"))
                    .col(date("contacted_on"))
                    .col(text("note"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut of_cohort("aftercare_contact"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("aftercare_contact_cohort_id_participant_member_id_idx")
                    .table("aftercare_contact")
                    .col("cohort_id")
                    .col("participant_member_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("aftercare_contact").to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table("cohort_coach").to_owned())
            .await
    }
}
