//! What the gateway erases of a member when their home region's erasure reaches
//! the change log, in the transaction that appends it: the member's earlier log
//! entries go and the directory keeps only the tombstone (`log::append`), their
//! access tokens, account, invitations and sessions are deleted (so a session
//! of theirs stops at the next call), their moves are unlinked (a new random id that names
//! no one; a move still under way fails) and the audit log names them by a
//! pseudonym.
//!
//! [`COVERED`] lists every column of the gateway's schema that names a member,
//! with what erasure does to it; `tests/erasure.rs` compares it with the schema
//! of a freshly migrated database (the rule: `passage_node::store::erasure::
//! names_a_person`, which this crate does not depend on; the test applies it).

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::error::Result;
use crate::store::entity::{
    access_token, account, account_invitation, account_session, member_transfer, move_confirmation,
};

/// What erasure does to a column of the gateway's schema that names a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coverage {
    /// The rows naming the member are deleted.
    Deleted,
    /// The rows stay; the member id is replaced by a new random id.
    Unlinked,
    /// Replaced by a pseudonym that leads back to no one.
    Pseudonymised,
    /// Only the member id and the erasure's stamp stay: the erasure entry of the
    /// log (the ledger's proof) and the directory's tombstone, which keeps a later
    /// write from bringing the profile back.
    Tombstone,
    /// The name matches the rule, but the column names no person.
    NotAPerson,
}

/// Every column of the gateway's schema that names a member, and what erasure
/// does to it.
pub const COVERED: &[(&str, &str, Coverage)] = &[
    ("change_log", "member_id", Coverage::Tombstone),
    ("directory", "member_id", Coverage::Tombstone),
    // The receipt of a member's own erasure: kept, naming no one, as the log's
    // erasure entry is (`personal_data::receipt`).
    ("erasure_receipt", "member_id", Coverage::Tombstone),
    ("member_transfer", "member_id", Coverage::Unlinked),
    ("access_token", "member_id", Coverage::Deleted),
    ("move_confirmation", "member_id", Coverage::Deleted),
    ("account", "member_id", Coverage::Deleted),
    ("account_invitation", "member_id", Coverage::Deleted),
    ("account_invitation", "account_id", Coverage::Deleted),
    ("account_session", "member_id", Coverage::Deleted),
    ("account_session", "account_id", Coverage::Deleted),
    ("audit_entry", "caller_member_id", Coverage::Pseudonymised),
    ("audit_entry", "subject", Coverage::Pseudonymised),
    ("audit_entry", "caller_role", Coverage::NotAPerson),
    ("audit_entry", "caller_region", Coverage::NotAPerson),
];

/// Erases what the gateway holds of member `id` beyond the log and the directory,
/// inside the append's transaction.
pub async fn erase_member(db: &impl ConnectionTrait, id: Uuid) -> Result<()> {
    access_token::Entity::delete_many()
        .filter(access_token::Column::MemberId.eq(id.to_string()))
        .exec(db)
        .await?;
    move_confirmation::Entity::delete_many()
        .filter(move_confirmation::Column::MemberId.eq(id))
        .exec(db)
        .await?;
    account_session::Entity::delete_many()
        .filter(account_session::Column::MemberId.eq(id))
        .exec(db)
        .await?;
    account_invitation::Entity::delete_many()
        .filter(account_invitation::Column::MemberId.eq(id))
        .exec(db)
        .await?;
    account::Entity::delete_many()
        .filter(account::Column::MemberId.eq(id))
        .exec(db)
        .await?;
    member_transfer::Entity::update_many()
        .col_expr(
            member_transfer::Column::Failure,
            Expr::value("the member was erased before the move completed"),
        )
        .filter(member_transfer::Column::MemberId.eq(id))
        .filter(member_transfer::Column::CompletedAt.is_null())
        .filter(member_transfer::Column::Failure.is_null())
        .exec(db)
        .await?;
    member_transfer::Entity::update_many()
        .col_expr(
            member_transfer::Column::MemberId,
            Expr::value(Uuid::now_v7()),
        )
        .filter(member_transfer::Column::MemberId.eq(id))
        .exec(db)
        .await?;
    passage_migrations::audit::pseudonymise(db, &id.to_string()).await?;
    tracing::info!(member_id = %id, "erased at the gateway: tokens, account, sessions, moves, audit log");
    Ok(())
}
