//! `passage admin token …` and `passage admin revoke-certificate`: make, list and
//! revoke bearer tokens, and stop trusting a region certificate, on the gateway's
//! host, against the gateway's own database (read from its settings file). The
//! first operator token can only be made this way; a token's secret is printed once
//! and never stored.

use std::fmt::Write as _;

use anyhow::Context;
use chrono::{Duration, Utc};
use passage_gateway::GatewaySettings;
use passage_gateway::tokens::{TokenGrant, TokenStore};
use passage_server::access::{AuditRecord, Caller, Role};
use sea_orm::DatabaseConnection;

/// The longest a token may live.
pub const MAX_LIFETIME_DAYS: i64 = 366;

/// What `passage admin token create` asks for.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    pub role: String,
    pub region: Option<String>,
    pub member: Option<String>,
    pub organisation: Option<String>,
    pub label: String,
    /// Such as `30d` or `12h`.
    pub expires_in: String,
}

/// Reads a lifetime such as `30d` or `12h`.
pub fn lifetime(text: &str) -> anyhow::Result<Duration> {
    let text = text.trim();
    let (number, unit) = text.split_at(text.len().saturating_sub(1));
    let count: i64 = number.parse().map_err(|_| {
        anyhow::anyhow!("--expires-in: {text:?} is not a lifetime such as 30d or 12h")
    })?;
    let lifetime = match unit {
        "d" => Duration::days(count),
        "h" => Duration::hours(count),
        _ => anyhow::bail!("--expires-in: {text:?}: give days (30d) or hours (12h)"),
    };
    if count <= 0 || lifetime > Duration::days(MAX_LIFETIME_DAYS) {
        anyhow::bail!("--expires-in: {text:?}: between 1h and {MAX_LIFETIME_DAYS}d");
    }
    Ok(lifetime)
}

/// The gateway's database, which holds the tokens and the gateway's audit log.
async fn open(settings: &GatewaySettings) -> anyhow::Result<DatabaseConnection> {
    passage_migrations::connect::<passage_migrations::GatewayMigrator>(&settings.database.url, 1)
        .await
        .context("opening the gateway's database (database.url)")
}

fn regions(settings: &GatewaySettings) -> Vec<String> {
    settings.regions.iter().map(|r| r.slug.clone()).collect()
}

/// The operator at the gateway's host, as the gateway's audit log names them.
fn local_operator() -> Caller {
    Caller {
        role: Role::Operator,
        region: None,
        member_id: None,
        organisation_id: None,
        token_id: "local".into(),
    }
}

/// Writes what the local operator did to the gateway's audit log.
async fn audit(db: &DatabaseConnection, method: &str, subject: &str) {
    passage_gateway::access::record(
        db,
        AuditRecord {
            at_ms: passage_server::access::now_ms(),
            caller: Some(local_operator()),
            method: method.into(),
            outcome: "OK".into(),
            subject: Some(subject.into()),
        },
    )
    .await;
}

/// `passage admin token create`: prints the new token, once.
pub async fn create(settings: &GatewaySettings, request: TokenRequest) -> anyhow::Result<String> {
    let role = Role::parse(&request.role)
        .filter(|role| Role::TOKEN_ROLES.contains(role))
        .ok_or_else(|| {
            anyhow::anyhow!(
                "--role: {:?} is not a role; one of member, organisation, chapter_admin, central_analyst, operator",
                request.role
            )
        })?;
    let grant = TokenGrant {
        role,
        region: request.region,
        member_id: request.member,
        organisation_id: request.organisation,
        label: request.label,
        expires_at: Utc::now() + lifetime(&request.expires_in)?,
    };
    let db = open(settings).await?;
    let issued = TokenStore::new(db.clone())
        .issue(grant, &regions(settings))
        .await
        .map_err(|e| anyhow::anyhow!("--{e}"))?;
    audit(&db, "passage admin token create", &issued.id).await;
    let mut out = String::new();
    writeln!(out, "token id: {}", issued.id)?;
    writeln!(
        out,
        "expires:  {}",
        issued.expires_at.format("%Y-%m-%d %H:%M UTC")
    )?;
    writeln!(
        out,
        "token (shown this once; hand it over privately, it is not stored):"
    )?;
    writeln!(out, "{}", issued.token)?;
    Ok(out)
}

/// `passage admin token revoke <id>`.
pub async fn revoke(settings: &GatewaySettings, id: &str) -> anyhow::Result<String> {
    let db = open(settings).await?;
    let revoked = TokenStore::new(db.clone())
        .revoke(id.trim())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    audit(&db, "passage admin token revoke", &revoked.id).await;
    Ok(format!(
        "token {} ({}) revoked; it stops working at once\n",
        revoked.id, revoked.label
    ))
}

/// `passage admin revoke-certificate`: a region certificate is no longer trusted.
pub async fn revoke_certificate(
    settings: &GatewaySettings,
    serial: &str,
    reason: &str,
) -> anyhow::Result<String> {
    let serial = passage_gateway::revocations::normalise(serial)
        .map_err(|reason| anyhow::anyhow!("--serial: {reason}"))?;
    if reason.trim().is_empty() {
        anyhow::bail!("--reason: say why the certificate is revoked, for the record");
    }
    let db = open(settings).await?;
    let new = passage_gateway::revocations::revoke(&db, &serial, reason.trim())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    audit(&db, "passage admin revoke-certificate", &serial).await;
    Ok(if new {
        format!(
            "certificate {serial} revoked; its sync stream closes within a second and no new one is accepted\n"
        )
    } else {
        format!("certificate {serial} was revoked already\n")
    })
}

/// `passage admin token list`: every token, without secrets.
pub async fn list(settings: &GatewaySettings) -> anyhow::Result<String> {
    let tokens = TokenStore::new(open(settings).await?).list().await?;
    let now = Utc::now();
    let mut out = String::new();
    writeln!(
        out,
        "{:<17} {:<16} {:<14} {:<37} {:<17} {:<8} LABEL",
        "ID", "ROLE", "REGION", "MEMBER", "EXPIRES (UTC)", "STATE"
    )?;
    for token in tokens {
        let state = if token.revoked_at.is_some() {
            "revoked"
        } else if token.expires_at <= now {
            "expired"
        } else {
            "active"
        };
        writeln!(
            out,
            "{:<17} {:<16} {:<14} {:<37} {:<17} {:<8} {}",
            token.id,
            token.role,
            token.region.as_deref().unwrap_or("-"),
            token
                .member_id
                .as_deref()
                .or(token.organisation_id.as_deref())
                .unwrap_or("-"),
            token.expires_at.format("%Y-%m-%d %H:%M"),
            state,
            token.label
        )?;
    }
    Ok(out)
}
