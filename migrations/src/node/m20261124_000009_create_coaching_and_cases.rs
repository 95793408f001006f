//! Coaching programmes (Refugee on Board) and casework (expert pool, cases), all
//! region-local: nothing here is ever synced.
//!
//! `coaching_programme`: a programme and its mandatory components.
//! `coaching_cohort`: one programme's cohort of one year (one per programme and year).
//! `coaching_enrolment`: a newcomer in a cohort (once per cohort), with their outcome.
//! `coaching_session`: a session of a cohort, of one component.
//! `coaching_attendance`: who attended a session; carries the session's cohort and
//! component so completion is counted without a join.
//! `expert` and `expert_topic`: the region's expert pool and each expert's topics.
//! `case_file`, `case_note`, `case_next_step`: cases chapter staff follow.
//! Member ids carry no foreign key, as elsewhere: a record outlives a member who is
//! deleted or moves away.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A foreign key from `table.column` to `parent.id` that goes with its parent.
fn belongs_to(
    table: &'static str,
    column: &'static str,
    parent: &'static str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("{table}_{column}_fk"))
        .from(table, column)
        .to(parent, "id")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

/// An index on `columns` of `table`.
fn index(table: &'static str, columns: &[&'static str], unique: bool) -> IndexCreateStatement {
    let mut index = Index::create();
    index
        .name(format!("{table}_{}_idx", columns.join("_")))
        .table(table);
    for column in columns {
        index.col(*column);
    }
    if unique {
        index.unique();
    }
    index.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("coaching_programme")
                    .col(uuid("id").primary_key())
                    .col(string("name"))
                    .col(text("description"))
                    .col(json("mandatory_components"))
                    .col(integer("aftercare_months"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("coaching_cohort")
                    .col(uuid("id").primary_key())
                    .col(uuid("programme_id"))
                    .col(integer("year"))
                    .col(date("starts_on"))
                    .col(date("ends_on"))
                    .col(integer("capacity"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut belongs_to(
                        "coaching_cohort",
                        "programme_id",
                        "coaching_programme",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("coaching_cohort", &["programme_id", "year"], true))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("coaching_enrolment")
                    .col(uuid("id").primary_key())
                    .col(uuid("cohort_id"))
                    .col(uuid("member_id"))
                    .col(string("outcome"))
                    .col(date_null("outcome_recorded_on"))
                    .col(text("outcome_detail"))
                    .col(timestamp_with_time_zone("enrolled_at"))
                    .foreign_key(&mut belongs_to(
                        "coaching_enrolment",
                        "cohort_id",
                        "coaching_cohort",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "coaching_enrolment",
                &["cohort_id", "member_id"],
                true,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("coaching_session")
                    .col(uuid("id").primary_key())
                    .col(uuid("cohort_id"))
                    .col(string("component"))
                    .col(date("held_on"))
                    .col(string("topic"))
                    .col(string("coach_name"))
                    .col(uuid_null("coach_member_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut belongs_to(
                        "coaching_session",
                        "cohort_id",
                        "coaching_cohort",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("coaching_session", &["cohort_id", "id"], false))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("coaching_attendance")
                    .col(uuid("session_id"))
                    .col(uuid("member_id"))
                    .col(uuid("cohort_id"))
                    .col(string("component"))
                    .primary_key(Index::create().col("session_id").col("member_id"))
                    .foreign_key(&mut belongs_to(
                        "coaching_attendance",
                        "session_id",
                        "coaching_session",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "coaching_attendance",
                &["cohort_id", "member_id"],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("expert")
                    .col(uuid("id").primary_key())
                    .col(uuid("member_id"))
                    .col(timestamp_with_time_zone("joined_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("expert", &["member_id"], true))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("expert_topic")
                    .col(uuid("expert_id"))
                    .col(string("topic"))
                    .primary_key(Index::create().col("expert_id").col("topic"))
                    .foreign_key(&mut belongs_to("expert_topic", "expert_id", "expert"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("expert_topic", &["topic"], false))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("case_file")
                    .col(uuid("id").primary_key())
                    .col(uuid_null("member_id"))
                    .col(boolean("is_household"))
                    .col(string("household_label"))
                    .col(json("household_member_ids"))
                    .col(string("title"))
                    .col(string("caseworker"))
                    .col(string("status"))
                    .col(text("resolution"))
                    .col(timestamp_with_time_zone("opened_at"))
                    .col(timestamp_with_time_zone_null("closed_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("case_file", &["status"], false))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("case_note")
                    .col(uuid("id").primary_key())
                    .col(uuid("case_id"))
                    .col(string("author"))
                    .col(text("text"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut belongs_to("case_note", "case_id", "case_file"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("case_note", &["case_id", "id"], false))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("case_next_step")
                    .col(uuid("id").primary_key())
                    .col(uuid("case_id"))
                    .col(text("text"))
                    .col(date("due_on"))
                    .col(boolean("done"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("done_at"))
                    .foreign_key(&mut belongs_to("case_next_step", "case_id", "case_file"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("case_next_step", &["case_id", "id"], false))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "case_next_step",
            "case_note",
            "case_file",
            "expert_topic",
            "expert",
            "coaching_attendance",
            "coaching_session",
            "coaching_enrolment",
            "coaching_cohort",
            "coaching_programme",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
