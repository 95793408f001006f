//! `passage admin account …`: invite a person and lift a lock, on the gateway's
//! host, against the gateway's own database (read from its settings file), for
//! scripts and for the first chapter admins, before anyone can sign in. The
//! invitation code is printed once and kept only hashed.

use std::fmt::Write as _;

use anyhow::Context;
use passage_gateway::GatewaySettings;
use passage_gateway::accounts::{AccountStore, kind_of};
use passage_proto::v1;
use passage_server::access::{AuditRecord, Caller, Role};
use sea_orm::DatabaseConnection;

/// What `passage admin account invite` asks for.
#[derive(Debug, Clone)]
pub struct InviteRequest {
    pub login: String,
    /// member, chapter_admin, central_analyst or operator.
    pub kind: String,
    pub region: Option<String>,
    pub member: Option<String>,
    pub organisation: Option<String>,
    pub language: Option<String>,
}

async fn open(settings: &GatewaySettings) -> anyhow::Result<(DatabaseConnection, AccountStore)> {
    let db = passage_migrations::connect::<passage_migrations::GatewayMigrator>(
        &settings.database.url,
        1,
    )
    .await
    .context("opening the gateway's database (database.url)")?;
    let regions = settings.regions.iter().map(|r| r.slug.clone()).collect();
    let store = AccountStore::new(db.clone(), settings.accounts.clone(), regions);
    Ok((db, store))
}

/// Writes what the operator at the gateway's host did to the gateway's audit log.
async fn audit(db: &DatabaseConnection, method: &str, subject: &str) {
    passage_gateway::access::record(
        db,
        AuditRecord {
            at_ms: passage_server::access::now_ms(),
            caller: Some(Caller {
                role: Role::Operator,
                region: None,
                member_id: None,
                organisation_id: None,
                token_id: "local".into(),
            }),
            method: method.into(),
            outcome: "OK".into(),
            subject: Some(subject.into()),
        },
    )
    .await;
}

/// The wire's request for an invitation, from the command line's words.
pub fn invite_request(request: InviteRequest) -> anyhow::Result<v1::InviteAccountRequest> {
    let role = Role::parse(&request.kind)
        .filter(|role| Role::TOKEN_ROLES.contains(role))
        .ok_or_else(|| {
            anyhow::anyhow!(
                "--kind: {:?} is not an account kind; one of member, organisation, chapter_admin, central_analyst, operator",
                request.kind
            )
        })?;
    Ok(v1::InviteAccountRequest {
        login: request.login,
        kind: kind_of(role) as i32,
        region: request.region.unwrap_or_default(),
        member_id: request.member.unwrap_or_default(),
        organisation_id: request.organisation.unwrap_or_default(),
        language: request.language.unwrap_or_default(),
    })
}

/// `passage admin account invite`: prints the invitation code, once.
pub async fn invite(settings: &GatewaySettings, request: InviteRequest) -> anyhow::Result<String> {
    let request = invite_request(request)?;
    let (db, store) = open(settings).await?;
    let invitation = store.invite(None, request).await.map_err(|e| {
        anyhow::anyhow!(
            "--{}",
            e.to_string()
                .replace("member_id:", "member:")
                .replace("organisation_id:", "organisation:")
        )
    })?;
    audit(
        &db,
        "passage admin account invite",
        &format!("account {}", invitation.account.login),
    )
    .await;
    let mut out = String::new();
    writeln!(out, "login:    {}", invitation.account.login)?;
    writeln!(out, "kind:     {}", invitation.account.kind)?;
    writeln!(
        out,
        "expires:  {}",
        invitation.expires_at.format("%Y-%m-%d %H:%M UTC")
    )?;
    writeln!(
        out,
        "invitation code (shown this once; single use; hand it over privately):"
    )?;
    writeln!(out, "{}", invitation.code)?;
    Ok(out)
}

/// `passage admin account unlock`: lifts the lock after wrong passphrases.
pub async fn unlock(settings: &GatewaySettings, login: &str) -> anyhow::Result<String> {
    let (db, store) = open(settings).await?;
    let account = store
        .unlock(None, login)
        .await
        .map_err(|e| anyhow::anyhow!("--{e}"))?;
    audit(
        &db,
        "passage admin account unlock",
        &format!("account {}", account.login),
    )
    .await;
    Ok(format!(
        "account {} unlocked; it can sign in again\n",
        account.login
    ))
}
