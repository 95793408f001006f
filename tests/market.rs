//! An organisation joins a region's market and offers opportunities, which move
//! through their life cycle and can be found by kind, sector and status.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Backend, Cluster, to};
use passage_proto::v1::{self, market_service_client::MarketServiceClient};
use prost_types::FieldMask;
use tonic::Code;
use tonic::transport::Channel;

on_both_backends!(
    an_organisation_offers_opportunities_found_by_kind_sector_and_status,
    an_opportunity_follows_its_life_cycle,
    bad_market_input_is_rejected_naming_the_field,
);

fn bakery() -> v1::Organisation {
    v1::Organisation {
        name: "Bakkerij De Zuidas".into(),
        kind: v1::OrganisationKind::Employer as i32,
        sector: "hospitality".into(),
        location: "Amsterdam-Zuid".into(),
        website: "https://bakkerij.example".into(),
        ..Default::default()
    }
}

fn opening(organisation_id: &str, kind: v1::OpportunityKind, sector: &str) -> v1::Opportunity {
    v1::Opportunity {
        organisation_id: organisation_id.into(),
        title: "Baker's assistant".into(),
        description: "Early shifts, learning on the job.".into(),
        kind: kind as i32,
        sector: sector.into(),
        skills: vec!["baking".into()],
        languages: vec!["nl".into(), "en".into()],
        hours_per_week: 20,
        paid: true,
        location: "Amsterdam".into(),
        ..Default::default()
    }
}

async fn create_organisation(market: &mut MarketServiceClient<Channel>) -> v1::Organisation {
    market
        .create_organisation(to(
            "amsterdam",
            v1::CreateOrganisationRequest {
                organisation: Some(bakery()),
            },
        ))
        .await
        .unwrap()
        .into_inner()
}

async fn set_status(
    market: &mut MarketServiceClient<Channel>,
    id: &str,
    status: v1::OpportunityStatus,
) -> Result<v1::Opportunity, tonic::Status> {
    market
        .update_opportunity(to(
            "amsterdam",
            v1::UpdateOpportunityRequest {
                opportunity: Some(v1::Opportunity {
                    id: id.into(),
                    status: status as i32,
                    ..Default::default()
                }),
                update_mask: Some(FieldMask {
                    paths: vec!["status".into()],
                }),
            },
        ))
        .await
        .map(tonic::Response::into_inner)
}

