//! The regional node's schema: members, organisations and opportunities.

use sea_orm_migration::prelude::*;

mod external_ids;
mod m20261123_000001_create_member;
mod m20261123_000002_create_organisation;
mod m20261123_000003_create_opportunity;
mod m20261123_000004_create_sync_tables;
mod m20261123_000005_create_moves;
mod m20261124_000006_add_rule_facts;
mod m20261124_000007_create_reviews_and_buddies;
mod m20261124_000008_create_groups_and_events;
mod m20261124_000009_create_coaching_and_cases;
mod m20261124_000010_create_placements_and_helpdesk;
mod m20261124_000011_create_audit_entry;
mod m20261204_000012_add_review_facts;
mod m20261204_000013_departure_until_arrival;
mod m20261204_000014_create_search_index;
mod m20261204_000015_employer_conditions;
mod m20261205_000016_add_external_ids;
mod m20261205_000017_create_coaches_and_aftercare;
mod m20261205_000018_create_notifications;
mod m20261206_000019_create_notification_keys_and_digests;
mod m20261206_000020_add_digest_items_to_mail;
mod m20261206_000022_create_stat_tallies;
mod m20261207_000023_add_history_external_ids;
mod m20261208_000024_keep_median_positions;
mod m20261209_000025_mail_due_in_order;
mod m20261210_000026_add_more_history_external_ids;

/// Applies the node schema; start-up and `passage migrate` both run it.
pub struct NodeMigrator;

#[async_trait::async_trait]
impl MigratorTrait for NodeMigrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_member::Migration),
            Box::new(m20261123_000002_create_organisation::Migration),
            Box::new(m20261123_000003_create_opportunity::Migration),
            Box::new(m20261123_000004_create_sync_tables::Migration),
            Box::new(m20261123_000005_create_moves::Migration),
            Box::new(m20261124_000006_add_rule_facts::Migration),
            Box::new(m20261124_000007_create_reviews_and_buddies::Migration),
            Box::new(m20261124_000008_create_groups_and_events::Migration),
            Box::new(m20261124_000009_create_coaching_and_cases::Migration),
            Box::new(m20261124_000010_create_placements_and_helpdesk::Migration),
            Box::new(m20261124_000011_create_audit_entry::Migration),
            Box::new(m20261204_000012_add_review_facts::Migration),
            Box::new(m20261204_000013_departure_until_arrival::Migration),
            Box::new(m20261204_000014_create_search_index::Migration),
            Box::new(m20261204_000015_employer_conditions::Migration),
            Box::new(m20261205_000016_add_external_ids::Migration),
            Box::new(m20261205_000017_create_coaches_and_aftercare::Migration),
            Box::new(m20261205_000018_create_notifications::Migration),
            Box::new(m20261206_000019_create_notification_keys_and_digests::Migration),
            Box::new(m20261206_000020_add_digest_items_to_mail::Migration),
            Box::new(m20261206_000022_create_stat_tallies::Migration),
            Box::new(m20261207_000023_add_history_external_ids::Migration),
            Box::new(m20261208_000024_keep_median_positions::Migration),
            Box::new(m20261209_000025_mail_due_in_order::Migration),
            Box::new(m20261210_000026_add_more_history_external_ids::Migration),
        ]
    }

    fn migration_table_name() -> DynIden {
        "passage_node_migrations".into_iden()
    }
}
