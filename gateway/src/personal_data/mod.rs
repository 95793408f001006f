//! A person's own data across the federation, served by the gateway
//! (`PersonalDataService`): the export of everything Passage holds about a member
//! ([`export`]) and their own erasure with its public receipt ([`receipt`]).
//! The gateway asks each region's node as the member — sealed as their own call
//! would be — so every node judges the call itself.

pub mod export;
pub mod receipt;

use passage_proto::v1::{self, personal_data_service_server::PersonalDataService};
use passage_server::access::{Caller, Role};
use tonic::{Request, Response, Status};

use crate::accounts::AccountStore;
use crate::accounts::service::client_address;
use crate::error::Error;
use crate::route::RegionRouter;
use crate::sync::SyncHub;

/// Serves `PersonalDataService`.
#[derive(Clone)]
pub struct PersonalData {
    accounts: AccountStore,
    router: RegionRouter,
    hub: SyncHub,
}

impl PersonalData {
    pub fn new(accounts: AccountStore, router: RegionRouter, hub: SyncHub) -> Self {
        PersonalData {
            accounts,
            router,
            hub,
        }
    }
}

/// The member a signed-in caller is; other kinds of account have no member data.
fn member_of(caller: &Caller) -> Result<uuid::Uuid, Error> {
    if caller.role != Role::Member {
        return Err(Error::PermissionDenied(format!(
            "{} holds no member's data: this is a member's own page",
            caller.describe()
        )));
    }
    caller
        .member_id
        .as_deref()
        .and_then(|id| uuid::Uuid::try_parse(id).ok())
        .ok_or_else(|| Error::PermissionDenied("the session names no member".into()))
}

#[tonic::async_trait]
impl PersonalDataService for PersonalData {
    async fn export_my_data(
        &self,
        request: Request<v1::ExportMyDataRequest>,
    ) -> Result<Response<v1::ExportMyDataResponse>, Status> {
        let caller = Caller::of(&request)?.clone();
        let member = member_of(&caller)?;
        let account = self.accounts.account_of(&caller).await?;
        let (document, unavailable_regions) =
            export::everything(&self.router, self.hub.db(), &caller, member, &account).await?;
        let json = serde_json::to_string_pretty(&document)
            .map_err(|e| Error::Internal(format!("writing the export as JSON: {e}")))?;
        Ok(Response::new(v1::ExportMyDataResponse {
            json,
            unavailable_regions,
        }))
    }

    async fn erase_me(
        &self,
        request: Request<v1::EraseMeRequest>,
    ) -> Result<Response<v1::EraseMeResponse>, Status> {
        let caller = Caller::of(&request)?.clone();
        let member = member_of(&caller)?;
        let address = client_address(&request);
        let account = self.accounts.account_of(&caller).await?;
        self.accounts
            .confirm_passphrase(&account, &request.get_ref().passphrase, &address)
            .await?;
        let receipt_code =
            receipt::erase(&self.router, self.hub.db(), &caller, member, &account.login).await?;
        Ok(Response::new(v1::EraseMeResponse { receipt_code }))
    }

    async fn get_erasure_receipt(
        &self,
        request: Request<v1::GetErasureReceiptRequest>,
    ) -> Result<Response<v1::ErasureReceipt>, Status> {
        let receipt =
            receipt::progress(&self.router, &self.hub, &request.get_ref().receipt_code).await?;
        Ok(Response::new(receipt))
    }
}
