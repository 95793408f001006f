//! A whole federation in one process: the gateway and a node per region, each on
//! its own socket and database. `passage demo` and the end-to-end tests start it;
//! every listener is bound before any server starts, and start-up waits until every
//! server's health check says SERVING.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, bail};
use passage_gateway::GatewaySettings;
use passage_node::NodeSettings;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};

use crate::certs::{CertDir, CertFiles};
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

/// Connections in each server's database pool, in the demo and the benches.
pub const POOL_PER_SERVER: u32 = 8;

/// One region to start.
#[derive(Debug, Clone)]
pub struct RegionPlan {
    pub slug: String,
    pub name: String,
    pub country: String,
    pub database_url: String,
    /// `127.0.0.1:0` for any free port.
    pub listen: SocketAddr,
    /// The region's labour-market rules file; none: no rule denies anything.
    pub rules_file: Option<std::path::PathBuf>,
    /// Where the node serves Prometheus metrics (`127.0.0.1:0` for any port).
    pub metrics_listen: Option<SocketAddr>,
    /// How the node sends mail (`[mail]`): without an SMTP server, `.eml` files
    /// beside its database.
    pub mail: passage_node::settings::MailSettings,
}

/// What to start.
#[derive(Debug, Clone)]
pub struct FederationPlan {
    pub gateway_listen: SocketAddr,
    pub gateway_database_url: String,
    /// Where the gateway serves Prometheus metrics (`127.0.0.1:0` for any port).
    pub gateway_metrics_listen: Option<SocketAddr>,
    pub regions: Vec<RegionPlan>,
    /// Certificates for mTLS between nodes and the gateway (and TLS for clients of
    /// the gateway); `None` runs plaintext with an insecure sync hub.
    pub tls: Option<CertDir>,
    /// Where the caller keys are (`caller.key` and `<region>.caller.key`); made
    /// there when missing.
    pub keys: CertDir,
    /// Whether the gateway is given this process's demo tokens
    /// ([`crate::credentials::demo`]): for the demo, the benchmarks and the tests.
    pub demo_credentials: bool,
    /// The gateway's `[accounts]` settings (tests lock accounts for seconds).
    pub accounts: passage_gateway::settings::AccountSettings,
}

/// A running server: where it listens and how to stop it.
struct Running {
    address: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<anyhow::Result<()>>,
}

impl Running {
    async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.await.context("server task panicked")?
    }
}

/// A started federation.
pub struct Federation {
    gateway: Running,
    metrics_address: Option<SocketAddr>,
    nodes: BTreeMap<String, Running>,
    /// Every region's settings, to restart a stopped one as it was.
    node_settings: BTreeMap<String, NodeSettings>,
    tls: Option<CertDir>,
}

fn spawn_node(
    settings: NodeSettings,
    listener: TcpListener,
    metrics: Option<TcpListener>,
) -> Running {
    let address = settings.server.listen;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        passage_node::run_with_metrics(settings, listener, metrics, async {
            let _ = stopped.await;
        })
        .await
        .map_err(anyhow::Error::from)
    });
    Running {
        address,
        stop: Some(stop),
        task,
    }
}

