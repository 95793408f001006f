//! Routing of client calls to the region they name. The gateway forwards the HTTP/2
//! request as it came, without decoding or re-encoding the message, to the node of
//! the region named by the `x-passage-region` metadata key.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use passage_proto::REGION_METADATA_KEY;
use tonic::body::Body;
use tonic::server::NamedService;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};
use tower::{Service, ServiceExt};

use crate::error::{Error, Result};
use crate::settings::{RegionEntry, TlsFiles};

/// One region the gateway can route to.
#[derive(Clone)]
pub struct RegionRoute {
    pub slug: String,
    pub name: String,
    pub endpoint: String,
    channel: Channel,
    /// Seals the caller of each call passed on to the region's node.
    seal: passage_server::access::CallerSeal,
}

impl RegionRoute {
    /// The lazily connecting channel to the region's node, for the gateway's own
    /// calls to it (statistics).
    pub fn channel(&self) -> Channel {
        self.channel.clone()
    }

    /// Seals the gateway itself as the caller of its own call of `path` to the
    /// region's node (statistics).
    pub fn seal_own_call<T: prost::Message>(&self, request: &mut tonic::Request<T>, path: &str) {
        let gateway = passage_server::access::Caller {
            role: passage_server::access::Role::Gateway,
            region: Some(self.slug.clone()),
            member_id: None,
            organisation_id: None,
            token_id: "gateway".into(),
        };
        self.seal_call_as(&gateway, request, path);
    }

    /// Seals `caller` as the caller of the gateway's call of `path` to the region's
    /// node, made on their behalf (a member's export of their data, their
    /// erasure): the node judges it as it would judge the caller's own call.
    pub fn seal_call_as<T: prost::Message>(
        &self,
        caller: &passage_server::access::Caller,
        request: &mut tonic::Request<T>,
        path: &str,
    ) {
        let body = passage_server::access::body_digest(&passage_server::access::unary_body(
            request.get_ref(),
        ));
        let mut headers = std::mem::take(request.metadata_mut()).into_headers();
        self.seal.seal(
            caller,
            path,
            passage_server::access::now_ms(),
            &body,
            &mut headers,
        );
        *request.metadata_mut() = tonic::metadata::MetadataMap::from_headers(headers);
    }
}

/// The gateway's side of the mutual TLS to nodes: the federation CA that signed
/// every region's certificate, and the gateway's own certificate to show.
struct GatewayTls {
    ca: Certificate,
    identity: Identity,
}

impl GatewayTls {
    fn read(files: &TlsFiles) -> Result<Self> {
        let pem = files.read()?;
        Ok(GatewayTls {
            ca: Certificate::from_pem(pem.ca),
            identity: Identity::from_pem(pem.cert, pem.key),
        })
    }

    /// The client side of a call to `region`'s node, which must show the region's
    /// own certificate (`<region>.region.passage`) whatever address it is reached at.
    fn to_node(&self, region: &str) -> ClientTlsConfig {
        ClientTlsConfig::new()
            .ca_certificate(self.ca.clone())
            .identity(self.identity.clone())
            .domain_name(passage_proto::region_tls_name(region))
    }
}

/// The regions the gateway routes to, by slug.
#[derive(Clone)]
pub struct RegionRouter {
    regions: Arc<BTreeMap<String, RegionRoute>>,
}

