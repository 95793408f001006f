//! `passage demo`: a whole federation on one machine — the gateway and the
//! Amsterdam, Washington DC and Miami nodes, each with its own SQLite file — filled
//! with believable data through the public API, as a chapter would fill it.

pub mod seed;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use anyhow::Context;
use passage_proto::v1::{
    self, market_service_client::MarketServiceClient, member_service_client::MemberServiceClient,
};
use tonic::transport::Channel;

use crate::certs::CertDir;
use crate::federation::{Federation, FederationPlan, RegionPlan};

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
}

/// What the demo started, for printing.
pub struct DemoFederation {
    pub federation: Federation,
    pub seeded: Vec<SeedReport>,
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
        tls: Some(certs),
    })
    .await?;
    let channel = federation
        .gateway_channel()
        .await
        .context("connecting to the demo gateway")?;
    let mut seeded = Vec::new();
    for (slug, _, _) in REGIONS {
        seeded.push(seed_region(channel.clone(), slug).await?);
    }
    Ok(DemoFederation { federation, seeded })
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

/// A request for `region`, routed by the gateway.
pub fn in_region<T>(region: &str, message: T) -> anyhow::Result<tonic::Request<T>> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert(passage_proto::REGION_METADATA_KEY, region.parse()?);
    Ok(request)
}

/// Fills `region` with demo data unless it already has some.
async fn seed_region(channel: Channel, region: &str) -> anyhow::Result<SeedReport> {
    let mut members = MemberServiceClient::new(channel.clone());
    let mut market = MarketServiceClient::new(channel);
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
    for organisation in seed::organisations(region) {
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
    for (organisation_index, mut opportunity, target) in seed::opportunities(region) {
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
        for status in status_path(target) {
            market
                .update_opportunity(in_region(
                    region,
                    v1::UpdateOpportunityRequest {
                        opportunity: Some(v1::Opportunity {
                            id: created.id.clone(),
                            status: *status as i32,
                            ..Default::default()
                        }),
                        update_mask: Some(prost_types::FieldMask {
                            paths: vec!["status".into()],
                        }),
                    },
                )?)
                .await?;
        }
        report.opportunities += 1;
    }
    // Members last: their presence marks a region as seeded.
    for member in seed::members(region) {
        members
            .create_member(in_region(
                region,
                v1::CreateMemberRequest {
                    member: Some(member),
                },
            )?)
            .await?;
        report.members += 1;
    }
    Ok(report)
}

/// The status changes that take a new (draft) opportunity to `target`.
fn status_path(target: v1::OpportunityStatus) -> &'static [v1::OpportunityStatus] {
    use v1::OpportunityStatus::*;
    match target {
        Unspecified | Draft => &[],
        InReview => &[InReview],
        Published => &[InReview, Published],
        Filled => &[InReview, Published, Filled],
        Closed => &[Closed],
    }
}
