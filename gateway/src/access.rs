//! The gateway's side of access control: callers are known by their bearer token
//! ([`TokenStore`]) or session ([`AccountStore`], `pss_…`), a call for a region is passed on with the caller sealed for
//! that region's node, and the operators' actions are written to the gateway's
//! audit log. The policy itself is `passage_server::access`.

use std::sync::Arc;

use passage_migrations::audit::audit_entry;
use passage_proto::REGION_METADATA_KEY;
use passage_server::access::{
    AuditRecord, BodyDigest, CALLER_HEADER, Caller, CallerSeal, Gatekeeper, SEAL_HEADER,
};
use sea_orm::{DatabaseConnection, EntityTrait};

use crate::accounts::AccountStore;
use crate::tokens::TokenStore;

/// Writes one record to the gateway's audit log; a failure to write is logged
/// loudly (the call it describes has been answered already).
pub async fn record(db: &DatabaseConnection, record: AuditRecord) {
    if let Err(error) = audit_entry::Entity::insert(passage_migrations::audit::row(record))
        .exec_without_returning(db)
        .await
    {
        tracing::error!(%error, "the gateway's audit log could not be written");
    }
}

/// Identifies callers by bearer token or session and seals them for the region's
/// node.
#[derive(Clone)]
pub struct TokenGate {
    tokens: TokenStore,
    accounts: AccountStore,
    db: DatabaseConnection,
    /// Each region's seal, by slug.
    seals: Arc<std::collections::BTreeMap<String, CallerSeal>>,
}

impl TokenGate {
    pub fn new(
        db: DatabaseConnection,
        accounts: AccountStore,
        seals: std::collections::BTreeMap<String, CallerSeal>,
    ) -> Self {
        TokenGate {
            tokens: TokenStore::new(db.clone()),
            accounts,
            db,
            seals: Arc::new(seals),
        }
    }
}

type BoxFuture<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send>>;

impl Gatekeeper for TokenGate {
    fn identify(
        &self,
        headers: &http::HeaderMap,
        _path: &str,
        _body: &BodyDigest,
    ) -> BoxFuture<Result<Option<Caller>, tonic::Status>> {
        let presented = headers.get(http::header::AUTHORIZATION).map(|value| {
            value
                .to_str()
                .ok()
                .and_then(|value| {
                    // The scheme's name is case-insensitive (RFC 9110 §11.1).
                    let (scheme, token) = value.split_once(' ')?;
                    scheme.eq_ignore_ascii_case("bearer").then_some(token)
                })
                .map(|token| token.trim().to_owned())
        });
        let tokens = self.tokens.clone();
        let accounts = self.accounts.clone();
        Box::pin(async move {
            match presented {
                None => Ok(None),
                Some(None) => Err(tonic::Status::unauthenticated(
                    "authorization: expected `Bearer <token>`",
                )),
                Some(Some(session)) if session.starts_with(passage_proto::SESSION_PREFIX) => {
                    accounts.caller(&session).await.map(Some)
                }
                Some(Some(token)) => tokens.caller(&token).await.map(Some),
            }
        })
    }

    fn region_of(&self, headers: &http::HeaderMap) -> Result<Option<String>, tonic::Status> {
        let Some(region) = headers
            .get(REGION_METADATA_KEY)
            .and_then(|value| value.to_str().ok())
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
        else {
            return Ok(None);
        };
        if self.seals.contains_key(&region) {
            return Ok(Some(region));
        }
        Err(crate::Error::UnknownRegion {
            key: REGION_METADATA_KEY,
            region: region.chars().take(64).collect(),
            known: self.seals.keys().cloned().collect::<Vec<_>>().join(", "),
        }
        .into())
    }

    fn pass_on(
        &self,
        caller: Option<&Caller>,
        region: Option<&str>,
        path: &str,
        body: &BodyDigest,
        headers: &mut http::HeaderMap,
    ) {
        // The token stays at the gateway, and no client's own idea of a caller
        // travels on: only the gateway's seal does.
        headers.remove(http::header::AUTHORIZATION);
        headers.remove(CALLER_HEADER);
        headers.remove(SEAL_HEADER);
        if let (Some(caller), Some(seal)) = (caller, region.and_then(|r| self.seals.get(r))) {
            seal.seal(
                caller,
                path,
                passage_server::access::now_ms(),
                body,
                headers,
            );
        }
    }

    fn audits(&self, path: &str) -> bool {
        path.starts_with("/passage.v1.FederationAdminService/")
            || path == "/passage.v1.MoveService/ListIncomingMoves"
            || path == "/passage.v1.MoveService/DeclineMove"
            || path == "/passage.v1.AccountService/InviteAccount"
            || path == "/passage.v1.AccountService/UnlockAccount"
            || path == "/passage.v1.AccountService/ListAccounts"
            || path == "/passage.v1.AccountService/RevokeAccount"
    }

    fn audit(&self, record: AuditRecord) -> BoxFuture<()> {
        let db = self.db.clone();
        Box::pin(async move { self::record(&db, record).await })
    }
}
