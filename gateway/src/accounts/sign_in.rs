//! Accepting an invitation and signing in, with the locks after wrong
//! passphrases: per account (`[accounts] max_failures` in a row) and per client
//! address (`max_failures_per_address`), each for `lock_seconds`; every wrong
//! passphrase is answered later than the one before. A lock is
//! `RESOURCE_EXHAUSTED` (the code of "too much, slow down", which a client need
//! not retry at once), saying until when and that a chapter admin can lift it; a
//! wrong passphrase is `UNAUTHENTICATED` and does not say whether the login exists.

use chrono::{DateTime, Duration, Utc};
use passage_proto::v1;
use passage_server::access::Caller;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter, TransactionTrait,
};

use super::credential::{Credential, INVITATION_PREFIX};
use super::session::NewSession;
use super::{AccountStore, check_language, passphrase};
use crate::error::{Error, Result};
use crate::store::entity::{account, account_invitation, account_session, sign_in_address};

/// The answer to a wrong login or passphrase, the same for both.
const WRONG: &str = "the login or the passphrase is not right; check both and try again";

fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

fn account_locked(until: DateTime<Utc>) -> Error {
    Error::Locked(format!(
        "this account is locked after too many wrong passphrases, until {}; \
         a chapter admin can unlock it sooner",
        when(until)
    ))
}

/// Runs argon2 off the async threads.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::Internal(format!("passphrase work failed: {e}")))
}

impl AccountStore {
    fn lock_length(&self) -> Duration {
        Duration::seconds(i64::try_from(self.settings.lock_seconds).unwrap_or(900))
    }

