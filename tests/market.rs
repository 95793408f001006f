//! An organisation joins a region's market and offers opportunities, which move
//! through their life cycle (published only by community review) and can be found
//! by kind, sector and status.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Backend, Cluster, create, member_named, to};
use passage_proto::v1::{
    self, market_service_client::MarketServiceClient, member_service_client::MemberServiceClient,
    review_service_client::ReviewServiceClient,
};
use prost_types::FieldMask;
use tonic::Code;
use tonic::transport::Channel;

on_both_backends!(
    an_organisation_offers_opportunities_found_by_kind_sector_and_status,
    an_opportunity_follows_its_life_cycle,
    bad_market_input_is_rejected_naming_the_field,
    a_freelance_opportunity_and_its_wage_are_kept_and_changed_by_mask,
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

/// Puts a draft up for community review.
async fn submit_for_review(cluster: &Cluster, id: &str) -> v1::Opportunity {
    ReviewServiceClient::new(cluster.gateway().await)
        .submit_for_review(to(
            "amsterdam",
            v1::SubmitForReviewRequest {
                opportunity_id: id.into(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
}

/// Has an opportunity in review approved by as many newcomers as the region's
/// policy asks, which publishes it.
async fn publish_by_review(cluster: &Cluster, id: &str) -> v1::Opportunity {
    let gateway = cluster.gateway().await;
    let mut review = ReviewServiceClient::new(gateway.clone());
    let mut members = MemberServiceClient::new(gateway);
    let policy = review
        .get_review_policy(to("amsterdam", v1::GetReviewPolicyRequest {}))
        .await
        .unwrap()
        .into_inner();
    for n in 0..policy.approvals_to_publish {
        let reviewer = create(
            &mut members,
            "amsterdam",
            member_named(&format!("Reviewer {n}"), v1::MemberRole::Newcomer),
        )
        .await;
        review
            .review_opportunity(to(
                "amsterdam",
                v1::ReviewOpportunityRequest {
                    opportunity_id: id.into(),
                    reviewer_member_id: reviewer.id,
                    verdict: v1::ReviewVerdict::Approve as i32,
                    comment: String::new(),
                },
            ))
            .await
            .unwrap();
    }
    MarketServiceClient::new(cluster.gateway().await)
        .get_opportunity(to("amsterdam", v1::GetOpportunityRequest { id: id.into() }))
        .await
        .unwrap()
        .into_inner()
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
    submit_for_review(&cluster, &created[0].id).await;

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
    let not_by_hand = set_status(&mut market, &draft.id, v1::OpportunityStatus::InReview)
        .await
        .unwrap_err();
    assert_eq!(not_by_hand.code(), Code::FailedPrecondition);
    assert!(
        not_by_hand
            .message()
            .contains("ReviewService.SubmitForReview"),
        "{}",
        not_by_hand.message()
    );

    let retitle = |title: &str| {
        to(
            "amsterdam",
            v1::UpdateOpportunityRequest {
                opportunity: Some(v1::Opportunity {
                    id: draft.id.clone(),
                    title: title.into(),
                    hours_per_week: 0,
                    ..Default::default()
                }),
                update_mask: Some(FieldMask {
                    paths: vec!["title".into()],
                }),
            },
        )
    };
    let retitled = market
        .update_opportunity(retitle("Bakery learn-work trajectory"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(retitled.title, "Bakery learn-work trajectory");
    assert_eq!(
        retitled.hours_per_week, 20,
        "unmasked fields keep their value"
    );

    use v1::OpportunityStatus::*;
    assert_eq!(
        submit_for_review(&cluster, &draft.id).await.status,
        InReview as i32
    );
    let sent_back = set_status(&mut market, &draft.id, Draft).await.unwrap();
    assert_eq!(sent_back.status, Draft as i32, "an admin sends it back");
    submit_for_review(&cluster, &draft.id).await;
    let by_hand = set_status(&mut market, &draft.id, Published)
        .await
        .unwrap_err();
    assert_eq!(by_hand.code(), Code::FailedPrecondition);
    assert!(
        by_hand.message().contains("published by community review"),
        "{}",
        by_hand.message()
    );
    assert_eq!(
        publish_by_review(&cluster, &draft.id).await.status,
        Published as i32
    );
    for status in [Filled, Published, Filled, Closed] {
        let now = set_status(&mut market, &draft.id, status).await.unwrap();
        assert_eq!(now.status, status as i32);
    }
    let reopened = set_status(&mut market, &draft.id, Published)
        .await
        .unwrap_err();
    assert_eq!(reopened.code(), Code::FailedPrecondition);

    let reviewed_content = market
        .update_opportunity(retitle("Something else entirely"))
        .await
        .unwrap_err();
    assert_eq!(reviewed_content.code(), Code::FailedPrecondition);
    assert!(
        reviewed_content
            .message()
            .contains("title can change only while it is a draft"),
        "{}",
        reviewed_content.message()
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
    let mut unpaid_with_wage = opening(
        &organisation.id,
        v1::OpportunityKind::Volunteer,
        "hospitality",
    );
    unpaid_with_wage.paid = false;
    unpaid_with_wage.hourly_wage_cents = 1500;
    let mut negative_wage = opening(&organisation.id, v1::OpportunityKind::Job, "retail");
    negative_wage.hourly_wage_cents = -1471;
    let cases = [
        (too_many_hours, "opportunity.hours_per_week"),
        (stranger, "opportunity.organisation_id"),
        (bad_sector, "opportunity.sector"),
        (unknown_kind, "opportunity.kind"),
        (unpaid_with_wage, "opportunity.hourly_wage_cents"),
        (negative_wage, "opportunity.hourly_wage_cents"),
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

/// The bakery hires a freelance cake decorator: self-employed, at a wage above the
/// Dutch minimum. The chapter admin first records it as employment, corrects that
/// with a mask on `self_employment` alone, and cannot make it unpaid while a wage
/// is still recorded.
async fn a_freelance_opportunity_and_its_wage_are_kept_and_changed_by_mask(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let mut market = cluster.market_via_gateway().await;
    let organisation = create_organisation(&mut market).await;
    let mut decorator = opening(&organisation.id, v1::OpportunityKind::Job, "hospitality");
    decorator.title = "Cake decorator (freelance)".into();
    decorator.hourly_wage_cents = 2250;
    let created = market
        .create_opportunity(to(
            "amsterdam",
            v1::CreateOpportunityRequest {
                opportunity: Some(decorator),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(created.hourly_wage_cents, 2250);
    assert!(!created.self_employment);

    let update = |opportunity: v1::Opportunity, paths: &[&str]| {
        to(
            "amsterdam",
            v1::UpdateOpportunityRequest {
                opportunity: Some(opportunity),
                update_mask: Some(FieldMask {
                    paths: paths.iter().map(|path| (*path).to_owned()).collect(),
                }),
            },
        )
    };
    // Only the masked field lands, not the wage the request also carries.
    let freelance = market
        .update_opportunity(update(
            v1::Opportunity {
                id: created.id.clone(),
                self_employment: true,
                hourly_wage_cents: 99,
                ..Default::default()
            },
            &["self_employment"],
        ))
        .await
        .unwrap()
        .into_inner();
    let mut expected = created.clone();
    expected.self_employment = true;
    expected.update_time = freelance.update_time;
    assert_eq!(freelance, expected);
    let read = market
        .get_opportunity(to(
            "amsterdam",
            v1::GetOpportunityRequest {
                id: created.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read, freelance);

    // Unpaid, but the wage is still there: refused, naming the wage, and nothing changes.
    let unpaid = market
        .update_opportunity(update(
            v1::Opportunity {
                id: created.id.clone(),
                paid: false,
                ..Default::default()
            },
            &["paid"],
        ))
        .await
        .unwrap_err();
    assert_eq!(unpaid.code(), Code::InvalidArgument);
    assert!(
        unpaid
            .message()
            .starts_with("opportunity.hourly_wage_cents"),
        "{}",
        unpaid.message()
    );
    assert!(
        unpaid.message().contains("opportunity.paid"),
        "{}",
        unpaid.message()
    );
    common::chapter::refusal_of(
        &unpaid,
        "opportunity.hourly_wage_cents",
        v1::RefusalKind::WageWhenUnpaid,
        &created.hourly_wage_cents.to_string(),
    );
    let unchanged = market
        .get_opportunity(to(
            "amsterdam",
            v1::GetOpportunityRequest {
                id: created.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(unchanged, freelance);

    // Unpaid and without a wage, together: accepted.
    let volunteer = market
        .update_opportunity(update(
            v1::Opportunity {
                id: created.id.clone(),
                paid: false,
                hourly_wage_cents: 0,
                ..Default::default()
            },
            &["paid", "hourly_wage_cents"],
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(!volunteer.paid);
    assert_eq!(volunteer.hourly_wage_cents, 0);
    assert!(volunteer.self_employment);
    cluster.stop().await;
}