impl Federation {
    /// Binds every listener, starts every server and waits until all are SERVING.
    pub async fn start(plan: FederationPlan) -> anyhow::Result<Self> {
        passage_proto::choose_tls_crypto();
        let mut node_listeners = Vec::new();
        for region in &plan.regions {
            let listener = TcpListener::bind(region.listen)
                .await
                .with_context(|| format!("binding {} for region {}", region.listen, region.slug))?;
            node_listeners.push((region.clone(), listener));
        }
        let gateway_listener = TcpListener::bind(plan.gateway_listen)
            .await
            .with_context(|| format!("binding {} for the gateway", plan.gateway_listen))?;

        let metrics_listener = match plan.gateway_metrics_listen {
            Some(address) => Some(
                TcpListener::bind(address)
                    .await
                    .with_context(|| format!("binding {address} for the gateway's metrics"))?,
            ),
            None => None,
        };
        let metrics_address = match &metrics_listener {
            Some(listener) => Some(listener.local_addr()?),
            None => None,
        };
        let gateway_address = gateway_listener.local_addr()?;
        crate::certs::ensure_caller_key(&plan.keys)?;
        for region in &plan.regions {
            if !plan.keys.region_caller_key(&region.slug).exists() {
                crate::certs::issue_region_caller_key(&plan.keys, &region.slug)?;
            }
        }
        if plan.demo_credentials {
            let slugs: Vec<String> = plan.regions.iter().map(|r| r.slug.clone()).collect();
            give_demo_tokens(&plan.gateway_database_url, &slugs).await?;
        }
        let scheme = if plan.tls.is_some() { "https" } else { "http" };
        let mut nodes = BTreeMap::new();
        let mut node_settings = BTreeMap::new();
        let mut gateway_regions = Vec::new();
        for (region, listener) in node_listeners {
            let address = listener.local_addr()?;
            let metrics = bind_optional(region.metrics_listen, &region.slug).await?;
            let metrics_listen = match &metrics {
                Some(listener) => Some(listener.local_addr()?),
                None => None,
            };
            gateway_regions.push(passage_gateway::settings::RegionEntry {
                slug: region.slug.clone(),
                name: region.name.clone(),
                endpoint: format!("{scheme}://{address}"),
            });
            let settings = NodeSettings {
                region: passage_node::settings::RegionSettings {
                    slug: region.slug.clone(),
                    name: region.name.clone(),
                    country: region.country.clone(),
                },
                server: passage_node::settings::ServerSettings {
                    listen: address,
                    metrics_listen,
                },
                database: passage_node::settings::DatabaseSettings {
                    url: region.database_url.clone(),
                    max_connections: POOL_PER_SERVER,
                },
                gateway: Some(passage_node::settings::GatewayLink {
                    endpoint: format!("{scheme}://{gateway_address}"),
                    tls: plan.tls.as_ref().map(|dir| {
                        let (ca, own) = (dir.ca(), dir.region(&region.slug));
                        passage_node::settings::TlsFiles {
                            ca_file: ca.cert,
                            cert_file: own.cert,
                            key_file: own.key,
                        }
                    }),
                    max_clock_skew_ms: passage_proto::hlc::DEFAULT_MAX_SKEW_MS,
                }),
                rules: region
                    .rules_file
                    .clone()
                    .map(|file| passage_node::settings::RulesSettings { file }),
                review: Default::default(),
                limits: Default::default(),
                auth: passage_node::settings::AuthSettings {
                    gateway_key_file: plan.keys.region_caller_key(&region.slug),
                },
                mail: region.mail.clone(),
            };
            node_settings.insert(region.slug.clone(), settings.clone());
            nodes.insert(region.slug.clone(), spawn_node(settings, listener, metrics));
        }

        let settings = GatewaySettings {
            server: passage_gateway::settings::ServerSettings {
                listen: gateway_address,
                metrics_listen: metrics_address,
                connect_timeout_ms: 2_000,
            },
            database: passage_gateway::settings::DatabaseSettings {
                url: plan.gateway_database_url.clone(),
                max_connections: POOL_PER_SERVER,
                sqlite_map_mib: passage_gateway::settings::DEFAULT_SQLITE_MAP_MIB,
            },
            regions: gateway_regions,
            federation: passage_gateway::settings::FederationSettings {
                insecure: plan.tls.is_none(),
                ..Default::default()
            },
            tls: plan.tls.as_ref().map(|dir| {
                let (ca, own) = (dir.ca(), dir.gateway());
                passage_gateway::settings::TlsFiles {
                    ca_file: ca.cert,
                    cert_file: own.cert,
                    key_file: own.key,
                }
            }),
            stats: Default::default(),
            limits: Default::default(),
            auth: passage_gateway::settings::AuthSettings {
                caller_key_file: plan.keys.caller_key(),
            },
            accounts: plan.accounts.clone(),
        };
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            passage_gateway::run_with_metrics(settings, gateway_listener, metrics_listener, async {
                let _ = stopped.await;
            })
            .await
            .map_err(anyhow::Error::from)
        });
        let mut federation = Federation {
            metrics_address,
            gateway: Running {
                address: gateway_address,
                stop: Some(stop),
                task,
            },
            nodes,
            node_settings,
            tls: plan.tls,
        };
        if let Err(error) = federation.wait_until_serving(Duration::from_secs(60)).await {
            return Err(federation.fail_with(error).await);
        }
        Ok(federation)
    }

    /// The gateway's endpoint, such as `https://127.0.0.1:24050`.
    pub fn gateway_endpoint(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.gateway.address)
    }

    /// Where the gateway serves Prometheus metrics, if it does.
    pub fn metrics_endpoint(&self) -> Option<String> {
        self.metrics_address
            .map(|address| format!("http://{address}/metrics"))
    }

    /// A client channel to the gateway (trusting the federation CA under TLS).
    pub async fn gateway_channel(&self) -> anyhow::Result<Channel> {
        Ok(gateway_endpoint(self.gateway.address, self.tls.as_ref())?
            .connect()
            .await?)
    }

    /// A region node's address as a URI (https under TLS), if the region is running.
    pub fn node_endpoint(&self, region: &str) -> Option<String> {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        self.nodes
            .get(region)
            .map(|node| format!("{scheme}://{}", node.address))
    }

    /// An endpoint for calling a region's node as the gateway does: under TLS, with
    /// the gateway's certificate (the only one a node answers).
    pub fn node_client_endpoint(&self, region: &str) -> anyhow::Result<Endpoint> {
        let identity = self.tls.as_ref().map(CertDir::gateway);
        self.node_endpoint_showing(region, identity.as_ref())
    }

    /// An endpoint for calling a region's node showing `identity` under TLS (none:
    /// no client certificate), as a test calls it pretending to be someone else.
    pub fn node_endpoint_showing(
        &self,
        region: &str,
        identity: Option<&CertFiles>,
    ) -> anyhow::Result<Endpoint> {
        let node = self
            .nodes
            .get(region)
            .with_context(|| format!("region {region} is not running"))?;
        let ca = self.tls.as_ref().map(|dir| dir.ca().cert);
        node_endpoint(&node.address.to_string(), region, ca.as_deref(), identity)
    }

    /// Where a region's node serves Prometheus metrics, if it does.
    pub fn node_metrics_endpoint(&self, region: &str) -> Option<String> {
        self.node_settings
            .get(region)
            .and_then(|settings| settings.server.metrics_listen)
            .map(|address| format!("http://{address}/metrics"))
    }

    /// The running regions' slugs.
    pub fn regions(&self) -> impl Iterator<Item = &str> {
        self.nodes.keys().map(String::as_str)
    }

    /// Stops one region's node, as an outage would.
    pub async fn stop_region(&mut self, region: &str) -> anyhow::Result<()> {
        match self.nodes.remove(region) {
            Some(node) => node.stop().await,
            None => bail!("region {region} is not running"),
        }
    }

    /// Starts a stopped region again, on its old address and database, and waits
    /// until it is SERVING.
    pub async fn restart_region(&mut self, region: &str) -> anyhow::Result<()> {
        if self.nodes.contains_key(region) {
            bail!("region {region} is running");
        }
        let settings = self
            .node_settings
            .get(region)
            .with_context(|| format!("region {region} is not part of this federation"))?
            .clone();
        let address = settings.server.listen;
        let listener = TcpListener::bind(address)
            .await
            .with_context(|| format!("binding {address} for region {region}"))?;
        let metrics = bind_optional(settings.server.metrics_listen, region).await?;
        self.nodes
            .insert(region.to_owned(), spawn_node(settings, listener, metrics));
        let endpoint = self.node_client_endpoint(region)?;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while !is_serving(endpoint.clone()).await {
            if tokio::time::Instant::now() > deadline {
                bail!("region {region} did not report SERVING after a restart");
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        Ok(())
    }

    /// Stops every server and waits for each to finish.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        let mut first_error = self.gateway.stop().await.err();
        for (_, node) in self.nodes {
            if let Err(error) = node.stop().await {
                first_error.get_or_insert(error);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    async fn wait_until_serving(&mut self, limit: Duration) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + limit;
        let mut endpoints = vec![(
            "gateway".to_owned(),
            gateway_endpoint(self.gateway.address, self.tls.as_ref())?,
        )];
        for slug in self.nodes.keys() {
            endpoints.push((slug.clone(), self.node_client_endpoint(slug)?));
        }
        for (name, endpoint) in endpoints {
            loop {
                if self.any_server_exited() {
                    return Err(self.why_a_server_stopped().await);
                }
                if is_serving(endpoint.clone()).await {
                    break;
                }
                if tokio::time::Instant::now() > deadline {
                    bail!(
                        "{name} at {} did not report SERVING within {limit:?}",
                        endpoint.uri()
                    );
                }
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
        }
        Ok(())
    }

    /// The error of the server that stopped (its task finished), named.
    async fn why_a_server_stopped(&mut self) -> anyhow::Error {
        let servers = std::iter::once(("gateway", &mut self.gateway)).chain(
            self.nodes
                .iter_mut()
                .map(|(slug, node)| (slug.as_str(), node)),
        );
        for (name, server) in servers {
            if !server.task.is_finished() {
                continue;
            }
            // Its outcome is taken here; stopping the federation then finds a
            // task that ended with nothing more to say.
            let ended = std::mem::replace(&mut server.task, tokio::spawn(async { Ok(()) }));
            let why = match ended.await {
                Ok(Ok(())) => anyhow::anyhow!("it ended without an error"),
                Ok(Err(error)) => error,
                Err(panic) => anyhow::Error::new(panic),
            };
            return why.context(format!("{name} stopped while the federation was starting"));
        }
        anyhow::anyhow!("a server stopped while the federation was starting")
    }

    fn any_server_exited(&self) -> bool {
        self.gateway.task.is_finished() || self.nodes.values().any(|n| n.task.is_finished())
    }

    /// Stops everything after a failed start and returns the most telling error:
    /// a server's own, else `error`.
    async fn fail_with(self, error: anyhow::Error) -> anyhow::Error {
        match self.shutdown().await {
            Err(server_error) => server_error.context(error.to_string()),
            Ok(()) => error,
        }
    }
}

/// Binds a region node's metrics socket, when it has one.
async fn bind_optional(
    address: Option<SocketAddr>,
    region: &str,
) -> anyhow::Result<Option<TcpListener>> {
    match address {
        Some(address) => Ok(Some(TcpListener::bind(address).await.with_context(
            || format!("binding {address} for region {region}'s metrics"),
        )?)),
        None => Ok(None),
    }
}

/// An endpoint for the gateway at `address`, over TLS when `tls` is given.
pub fn gateway_endpoint(address: SocketAddr, tls: Option<&CertDir>) -> anyhow::Result<Endpoint> {
    passage_proto::choose_tls_crypto();
    match tls {
        None => Ok(Endpoint::from_shared(format!("http://{address}"))?),
        Some(dir) => {
            let ca = std::fs::read(dir.ca().cert).context("reading the federation CA")?;
            Ok(
                Endpoint::from_shared(format!("https://{address}"))?.tls_config(
                    ClientTlsConfig::new()
                        .ca_certificate(Certificate::from_pem(ca))
                        .domain_name(passage_proto::GATEWAY_TLS_NAME),
                )?,
            )
        }
    }
}

/// An endpoint for `region`'s node at `address` (host:port): over mutual TLS when
/// the federation CA `ca` is given (expecting the region's own certificate, showing
/// `identity` if any), else plaintext.
pub fn node_endpoint(
    address: &str,
    region: &str,
    ca: Option<&std::path::Path>,
    identity: Option<&CertFiles>,
) -> anyhow::Result<Endpoint> {
    passage_proto::choose_tls_crypto();
    let Some(ca) = ca else {
        return Ok(Endpoint::from_shared(format!("http://{address}"))?);
    };
    let ca = std::fs::read(ca).with_context(|| format!("reading the CA {}", ca.display()))?;
    let mut config = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(ca))
        .domain_name(passage_proto::region_tls_name(region));
    if let Some(identity) = identity {
        let cert = std::fs::read(&identity.cert)
            .with_context(|| format!("reading {}", identity.cert.display()))?;
        let key = std::fs::read(&identity.key)
            .with_context(|| format!("reading {}", identity.key.display()))?;
        config = config.identity(tonic::transport::Identity::from_pem(cert, key));
    }
    Ok(Endpoint::from_shared(format!("https://{address}"))?.tls_config(config)?)
}

/// Whether the gRPC server at `endpoint` answers its overall health check SERVING.
pub async fn is_serving(endpoint: Endpoint) -> bool {
    let Ok(channel) = endpoint
        .connect_timeout(Duration::from_millis(500))
        .connect()
        .await
    else {
        return false;
    };
    channel_is_serving(channel).await
}

/// Whether the server behind `channel` answers the gRPC health check with SERVING.
pub async fn channel_is_serving(channel: tonic::transport::Channel) -> bool {
    service_is_serving(channel, "").await
}

/// Whether the server behind `channel` says `service` is SERVING ("" for the
/// server as a whole).
pub async fn service_is_serving(channel: tonic::transport::Channel, service: &str) -> bool {
    HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: service.to_owned(),
        })
        .await
        .map(|response| response.into_inner().status == ServingStatus::Serving as i32)
        .unwrap_or(false)
}

