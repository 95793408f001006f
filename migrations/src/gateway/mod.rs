//! The gateway's schema: the registry of regions it routes to.

use sea_orm_migration::prelude::*;

mod m20261123_000001_create_region;

/// Applies the gateway schema; start-up and `passage migrate` both run it.
pub struct GatewayMigrator;

#[async_trait::async_trait]
impl MigratorTrait for GatewayMigrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(m20261123_000001_create_region::Migration)]
    }

    fn migration_table_name() -> DynIden {
        "passage_gateway_migrations".into_iden()
    }
}