impl RegionRouter {
    /// Prepares a lazily connecting channel to every region; a region that is down
    /// does not stop the gateway from starting.
    /// With `tls`, every node is called over mutual TLS: the gateway shows its own
    /// certificate and expects the node's region certificate.
    pub fn new(
        entries: &[RegionEntry],
        connect_timeout: Duration,
        caller_key: &[u8],
        tls: Option<&TlsFiles>,
    ) -> Result<Self> {
        let gateway_tls = tls.map(GatewayTls::read).transpose()?;
        let mut regions = BTreeMap::new();
        for (index, entry) in entries.iter().enumerate() {
            let field = format!("regions[{index}].endpoint");
            let mut endpoint = Endpoint::from_shared(entry.endpoint.clone())
                .map_err(|e| Error::Settings {
                    field: field.clone(),
                    reason: e.to_string(),
                })?
                .connect_timeout(connect_timeout)
                .tcp_nodelay(true);
            if let Some(gateway_tls) = &gateway_tls {
                endpoint = endpoint
                    .tls_config(gateway_tls.to_node(&entry.slug))
                    .map_err(|e| Error::Settings {
                        field,
                        reason: format!("mutual TLS to the node: {e}"),
                    })?;
            }
            let channel = endpoint.connect_lazy();
            regions.insert(
                entry.slug.clone(),
                RegionRoute {
                    slug: entry.slug.clone(),
                    name: entry.name.clone(),
                    endpoint: entry.endpoint.clone(),
                    channel,
                    seal: passage_server::access::CallerSeal::new(
                        passage_server::access::region_key(caller_key, &entry.slug),
                    ),
                },
            );
        }
        Ok(RegionRouter {
            regions: Arc::new(regions),
        })
    }

    /// Opens the channel to every region now rather than at the first call that
    /// needs it: a health check each, all at once. So the first call that asks
    /// every region (the central statistics) does not wait for fifty
    /// handshakes. Done when every region has answered, failed or taken longer
    /// than `within`; a region that is down is connected to when it is next
    /// called.
    pub async fn connect_all(&self, within: Duration) {
        let mut checks = tokio::task::JoinSet::new();
        for route in self.regions() {
            let (slug, channel) = (route.slug.clone(), route.channel.clone());
            checks.spawn(async move {
                let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
                let check = tonic_health::pb::HealthCheckRequest::default();
                match tokio::time::timeout(within, health.check(check)).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(status)) => {
                        tracing::debug!(region = %slug, %status, "the region is not reachable yet")
                    }
                    Err(_) => tracing::debug!(region = %slug, "the region did not answer in time"),
                }
            });
        }
        while checks.join_next().await.is_some() {}
    }

    /// Every region's seal, by slug, for the access layer.
    pub fn seals(&self) -> BTreeMap<String, passage_server::access::CallerSeal> {
        self.regions
            .iter()
            .map(|(slug, route)| (slug.clone(), route.seal.clone()))
            .collect()
    }

    /// Every region, in slug order.
    pub fn regions(&self) -> impl Iterator<Item = &RegionRoute> {
        self.regions.values()
    }

    /// The region with this slug, if the gateway routes to it.
    pub fn region(&self, slug: &str) -> Option<&RegionRoute> {
        self.regions.get(slug)
    }

    /// The region a call's metadata names.
    pub fn region_for(&self, headers: &http::HeaderMap) -> Result<&RegionRoute> {
        let value = headers
            .get(REGION_METADATA_KEY)
            .ok_or(Error::MissingRegion {
                key: REGION_METADATA_KEY,
            })?;
        let slug = value.to_str().unwrap_or_default().trim();
        if slug.is_empty() {
            return Err(Error::MissingRegion {
                key: REGION_METADATA_KEY,
            });
        }
        self.regions.get(slug).ok_or_else(|| Error::UnknownRegion {
            key: REGION_METADATA_KEY,
            region: slug.chars().take(64).collect(),
            known: self.regions.keys().cloned().collect::<Vec<_>>().join(", "),
        })
    }

    /// Sends the call to its region's node and returns the node's answer as it is.
    async fn forward(self, request: http::Request<Body>) -> http::Response<Body> {
        let region = match self.region_for(request.headers()) {
            Ok(region) => region.clone(),
            Err(error) => return tonic::Status::from(error).into_http(),
        };
        let path = request.uri().path().to_owned();
        let mut channel = region.channel.clone();
        let answer = match channel.ready().await {
            Ok(ready) => ready.call(request).await,
            Err(error) => Err(error),
        };
        match answer {
            Ok(response) => response.map(Body::new),
            Err(error) => {
                tracing::warn!(region = %region.slug, %path, %error, "region unavailable");
                tonic::Status::from(Error::RegionUnavailable {
                    region: region.slug.clone(),
                    reason: error.to_string(),
                })
                .into_http()
            }
        }
    }
}

/// A service of `passage.v1` that the gateway forwards to regions.
pub trait ForwardedService: Send + Sync + 'static {
    const NAME: &'static str;
}