/// Gives the gateway at `database_url` this process's demo tokens, for `regions`
/// (each valid for a week; tokens it holds already are kept).
pub async fn give_demo_tokens(database_url: &str, regions: &[String]) -> anyhow::Result<()> {
    use passage_gateway::store::entity::access_token;
    use passage_gateway::tokens::{TokenGrant, TokenStore};
    use sea_orm::EntityTrait;
    let db = passage_migrations::connect::<passage_migrations::GatewayMigrator>(database_url, 1)
        .await
        .context("opening the gateway's database to give it the demo tokens")?;
    let store = TokenStore::new(db.clone());
    for (token, role, region) in crate::credentials::demo().grants(regions) {
        let id = token.get(4..20).unwrap_or_default().to_owned();
        if access_token::Entity::find_by_id(id)
            .one(&db)
            .await?
            .is_some()
        {
            continue;
        }
        let label = match &region {
            Some(region) => format!("demo {role} of {region}"),
            None => format!("demo {role}"),
        };
        let grant = TokenGrant {
            role,
            region,
            member_id: None,
            organisation_id: None,
            label,
            expires_at: chrono::Utc::now() + chrono::Duration::days(7),
        };
        store.import(&token, grant, regions).await?;
    }
    db.close().await?;
    Ok(())
}
