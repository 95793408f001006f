//! Groups and events, both region-local.
//!
//! `community_group`: a coffee group or a sector expert group ("group" alone is an
//! SQL keyword). `group_membership`: a member in a group, at most once.
//! `group_meeting`: one meeting of a group; `meeting_attendance`: who came, at most
//! once each.
//! `community_event`: an opportunity fair, information session or training with a
//! capacity. `fair_presentation`: one opportunity an organisation presents at a
//! fair, at most once per fair. `event_registration`: a member's registration,
//! registered, waitlisted, cancelled, attended or no-show; a member who cancels
//! and registers again gets a new row, so creation order is waiting-list order.
//! Member ids carry no foreign key (as reviews and buddy pairs): a membership or a
//! registration outlives a member who moves away, and a seat is given back only
//! by cancelling, which moves the waiting list up.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A foreign key from `table.column` to `target.id`, removed with its target.
fn owned_by(
    table: &'static str,
    column: &'static str,
    target: &'static str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("{table}_{column}_fk"))
        .from(table, column)
        .to(target, "id")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

async fn index(
    manager: &SchemaManager<'_>,
    table: &'static str,
    columns: &[&'static str],
    unique: bool,
) -> Result<(), DbErr> {
    let mut statement = Index::create();
    statement
        .name(format!("{table}_{}_idx", columns.join("_")))
        .table(table);
    for column in columns {
        statement.col(*column);
    }
    if unique {
        statement.unique();
    }
    manager.create_index(statement.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("community_group")
                    .col(uuid("id").primary_key())
                    .col(string("kind"))
                    .col(string("name"))
                    .col(text("description"))
                    .col(string("sector"))
                    .col(json("languages"))
                    .col(string("meeting_place"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        index(manager, "community_group", &["kind", "id"], false).await?;
        index(manager, "community_group", &["sector", "id"], false).await?;

        manager
            .create_table(
                Table::create()
                    .table("group_membership")
                    .col(uuid("id").primary_key())
                    .col(uuid("group_id"))
                    .col(uuid("member_id"))
                    .col(timestamp_with_time_zone("joined_at"))
                    .foreign_key(&mut owned_by(
                        "group_membership",
                        "group_id",
                        "community_group",
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "group_membership",
            &["group_id", "member_id"],
            true,
        )
        .await?;
        index(manager, "group_membership", &["member_id", "id"], false).await?;

        manager
            .create_table(
                Table::create()
                    .table("group_meeting")
                    .col(uuid("id").primary_key())
                    .col(uuid("group_id"))
                    .col(timestamp_with_time_zone("starts_at"))
                    .col(string("place"))
                    .col(text("topic"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut owned_by(
                        "group_meeting",
                        "group_id",
                        "community_group",
                    ))
                    .to_owned(),
            )
            .await?;
        index(manager, "group_meeting", &["group_id", "id"], false).await?;

        manager
            .create_table(
                Table::create()
                    .table("meeting_attendance")
                    .col(uuid("id").primary_key())
                    .col(uuid("meeting_id"))
                    .col(uuid("member_id"))
                    .col(timestamp_with_time_zone("recorded_at"))
                    .foreign_key(&mut owned_by(
                        "meeting_attendance",
                        "meeting_id",
                        "group_meeting",
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "meeting_attendance",
            &["meeting_id", "member_id"],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("community_event")
                    .col(uuid("id").primary_key())
                    .col(string("kind"))
                    .col(string("title"))
                    .col(text("description"))
                    .col(timestamp_with_time_zone("starts_at"))
                    .col(timestamp_with_time_zone("ends_at"))
                    .col(string("place"))
                    .col(integer("capacity"))
                    .col(json("languages"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        index(manager, "community_event", &["kind", "id"], false).await?;

        manager
            .create_table(
                Table::create()
                    .table("fair_presentation")
                    .col(uuid("id").primary_key())
                    .col(uuid("event_id"))
                    .col(uuid("organisation_id"))
                    .col(uuid("opportunity_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut owned_by(
                        "fair_presentation",
                        "event_id",
                        "community_event",
                    ))
                    .foreign_key(&mut owned_by(
                        "fair_presentation",
                        "organisation_id",
                        "organisation",
                    ))
                    .foreign_key(&mut owned_by(
                        "fair_presentation",
                        "opportunity_id",
                        "opportunity",
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "fair_presentation",
            &["event_id", "opportunity_id"],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("event_registration")
                    .col(uuid("id").primary_key())
                    .col(uuid("event_id"))
                    .col(uuid("member_id"))
                    .col(string("status"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut owned_by(
                        "event_registration",
                        "event_id",
                        "community_event",
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "event_registration",
            &["event_id", "status", "id"],
            false,
        )
        .await?;
        index(
            manager,
            "event_registration",
            &["event_id", "member_id"],
            false,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "event_registration",
            "fair_presentation",
            "community_event",
            "meeting_attendance",
            "group_meeting",
            "group_membership",
            "community_group",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
