//! Account administration: who may look after an account (an operator, or the
//! chapter admin of the account's region for its members, organisation contacts
//! and chapter admins), the list of a region's accounts, and revoking one — its
//! sessions and unused invitations end and its passphrase is forgotten, so it
//! signs in again only through a new invitation.

use chrono::Utc;
use passage_proto::v1;
use passage_server::access::{Caller, Role};
use sea_orm::sea_query::{Condition, Expr, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use uuid::Uuid;

use super::{AccountStore, region_of, role_of};
use crate::error::{Error, Result};
use crate::store::entity::{account, account_invitation, account_session, directory};

/// Most accounts one page lists.
const MOST_PER_PAGE: u64 = 200;
/// Accounts read at a time while a chapter admin's page fills.
const BATCH: u64 = 500;

/// The kinds of account a chapter admin looks after in their region.
const CHAPTER_KINDS: [&str; 3] = ["member", "organisation", "chapter_admin"];

impl AccountStore {
    /// Whether `by` (none: the gateway's host) may look after `account`: an
    /// operator any, a chapter admin those of their own region's members,
    /// organisation contacts and chapter admins.
    pub async fn administers(&self, by: Option<&Caller>, account: &account::Model) -> Result<()> {
        let Some(by) = by.filter(|by| by.role != Role::Operator) else {
            return Ok(());
        };
        let region = region_of(&self.db, account).await.ok().flatten();
        let theirs = by.role == Role::ChapterAdmin
            && region.is_some()
            && by.region == region
            && CHAPTER_KINDS.contains(&account.kind.as_str());
        if theirs {
            Ok(())
        } else {
            Err(Error::PermissionDenied(format!(
                "{} may not look after account {:?}: it is not an account of their region",
                by.describe(),
                account.login
            )))
        }
    }

    /// A page of the accounts `by` looks after, by login.
    pub async fn list(
        &self,
        by: &Caller,
        request: &v1::ListAccountsRequest,
    ) -> Result<v1::ListAccountsResponse> {
        let size = match request.page_size {
            n if n < 0 => {
                return Err(Error::InvalidField {
                    field: "page_size",
                    reason: "must not be negative".into(),
                });
            }
            0 => 50,
            n => u64::try_from(n).unwrap_or(MOST_PER_PAGE).min(MOST_PER_PAGE),
        };
        let kind = match request.kind {
            0 => None,
            kind => Some(role_of(kind).ok_or_else(|| Error::InvalidField {
                field: "kind",
                reason: format!("{kind} is not a kind of account"),
            })?),
        };
        let organisation = Some(request.organisation_id.trim())
            .filter(|id| !id.is_empty())
            .map(|id| {
                Uuid::parse_str(id).map_err(|_| Error::InvalidField {
                    field: "organisation_id",
                    reason: format!("{id:?} is not an organisation id (a UUID)"),
                })
            })
            .transpose()?;
        let region = if by.role == Role::Operator {
            Some(request.region.trim().to_owned()).filter(|r| !r.is_empty())
        } else {
            by.region.clone()
        };
        let mut after = request.page_token.clone();
        let mut accounts = Vec::new();
        let mut more = false;
        'pages: loop {
            let mut query = account::Entity::find()
                .filter(account::Column::Login.gt(after.clone()))
                .order_by_asc(account::Column::Login)
                .limit(BATCH);
            if let Some(kind) = kind {
                query = query.filter(account::Column::Kind.eq(kind.as_str()));
            }
            if let Some(organisation) = organisation {
                query = query.filter(account::Column::OrganisationId.eq(organisation));
            }
            if by.role != Role::Operator {
                query = query.filter(account::Column::Kind.is_in(CHAPTER_KINDS));
            }
            if let Some(region) = &region {
                query = query.filter(of_region(region));
            }
            let batch = query.all(&self.db).await?;
            let last = batch.len() < BATCH as usize;
            for found in batch {
                after = found.login.clone();
                if let Some(region) = &region
                    && region_of(&self.db, &found).await.ok().flatten().as_ref() != Some(region)
                {
                    continue;
                }
                if accounts.len() as u64 == size {
                    more = true;
                    break 'pages;
                }
                accounts.push(self.view(&found).await?);
            }
            if last {
                break;
            }
        }
        let next_page_token = if more {
            accounts
                .last()
                .map(|account| account.login.clone())
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok(v1::ListAccountsResponse {
            accounts,
            next_page_token,
        })
    }

    /// Revokes the account with `login`, for `by`: its sessions and unused
    /// invitations end and its passphrase is forgotten, in one transaction.
    pub async fn revoke(&self, by: Option<&Caller>, login: &str) -> Result<account::Model> {
        let login = super::invite::check_login(login)?;
        let found = self
            .find(&login)
            .await?
            .ok_or_else(|| Error::NotFound(format!("login: no account {login:?}")))?;
        self.administers(by, &found).await?;
        let now = Utc::now();
        let txn = self.db.begin().await?;
        account_session::Entity::update_many()
            .col_expr(account_session::Column::RevokedAt, Expr::value(now))
            .filter(account_session::Column::AccountId.eq(found.id.clone()))
            .filter(account_session::Column::RevokedAt.is_null())
            .exec(&txn)
            .await?;
        account_invitation::Entity::update_many()
            .col_expr(account_invitation::Column::UsedAt, Expr::value(now))
            .filter(account_invitation::Column::AccountId.eq(found.id.clone()))
            .filter(account_invitation::Column::UsedAt.is_null())
            .exec(&txn)
            .await?;
        account::Entity::update(account::ActiveModel {
            id: Set(found.id.clone()),
            passphrase_hash: Set(None),
            failed_attempts: Set(0),
            locked_until: Set(None),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec(&txn)
        .await?;
        txn.commit().await?;
        tracing::info!(login = %found.login, "account revoked");
        Ok(account::Model {
            passphrase_hash: None,
            failed_attempts: 0,
            locked_until: None,
            updated_at: now,
            ..found
        })
    }
}

/// The accounts that may be of `region`, for the database to pick before each is
/// checked exactly ([`region_of`]): a member's account whose member's home in
/// the directory is `region` (or, without a directory entry, whose own region
/// is), and any other account of `region`. A chapter admin's page then reads
/// her region's accounts, not the whole federation's.
fn of_region(region: &str) -> Condition {
    use sea_orm::sea_query::ExprTrait;
    let homes_here = Query::select()
        .column(directory::Column::MemberId)
        .from(directory::Entity)
        .and_where(Expr::col(directory::Column::HomeRegion).eq(region))
        .to_owned();
    let listed = Query::select()
        .column(directory::Column::MemberId)
        .from(directory::Entity)
        .to_owned();
    Condition::any()
        .add(account::Column::MemberId.in_subquery(homes_here))
        .add(
            Condition::all()
                .add(account::Column::Region.eq(region))
                .add(
                    Condition::any()
                        .add(account::Column::MemberId.is_null())
                        .add(account::Column::MemberId.not_in_subquery(listed)),
                ),
        )
}
