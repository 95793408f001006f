//! Schema migrations for Passage. The node and the gateway each have their own
//! database and their own migrator; the schema changes only through these files.

mod gateway;
mod node;

pub use gateway::GatewayMigrator;
pub use node::NodeMigrator;
pub use sea_orm_migration::MigratorTrait;