async fn an_organisation_offers_opportunities_found_by_kind_sector_and_status(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let mut market = cluster.market_via_gateway().await;
    let organisation = create_organisation(&mut market).await;
    let fetched = market
        .get_organisation(to(
            "amsterdam",
            v1::GetOrganisationRequest {
                id: organisation.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(fetched, organisation);

    let mut created = Vec::new();
    for (kind, sector) in [
        (v1::OpportunityKind::Job, "hospitality"),
        (v1::OpportunityKind::Volunteer, "hospitality"),
        (v1::OpportunityKind::TasterInternship, "retail"),
        (v1::OpportunityKind::Job, "retail"),
    ] {
        let opportunity = market
            .create_opportunity(to(
                "amsterdam",
                v1::CreateOpportunityRequest {
                    opportunity: Some(opening(&organisation.id, kind, sector)),
                },
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(opportunity.status, v1::OpportunityStatus::Draft as i32);
        created.push(opportunity);
    }
    set_status(&mut market, &created[0].id, v1::OpportunityStatus::InReview)
        .await
        .unwrap();

    let list = |kind: v1::OpportunityKind, sector: &str, status: v1::OpportunityStatus| {
        to(
            "amsterdam",
            v1::ListOpportunitiesRequest {
                kind: kind as i32,
                sector: sector.into(),
                status: status as i32,
                ..Default::default()
            },
        )
    };
    let ids = |response: v1::ListOpportunitiesResponse| -> Vec<String> {
        response.opportunities.into_iter().map(|o| o.id).collect()
    };
    let jobs = market
        .list_opportunities(list(
            v1::OpportunityKind::Job,
            "",
            v1::OpportunityStatus::Unspecified,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        ids(jobs),
        vec![created[0].id.clone(), created[3].id.clone()]
    );
    let retail = market
        .list_opportunities(list(
            v1::OpportunityKind::Unspecified,
            "retail",
            v1::OpportunityStatus::Unspecified,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        ids(retail),
        vec![created[2].id.clone(), created[3].id.clone()]
    );
    let in_review_jobs = market
        .list_opportunities(list(
            v1::OpportunityKind::Job,
            "hospitality",
            v1::OpportunityStatus::InReview,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ids(in_review_jobs), vec![created[0].id.clone()]);

    let employers = market
        .list_organisations(to(
            "amsterdam",
            v1::ListOrganisationsRequest {
                kind: v1::OrganisationKind::Employer as i32,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(employers.organisations, vec![organisation]);
    cluster.stop().await;
}

async fn an_opportunity_follows_its_life_cycle(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let mut market = cluster.market_via_gateway().await;
    let organisation = create_organisation(&mut market).await;
    let draft = market
        .create_opportunity(to(
            "amsterdam",
            v1::CreateOpportunityRequest {
                opportunity: Some(opening(
                    &organisation.id,
                    v1::OpportunityKind::LearnWork,
                    "hospitality",
                )),
            },
        ))
        .await
        .unwrap()
        .into_inner();

    let skipped_review = set_status(&mut market, &draft.id, v1::OpportunityStatus::Published)
        .await
        .unwrap_err();
    assert_eq!(skipped_review.code(), Code::FailedPrecondition);
    assert!(skipped_review.message().contains("draft to published"));

    use v1::OpportunityStatus::*;
    for status in [InReview, Published, Filled, Closed] {
        let now = set_status(&mut market, &draft.id, status).await.unwrap();
        assert_eq!(now.status, status as i32);
    }
    let reopened = set_status(&mut market, &draft.id, Published)
        .await
        .unwrap_err();
    assert_eq!(reopened.code(), Code::FailedPrecondition);

    let retitled = market
        .update_opportunity(to(
            "amsterdam",
            v1::UpdateOpportunityRequest {
                opportunity: Some(v1::Opportunity {
                    id: draft.id.clone(),
                    title: "Bakery learn-work trajectory".into(),
                    hours_per_week: 0,
                    ..Default::default()
                }),
                update_mask: Some(FieldMask {
                    paths: vec!["title".into()],
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(retitled.title, "Bakery learn-work trajectory");
    assert_eq!(
        retitled.hours_per_week, 20,
        "unmasked fields keep their value"
    );
    cluster.stop().await;
}

async fn bad_market_input_is_rejected_naming_the_field(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let mut market = cluster.market_via_gateway().await;
    let organisation = create_organisation(&mut market).await;

    let mut no_kind = bakery();
    no_kind.kind = 0;
    let error = market
        .create_organisation(to(
            "amsterdam",
            v1::CreateOrganisationRequest {
                organisation: Some(no_kind),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(error.code(), Code::InvalidArgument);
    assert!(
        error.message().starts_with("organisation.kind"),
        "{}",
        error.message()
    );

    let mut too_many_hours = opening(&organisation.id, v1::OpportunityKind::Job, "retail");
    too_many_hours.hours_per_week = 90;
    let mut stranger = opening(
        &uuid::Uuid::now_v7().to_string(),
        v1::OpportunityKind::Job,
        "retail",
    );
    stranger.title = "From an organisation of another region".into();
    let mut bad_sector = opening(&organisation.id, v1::OpportunityKind::Job, "Retail & Sales");
    bad_sector.title = "Shop assistant".into();
    let mut unknown_kind = opening(&organisation.id, v1::OpportunityKind::Job, "retail");
    unknown_kind.kind = 99;
    let cases = [
        (too_many_hours, "opportunity.hours_per_week"),
        (stranger, "opportunity.organisation_id"),
        (bad_sector, "opportunity.sector"),
        (unknown_kind, "opportunity.kind"),
    ];
    for (opportunity, field) in cases {
        let error = market
            .create_opportunity(to(
                "amsterdam",
                v1::CreateOpportunityRequest {
                    opportunity: Some(opportunity),
                },
            ))
            .await
            .unwrap_err();
        assert_eq!(error.code(), Code::InvalidArgument, "{field}");
        assert!(
            error.message().starts_with(field),
            "{field}: {}",
            error.message()
        );
    }
    let none = market
        .list_opportunities(to("amsterdam", v1::ListOpportunitiesRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert!(none.opportunities.is_empty());
    cluster.stop().await;
}
