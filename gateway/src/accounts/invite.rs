//! Inviting: a chapter admin invites a member or an organisation's contact of
//! their region, an operator (or the
//! gateway's host, `passage admin account invite`) anyone. The invitation is a
//! single-use code, valid for seven days. Inviting a login that exists again (a
//! forgotten passphrase) ends its sessions and earlier invitations at once; its
//! passphrase keeps working until the new invitation is accepted.

use chrono::{DateTime, Duration, Utc};
use passage_proto::v1;
use passage_server::access::{Caller, Role};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use uuid::Uuid;

use super::credential::{Credential, INVITATION_PREFIX};
use super::{AccountStore, check_language, home_of, normalise_login, role_of};
use crate::error::{Error, Result};
use crate::store::entity::{account, account_invitation, account_session};

/// How long an invitation can be accepted.
pub const INVITATION_DAYS: i64 = 7;

/// An invitation just made: the only time its code is seen.
#[derive(Debug, Clone)]
pub struct Invitation {
    pub account: account::Model,
    /// `psi_<id>_<secret>`, for the invitation link.
    pub code: String,
    pub expires_at: DateTime<Utc>,
}

/// Checks a login: 3 to 120 characters, letters, digits, '.', '-', '_', '@'.
pub fn check_login(login: &str) -> Result<String> {
    let login = normalise_login(login);
    let invalid = |reason: String| Error::InvalidField {
        field: "login",
        reason,
    };
    if login.is_empty() {
        return Err(invalid("required".into()));
    }
    if !(3..=120).contains(&login.chars().count()) {
        return Err(invalid("must be 3 to 120 characters long".into()));
    }
    if let Some(bad) = login
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '@')))
    {
        return Err(invalid(format!(
            "{bad:?} is not allowed; use letters, digits, '.', '-', '_' and '@'"
        )));
    }
    Ok(login)
}