/// `passage.v1.MemberService`.
pub struct Members;
impl ForwardedService for Members {
    const NAME: &'static str = passage_proto::v1::member_service_server::SERVICE_NAME;
}

/// `passage.v1.MarketService`.
pub struct Market;
impl ForwardedService for Market {
    const NAME: &'static str = passage_proto::v1::market_service_server::SERVICE_NAME;
}

/// `passage.v1.ReviewService`.
pub struct Reviews;
impl ForwardedService for Reviews {
    const NAME: &'static str = passage_proto::v1::review_service_server::SERVICE_NAME;
}

/// `passage.v1.BuddyService`.
pub struct Buddies;
impl ForwardedService for Buddies {
    const NAME: &'static str = passage_proto::v1::buddy_service_server::SERVICE_NAME;
}

/// `passage.v1.RulesService`.
pub struct Rules;
impl ForwardedService for Rules {
    const NAME: &'static str = passage_proto::v1::rules_service_server::SERVICE_NAME;
}

/// `passage.v1.MatchService`.
pub struct Matches;
impl ForwardedService for Matches {
    const NAME: &'static str = passage_proto::v1::match_service_server::SERVICE_NAME;
}

/// `passage.v1.GroupService`.
pub struct Groups;
impl ForwardedService for Groups {
    const NAME: &'static str = passage_proto::v1::group_service_server::SERVICE_NAME;
}

/// `passage.v1.EventService`.
pub struct Events;
impl ForwardedService for Events {
    const NAME: &'static str = passage_proto::v1::event_service_server::SERVICE_NAME;
}

/// `passage.v1.CoachingService`.
pub struct Coaching;
impl ForwardedService for Coaching {
    const NAME: &'static str = passage_proto::v1::coaching_service_server::SERVICE_NAME;
}

/// `passage.v1.ExpertPoolService`.
pub struct ExpertPool;
impl ForwardedService for ExpertPool {
    const NAME: &'static str = passage_proto::v1::expert_pool_service_server::SERVICE_NAME;
}

/// `passage.v1.SpreadsheetService`: a region's CSV imports and reports.
pub struct Spreadsheets;
impl ForwardedService for Spreadsheets {
    const NAME: &'static str = passage_proto::v1::spreadsheet_service_server::SERVICE_NAME;
}

/// `passage.v1.AuditService`: a region's audit log, for its chapter admin.
pub struct Audit;
impl ForwardedService for Audit {
    const NAME: &'static str = passage_proto::v1::audit_service_server::SERVICE_NAME;
}

/// `passage.v1.CaseService`.
pub struct Cases;
impl ForwardedService for Cases {
    const NAME: &'static str = passage_proto::v1::case_service_server::SERVICE_NAME;
}

/// `passage.v1.PlacementService`.
pub struct Placements;
impl ForwardedService for Placements {
    const NAME: &'static str = passage_proto::v1::placement_service_server::SERVICE_NAME;
}

/// `passage.v1.NotificationService`: a member's notifications, on her home node.
pub struct Notifications;
impl ForwardedService for Notifications {
    const NAME: &'static str = passage_proto::v1::notification_service_server::SERVICE_NAME;
}

/// `passage.v1.HelpdeskService`.
pub struct Helpdesk;
impl ForwardedService for Helpdesk {
    const NAME: &'static str = passage_proto::v1::helpdesk_service_server::SERVICE_NAME;
}

/// Forwards every call of service `S` through the [`RegionRouter`].
pub struct Forward<S> {
    router: RegionRouter,
    service: PhantomData<fn() -> S>,
}

impl<S> Forward<S> {
    pub fn new(router: RegionRouter) -> Self {
        Forward {
            router,
            service: PhantomData,
        }
    }
}

impl<S> Clone for Forward<S> {
    fn clone(&self) -> Self {
        Forward::new(self.router.clone())
    }
}

impl<S: ForwardedService> NamedService for Forward<S> {
    const NAME: &'static str = S::NAME;
}

impl<S> Service<http::Request<Body>> for Forward<S> {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let router = self.router.clone();
        Box::pin(async move { Ok(router.forward(request).await) })
    }
}
