//! The facts issue 17's rules read, end to end through the API: a member's school
//! programme (a Dutch BPV internship needs neither a TWV nor the 6-month wait) and
//! unclear identity are stored on the regional record and can be changed by mask,
//! and an organisation's headcount decides Florida's E-Verify duty.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Backend, Cluster, create, member_named, to};
use passage_proto::v1::{
    self, market_service_client::MarketServiceClient, member_service_client::MemberServiceClient,
    rules_service_client::RulesServiceClient,
};
use prost_types::FieldMask;
use tonic::Code;
use tonic::transport::Channel;

on_both_backends!(
    a_bpv_internship_is_decided_from_the_members_school_programme,
    an_employers_headcount_decides_floridas_e_verify_duty,
);

/// The day every decision below is made for.
const DECISION_DAY: &str = "2026-11-24";

fn fired(decision: &v1::Decision) -> Vec<&str> {
    decision.fired.iter().map(|f| f.rule_id.as_str()).collect()
}

/// Registers `organisation` in `region` with one opportunity from `opportunity`.
async fn offer(
    market: &mut MarketServiceClient<Channel>,
    region: &str,
    organisation: v1::Organisation,
    opportunity: impl FnOnce(&str) -> v1::Opportunity,
) -> v1::Opportunity {
    let organisation = market
        .create_organisation(to(
            region,
            v1::CreateOrganisationRequest {
                organisation: Some(organisation),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    market
        .create_opportunity(to(
            region,
            v1::CreateOpportunityRequest {
                opportunity: Some(opportunity(&organisation.id)),
            },
        ))
        .await
        .unwrap()
        .into_inner()
}

async fn decide(
    rules: &mut RulesServiceClient<Channel>,
    region: &str,
    member_id: &str,
    opportunity_id: &str,
) -> v1::Decision {
    rules
        .evaluate(to(
            region,
            v1::EvaluateRequest {
                member_id: member_id.into(),
                opportunity_id: opportunity_id.into(),
                date: DECISION_DAY.into(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
}

async fn a_bpv_internship_is_decided_from_the_members_school_programme(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let gateway = cluster.gateway().await;
    let mut members = MemberServiceClient::new(gateway.clone());
    let mut market = MarketServiceClient::new(gateway.clone());
    let mut rules = RulesServiceClient::new(gateway);

    // Amina applied for asylum ten weeks ago and follows an MBO programme whose
    // internship she wants to do at an accountancy firm.
    let mut amina = member_named("Amina Warsame", v1::MemberRole::Newcomer);
    amina.profile.as_mut().unwrap().share_across_regions = false;
    let regional = amina.regional.as_mut().unwrap();
    regional.residence_status = v1::ResidenceStatus::AsylumSeeker as i32;
    regional.asylum_application_date = "2026-09-10".into();
    regional.nationality = "SO".into();
    regional.in_school_programme = true;
    regional.identity_unclear = true;
    let amina = create(&mut members, "amsterdam", amina).await;
    let stored = amina.regional.as_ref().unwrap();
    assert!(
        stored.in_school_programme && stored.identity_unclear,
        "{stored:?}"
    );
    let internship = offer(
        &mut market,
        "amsterdam",
        v1::Organisation {
            name: "Kantoor Accountants".into(),
            kind: v1::OrganisationKind::Employer as i32,
            sector: "finance".into(),
            ..Default::default()
        },
        |organisation_id| v1::Opportunity {
            organisation_id: organisation_id.into(),
            title: "Intern, bookkeeping".into(),
            description: "Bookkeeping internship for an MBO student.".into(),
            kind: v1::OpportunityKind::Internship as i32,
            sector: "finance".into(),
            hours_per_week: 24,
            paid: false,
            ..Default::default()
        },
    )
    .await;

    // Her own programme's internship: no TWV and no 6-month wait.
    let bpv = decide(&mut rules, "amsterdam", &amina.id, &internship.id).await;
    assert!(bpv.eligible, "{bpv:?}");
    assert_eq!(fired(&bpv), ["nl-asylum-bpv-internship"]);
    // In Dutch too, and the day the rule was checked.
    let rule = &bpv.fired[0];
    assert!(
        rule.translations["nl"].contains("praktijkovereenkomst"),
        "{rule:?}"
    );
    assert!(rule.translations.contains_key("ar") && rule.translations.contains_key("uk"));
    assert_eq!(rule.reviewed_on, "2026-12-04");

    // She leaves the programme: the same unpaid internship is work, not yet allowed.
    let left = members
        .update_member(to(
            "amsterdam",
            v1::UpdateMemberRequest {
                member: Some(v1::Member {
                    id: amina.id.clone(),
                    regional: Some(v1::RegionalRecord::default()),
                    ..Default::default()
                }),
                update_mask: Some(FieldMask {
                    paths: vec![
                        "regional.in_school_programme".into(),
                        "regional.identity_unclear".into(),
                    ],
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let regional = left.regional.as_ref().unwrap();
    assert!(!regional.in_school_programme && !regional.identity_unclear);
    assert_eq!(regional.nationality, "SO", "unmasked fields stay");
    let work = decide(&mut rules, "amsterdam", &amina.id, &internship.id).await;
    assert!(!work.eligible, "{work:?}");
    assert_eq!(fired(&work), ["nl-asylum-internship-waiting-period"]);
    cluster.stop().await;
}

async fn an_employers_headcount_decides_floridas_e_verify_duty(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let gateway = cluster.gateway().await;
    let mut members = MemberServiceClient::new(gateway.clone());
    let mut market = MarketServiceClient::new(gateway.clone());
    let mut rules = RulesServiceClient::new(gateway);

    let mut refugee = member_named("Yanelis Pérez", v1::MemberRole::Newcomer);
    refugee.profile.as_mut().unwrap().share_across_regions = false;
    let regional = refugee.regional.as_mut().unwrap();
    regional.residence_status = v1::ResidenceStatus::StatusHolder as i32;
    regional.nationality = "CU".into();
    regional.permits = vec![v1::Permit {
        kind: "ead_a3".into(),
        valid_until: "2027-10-01".into(),
    }];
    let refugee = create(&mut members, "miami", refugee).await;
    let hotel = |headcount: i32| v1::Organisation {
        name: format!("Bayfront Hotel ({headcount})"),
        kind: v1::OrganisationKind::Employer as i32,
        sector: "hospitality".into(),
        headcount,
        ..Default::default()
    };
    let job = |organisation_id: &str| v1::Opportunity {
        organisation_id: organisation_id.into(),
        title: "Front desk agent".into(),
        description: "Check-in and guest service.".into(),
        kind: v1::OpportunityKind::Job as i32,
        sector: "hospitality".into(),
        hours_per_week: 40,
        paid: true,
        hourly_wage_cents: 1_650,
        ..Default::default()
    };

    let large = offer(&mut market, "miami", hotel(240), job).await;
    let decision = decide(&mut rules, "miami", &refugee.id, &large.id).await;
    assert!(decision.eligible, "{decision:?}");
    assert_eq!(fired(&decision), ["fl-e-verify-private-employers"]);
    assert!(decision.conditions.iter().any(|c| c.contains("E-Verify")));

    let small = offer(&mut market, "miami", hotel(24), job).await;
    let decision = decide(&mut rules, "miami", &refugee.id, &small.id).await;
    assert!(decision.fired.is_empty(), "{decision:?}");

    // The small hotel grows to 30 employees: its new hires go through E-Verify.
    let grown = market
        .update_organisation(to(
            "miami",
            v1::UpdateOrganisationRequest {
                organisation: Some(v1::Organisation {
                    id: small.organisation_id.clone(),
                    headcount: 30,
                    ..Default::default()
                }),
                update_mask: Some(FieldMask {
                    paths: vec!["headcount".into()],
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(grown.headcount, 30);
    assert_eq!(grown.name, "Bayfront Hotel (24)", "unmasked fields stay");
    let decision = decide(&mut rules, "miami", &refugee.id, &small.id).await;
    assert_eq!(fired(&decision), ["fl-e-verify-private-employers"]);

    // A headcount below zero is refused, naming the field.
    let refused = market
        .create_organisation(to(
            "miami",
            v1::CreateOrganisationRequest {
                organisation: Some(hotel(-1)),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(
        refused.message().contains("organisation.headcount"),
        "{refused:?}"
    );
    cluster.stop().await;
}
