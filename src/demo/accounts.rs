//! The demo's people who sign in: for every region a member (one of its seeded
//! newcomers), an organisation's contact (one of its seeded employers) and a
//! chapter admin, one central analyst and one operator, each
//! invited by the demo's operator and accepted with a random passphrase through
//! the gateway's `AccountService`, as a person would. They are written to
//! `data/accounts.txt` (mode 0600), one a line, separated by single spaces: caller
//! kind, region (`-` for none), login, passphrase. A second run keeps the accounts
//! whose passphrase still signs in, so the file stays the same.

use std::path::{Path, PathBuf};

use anyhow::Context;
use passage_proto::v1::{
    self, account_service_client::AccountServiceClient, market_service_client::MarketServiceClient,
    member_service_client::MemberServiceClient,
};
use tonic::transport::Channel;

use crate::credentials::as_operator;

/// The accounts file in the demo's data folder.
pub fn accounts_file(data_dir: &Path) -> PathBuf {
    data_dir.join("accounts.txt")
}

/// One line of the accounts file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoAccount {
    /// The caller kind: `member`, `organisation`, `chapter_admin`,
    /// `central_analyst`, `operator`.
    pub kind: String,
    /// `-` for none.
    pub region: String,
    pub login: String,
    pub passphrase: String,
}

impl DemoAccount {
    fn line(&self) -> String {
        format!(
            "{} {} {} {}",
            self.kind, self.region, self.login, self.passphrase
        )
    }
}

/// Reads an accounts file (lines that do not read are left out).
pub fn read(path: &Path) -> Vec<DemoAccount> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| {
            let mut fields = line.split(' ');
            let account = DemoAccount {
                kind: fields.next()?.to_owned(),
                region: fields.next()?.to_owned(),
                login: fields.next()?.to_owned(),
                passphrase: fields.next()?.to_owned(),
            };
            fields.next().is_none().then_some(account)
        })
        .collect()
}

/// A random passphrase: 24 hexadecimal characters in four groups (96 bits).
fn passphrase() -> anyhow::Result<String> {
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let hex: Vec<String> = bytes
        .chunks(3)
        .map(|chunk| chunk.iter().map(|b| format!("{b:02x}")).collect())
        .collect();
    Ok(hex.join("-"))
}

/// One of `region`'s newcomers: the demo's member who signs in.
async fn a_newcomer(channel: &Channel, region: &str) -> anyhow::Result<String> {
    let page = MemberServiceClient::new(channel.clone())
        .list_members(super::in_region(
            region,
            v1::ListMembersRequest {
                page_size: 100,
                ..Default::default()
            },
        )?)
        .await?
        .into_inner();
    page.members
        .into_iter()
        .find(|member| {
            member.regional.as_ref().map(|r| r.role) == Some(v1::MemberRole::Newcomer as i32)
        })
        .map(|member| member.id)
        .with_context(|| format!("region {region} has no newcomer to give an account"))
}

/// One of `region`'s employers: the demo's organisation whose contact signs in.
async fn an_employer(channel: &Channel, region: &str) -> anyhow::Result<String> {
    let page = MarketServiceClient::new(channel.clone())
        .list_organisations(super::in_region(
            region,
            v1::ListOrganisationsRequest {
                page_size: 100,
                kind: v1::OrganisationKind::Employer as i32,
                ..Default::default()
            },
        )?)
        .await?
        .into_inner();
    page.organisations
        .into_iter()
        .next()
        .map(|organisation| organisation.id)
        .with_context(|| format!("region {region} has no employer to give an account"))
}

/// Whether `account` signs in with its passphrase (the session is ended again).
async fn signs_in(accounts: &mut AccountServiceClient<Channel>, account: &DemoAccount) -> bool {
    let Ok(signed_in) = accounts
        .sign_in(v1::SignInRequest {
            login: account.login.clone(),
            passphrase: account.passphrase.clone(),
        })
        .await
    else {
        return false;
    };
    if let Ok(request) = crate::credentials::bearer(
        tonic::Request::new(v1::SignOutRequest {}),
        &signed_in.into_inner().session,
    ) {
        let _ = accounts.sign_out(request).await;
    }
    true
}

