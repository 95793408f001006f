//! `AccountService` over gRPC. The policy table let the call in (signing in and
//! accepting an invitation are open: they are how one gets a credential); the
//! handlers check what the table cannot see (whose account, which region). The
//! client address that sign-in locks count against is the TCP peer's, or, from a
//! connection whose client certificate names the web app (`web.passage`), the
//! browser's address the web app passes in `x-passage-client-address`. An
//! invitation of a member is mailed to her by her home node when she gave it an
//! address (`crate::notices`).

use passage_proto::v1::{self, account_service_server::AccountService};
use passage_proto::{CLIENT_ADDRESS_METADATA_KEY, WEB_TLS_NAME};
use passage_server::access::{Caller, with_subject};
use tonic::{Request, Response, Status};

use super::AccountStore;
use super::invite::Invitation;
use super::sign_in::response;
use crate::route::RegionRouter;

/// The gRPC face of the [`AccountStore`].
#[derive(Clone)]
pub struct Accounts {
    store: AccountStore,
    /// To a member's home node, which mails her an invitation's link.
    router: RegionRouter,
}

impl Accounts {
    pub fn new(store: AccountStore, router: RegionRouter) -> Self {
        Accounts { store, router }
    }

    /// Has an invited member's home node mail her the invitation's link, when
    /// she gave it an address: whether it did. The invitation stands without
    /// the mail (the console shows the link); a home that does not answer is
    /// logged, never the code.
    async fn mail_invitation(&self, invitation: &Invitation) -> bool {
        let account = &invitation.account;
        let (Some(member), Some(home)) = (
            account.member_id,
            account
                .region
                .as_deref()
                .and_then(|r| self.router.region(r)),
        ) else {
            return false;
        };
        match crate::notices::send_invitation(home, member, &invitation.code).await {
            Ok(mailed) => mailed,
            Err(error) => {
                tracing::warn!(%member, region = %home.slug, %error, "invitation not mailed");
                false
            }
        }
    }
}

/// Whether the call's connection showed the web app's client certificate.
fn from_the_web_app<T>(request: &Request<T>) -> bool {
    request.peer_certs().is_some_and(|certificates| {
        certificates.first().is_some_and(|leaf| {
            passage_server::peer::certificate_names(leaf.as_ref())
                .is_some_and(|names| names.iter().any(|name| name == WEB_TLS_NAME))
        })
    })
}

/// The address sign-in locks count against (see the module's header).
pub fn client_address<T>(request: &Request<T>) -> String {
    if from_the_web_app(request)
        && let Some(passed) = request
            .metadata()
            .get(CLIENT_ADDRESS_METADATA_KEY)
            .and_then(|value| value.to_str().ok())
            .map(str::trim)
            .filter(|value| !value.is_empty())
    {
        return match passed.parse::<std::net::IpAddr>() {
            Ok(ip) => ip.to_string(),
            Err(_) => passed.chars().take(64).collect(),
        };
    }
    request
        .remote_addr()
        .map_or_else(|| "unknown".to_owned(), |peer| peer.ip().to_string())
}

#[tonic::async_trait]
impl AccountService for Accounts {
    async fn invite_account(
        &self,
        request: Request<v1::InviteAccountRequest>,
    ) -> Result<Response<v1::InviteAccountResponse>, Status> {
        let caller = Caller::of(&request)?.clone();
        let invitation = self
            .store
            .invite(Some(&caller), request.into_inner())
            .await?;
        let login = invitation.account.login.clone();
        let invitation_mailed = self.mail_invitation(&invitation).await;
        Ok(with_subject(
            Response::new(v1::InviteAccountResponse {
                account: Some(self.store.view(&invitation.account).await?),
                invitation_code: invitation.code,
                expire_time: Some(super::timestamp(invitation.expires_at)),
                invitation_mailed,
            }),
            format!("account {login}"),
        ))
    }

    async fn accept_invitation(
        &self,
        request: Request<v1::AcceptInvitationRequest>,
    ) -> Result<Response<v1::SignInResponse>, Status> {
        let request = request.into_inner();
        let (session, account) = self
            .store
            .accept(&request.invitation_code, &request.passphrase)
            .await?;
        Ok(Response::new(
            response(&self.store, session, &account).await?,
        ))
    }

    async fn sign_in(
        &self,
        request: Request<v1::SignInRequest>,
    ) -> Result<Response<v1::SignInResponse>, Status> {
        let address = client_address(&request);
        let request = request.into_inner();
        let (session, account) = self
            .store
            .sign_in(&request.login, &request.passphrase, &address)
            .await?;
        Ok(Response::new(
            response(&self.store, session, &account).await?,
        ))
    }

    async fn sign_out(
        &self,
        request: Request<v1::SignOutRequest>,
    ) -> Result<Response<v1::SignOutResponse>, Status> {
        self.store.sign_out(Caller::of(&request)?).await?;
        Ok(Response::new(v1::SignOutResponse {}))
    }

    async fn get_my_account(
        &self,
        request: Request<v1::GetMyAccountRequest>,
    ) -> Result<Response<v1::Account>, Status> {
        let caller = Caller::of(&request)?;
        let account = self.store.account_of(caller).await?;
        let region = caller.region.clone().unwrap_or_default();
        Ok(Response::new(self.store.view_in(&account, region)))
    }

    async fn set_my_language(
        &self,
        request: Request<v1::SetMyLanguageRequest>,
    ) -> Result<Response<v1::Account>, Status> {
        let caller = Caller::of(&request)?.clone();
        let account = self
            .store
            .set_language(&caller, &request.into_inner().language)
            .await?;
        Ok(Response::new(self.store.view(&account).await?))
    }

    async fn unlock_account(
        &self,
        request: Request<v1::UnlockAccountRequest>,
    ) -> Result<Response<v1::Account>, Status> {
        let caller = Caller::of(&request)?.clone();
        let login = request.into_inner().login;
        let account = self.store.unlock(Some(&caller), &login).await?;
        Ok(with_subject(
            Response::new(self.store.view(&account).await?),
            format!("account {}", account.login),
        ))
    }

    async fn list_accounts(
        &self,
        request: Request<v1::ListAccountsRequest>,
    ) -> Result<Response<v1::ListAccountsResponse>, Status> {
        let caller = Caller::of(&request)?.clone();
        let listed = self.store.list(&caller, request.get_ref()).await?;
        Ok(Response::new(listed))
    }

    async fn revoke_account(
        &self,
        request: Request<v1::RevokeAccountRequest>,
    ) -> Result<Response<v1::Account>, Status> {
        let caller = Caller::of(&request)?.clone();
        let login = request.into_inner().login;
        let account = self.store.revoke(Some(&caller), &login).await?;
        Ok(with_subject(
            Response::new(self.store.view(&account).await?),
            format!("account {}", account.login),
        ))
    }
}
