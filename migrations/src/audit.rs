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

/// The columns of `audit_entry` that can name a member, and what an erasure does
/// to each (the erasure coverage lists of node and gateway include these).
pub const MEMBER_COLUMNS: [&str; 2] = ["caller_member_id", "subject"];

/// Replaces member `member_id` in the audit log — as the caller, or in what a call
/// was about — by one pseudonym, `erased:` and 12 random hex digits, made anew
/// for this erasure: entries about the same person still read as one person, but
/// nothing (not even the member id, which the erasure ledger keeps) leads back
/// to her. Returns how many entries changed; call inside the erasure's
/// transaction.
pub async fn pseudonymise(
    db: &impl sea_orm::ConnectionTrait,
    member_id: &str,
) -> Result<u64, sea_orm::DbErr> {
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    if member_id.is_empty() {
        return Ok(0);
    }
    let pseudonym = pseudonym();
    let callers = audit_entry::Entity::update_many()
        .col_expr(
            audit_entry::Column::CallerMemberId,
            Expr::value(pseudonym.clone()),
        )
        .filter(audit_entry::Column::CallerMemberId.eq(member_id))
        .exec(db)
        .await?
        .rows_affected;
    let subjects = audit_entry::Entity::update_many()
        .col_expr(audit_entry::Column::Subject, Expr::value(pseudonym))
        .filter(audit_entry::Column::Subject.eq(member_id))
        .exec(db)
        .await?
        .rows_affected;
    Ok(callers + subjects)
}

/// `erased:` and 48 random bits in hex (the random tail of a UUIDv7).
fn pseudonym() -> String {
    let random = uuid::Uuid::now_v7().simple().to_string();
    format!("erased:{}", &random[20..])
}
