//! The `audit_entry` table, the same on the gateway and on every node, and how one
//! record of the access layer becomes a row of it.

use passage_server::access::AuditRecord;
use sea_orm::ActiveValue::Set;

/// The `audit_entry` table.
pub mod audit_entry {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_entry")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub at: DateTimeUtc,
        pub caller_role: String,
        pub caller_region: String,
        pub caller_member_id: String,
        pub token_id: String,
        pub method: String,
        pub subject: String,
        pub outcome: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The row that keeps `record` (a UUIDv7 id, so rows sort by time).
pub fn row(record: AuditRecord) -> audit_entry::ActiveModel {
    use chrono::TimeZone;
    let caller = record.caller.as_ref();
    audit_entry::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        at: Set(chrono::Utc
            .timestamp_millis_opt(record.at_ms)
            .single()
            .unwrap_or_else(chrono::Utc::now)),
        caller_role: Set(caller.map(|c| c.role.to_string()).unwrap_or_default()),
        caller_region: Set(caller.and_then(|c| c.region.clone()).unwrap_or_default()),
        caller_member_id: Set(caller.and_then(|c| c.member_id.clone()).unwrap_or_default()),
        token_id: Set(caller.map(|c| c.token_id.clone()).unwrap_or_default()),
        method: Set(record.method),
        subject: Set(record.subject.unwrap_or_default()),
        outcome: Set(record.outcome),
    }
}