    /// Chooses a passphrase with an invitation code, and signs in.
    pub async fn accept(
        &self,
        code: &str,
        passphrase: &str,
    ) -> Result<(NewSession, account::Model)> {
        if code.trim().is_empty() {
            return Err(Error::InvalidField {
                field: "invitation_code",
                reason: "required".into(),
            });
        }
        let Some(code) = Credential::parse(code, INVITATION_PREFIX) else {
            return Err(Error::InvalidField {
                field: "invitation_code",
                reason: "not an invitation code; copy the whole link you were sent".into(),
            });
        };
        let unusable = || {
            Error::Unauthenticated(
                "invitation_code: this invitation is not known, was used already or has \
                 expired; ask your chapter admin for a new one"
                    .into(),
            )
        };
        let invitation = account_invitation::Entity::find_by_id(code.id.clone())
            .one(&self.db)
            .await?
            .filter(|invitation| code.matches(&invitation.code_hash))
            .filter(|invitation| invitation.used_at.is_none() && invitation.expires_at > Utc::now())
            .ok_or_else(unusable)?;
        let account = account::Entity::find_by_id(invitation.account_id.clone())
            .one(&self.db)
            .await?
            .ok_or_else(unusable)?;
        passphrase::check_new(passphrase, &account.login)?;
        let chosen = passphrase.to_owned();
        let hash = blocking(move || passphrase::hash(&chosen)).await??;
        let now = Utc::now();
        let txn = self.db.begin().await?;
        // Used once: a second acceptance racing this one changes no row and fails.
        let used = account_invitation::Entity::update_many()
            .col_expr(account_invitation::Column::UsedAt, Expr::value(now))
            .filter(account_invitation::Column::Id.eq(invitation.id.clone()))
            .filter(account_invitation::Column::UsedAt.is_null())
            .exec(&txn)
            .await?;
        if used.rows_affected != 1 {
            return Err(unusable());
        }
        account_session::Entity::update_many()
            .col_expr(account_session::Column::RevokedAt, Expr::value(now))
            .filter(account_session::Column::AccountId.eq(account.id.clone()))
            .filter(account_session::Column::RevokedAt.is_null())
            .exec(&txn)
            .await?;
        let mut account = account;
        account.passphrase_hash = Some(hash);
        account.failed_attempts = 0;
        account.locked_until = None;
        account.updated_at = now;
        account::Entity::update(account::ActiveModel {
            id: Set(account.id.clone()),
            passphrase_hash: Set(account.passphrase_hash.clone()),
            failed_attempts: Set(0),
            locked_until: Set(None),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec(&txn)
        .await?;
        let session = self.open_session(&txn, &account).await?;
        txn.commit().await?;
        tracing::info!(login = %account.login, "invitation accepted");
        Ok((session, account))
    }

    /// Signs in with `login` and `passphrase`, from client `address`.
    pub async fn sign_in(
        &self,
        login: &str,
        passphrase: &str,
        address: &str,
    ) -> Result<(NewSession, account::Model)> {
        if login.trim().is_empty() {
            return Err(Error::InvalidField {
                field: "login",
                reason: "required".into(),
            });
        }
        if passphrase.is_empty() {
            return Err(Error::InvalidField {
                field: "passphrase",
                reason: "required".into(),
            });
        }
        let now = Utc::now();
        let from = self.unlocked_address(address).await?;
        let account = self.find(login).await?;
        if let Some(until) = account
            .as_ref()
            .and_then(|a| a.locked_until)
            .filter(|u| *u > now)
        {
            return Err(account_locked(until));
        }
        let stored = account.as_ref().and_then(|a| a.passphrase_hash.clone());
        let presented = passphrase
            .chars()
            .take(passphrase::MAX_CHARS)
            .collect::<String>();
        let right = blocking(move || passphrase::verify(&presented, stored.as_deref())).await?;
        match account {
            Some(account) if right => {
                let txn = self.db.begin().await?;
                if account.failed_attempts != 0 || account.locked_until.is_some() {
                    account::Entity::update(account::ActiveModel {
                        id: Set(account.id.clone()),
                        failed_attempts: Set(0),
                        locked_until: Set(None),
                        ..Default::default()
                    })
                    .exec(&txn)
                    .await?;
                }
                let session = self.open_session(&txn, &account).await?;
                txn.commit().await?;
                Ok((session, account))
            }
            account => Err(self.wrong(account, from, address).await?),
        }
    }

    /// What is known of `address`'s wrong passphrases; an error if it is locked.
    async fn unlocked_address(&self, address: &str) -> Result<Option<sign_in_address::Model>> {
        let from = sign_in_address::Entity::find_by_id(address.to_owned())
            .one(&self.db)
            .await?;
        if let Some(until) = from
            .as_ref()
            .and_then(|f| f.locked_until)
            .filter(|u| *u > Utc::now())
        {
            return Err(Error::Locked(format!(
                "too many wrong passphrases came from this address; try again after {}",
                when(until)
            )));
        }
        Ok(from)
    }

    /// Checks the passphrase of a signed-in person who confirms a step that cannot
    /// be undone (erasing themself): a wrong one counts towards the locks as at
    /// sign-in, and a locked account or address is refused.
    pub async fn confirm_passphrase(
        &self,
        account: &account::Model,
        passphrase: &str,
        address: &str,
    ) -> Result<()> {
        if passphrase.is_empty() {
            return Err(Error::InvalidField {
                field: "passphrase",
                reason: "required: type your passphrase to confirm".into(),
            });
        }
        let from = self.unlocked_address(address).await?;
        if let Some(until) = account.locked_until.filter(|u| *u > Utc::now()) {
            return Err(account_locked(until));
        }
        let stored = account.passphrase_hash.clone();
        let presented = passphrase
            .chars()
            .take(passphrase::MAX_CHARS)
            .collect::<String>();
        if blocking(move || passphrase::verify(&presented, stored.as_deref())).await? {
            return Ok(());
        }
        Err(
            match self.wrong(Some(account.clone()), from, address).await? {
                // Signed in already: the passphrase typed is what is wrong.
                Error::Unauthenticated(_) => Error::InvalidField {
                    field: "passphrase",
                    reason: "is not your passphrase".into(),
                },
                locked => locked,
            },
        )
    }

    /// Counts a wrong passphrase against the account (if any) and the address,
    /// locks either when it has had too many, waits, and says what happened.
    async fn wrong(
        &self,
        account: Option<account::Model>,
        from: Option<sign_in_address::Model>,
        address: &str,
    ) -> Result<Error> {
        let now = Utc::now();
        let lock = self.lock_length();
        // An address's count starts again once it has been quiet for a lock's length.
        let earlier = from
            .as_ref()
            .filter(|f| now - f.last_failure_at < lock)
            .map_or(0, |f| f.failures);
        let failures = earlier.saturating_add(1);
        let address_locked =
            u32::try_from(failures).unwrap_or(u32::MAX) >= self.settings.max_failures_per_address;
        let row = sign_in_address::ActiveModel {
            address: Set(address.to_owned()),
            failures: Set(if address_locked { 0 } else { failures }),
            last_failure_at: Set(now),
            locked_until: Set(address_locked.then(|| now + lock)),
        };
        // Two wrong passphrases from a new address at once must not trip over
        // each other's first row.
        sign_in_address::Entity::insert(row)
            .on_conflict(
                OnConflict::column(sign_in_address::Column::Address)
                    .update_columns([
                        sign_in_address::Column::Failures,
                        sign_in_address::Column::LastFailureAt,
                        sign_in_address::Column::LockedUntil,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await?;
        // Addresses quiet for a lock's length, and not locked, are forgotten.
        sign_in_address::Entity::delete_many()
            .filter(sign_in_address::Column::LastFailureAt.lt(now - lock))
            .filter(
                Condition::any()
                    .add(sign_in_address::Column::LockedUntil.is_null())
                    .add(sign_in_address::Column::LockedUntil.lt(now)),
            )
            .exec(&self.db)
            .await?;
        let mut in_a_row = failures;
        let mut locked = None;
        if let Some(account) = account {
            // Counted in the database, so that wrong passphrases sent at once
            // each count.
            account::Entity::update_many()
                .col_expr(
                    account::Column::FailedAttempts,
                    sea_orm::sea_query::ExprTrait::add(
                        Expr::col(account::Column::FailedAttempts),
                        1,
                    ),
                )
                .filter(account::Column::Id.eq(account.id.clone()))
                .exec(&self.db)
                .await?;
            in_a_row = account::Entity::find_by_id(account.id.clone())
                .one(&self.db)
                .await?
                .map_or(1, |now| now.failed_attempts);
            if u32::try_from(in_a_row).unwrap_or(u32::MAX) >= self.settings.max_failures {
                locked = Some(now + lock);
                account::Entity::update(account::ActiveModel {
                    id: Set(account.id.clone()),
                    failed_attempts: Set(0),
                    locked_until: Set(locked),
                    ..Default::default()
                })
                .exec(&self.db)
                .await?;
                tracing::warn!(login = %account.login, "account locked after wrong passphrases");
            }
        }
        let delay = self
            .settings
            .failure_delay_ms
            .saturating_mul(u64::try_from(in_a_row).unwrap_or(1))
            .min(5_000);
        tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
        Ok(match locked {
            Some(until) => account_locked(until),
            None if address_locked => Error::Locked(format!(
                "too many wrong passphrases came from this address; try again after {}",
                when(now + lock)
            )),
            None => Error::Unauthenticated(WRONG.into()),
        })
    }

    /// Lifts the lock of the account with `login`, for `by` (none: the gateway's
    /// host): an operator, or the chapter admin of the account's region.
    pub async fn unlock(&self, by: Option<&Caller>, login: &str) -> Result<account::Model> {
        let login = super::invite::check_login(login)?;
        let account = self
            .find(&login)
            .await?
            .ok_or_else(|| Error::NotFound(format!("login: no account {login:?}")))?;
        self.administers(by, &account).await?;
        account::Entity::update(account::ActiveModel {
            id: Set(account.id.clone()),
            failed_attempts: Set(0),
            locked_until: Set(None),
            updated_at: Set(Utc::now()),
            ..Default::default()
        })
        .exec(&self.db)
        .await?;
        tracing::info!(login = %account.login, "account unlocked");
        Ok(account::Model {
            failed_attempts: 0,
            locked_until: None,
            ..account
        })
    }

    /// Sets the language of the account `caller`'s session belongs to.
    pub async fn set_language(&self, caller: &Caller, language: &str) -> Result<account::Model> {
        if language.trim().is_empty() {
            return Err(Error::InvalidField {
                field: "language",
                reason: "required".into(),
            });
        }
        let language = check_language(language)?;
        let account = self.account_of(caller).await?;
        account::Entity::update(account::ActiveModel {
            id: Set(account.id.clone()),
            language: Set(language.clone()),
            updated_at: Set(Utc::now()),
            ..Default::default()
        })
        .exec(&self.db)
        .await?;
        Ok(account::Model {
            language,
            ..account
        })
    }
}

/// The wire's answer to signing in.
pub async fn response(
    store: &AccountStore,
    session: NewSession,
    account: &account::Model,
) -> Result<v1::SignInResponse> {
    Ok(v1::SignInResponse {
        session: session.session,
        expire_time: Some(super::timestamp(session.expires_at)),
        account: Some(store.view(account).await?),
    })
}
