//! Sessions: made by signing in, checked on every call as a token is (the
//! [`Caller`] a session stands for), renewed while used, ended by signing out, by
//! a new invitation, or by erasure (which deletes them).

use chrono::{DateTime, Duration, Utc};
use passage_proto::SESSION_PREFIX;
use passage_server::access::{Caller, Role};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
};

use super::credential::Credential;
use super::{AccountStore, region_of};
use crate::error::{Error, Result};
use crate::store::entity::{account, account_session};

/// A session just made: the only time its secret is seen.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// `pss_<id>_<secret>`, sent as `authorization: Bearer …`.
    pub session: String,
    pub expires_at: DateTime<Utc>,
}

/// How the audit log and the caller name a session: `pss_<id>` (never its secret).
pub fn session_token_id(id: &str) -> String {
    format!("{SESSION_PREFIX}{id}")
}

/// The session's id in a caller's token id, if the caller holds a session.
pub fn session_id(caller: &Caller) -> Option<&str> {
    caller.token_id.strip_prefix(SESSION_PREFIX)
}

impl AccountStore {
    fn session_length(&self) -> Duration {
        Duration::hours(i64::try_from(self.settings.session_hours).unwrap_or(12))
    }

    /// Opens a session for `account`.
    pub(crate) async fn open_session(
        &self,
        db: &impl ConnectionTrait,
        account: &account::Model,
    ) -> Result<NewSession> {
        let credential = Credential::new()?;
        let now = Utc::now();
        let expires_at = now + self.session_length();
        // The account's ended sessions are of no more use.
        account_session::Entity::delete_many()
            .filter(account_session::Column::AccountId.eq(account.id.clone()))
            .filter(
                Condition::any()
                    .add(account_session::Column::ExpiresAt.lt(now))
                    .add(account_session::Column::RevokedAt.lt(now - Duration::days(1))),
            )
            .exec(db)
            .await?;
        account_session::Entity::insert(account_session::ActiveModel {
            id: Set(credential.id.clone()),
            account_id: Set(account.id.clone()),
            member_id: Set(account.member_id),
            secret_hash: Set(credential.hash()),
            created_at: Set(now),
            expires_at: Set(expires_at),
            revoked_at: Set(None),
        })
        .exec_without_returning(db)
        .await?;
        Ok(NewSession {
            session: credential.text(SESSION_PREFIX),
            expires_at,
        })
    }

    /// The session with `id` and its account, if both exist (one query).
    pub async fn session_account(
        &self,
        id: &str,
    ) -> Result<Option<(account_session::Model, account::Model)>> {
        Ok(account_session::Entity::find_by_id(id.to_owned())
            .find_also_related(account::Entity)
            .one(&self.db)
            .await?
            .and_then(|(session, account)| account.map(|account| (session, account))))
    }

    /// The caller a presented session stands for, or why it is refused (always
    /// `UNAUTHENTICATED`, never with the secret in the message). A session in use
    /// is renewed (at most once a minute).
    pub async fn caller(&self, presented: &str) -> std::result::Result<Caller, tonic::Status> {
        let refused = |why: String| tonic::Status::from(Error::Unauthenticated(why));
        let unavailable = |error: Error| {
            tracing::error!(%error, "database error while checking a session");
            tonic::Status::from(Error::Unavailable(
                "sessions cannot be checked right now; retry".into(),
            ))
        };
        let Some(credential) = Credential::parse(presented, SESSION_PREFIX) else {
            return Err(refused(
                "authorization: not a Passage session (expected pss_<id>_<secret>)".into(),
            ));
        };
        let id = &credential.id;
        let Some((session, account)) = self
            .session_account(id)
            .await
            .map_err(unavailable)?
            .filter(|(session, _)| credential.matches(&session.secret_hash))
        else {
            return Err(refused(format!("session {id} is not known; sign in again")));
        };
        if let Some(revoked_at) = session.revoked_at {
            return Err(refused(format!(
                "session {id} ended at {}; sign in again",
                revoked_at.format("%Y-%m-%d %H:%M UTC")
            )));
        }
        let now = Utc::now();
        if session.expires_at <= now {
            return Err(refused(format!(
                "session {id} expired at {}; sign in again",
                session.expires_at.format("%Y-%m-%d %H:%M UTC")
            )));
        }
        let Some(role) = Role::parse(&account.kind).filter(|role| *role != Role::Gateway) else {
            return Err(refused(format!("session {id} holds no usable role")));
        };
        let region = match region_of(&self.db, &account).await {
            Ok(region) => region,
            Err(Error::Unauthenticated(why)) => return Err(refused(why)),
            Err(error) => return Err(unavailable(error)),
        };
        let renewed = now + self.session_length();
        if renewed - session.expires_at > Duration::minutes(1) {
            account_session::Entity::update(account_session::ActiveModel {
                id: Set(session.id.clone()),
                expires_at: Set(renewed),
                ..Default::default()
            })
            .exec(&self.db)
            .await
            .map_err(|error| unavailable(error.into()))?;
        }
        Ok(Caller {
            role,
            region,
            member_id: account.member_id.map(|id| id.to_string()),
            organisation_id: account.organisation_id.map(|id| id.to_string()),
            token_id: session_token_id(&session.id),
        })
    }

    /// Ends the session `caller` holds.
    pub async fn sign_out(&self, caller: &Caller) -> Result<()> {
        let Some(id) = session_id(caller) else {
            return Err(Error::PermissionDenied(
                "only a session can be signed out; a token is revoked with `passage admin token revoke`".into(),
            ));
        };
        account_session::Entity::update(account_session::ActiveModel {
            id: Set(id.to_owned()),
            revoked_at: Set(Some(Utc::now())),
            ..Default::default()
        })
        .exec(&self.db)
        .await?;
        Ok(())
    }

    /// The account of the session `caller` holds.
    pub async fn account_of(&self, caller: &Caller) -> Result<account::Model> {
        let missing = || Error::PermissionDenied("this call needs a session: sign in".into());
        let id = session_id(caller).ok_or_else(missing)?;
        self.session_account(id)
            .await?
            .map(|(_, account)| account)
            .ok_or_else(missing)
    }
}
