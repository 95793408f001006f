//! `passage demo`: a whole federation on one machine — the gateway and the
//! Amsterdam, Washington DC and Miami nodes, each with its own SQLite file — filled
//! with believable data through the public API, as a chapter would fill it: its
//! records of today imported from the CSV files in `src/demo/sheets/<region>/`
//! (`seed`), its people's and groups' life made call by call, and eighteen
//! months of history imported after `ready` (`history_import`).

pub mod accounts;
pub mod coaching;
pub mod community;
pub mod contact;
pub mod history;
pub mod history_import;
pub mod placements;
pub mod seed;
pub mod sheet;
pub mod spreadsheet;

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

/// Fills `region` with demo data unless it already has some: its present-day
/// files imported (`seed`), each member's contact details, then the community
/// review of the drafts that `community-review.csv` plans.
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
    for file in seed::files(region)? {
        let name = format!("src/demo/sheets/{region}/{}", file.name);
        let imported =
            spreadsheet::import(channel.clone(), region, file.kind, &name, file.text.into())
                .await?;
        let written = imported.created.len() + imported.updated.len();
        match file.kind {
            v1::ImportKind::Organisations => report.organisations += written,
            v1::ImportKind::Opportunities => report.opportunities += written,
            _ => report.members += written,
        }
    }
    // Every member hears from Passage; the newcomers review.
    let mut newcomers = Vec::new();
    for member in own_members(&mut members, region, v1::MemberRole::Unspecified).await? {
        contact::give(channel.clone(), region, &member).await?;
        if member.regional.as_ref().map(|r| r.role) == Some(v1::MemberRole::Newcomer as i32) {
            newcomers.push(member.id);
        }
    }
    let drafts: std::collections::HashMap<String, String> = market
        .list_opportunities(in_region(
            region,
            v1::ListOpportunitiesRequest {
                page_size: 500,
                status: v1::OpportunityStatus::Draft as i32,
                ..Default::default()
            },
        )?)
        .await?
        .into_inner()
        .opportunities
        .into_iter()
        .map(|opportunity| (opportunity.title, opportunity.id))
        .collect();
    // As many newcomers approve each opportunity to publish as the region's
    // policy asks, which publishes it.
    let policy = review
        .get_review_policy(in_region(region, v1::GetReviewPolicyRequest {})?)
        .await?
        .into_inner();
    let approvals = usize::try_from(policy.approvals_to_publish).unwrap_or(0);
    let titles = seed::opportunity_titles(region)?;
    for (index, planned) in seed::community_review(region)?.into_iter().enumerate() {
        let external_id = &planned.opportunity_external_id;
        let id = titles
            .get(external_id)
            .and_then(|title| drafts.get(title))
            .with_context(|| format!("{region}: {external_id} is not a draft after the import"))?;
        review
            .submit_for_review(in_region(
                region,
                v1::SubmitForReviewRequest {
                    opportunity_id: id.clone(),
                },
            )?)
            .await?;
        if planned.review != seed::Review::Published || newcomers.len() < approvals {
            continue;
        }
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
    }
    Ok(report)
}

/// Every member whose home is `region`, of `role` (all roles for
/// `Unspecified`), page by page, oldest first.
pub(crate) async fn own_members(
    members: &mut MemberServiceClient<Channel>,
    region: &str,
    role: v1::MemberRole,
) -> anyhow::Result<Vec<v1::Member>> {
    let mut all = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = members
            .list_members(in_region(
                region,
                v1::ListMembersRequest {
                    page_size: 500,
                    page_token,
                    role: role as i32,
                },
            )?)
            .await?
            .into_inner();
        all.extend(page.members);
        if page.next_page_token.is_empty() {
            return Ok(all);
        }
        page_token = page.next_page_token;
    }
}

/// What newcomers say when they approve an opportunity.
const APPROVALS: [&str; 4] = [
    "Clear about the hours and the language asked for.",
    "",
    "Fits around language classes; fair for a first job here.",
    "The contact person is named, good.",
];

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
