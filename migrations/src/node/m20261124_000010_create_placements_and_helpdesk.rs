//! Applications and placements, and the helpdesk with its knowledge base; all
//! region-local.
//!
//! `application`: a member's application to an opportunity, with the rules
//! decision it was allowed under. `placement`: an accepted application, from its
//! start to its end (one per application). `kind`, `stage` and `end_reason` are
//! stored names, like every enum of the schema.
//! `helpdesk_answerer`: members who answer questions, with their languages.
//! `helpdesk_question`: a question, its routing and its answer.
//! `article`, `article_translation` (one per language) and `article_term`: the
//! knowledge base and its inverted index (term → article, per language, with a
//! weight), kept by the node on every write so search works the same on SQLite
//! and PostgreSQL.
//! Member and opportunity ids carry no foreign key: an application or a placement
//! outlives a member who is deleted or moves, and still counts.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("application")
                    .col(uuid("id").primary_key())
                    .col(uuid("member_id"))
                    .col(uuid("opportunity_id"))
                    .col(string("stage"))
                    .col(text("motivation"))
                    .col(json("conditions"))
                    .col(json("warnings"))
                    .col(json("rule_ids"))
                    .col(integer("hours_cap"))
                    .col(string("rules_version"))
                    .col(date("evaluated_on"))
                    .col(text("stage_note"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await?;
        for column in ["member_id", "opportunity_id", "stage"] {
            index(manager, "application", &[column]).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table("placement")
                    .col(uuid("id").primary_key())
                    .col(uuid("application_id").unique_key())
                    .col(uuid("member_id"))
                    .col(uuid("opportunity_id"))
                    .col(uuid("organisation_id"))
                    .col(string("kind"))
                    .col(date("start_date"))
                    .col(date_null("end_date"))
                    .col(string("end_reason"))
                    .col(text("end_note"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await?;
        for column in ["member_id", "start_date", "kind"] {
            index(manager, "placement", &[column]).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table("helpdesk_answerer")
                    .col(uuid("member_id").primary_key())
                    .col(json("languages"))
                    .col(timestamp_with_time_zone("registered_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("helpdesk_question")
                    .col(uuid("id").primary_key())
                    .col(uuid("asker_member_id"))
                    .col(string("language"))
                    .col(string("topic"))
                    .col(text("text"))
                    .col(string("status"))
                    .col(uuid_null("answerer_member_id"))
                    .col(text("answer"))
                    .col(uuid_null("article_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("answered_at"))
                    .to_owned(),
            )
            .await?;
        for column in ["status", "answerer_member_id", "asker_member_id"] {
            index(manager, "helpdesk_question", &[column]).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table("article")
                    .col(uuid("id").primary_key())
                    .col(uuid("question_id").unique_key())
                    .col(string("original_language"))
                    .col(date("last_reviewed_on"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await?;
        index(manager, "article", &["last_reviewed_on"]).await?;
        manager
            .create_table(
                Table::create()
                    .table("article_translation")
                    .col(uuid("article_id"))
                    .col(string("language"))
                    .col(string("title"))
                    .col(text("body"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .primary_key(Index::create().col("article_id").col("language"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("article_translation_article_fk")
                            .from("article_translation", "article_id")
                            .to("article", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        index(manager, "article_translation", &["language", "article_id"]).await?;
        manager
            .create_table(
                Table::create()
                    .table("article_term")
                    .col(string("term"))
                    .col(uuid("article_id"))
                    .col(string("language"))
                    .col(integer("weight"))
                    .primary_key(
                        Index::create()
                            .col("article_id")
                            .col("language")
                            .col("term"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("article_term_article_fk")
                            .from("article_term", "article_id")
                            .to("article", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        index(manager, "article_term", &["language", "term"]).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "article_term",
            "article_translation",
            "article",
            "helpdesk_question",
            "helpdesk_answerer",
            "placement",
            "application",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// A plain index on `columns` of `table`, named after them.
async fn index(manager: &SchemaManager<'_>, table: &str, columns: &[&str]) -> Result<(), DbErr> {
    let mut index = Index::create();
    index
        .name(format!("{table}_{}_idx", columns.join("_")))
        .table(table.to_owned());
    for column in columns {
        index.col(String::from(*column));
    }
    manager.create_index(index.to_owned()).await
}
