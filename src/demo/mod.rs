//! `passage demo`: a whole federation on one machine — the gateway and the
//! Amsterdam, Washington DC and Miami nodes, each with its own SQLite file — filled
//! with believable data through the public API, as a chapter would fill it.

pub mod accounts;
pub mod coaching;
pub mod community;
pub mod contact;
pub mod history;
pub mod history_import;
pub mod placements;
pub mod seed;
pub mod sheet;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use anyhow::Context;
use passage_proto::v1::{
    self, market_service_client::MarketServiceClient, member_service_client::MemberServiceClient,
    review_service_client::ReviewServiceClient,
};
use tonic::transport::Channel;

use crate::certs::CertDir;
use crate::federation::{Federation, FederationPlan, RegionPlan};
use history_import::RegionHistory;

/// The demo's regions: slug, name, country.
pub const REGIONS: [(&str, &str, &str); 3] = [
    ("amsterdam", "Amsterdam", "NL"),
    ("washington-dc", "Washington DC", "US"),
    ("miami", "Miami", "US"),
];

/// Where the demo keeps its data and which ports it takes.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub data_dir: PathBuf,
    /// The gateway listens here, the regions on the ports after it; 0 takes any
    /// free ports (for tests).
    pub port_base: u16,
    /// Members in each region's eighteen months of history, imported after the
    /// demo is ready (`history`); 0 imports none.
    pub history_members: usize,
}

/// What the demo started, for printing.
pub struct DemoFederation {
    pub federation: Federation,
    pub seeded: Vec<SeedReport>,
    /// The people who sign in, and their passphrases (`data/accounts.txt`).
    pub accounts_file: PathBuf,
    /// The web app, in front of the gateway.
    pub web: SocketAddr,
    web_stop: tokio::sync::oneshot::Sender<()>,
    web_task: tokio::task::JoinHandle<Result<(), String>>,
    /// The history's import, running in the background; none when not asked for.
    pub history: Option<tokio::task::JoinHandle<anyhow::Result<Vec<RegionHistory>>>>,
}

impl DemoFederation {
    /// Stops the web app, then every server of the federation.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        if let Some(history) = &self.history {
            history.abort();
        }
        let _ = self.web_stop.send(());
        match self.web_task.await {
            Ok(Err(error)) => tracing::warn!(%error, "the demo's web app stopped with an error"),
            Err(error) => tracing::warn!(%error, "the demo's web app did not stop cleanly"),
            Ok(Ok(())) => {}
        }
        self.federation.shutdown().await
    }
}

/// The web app's listener on `listen`.
pub async fn listener(listen: SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding {listen} for the web app"))
}

/// The web app's settings in front of the gateway at `gateway_endpoint`, with the
/// demo's certificates, listening at `listen`.
pub fn web_settings(
    gateway_endpoint: &str,
    certs: &CertDir,
    listen: SocketAddr,
) -> passage_web::WebSettings {
    let web = certs.web();
    passage_web::WebSettings {
        server: passage_web::settings::ServerSettings { listen },
        gateway: passage_web::settings::GatewayLink {
            endpoint: gateway_endpoint.to_owned(),
            ca_file: Some(certs.ca().cert),
            cert_file: Some(web.cert),
            key_file: Some(web.key),
        },
        cookies: Default::default(),
    }
}

/// A web app started as a task of this process: its address, the sender that
/// stops it, and the task.
pub type WebTask = (
    SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<Result<(), String>>,
);

/// Starts the web app in front of the gateway at `gateway_endpoint`, with the
/// demo's certificates, on `listener`.
pub fn start_web(
    gateway_endpoint: &str,
    certs: &CertDir,
    listener: tokio::net::TcpListener,
) -> anyhow::Result<WebTask> {
    let address = listener.local_addr()?;
    let settings = web_settings(gateway_endpoint, certs, address);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(passage_web::run(settings, listener, async {
        let _ = stopped.await;
    }));
    Ok((address, stop, task))
}

