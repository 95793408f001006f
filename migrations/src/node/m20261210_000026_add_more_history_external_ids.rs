//! The id a chapter's own spreadsheet gives the rest of its history (issue 18
//! point 6): reviews, events and their registrations, cohorts and their
//! participants, helpdesk questions and buddy pairs, as applications and placements have
//! theirs (000023). Importing the history again updates what the first import
//! created instead of creating it twice. Unique within the region; empty for
//! records made through the API.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: [&str; 7] = [
    "opportunity_review",
    "community_event",
    "event_registration",
    "coaching_cohort",
    "coaching_enrolment",
    "helpdesk_question",
    "buddy_pair",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::external_ids::add(manager, &TABLES).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::external_ids::drop(manager, &TABLES).await
    }
}
