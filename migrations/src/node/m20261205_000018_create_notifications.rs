//! Notifications (issue 16): a member's contact details and preferences
//! (`contact_details`, `notification_preference`), her inbox (`notification`) and
//! the mail waiting to be sent (`mail_queue`). All region-local, on the member's
//! home node; each row names the member, so erasure deletes and "my data" reads
//! them. A notification and its queued mail are written in the transaction of the
//! change that causes them; the node's mail task sends the queue after commit.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("contact_details")
                    .col(uuid("member_id").primary_key())
                    .col(string("email"))
                    .col(string("time_zone"))
                    .col(string("language"))
                    .col(string("digest"))
                    .col(integer_null("quiet_from_minute"))
                    .col(integer_null("quiet_until_minute"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("contact_details_member_id_fk")
                            .from("contact_details", "member_id")
                            .to("member", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("notification_preference")
                    .col(uuid("member_id"))
                    .col(string("kind"))
                    .col(boolean("email"))
                    .primary_key(Index::create().col("member_id").col("kind"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("notification_preference_member_id_fk")
                            .from("notification_preference", "member_id")
                            .to("member", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("notification")
                    .col(uuid("id").primary_key())
                    .col(uuid("member_id"))
                    .col(string("kind"))
                    .col(string("link"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("read_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("notification_member_idx")
                    .table("notification")
                    .col("member_id")
                    .col("created_at")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("mail_queue")
                    .col(uuid("notification_id").primary_key())
                    .col(uuid("member_id"))
                    .col(string("to_address"))
                    .col(string("kind"))
                    .col(string("link"))
                    .col(string("language"))
                    .col(integer("attempts"))
                    .col(timestamp_with_time_zone("next_attempt_at"))
                    .col(string("last_error"))
                    .col(timestamp_with_time_zone_null("sent_at"))
                    .col(string("written_file"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("mail_queue_due_idx")
                    .table("mail_queue")
                    .col("sent_at")
                    .col("next_attempt_at")
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "mail_queue",
            "notification",
            "notification_preference",
            "contact_details",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