/// Starts the demo federation and fills every empty region with demo data.
pub async fn start(options: &DemoOptions) -> anyhow::Result<DemoFederation> {
    std::fs::create_dir_all(&options.data_dir)
        .with_context(|| format!("creating data dir {}", options.data_dir.display()))?;
    let sqlite = |name: &str| {
        format!(
            "sqlite://{}?mode=rwc",
            options.data_dir.join(format!("{name}.db")).display()
        )
    };
    let port = |offset: u16| -> anyhow::Result<SocketAddr> {
        if options.port_base == 0 {
            return Ok(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)));
        }
        let port = options
            .port_base
            .checked_add(offset)
            .context("--port-base leaves no room for the three regions")?;
        Ok(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
    };
    let mut regions = Vec::new();
    for (index, (slug, name, country)) in REGIONS.iter().enumerate() {
        regions.push(RegionPlan {
            slug: (*slug).to_owned(),
            name: (*name).to_owned(),
            country: (*country).to_owned(),
            database_url: sqlite(slug),
            listen: port(index as u16 + 1)?,
            rules_file: Some(shipped_rules_in(&options.data_dir, slug)?),
            metrics_listen: Some(port(index as u16 + 11)?),
            // No SMTP server: each mail is an `.eml` file in `<data>/mail/`, to open.
            mail: passage_node::settings::MailSettings {
                folder: Some(options.data_dir.join("mail")),
                web_url: format!("http://{}", port(30)?),
                ..Default::default()
            },
        });
    }
    let certs = CertDir(options.data_dir.join("certs"));
    let slugs: Vec<&str> = REGIONS.iter().map(|(slug, _, _)| *slug).collect();
    crate::certs::ensure_demo_certs(&certs, &slugs).context("making the demo's certificates")?;
    let federation = Federation::start(FederationPlan {
        gateway_listen: port(0)?,
        gateway_database_url: sqlite("gateway"),
        gateway_metrics_listen: Some(port(10)?),
        regions,
        keys: certs.clone(),
        tls: Some(certs.clone()),
        demo_credentials: true,
        accounts: Default::default(),
    })
    .await?;
    let channel = federation
        .gateway_channel()
        .await
        .context("connecting to the demo gateway")?;
    let (seeded, accounts_file) = fill(channel.clone(), &options.data_dir).await?;
    let (web, web_stop, web_task) = start_web(
        &federation.gateway_endpoint(),
        &certs,
        listener(port(30)?).await?,
    )?;
    // The chapters' history follows in the background, its progress printed.
    let history = (options.history_members > 0).then(|| {
        let data_dir = options.data_dir.clone();
        let members = options.history_members;
        tokio::spawn(async move {
            let regions = REGIONS
                .iter()
                .map(|(slug, _, _)| (*slug).to_owned())
                .collect();
            let done = history_import::import_all(channel, data_dir, regions, members, |line| {
                println!("{line}")
            })
            .await;
            if let Err(error) = &done {
                // The demo runs on without the rest of its history; say why.
                println!("history  stopped: {error:#}");
            }
            done
        })
    });
    Ok(DemoFederation {
        federation,
        seeded,
        accounts_file,
        web,
        web_stop,
        web_task,
        history,
    })
}

/// Fills every empty region of the demo's federation (behind the gateway at
/// `channel`) with the demo's data, through the public API, and makes the demo's
/// accounts (`<data_dir>/accounts.txt`): what seeding did, and that file.
pub async fn fill(
    channel: Channel,
    data_dir: &std::path::Path,
) -> anyhow::Result<(Vec<SeedReport>, PathBuf)> {
    let mut seeded = Vec::new();
    for (slug, _, _) in REGIONS {
        seeded.push(seed_region(channel.clone(), slug).await?);
        if seeded.last().is_some_and(|report| !report.reused) {
            coaching::seed(channel.clone(), slug).await?;
            community::seed(channel.clone(), slug).await?;
            placements::seed(channel.clone(), slug).await?;
        }
    }
    let slugs: Vec<&str> = REGIONS.iter().map(|(slug, _, _)| *slug).collect();
    let accounts_file = accounts::ensure(channel, data_dir, &slugs)
        .await
        .context("making the demo's accounts")?;
    Ok((seeded, accounts_file))
}

/// What seeding did in one region.
#[derive(Debug, Clone)]
pub struct SeedReport {
    pub region: String,
    /// Whether the region already had data, which was kept as it was.
    pub reused: bool,
    pub members: usize,
    pub organisations: usize,
    pub opportunities: usize,
}

/// A request for `region`, routed by the gateway, as its demo chapter admin sends it.
pub fn in_region<T>(region: &str, message: T) -> anyhow::Result<tonic::Request<T>> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert(passage_proto::REGION_METADATA_KEY, region.parse()?);
    crate::credentials::bearer(request, &crate::credentials::demo().chapter_admin(region))
}

