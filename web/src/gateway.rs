//! The web app's one way out: the gateway's gRPC API, called with the signed-in
//! person's session as its credential and the browser's address passed on. The web
//! app decides no permission itself; the gateway and the nodes answer.

use std::time::Duration;

use passage_proto::v1::{
    account_service_client::AccountServiceClient, audit_service_client::AuditServiceClient,
    buddy_service_client::BuddyServiceClient, case_service_client::CaseServiceClient,
    coaching_service_client::CoachingServiceClient, event_service_client::EventServiceClient,
    federation_admin_service_client::FederationAdminServiceClient,
    global_stats_service_client::GlobalStatsServiceClient,
    group_service_client::GroupServiceClient, helpdesk_service_client::HelpdeskServiceClient,
    market_service_client::MarketServiceClient, match_service_client::MatchServiceClient,
    member_service_client::MemberServiceClient, move_service_client::MoveServiceClient,
    personal_data_service_client::PersonalDataServiceClient,
    placement_service_client::PlacementServiceClient, review_service_client::ReviewServiceClient,
    rules_service_client::RulesServiceClient, spreadsheet_service_client::SpreadsheetServiceClient,
};
use tonic::metadata::MetadataValue;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};

use crate::settings::GatewayLink;
use crate::visit::Visit;

/// A lazily connecting channel to the gateway.
#[derive(Clone)]
pub struct Gateway {
    channel: Channel,
}

impl Gateway {
    /// Prepares the channel; the gateway need not be up yet. Errors name the setting.
    pub fn new(link: &GatewayLink) -> Result<Self, (String, String)> {
        passage_proto::choose_tls_crypto();
        let mut endpoint = Endpoint::from_shared(link.endpoint.clone())
            .map_err(|e| ("gateway.endpoint".to_owned(), e.to_string()))?
            .connect_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(15))
            .tcp_nodelay(true);
        if link.endpoint.starts_with("https://") {
            let read = |key: &str, path: &std::path::Path| {
                std::fs::read(path).map_err(|e| {
                    (
                        format!("gateway.{key}"),
                        format!("cannot read {}: {e}", path.display()),
                    )
                })
            };
            let ca = match &link.ca_file {
                Some(path) => read("ca_file", path)?,
                None => {
                    return Err((
                        "gateway.ca_file".into(),
                        "must name the federation CA".into(),
                    ));
                }
            };
            let mut tls = ClientTlsConfig::new()
                .ca_certificate(Certificate::from_pem(ca))
                .domain_name(passage_proto::GATEWAY_TLS_NAME);
            if let (Some(cert), Some(key)) = (&link.cert_file, &link.key_file) {
                tls = tls.identity(Identity::from_pem(
                    read("cert_file", cert)?,
                    read("key_file", key)?,
                ));
            }
            endpoint = endpoint
                .tls_config(tls)
                .map_err(|e| ("gateway.endpoint".to_owned(), e.to_string()))?;
        }
        Ok(Gateway {
            channel: endpoint.connect_lazy(),
        })
    }

    pub fn accounts(&self) -> AccountServiceClient<Channel> {
        AccountServiceClient::new(self.channel.clone())
    }

    pub fn members(&self) -> MemberServiceClient<Channel> {
        MemberServiceClient::new(self.channel.clone())
    }

    pub fn market(&self) -> MarketServiceClient<Channel> {
        MarketServiceClient::new(self.channel.clone())
    }

    pub fn review(&self) -> ReviewServiceClient<Channel> {
        ReviewServiceClient::new(self.channel.clone())
    }

    pub fn matches(&self) -> MatchServiceClient<Channel> {
        MatchServiceClient::new(self.channel.clone())
    }

    pub fn moves(&self) -> MoveServiceClient<Channel> {
        MoveServiceClient::new(self.channel.clone())
    }

    /// The federation's sync state: a chapter admin reads her region's line.
    pub fn federation(&self) -> FederationAdminServiceClient<Channel> {
        FederationAdminServiceClient::new(self.channel.clone())
    }

    /// A person's own data: the export is one message of up to 8 MiB.
    pub fn personal_data(&self) -> PersonalDataServiceClient<Channel> {
        PersonalDataServiceClient::new(self.channel.clone())
            .max_decoding_message_size(passage_proto::bounds::SYNC_MESSAGE_BYTES)
    }

    pub fn placements(&self) -> PlacementServiceClient<Channel> {
        PlacementServiceClient::new(self.channel.clone())
    }

    pub fn events(&self) -> EventServiceClient<Channel> {
        EventServiceClient::new(self.channel.clone())
    }

    pub fn groups(&self) -> GroupServiceClient<Channel> {
        GroupServiceClient::new(self.channel.clone())
    }

    pub fn helpdesk(&self) -> HelpdeskServiceClient<Channel> {
        HelpdeskServiceClient::new(self.channel.clone())
    }

    pub fn rules(&self) -> RulesServiceClient<Channel> {
        RulesServiceClient::new(self.channel.clone())
    }

    pub fn spreadsheets(&self) -> SpreadsheetServiceClient<Channel> {
        SpreadsheetServiceClient::new(self.channel.clone())
    }

    pub fn cases(&self) -> CaseServiceClient<Channel> {
        CaseServiceClient::new(self.channel.clone())
    }

    pub fn audit(&self) -> AuditServiceClient<Channel> {
        AuditServiceClient::new(self.channel.clone())
    }

    pub fn statistics(&self) -> GlobalStatsServiceClient<Channel> {
        GlobalStatsServiceClient::new(self.channel.clone())
    }

    pub fn buddies(&self) -> BuddyServiceClient<Channel> {
        BuddyServiceClient::new(self.channel.clone())
    }

    pub fn coaching(&self) -> CoachingServiceClient<Channel> {
        CoachingServiceClient::new(self.channel.clone())
    }

    pub fn notifications(
        &self,
    ) -> passage_proto::v1::notification_service_client::NotificationServiceClient<Channel> {
        passage_proto::v1::notification_service_client::NotificationServiceClient::new(
            self.channel.clone(),
        )
    }
}

/// A call's message with what the gateway needs around it: the visitor's session
/// (as its bearer credential), the region the call is for, and the browser's
/// address.
pub fn call<T>(visit: &Visit, region: Option<&str>, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    let metadata = request.metadata_mut();
    if let Some(session) = &visit.session
        && let Ok(value) = MetadataValue::try_from(format!("Bearer {session}"))
    {
        metadata.insert("authorization", value);
    }
    if let Some(region) = region
        && let Ok(value) = MetadataValue::try_from(region)
    {
        metadata.insert(passage_proto::REGION_METADATA_KEY, value);
    }
    if let Some(address) = &visit.client_address
        && let Ok(value) = MetadataValue::try_from(address.as_str())
    {
        metadata.insert(passage_proto::CLIENT_ADDRESS_METADATA_KEY, value);
    }
    request
}
