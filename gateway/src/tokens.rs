//! Bearer tokens: made and revoked by `passage admin token …`, kept in the
//! gateway's database as the SHA-256 of their secret only, and checked on every
//! call that needs one.
//!
//! A token reads `psg_<id>_<secret>`: the id (16 hexadecimal characters) is public
//! and names the token in lists, revocations and the audit log; the secret (64
//! hexadecimal characters, 32 random bytes) is shown once and never stored or
//! logged. A token is bound to a role, to a region for members and chapter admins,
//! to one member for member tokens and to one organisation for organisation
//! tokens; it expires.

use chrono::{DateTime, Utc};
use passage_server::access::{Caller, Role};
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait, QueryOrder};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::{Error, Result};
use crate::store::entity::access_token;

/// What a new token is for.
#[derive(Debug, Clone)]
pub struct TokenGrant {
    pub role: Role,
    /// Required for members and chapter admins, refused for the others.
    pub region: Option<String>,
    /// Required for members, refused for the others.
    pub member_id: Option<String>,
    /// Required for organisations' contacts, refused for the others: an
    /// organisation of `region` (the node refuses every call of a token whose
    /// organisation it does not hold).
    pub organisation_id: Option<String>,
    /// Who holds it, for people reading the list: "Amira, Amsterdam chapter".
    pub label: String,
    pub expires_at: DateTime<Utc>,
}

/// A token just made: the only time its secret is seen.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub id: String,
    /// `psg_<id>_<secret>`, to hand to its holder.
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// A token as lists show it: everything but its secret.
pub type TokenRecord = access_token::Model;

/// The tokens in the gateway's database.
#[derive(Clone)]
pub struct TokenStore {
    db: DatabaseConnection,
}

const PREFIX: &str = "psg_";

fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn random_hex(bytes: usize) -> Result<String> {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer).map_err(|e| Error::Refused(format!("no randomness: {e}")))?;
    Ok(hex::encode(buffer))
}

impl TokenStore {
    pub fn new(db: DatabaseConnection) -> Self {
        TokenStore { db }
    }

    /// Makes a token for `grant` and returns it, once.
    pub async fn issue(
        &self,
        mut grant: TokenGrant,
        known_regions: &[String],
    ) -> Result<IssuedToken> {
        check_grant(&grant, known_regions)?;
        grant.member_id = grant.member_id.map(|id| {
            uuid::Uuid::try_parse(&id)
                .map(|id| id.to_string())
                .unwrap_or(id)
        });
        grant.organisation_id = grant.organisation_id.map(|id| {
            uuid::Uuid::try_parse(&id)
                .map(|id| id.to_string())
                .unwrap_or(id)
        });
        let id = random_hex(8)?;
        let secret = random_hex(32)?;
        let expires_at = grant.expires_at;
        self.keep(&id, &secret, grant).await?;
        Ok(IssuedToken {
            token: format!("{PREFIX}{id}_{secret}"),
            id,
            expires_at,
        })
    }