/// Fills `region` with demo data unless it already has some.
async fn seed_region(channel: Channel, region: &str) -> anyhow::Result<SeedReport> {
    let mut members = MemberServiceClient::new(channel.clone());
    let mut market = MarketServiceClient::new(channel.clone());
    let mut review = ReviewServiceClient::new(channel.clone());
    let existing = members
        .list_members(in_region(
            region,
            v1::ListMembersRequest {
                page_size: 1,
                ..Default::default()
            },
        )?)
        .await?
        .into_inner();
    if !existing.members.is_empty() {
        return Ok(SeedReport {
            region: region.to_owned(),
            reused: true,
            members: 0,
            organisations: 0,
            opportunities: 0,
        });
    }
    let mut report = SeedReport {
        region: region.to_owned(),
        reused: false,
        members: 0,
        organisations: 0,
        opportunities: 0,
    };
    let mut organisation_ids = Vec::new();
    // Opportunities to publish by community review once the region has newcomers,
    // and whether each is then filled.
    let mut to_publish = Vec::new();
    for organisation in seed::organisations(region)? {
        let created = market
            .create_organisation(in_region(
                region,
                v1::CreateOrganisationRequest {
                    organisation: Some(organisation),
                },
            )?)
            .await?
            .into_inner();
        organisation_ids.push(created.id);
        report.organisations += 1;
    }
    for (organisation_index, mut opportunity, target) in seed::opportunities(region)? {
        let Some(organisation_id) = organisation_ids.get(organisation_index) else {
            continue;
        };
        opportunity.organisation_id = organisation_id.clone();
        let created = market
            .create_opportunity(in_region(
                region,
                v1::CreateOpportunityRequest {
                    opportunity: Some(opportunity),
                },
            )?)
            .await?
            .into_inner();
        use v1::OpportunityStatus::*;
        if matches!(target, InReview | Published | Filled) {
            review
                .submit_for_review(in_region(
                    region,
                    v1::SubmitForReviewRequest {
                        opportunity_id: created.id.clone(),
                    },
                )?)
                .await?;
        }
        match target {
            Published => to_publish.push((created.id, false)),
            Filled => to_publish.push((created.id, true)),
            Closed => set_status(&mut market, region, &created.id, Closed).await?,
            Unspecified | Draft | InReview => {}
        }
        report.opportunities += 1;
    }
    // Members next: their presence marks a region as seeded.
    let mut newcomers = Vec::new();
    for member in seed::members(region)? {
        let created = members
            .create_member(in_region(
                region,
                v1::CreateMemberRequest {
                    member: Some(member),
                },
            )?)
            .await?
            .into_inner();
        contact::give(channel.clone(), region, &created).await?;
        if created.regional.as_ref().map(|r| r.role) == Some(v1::MemberRole::Newcomer as i32) {
            newcomers.push(created.id);
        }
        report.members += 1;
    }
    // Then the region's newcomers review: as many approve each opportunity as the
    // region's policy asks, which publishes it; some are filled since.
    let policy = review
        .get_review_policy(in_region(region, v1::GetReviewPolicyRequest {})?)
        .await?
        .into_inner();
    let approvals = usize::try_from(policy.approvals_to_publish).unwrap_or(0);
    if newcomers.len() < approvals {
        return Ok(report);
    }
    for (index, (id, filled)) in to_publish.into_iter().enumerate() {
        for turn in 0..approvals {
            let reviewer = &newcomers[(index + turn) % newcomers.len()];
            review
                .review_opportunity(in_region(
                    region,
                    v1::ReviewOpportunityRequest {
                        opportunity_id: id.clone(),
                        reviewer_member_id: reviewer.clone(),
                        verdict: v1::ReviewVerdict::Approve as i32,
                        comment: APPROVALS[(index + turn) % APPROVALS.len()].to_owned(),
                    },
                )?)
                .await?;
        }
        if filled {
            set_status(&mut market, region, &id, v1::OpportunityStatus::Filled).await?;
        }
    }
    Ok(report)
}

/// What newcomers say when they approve an opportunity.
const APPROVALS: [&str; 4] = [
    "Clear about the hours and the language asked for.",
    "",
    "Fits around language classes; fair for a first job here.",
    "The contact person is named, good.",
];

/// Moves an opportunity to `status` by hand (filled, closed).
async fn set_status(
    market: &mut MarketServiceClient<Channel>,
    region: &str,
    id: &str,
    status: v1::OpportunityStatus,
) -> anyhow::Result<()> {
    market
        .update_opportunity(in_region(
            region,
            v1::UpdateOpportunityRequest {
                opportunity: Some(v1::Opportunity {
                    id: id.to_owned(),
                    status: status as i32,
                    ..Default::default()
                }),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["status".into()],
                }),
            },
        )?)
        .await?;
    Ok(())
}

/// The labour-market rules each shipped region starts with (deploy/regions/).
pub const SHIPPED_RULES: &[(&str, &str)] = &[
    (
        "amsterdam",
        include_str!("../../deploy/regions/amsterdam.rules.toml"),
    ),
    (
        "washington-dc",
        include_str!("../../deploy/regions/washington-dc.rules.toml"),
    ),
    (
        "miami",
        include_str!("../../deploy/regions/miami.rules.toml"),
    ),
    (
        "berlin",
        include_str!("../../deploy/regions/berlin.rules.toml"),
    ),
];

/// The demo region's rules file in `data_dir/rules/`, written from the shipped one
/// the first time: a chapter admin edits it there and reloads (SIGHUP or
/// `RulesService.Reload`), and a second run keeps the edits.
pub fn shipped_rules_in(
    data_dir: &std::path::Path,
    slug: &str,
) -> anyhow::Result<std::path::PathBuf> {
    let (_, text) = SHIPPED_RULES
        .iter()
        .find(|(region, _)| *region == slug)
        .with_context(|| format!("no shipped rules for region {slug}"))?;
    let folder = data_dir.join("rules");
    std::fs::create_dir_all(&folder).with_context(|| format!("creating {}", folder.display()))?;
    let path = folder.join(format!("{slug}.rules.toml"));
    if !path.exists() {
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(path)
}