/// Who an account speaks for: a member, an organisation, or nobody in particular.
#[derive(Debug, Clone, Default)]
struct Bound {
    member_id: String,
    organisation_id: String,
}

/// Invites `wanted` as the demo's operator and accepts with its passphrase; the
/// directory knows a member a moment after their region registered them.
async fn make(
    accounts: &mut AccountServiceClient<Channel>,
    wanted: &DemoAccount,
    kind: v1::AccountKind,
    bound: &Bound,
) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    let invitation = loop {
        let request = v1::InviteAccountRequest {
            login: wanted.login.clone(),
            kind: kind as i32,
            region: if wanted.region == "-" {
                String::new()
            } else {
                wanted.region.clone()
            },
            member_id: bound.member_id.clone(),
            organisation_id: bound.organisation_id.clone(),
            language: String::new(),
        };
        match accounts.invite_account(as_operator(request)?).await {
            Ok(invitation) => break invitation.into_inner(),
            Err(status)
                if status.code() == tonic::Code::NotFound
                    && tokio::time::Instant::now() < deadline =>
            {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Err(status) => {
                anyhow::bail!("inviting the demo's {}: {}", wanted.login, status.message())
            }
        }
    };
    accounts
        .accept_invitation(v1::AcceptInvitationRequest {
            invitation_code: invitation.invitation_code,
            passphrase: wanted.passphrase.clone(),
        })
        .await
        .with_context(|| format!("accepting the demo's invitation for {}", wanted.login))?;
    Ok(())
}

/// Makes the demo's accounts (keeping those that still sign in) and writes the
/// accounts file; returns its path.
pub async fn ensure(
    channel: Channel,
    data_dir: &Path,
    regions: &[&str],
) -> anyhow::Result<PathBuf> {
    let path = accounts_file(data_dir);
    let kept = read(&path);
    let mut accounts = AccountServiceClient::new(channel.clone());
    let mut wanted: Vec<(String, String, String, v1::AccountKind)> = Vec::new();
    for region in regions {
        wanted.push((
            "member".into(),
            (*region).into(),
            format!("{region}.member"),
            v1::AccountKind::Member,
        ));
        wanted.push((
            "organisation".into(),
            (*region).into(),
            format!("{region}.organisation"),
            v1::AccountKind::Organisation,
        ));
        wanted.push((
            "chapter_admin".into(),
            (*region).into(),
            format!("{region}.admin"),
            v1::AccountKind::ChapterAdmin,
        ));
    }
    wanted.push((
        "central_analyst".into(),
        "-".into(),
        "analyst".into(),
        v1::AccountKind::CentralAnalyst,
    ));
    wanted.push((
        "operator".into(),
        "-".into(),
        "operator".into(),
        v1::AccountKind::Operator,
    ));
    let mut lines = Vec::new();
    for (kind_name, region, login, kind) in wanted {
        if let Some(old) = kept
            .iter()
            .find(|old| old.login == login && old.kind == kind_name && old.region == region)
            && signs_in(&mut accounts, old).await
        {
            lines.push(old.line());
            continue;
        }
        let account = DemoAccount {
            kind: kind_name,
            region,
            login,
            passphrase: passphrase()?,
        };
        let bound = match kind {
            v1::AccountKind::Member => Bound {
                member_id: a_newcomer(&channel, &account.region).await?,
                ..Bound::default()
            },
            v1::AccountKind::Organisation => Bound {
                organisation_id: an_employer(&channel, &account.region).await?,
                ..Bound::default()
            },
            _ => Bound::default(),
        };
        make(&mut accounts, &account, kind, &bound).await?;
        lines.push(account.line());
    }
    crate::certs::write_private(&path, &(lines.join("\n") + "\n"))?;
    Ok(path)
}