impl AccountStore {
    /// Invites the person `request` describes, for `by` (none: the gateway's host).
    pub async fn invite(
        &self,
        by: Option<&Caller>,
        request: v1::InviteAccountRequest,
    ) -> Result<Invitation> {
        let invalid = |field: &'static str, reason: String| Error::InvalidField { field, reason };
        let login = check_login(&request.login)?;
        let Some(role) = role_of(request.kind) else {
            return Err(invalid(
                "kind",
                "name the account's kind: member, organisation, chapter admin, central analyst or operator"
                    .into(),
            ));
        };
        let language = check_language(&request.language)?;
        let region = Some(request.region.trim().to_owned()).filter(|r| !r.is_empty());
        let member_id = Some(request.member_id.trim())
            .filter(|id| !id.is_empty())
            .map(|id| {
                Uuid::try_parse(id)
                    .map_err(|_| invalid("member_id", format!("{id:?} is not a member id")))
            })
            .transpose()?;
        let organisation_id = Some(request.organisation_id.trim())
            .filter(|id| !id.is_empty())
            .map(|id| {
                Uuid::try_parse(id).map_err(|_| {
                    invalid(
                        "organisation_id",
                        format!("{id:?} is not an organisation id"),
                    )
                })
            })
            .transpose()?;
        match (organisation_id, role) {
            (None, Role::Organisation) => {
                return Err(invalid(
                    "organisation_id",
                    "an organisation account speaks for one organisation; name its id".into(),
                ));
            }
            (Some(_), role) if role != Role::Organisation => {
                return Err(invalid(
                    "organisation_id",
                    format!("a {role} account speaks for no organisation"),
                ));
            }
            _ => {}
        }
        match (&region, role.is_regional()) {
            (None, true) => {
                return Err(invalid(
                    "region",
                    format!("a {role} account belongs to one region; name it"),
                ));
            }
            (Some(_), false) => {
                return Err(invalid(
                    "region",
                    format!("a {role} account belongs to no region"),
                ));
            }
            (Some(region), true) if !self.regions.contains(region) => {
                return Err(invalid(
                    "region",
                    format!(
                        "{region:?} is not a region of this gateway; known: {}",
                        self.regions.join(", ")
                    ),
                ));
            }
            _ => {}
        }
        match (member_id, role) {
            (None, Role::Member) => {
                return Err(invalid(
                    "member_id",
                    "a member account speaks for one member; name their id".into(),
                ));
            }
            (Some(_), role) if role != Role::Member => {
                return Err(invalid(
                    "member_id",
                    format!("a {role} account speaks for no member"),
                ));
            }
            _ => {}
        }
        // Who may invite whom: the table let in chapter admins and operators.
        if let Some(by) = by {
            match by.role {
                Role::Operator => {}
                Role::ChapterAdmin
                    if matches!(role, Role::Member | Role::Organisation) && by.region == region => {
                }
                Role::ChapterAdmin if !matches!(role, Role::Member | Role::Organisation) => {
                    return Err(Error::PermissionDenied(format!(
                        "{} may invite members and organisations' contacts of their region only, not a {role}",
                        by.describe()
                    )));
                }
                _ => {
                    return Err(Error::PermissionDenied(format!(
                        "{} may not invite an account in region {}",
                        by.describe(),
                        region.as_deref().unwrap_or("-")
                    )));
                }
            }
        }
        if let (Some(member), Some(region)) = (member_id, &region) {
            match home_of(&self.db, member).await {
                Ok(Some(home)) if &home == region => {}
                Ok(Some(home)) => {
                    return Err(invalid(
                        "region",
                        format!("member {member} lives in region {home}, not {region}"),
                    ));
                }
                Ok(None) => {
                    return Err(Error::NotFound(format!(
                        "member {member} is not known in region {region} (a member registered a moment ago is known once their region has told the gateway)"
                    )));
                }
                Err(_) => return Err(Error::NotFound(format!("member {member} was erased"))),
            }
        }
        let now = Utc::now();
        let existing = self.find(&login).await?;
        if let Some(existing) = &existing
            && (existing.kind != role.as_str()
                || existing.member_id != member_id
                || existing.organisation_id != organisation_id
                || (matches!(role, Role::ChapterAdmin | Role::Organisation)
                    && existing.region != region))
        {
            return Err(Error::Refused(format!(
                "login: {login:?} is taken by another account; choose another login"
            )));
        }
        if let Some(member) = member_id
            && let Some(other) = account::Entity::find()
                .filter(account::Column::MemberId.eq(member))
                .filter(account::Column::Login.ne(login.clone()))
                .one(&self.db)
                .await?
        {
            return Err(Error::Refused(format!(
                "member {member} has an account already, {:?}: invite that login again",
                other.login
            )));
        }
        let code = Credential::new()?;
        let expires_at = now + Duration::days(INVITATION_DAYS);
        let txn = self.db.begin().await?;
        let account = match existing {
            Some(existing) => {
                // A forgotten passphrase: whoever holds a session of it is signed out.
                account_session::Entity::update_many()
                    .col_expr(account_session::Column::RevokedAt, Expr::value(now))
                    .filter(account_session::Column::AccountId.eq(existing.id.clone()))
                    .filter(account_session::Column::RevokedAt.is_null())
                    .exec(&txn)
                    .await?;
                account_invitation::Entity::update_many()
                    .col_expr(account_invitation::Column::UsedAt, Expr::value(now))
                    .filter(account_invitation::Column::AccountId.eq(existing.id.clone()))
                    .filter(account_invitation::Column::UsedAt.is_null())
                    .exec(&txn)
                    .await?;
                existing
            }
            None => {
                let created = account::Model {
                    id: Credential::new()?.id,
                    login: login.clone(),
                    kind: role.as_str().to_owned(),
                    region: region.clone(),
                    member_id,
                    organisation_id,
                    passphrase_hash: None,
                    language,
                    failed_attempts: 0,
                    locked_until: None,
                    created_at: now,
                    updated_at: now,
                };
                account::Entity::insert(account::ActiveModel::from(created.clone()))
                    .exec_without_returning(&txn)
                    .await?;
                created
            }
        };
        account_invitation::Entity::insert(account_invitation::ActiveModel {
            id: Set(code.id.clone()),
            account_id: Set(account.id.clone()),
            member_id: Set(member_id),
            code_hash: Set(code.hash()),
            created_at: Set(now),
            expires_at: Set(expires_at),
            used_at: Set(None),
        })
        .exec_without_returning(&txn)
        .await?;
        txn.commit().await?;
        tracing::info!(login = %account.login, kind = %account.kind, "account invited");
        Ok(Invitation {
            account,
            code: code.text(INVITATION_PREFIX),
            expires_at,
        })
    }
}
