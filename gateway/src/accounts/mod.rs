//! People's accounts and sessions, kept by the gateway beside its tokens
//! (`AccountService`). An account is bound to one caller kind (a token role): a
//! member, by member id, whose region is their home in the directory on every call,
//! so it follows a move; an organisation's contact, by organisation and region; a
//! chapter admin, by region; a central analyst; an
//! operator. A chapter admin (or an operator) invites; the invited person accepts
//! with a passphrase (argon2id) and is signed in; signing in again needs the login
//! and passphrase. A session, `pss_<id>_<secret>`, is checked on every call as a
//! token is (`access::TokenGate`), expires unused after `[accounts]
//! session_hours`, and ends when its holder signs out or is invited again.
//!
//! The parts: [`passphrase`] (rules and hashes), [`credential`] (session and
//! invitation secrets), [`invite`], [`sign_in`] (accepting, signing in, locks),
//! [`session`] (the caller a session stands for, signing out), [`service`] (the
//! gRPC service), [`admin`] (who looks after an account; listing and revoking).

pub mod admin;
mod credential;
pub mod invite;
pub mod passphrase;
pub mod service;
pub mod session;
pub mod sign_in;

use chrono::{DateTime, Utc};
use passage_proto::v1;
use passage_server::access::Role;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::settings::AccountSettings;
use crate::store::entity::account;

/// The accounts and sessions in the gateway's database.
#[derive(Clone)]
pub struct AccountStore {
    db: DatabaseConnection,
    settings: AccountSettings,
    /// The regions of this gateway, by slug.
    regions: Vec<String>,
    /// Their names, by slug.
    region_names: std::collections::HashMap<String, String>,
}

impl AccountStore {
    pub fn new(db: DatabaseConnection, settings: AccountSettings, regions: Vec<String>) -> Self {
        AccountStore {
            db,
            settings,
            regions,
            region_names: Default::default(),
        }
    }

    /// Names the regions (slug → name) in the accounts it shows.
    pub fn with_region_names(mut self, names: impl IntoIterator<Item = (String, String)>) -> Self {
        self.region_names = names.into_iter().collect();
        self
    }

    /// The account with `login`, if there is one.
    pub async fn find(&self, login: &str) -> Result<Option<account::Model>> {
        Ok(account::Entity::find()
            .filter(account::Column::Login.eq(normalise_login(login)))
            .one(&self.db)
            .await?)
    }

    /// The account as its holder and the service show it.
    pub async fn view(&self, account: &account::Model) -> Result<v1::Account> {
        let region = region_of(&self.db, account).await?.unwrap_or_default();
        Ok(self.view_in(account, region))
    }

    /// The account as shown, in `region` (its region as the session's check on
    /// this call found it: no second look in the directory).
    pub fn view_in(&self, account: &account::Model, region: String) -> v1::Account {
        let region_name = self
            .region_names
            .get(&region)
            .cloned()
            .unwrap_or_else(|| region.clone());
        v1::Account {
            region_name,
            login: account.login.clone(),
            kind: Role::parse(&account.kind).map_or(0, |role| kind_of(role) as i32),
            region,
            member_id: account
                .member_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
            organisation_id: account
                .organisation_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
            language: account.language.clone(),
            locked_until: account
                .locked_until
                .filter(|until| *until > Utc::now())
                .map(timestamp),
            active: account.passphrase_hash.is_some(),
        }
    }
}

/// Logins are compared without case: `Amira@Example.org` is `amira@example.org`.
pub fn normalise_login(login: &str) -> String {
    login.trim().to_lowercase()
}

/// The region an account acts in now: a member's home from the directory (the
/// region the account was made in until the directory lists them), a chapter
/// admin's region, none for the central team. An erased member has none and is
/// refused.
pub async fn region_of(
    db: &impl ConnectionTrait,
    account: &account::Model,
) -> Result<Option<String>> {
    let Some(member_id) = account.member_id else {
        return Ok(account.region.clone());
    };
    home_of(db, member_id)
        .await
        .map(|home| home.or_else(|| account.region.clone()))
}

/// A member's home region in the directory; an error for an erased member.
pub async fn home_of(db: &impl ConnectionTrait, member_id: Uuid) -> Result<Option<String>> {
    match crate::sync::log::directory_entry(db, member_id).await? {
        Some((_, state)) if state.erased.is_some() => Err(Error::Unauthenticated(format!(
            "member {member_id} was erased; their account is gone"
        ))),
        Some((entry, _)) => Ok(Some(entry.home_region)),
        None => Ok(None),
    }
}

/// The wire's account kind of a role.
pub fn kind_of(role: Role) -> v1::AccountKind {
    match role {
        Role::Member => v1::AccountKind::Member,
        Role::ChapterAdmin => v1::AccountKind::ChapterAdmin,
        Role::Organisation => v1::AccountKind::Organisation,
        Role::CentralAnalyst => v1::AccountKind::CentralAnalyst,
        Role::Operator => v1::AccountKind::Operator,
        Role::Gateway => v1::AccountKind::Unspecified,
    }
}

/// The role of a wire account kind.
pub fn role_of(kind: i32) -> Option<Role> {
    match v1::AccountKind::try_from(kind).ok()? {
        v1::AccountKind::Member => Some(Role::Member),
        v1::AccountKind::ChapterAdmin => Some(Role::ChapterAdmin),
        v1::AccountKind::Organisation => Some(Role::Organisation),
        v1::AccountKind::CentralAnalyst => Some(Role::CentralAnalyst),
        v1::AccountKind::Operator => Some(Role::Operator),
        v1::AccountKind::Unspecified => None,
    }
}

/// A time on the wire.
pub fn timestamp(at: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: i32::try_from(at.timestamp_subsec_nanos()).unwrap_or_default(),
    }
}

/// Checks a language tag (BCP 47, such as `ar` or `nl-BE`); empty is English.
pub fn check_language(language: &str) -> Result<String> {
    let language = language.trim();
    if language.is_empty() {
        return Ok("en".into());
    }
    let well_formed = language.len() <= 35
        && language.split('-').all(|part| {
            (1..=8).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_alphanumeric())
        })
        && language.split('-').next().is_some_and(|primary| {
            primary.len() >= 2 && primary.bytes().all(|b| b.is_ascii_alphabetic())
        });
    if !well_formed {
        return Err(Error::InvalidField {
            field: "language",
            reason: format!(
                "{:?} is not a language tag such as \"ar\", \"nl\" or \"es\"",
                language.chars().take(40).collect::<String>()
            ),
        });
    }
    Ok(language.to_owned())
}
