//! The gateway's schema: the registry of regions it routes to, and the federation's
//! change log, cursors and member directory, access tokens and the audit log,
//! the region certificates it no longer trusts, and people's accounts and sessions.

use sea_orm_migration::prelude::*;

mod m20261123_000001_create_region;
mod m20261123_000002_create_change_log;
mod m20261123_000003_add_erasure_flag;
mod m20261123_000004_moves_and_snapshots;
mod m20261124_000005_access_tokens_and_audit;
mod m20261124_000006_handoff_sent;
mod m20261202_000007_revoked_certificates;
mod m20261202_000008_move_confirmations;
mod m20261204_000009_private_deliveries;
mod m20261204_000010_accounts;
mod m20261204_000011_erasure_receipts;
mod m20261204_000012_organisation_callers;

/// Applies the gateway schema; start-up and `passage migrate` both run it.
pub struct GatewayMigrator;

#[async_trait::async_trait]
impl MigratorTrait for GatewayMigrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_region::Migration),
            Box::new(m20261123_000002_create_change_log::Migration),
            Box::new(m20261123_000003_add_erasure_flag::Migration),
            Box::new(m20261123_000004_moves_and_snapshots::Migration),
            Box::new(m20261124_000005_access_tokens_and_audit::Migration),
            Box::new(m20261124_000006_handoff_sent::Migration),
            Box::new(m20261202_000007_revoked_certificates::Migration),
            Box::new(m20261202_000008_move_confirmations::Migration),
            Box::new(m20261204_000009_private_deliveries::Migration),
            Box::new(m20261204_000010_accounts::Migration),
            Box::new(m20261204_000011_erasure_receipts::Migration),
            Box::new(m20261204_000012_organisation_callers::Migration),
        ]
    }

    fn migration_table_name() -> DynIden {
        "passage_gateway_migrations".into_iden()
    }
}