    /// Keeps a token made elsewhere (`psg_<id>_<secret>`, as [`TokenStore::issue`]
    /// makes them) for `grant`: for provisioning that hands out tokens itself, and
    /// for the demo and the tests, which make theirs before the gateway starts.
    pub async fn import(
        &self,
        token: &str,
        grant: TokenGrant,
        known_regions: &[String],
    ) -> Result<()> {
        check_grant(&grant, known_regions)?;
        let Some((id, secret)) = token
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split_once('_'))
            .filter(|(id, secret)| {
                id.len() == 16
                    && secret.len() == 64
                    && id
                        .bytes()
                        .chain(secret.bytes())
                        .all(|b| b.is_ascii_hexdigit())
            })
        else {
            return Err(Error::InvalidField {
                field: "token",
                reason: "not a Passage token (psg_<16 hex>_<64 hex>)".into(),
            });
        };
        self.keep(id, secret, grant).await
    }

    /// Stores token `id` with the hash of `secret`, for `grant`.
    async fn keep(&self, id: &str, secret: &str, grant: TokenGrant) -> Result<()> {
        access_token::Entity::insert(access_token::ActiveModel {
            id: Set(id.to_owned()),
            secret_hash: Set(hash(secret)),
            role: Set(grant.role.as_str().to_owned()),
            region: Set(grant.region),
            member_id: Set(grant.member_id),
            organisation_id: Set(grant.organisation_id),
            label: Set(grant.label),
            created_at: Set(Utc::now()),
            expires_at: Set(grant.expires_at),
            revoked_at: Set(None),
        })
        .exec_without_returning(&self.db)
        .await?;
        Ok(())
    }

    /// Revokes the token with public id `id`; it stops working at once.
    pub async fn revoke(&self, id: &str) -> Result<TokenRecord> {
        let Some(token) = access_token::Entity::find_by_id(id.to_owned())
            .one(&self.db)
            .await?
        else {
            return Err(Error::NotFound(format!("token {id:?}: no such token")));
        };
        if token.revoked_at.is_some() {
            return Ok(token);
        }
        let mut revoked = token.clone();
        revoked.revoked_at = Some(Utc::now());
        access_token::Entity::update(access_token::ActiveModel {
            id: Set(token.id),
            revoked_at: Set(revoked.revoked_at),
            ..Default::default()
        })
        .exec(&self.db)
        .await?;
        Ok(revoked)
    }

    /// Every token, newest first, without secrets.
    pub async fn list(&self) -> Result<Vec<TokenRecord>> {
        Ok(access_token::Entity::find()
            .order_by_desc(access_token::Column::CreatedAt)
            .all(&self.db)
            .await?)
    }

    /// The caller a presented token stands for, or why it is refused (always
    /// `UNAUTHENTICATED`, and never with the secret in the message).
    pub async fn caller(&self, presented: &str) -> std::result::Result<Caller, tonic::Status> {
        let refused = |why: String| tonic::Status::from(Error::Unauthenticated(why));
        let Some((id, secret)) = presented
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split_once('_'))
        else {
            return Err(refused(
                "authorization: not a Passage token (expected psg_<id>_<secret>)".into(),
            ));
        };
        if id.len() != 16 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(refused("authorization: not a Passage token id".into()));
        }
        let token = access_token::Entity::find_by_id(id.to_owned())
            .one(&self.db)
            .await
            .map_err(|error| {
                tracing::error!(%error, "database error while checking a token");
                tonic::Status::from(Error::Unavailable(
                    "tokens cannot be checked right now; retry".into(),
                ))
            })?;
        let Some(token) = token else {
            return Err(refused(format!("token {id} is not known")));
        };
        if !bool::from(hash(secret).as_bytes().ct_eq(token.secret_hash.as_bytes())) {
            return Err(refused(format!("token {id} is not known")));
        }
        if let Some(revoked_at) = token.revoked_at {
            return Err(refused(format!(
                "token {id} was revoked at {}",
                revoked_at.format("%Y-%m-%d %H:%M UTC")
            )));
        }
        if token.expires_at <= Utc::now() {
            return Err(refused(format!(
                "token {id} expired at {}",
                token.expires_at.format("%Y-%m-%d %H:%M UTC")
            )));
        }
        let Some(role) = Role::parse(&token.role).filter(|role| *role != Role::Gateway) else {
            return Err(refused(format!("token {id} holds no usable role")));
        };
        Ok(Caller {
            role,
            region: token.region,
            member_id: token.member_id,
            organisation_id: token.organisation_id,
            token_id: token.id,
        })
    }
}

/// Checks that a grant names what its role needs and nothing it must not.
fn check_grant(grant: &TokenGrant, known_regions: &[String]) -> Result<()> {
    let invalid = |field: &'static str, reason: String| Error::InvalidField { field, reason };
    if grant.role == Role::Gateway {
        return Err(invalid(
            "role",
            "gateway is the gateway's own role; no token carries it".into(),
        ));
    }
    match (&grant.region, grant.role.is_regional()) {
        (None, true) => {
            return Err(invalid(
                "region",
                format!("a {} token belongs to one region; name it", grant.role),
            ));
        }
        (Some(_), false) => {
            return Err(invalid(
                "region",
                format!("a {} token belongs to no region", grant.role),
            ));
        }
        (Some(region), true) if !known_regions.iter().any(|known| known == region) => {
            return Err(invalid(
                "region",
                format!(
                    "{region:?} is not a region of this gateway; known: {}",
                    known_regions.join(", ")
                ),
            ));
        }
        _ => {}
    }
    match (&grant.member_id, grant.role) {
        (None, Role::Member) => {
            return Err(invalid(
                "member",
                "a member token speaks for one member; name their id".into(),
            ));
        }
        (Some(member), Role::Member) if uuid::Uuid::try_parse(member).is_err() => {
            return Err(invalid("member", format!("{member:?} is not a member id")));
        }
        (Some(_), role) if role != Role::Member => {
            return Err(invalid(
                "member",
                format!("a {role} token speaks for no member"),
            ));
        }
        _ => {}
    }
    match (&grant.organisation_id, grant.role) {
        (None, Role::Organisation) => {
            return Err(invalid(
                "organisation",
                "an organisation token speaks for one organisation; name its id".into(),
            ));
        }
        (Some(organisation), Role::Organisation)
            if uuid::Uuid::try_parse(organisation).is_err() =>
        {
            return Err(invalid(
                "organisation",
                format!("{organisation:?} is not an organisation id"),
            ));
        }
        (Some(_), role) if role != Role::Organisation => {
            return Err(invalid(
                "organisation",
                format!("a {role} token speaks for no organisation"),
            ));
        }
        _ => {}
    }
    if grant.expires_at <= Utc::now() {
        return Err(invalid("expires", "the expiry lies in the past".into()));
    }
    if grant.label.trim().is_empty() {
        return Err(invalid(
            "label",
            "say who holds the token, such as \"Amira, Amsterdam chapter\"".into(),
        ));
    }
    Ok(())
}
