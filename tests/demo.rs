//! `passage demo` fills every region with believable data once, and a second run on
//! the same data folder picks it up again instead of duplicating it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;

use common::to;
use passage::demo::{self, DemoOptions};
use passage_proto::v1::{
    self, market_service_client::MarketServiceClient, member_service_client::MemberServiceClient,
};
use tonic::transport::Channel;

async fn count_members(channel: Channel, region: &str) -> (usize, BTreeSet<i32>, BTreeSet<i32>) {
    let mut client = MemberServiceClient::new(channel);
    let mut token = String::new();
    let (mut count, mut roles, mut statuses) = (0, BTreeSet::new(), BTreeSet::new());
    loop {
        let page = client
            .list_members(to(
                region,
                v1::ListMembersRequest {
                    page_size: 100,
                    page_token: token,
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner();
        for member in &page.members {
            count += 1;
            let regional = member.regional.clone().unwrap();
            roles.insert(regional.role);
            statuses.insert(regional.residence_status);
        }
        if page.next_page_token.is_empty() {
            return (count, roles, statuses);
        }
        token = page.next_page_token;
    }
}

async fn opportunity_kinds(channel: Channel, region: &str) -> (usize, BTreeSet<i32>, usize) {
    let page = MarketServiceClient::new(channel)
        .list_opportunities(to(
            region,
            v1::ListOpportunitiesRequest {
                page_size: 500,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let kinds = page.opportunities.iter().map(|o| o.kind).collect();
    let published = page
        .opportunities
        .iter()
        .filter(|o| o.status == v1::OpportunityStatus::Published as i32)
        .count();
    (page.opportunities.len(), kinds, published)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_seeds_every_region_once_and_reuses_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let options = DemoOptions {
        data_dir: dir.path().to_owned(),
        port_base: 0,
    };

    let first = demo::start(&options).await.unwrap();
    let channel = first.federation.gateway_channel().await.unwrap();
    let mut counts = Vec::new();
    for (region, _, _) in demo::REGIONS {
        let report = first.seeded.iter().find(|r| r.region == region).unwrap();
        assert!(!report.reused);
        let (members, roles, statuses) = count_members(channel.clone(), region).await;
        assert!(members >= 24, "{region}: dozens of members, got {members}");
        assert_eq!(members, report.members);
        assert_eq!(roles.len(), 3, "{region}: every role");
        assert!(statuses.len() >= 3, "{region}: several residence statuses");
        let (opportunities, kinds, published) = opportunity_kinds(channel.clone(), region).await;
        assert!(opportunities >= 24, "{region}: dozens of opportunities");
        assert!(
            published >= opportunities / 3,
            "{region}: newcomers' reviews published many, got {published} of {opportunities}"
        );
        assert_eq!(kinds.len(), 6, "{region}: every kind of opportunity");
        counts.push((members, opportunities));
    }
    first.federation.shutdown().await.unwrap();

    let second = demo::start(&options).await.unwrap();
    assert!(second.seeded.iter().all(|r| r.reused));
    let channel = second.federation.gateway_channel().await.unwrap();
    for ((region, _, _), expected) in demo::REGIONS.iter().zip(counts) {
        let (members, _, _) = count_members(channel.clone(), region).await;
        let (opportunities, _, _) = opportunity_kinds(channel.clone(), region).await;
        assert_eq!(
            (members, opportunities),
            expected,
            "{region} kept, not doubled"
        );
    }
    second.federation.shutdown().await.unwrap();
}
