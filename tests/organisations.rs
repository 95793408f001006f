//! An organisation as a caller of its own: an Amsterdam employer's contact writes
//! and submits its drafts, sees the applications to its own opportunities and
//! moves them to a placement, matches members to its published opportunities and
//! presents them at a fair — and never sees a residence status, a permit or what
//! the rules conclude about a member. The one thing of the rules it is shown, a
//! condition that falls on it as employer ("the employer applies for a TWV"),
//! appears only from the OFFER stage and only once the member agreed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{Months, Utc};
use common::chapter::{Chapter, employer, newcomer};
use common::{Backend, Cluster, to};
use passage_proto::v1::{
    self, market_service_client::MarketServiceClient, match_service_client::MatchServiceClient,
    member_service_client::MemberServiceClient, placement_service_client::PlacementServiceClient,
    review_service_client::ReviewServiceClient,
};
use tonic::Code;

on_both_backends!(
    an_employer_sees_its_applicants_without_their_status_and_its_own_condition_only_from_the_offer_with_consent,
    an_organisation_acts_only_for_itself,
);

const REGION: &str = "amsterdam";

/// The TWV condition of Amsterdam's rules, which falls on the employer.
const TWV: &str = "The employer applies for a work permit (TWV)";

/// `message` for Amsterdam, carrying the holder's token or session.
fn holding<T>(credential: &str, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert(passage_proto::REGION_METADATA_KEY, REGION.parse().unwrap());
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {credential}").parse().unwrap(),
    );
    request
}

/// A paid job of `organisation`: the TWV rule fires for an asylum seeker.
fn job(organisation: &str, title: &str) -> v1::Opportunity {
    v1::Opportunity {
        organisation_id: organisation.into(),
        title: title.into(),
        description: "Care assistant on the geriatric ward.".into(),
        kind: v1::OpportunityKind::Job as i32,
        sector: "healthcare".into(),
        languages: vec!["nl".into()],
        hours_per_week: 32,
        paid: true,
        hourly_wage_cents: 1_650,
        location: "Amsterdam-Oost".into(),
        ..Default::default()
    }
}

/// Yusuf, an asylum seeker eight months after applying: he may work, and his
/// employer needs a TWV.
async fn yusuf(chapter: &mut Chapter) -> String {
    let mut member = newcomer("Yusuf Rahimi");
    member.profile.as_mut().unwrap().share_across_regions = false;
    let regional = member.regional.as_mut().unwrap();
    regional.residence_status = v1::ResidenceStatus::AsylumSeeker as i32;
    regional.asylum_application_date = Utc::now()
        .date_naive()
        .checked_sub_months(Months::new(8))
        .unwrap()
        .format("%Y-%m-%d")
        .to_string();
    regional.civic_integration = v1::CivicIntegration::None as i32;
    chapter.register_member(member).await
}

/// The call was refused as not the organisation's business.
fn denied<T>(result: Result<tonic::Response<T>, tonic::Status>, what: &str) {
    let error = result.map(|_| ()).unwrap_err();
    assert_eq!(error.code(), Code::PermissionDenied, "{what}: {error:?}");
}

/// Nothing of what the rules concluded about the member.
fn nothing_of_the_rules(application: &v1::Application) {
    assert!(application.conditions.is_empty(), "{application:?}");
    assert!(application.warnings.is_empty(), "{application:?}");
    assert!(application.rule_ids.is_empty(), "{application:?}");
    assert_eq!(application.hours_cap, 0);
    assert_eq!(application.rules_version, "");
    assert_eq!(application.evaluated_on, "");
}

async fn an_employer_sees_its_applicants_without_their_status_and_its_own_condition_only_from_the_offer_with_consent(
    backend: Backend,
) {
    // Arrange: an employer with a published job, its contact's token, and Yusuf
    // with his own token.
    let cluster = Cluster::start(backend).await;
    let mut chapter = Chapter::open(&cluster).await;
    let zorggroep = chapter.organisation(employer("Zorggroep Amstel")).await;
    let opportunity = chapter.published(job(&zorggroep, "Care assistant")).await;
    let yusuf = yusuf(&mut chapter).await;
    let his = cluster.member_token(REGION, &yusuf).await;
    let contact = cluster.organisation_token(REGION, &zorggroep).await;
    let gateway = cluster.gateway().await;
    let mut placements = PlacementServiceClient::new(gateway.clone());

    let applied = placements
        .apply(holding(
            &his,
            v1::ApplyRequest {
                member_id: yusuf.clone(),
                opportunity_id: opportunity.clone(),
                motivation: "I cared for my grandparents for years.".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    // Yusuf sees what the rules ask, and which part falls on the employer.
    assert!(applied.conditions.iter().any(|c| c.starts_with(TWV)));
    assert!(
        applied
            .employer_conditions
            .iter()
            .any(|c| c.starts_with(TWV))
    );
    assert!(!applied.share_employer_conditions);

    // Act and assert: the employer lists its applicants and sees nothing of the
    // rules, and no residence status.
    let listed = placements
        .list_applications(holding(
            &contact,
            v1::ListApplicationsRequest {
                opportunity_id: opportunity.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.applications.len(), 1);
    let seen = &listed.applications[0];
    assert_eq!(seen.motivation, "I cared for my grandparents for years.");
    nothing_of_the_rules(seen);
    assert!(seen.employer_conditions.is_empty());
    let record = MemberServiceClient::new(gateway.clone())
        .get_member(holding(
            &contact,
            v1::GetMemberRequest { id: yusuf.clone() },
        ))
        .await
        .unwrap_err();
    assert_eq!(record.code(), Code::PermissionDenied, "{record:?}");

    // Yusuf agrees at once; the employer still sees nothing before the offer.
    placements
        .share_employer_conditions(holding(
            &his,
            v1::ShareEmployerConditionsRequest {
                id: applied.id.clone(),
                member_id: yusuf.clone(),
                share: true,
            },
        ))
        .await
        .unwrap();
    for stage in [
        v1::ApplicationStage::Screening,
        v1::ApplicationStage::Interview,
        v1::ApplicationStage::Offer,
    ] {
        let moved = placements
            .move_application(holding(
                &contact,
                v1::MoveApplicationRequest {
                    id: applied.id.clone(),
                    stage: stage as i32,
                    note: String::new(),
                },
            ))
            .await
            .unwrap()
            .into_inner();
        nothing_of_the_rules(&moved);
        assert_eq!(
            moved.employer_conditions.iter().any(|c| c.starts_with(TWV)),
            stage == v1::ApplicationStage::Offer,
            "at {stage:?}: {moved:?}"
        );
    }

    // He takes his consent back: the condition is hidden again.
    placements
        .share_employer_conditions(holding(
            &his,
            v1::ShareEmployerConditionsRequest {
                id: applied.id.clone(),
                member_id: yusuf.clone(),
                share: false,
            },
        ))
        .await
        .unwrap();
    let get = |credential: &str| {
        holding(
            credential,
            v1::GetApplicationRequest {
                id: applied.id.clone(),
            },
        )
    };
    let withheld = placements
        .get_application(get(&contact))
        .await
        .unwrap()
        .into_inner();
    nothing_of_the_rules(&withheld);
    assert!(withheld.employer_conditions.is_empty());
    // The employer cannot give consent in his name.
    let forged = placements
        .share_employer_conditions(holding(
            &contact,
            v1::ShareEmployerConditionsRequest {
                id: applied.id.clone(),
                member_id: yusuf.clone(),
                share: true,
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(forged.code(), Code::PermissionDenied);

    // He agrees again, and the employer accepts him with a start date.
    placements
        .share_employer_conditions(holding(
            &his,
            v1::ShareEmployerConditionsRequest {
                id: applied.id.clone(),
                member_id: yusuf.clone(),
                share: true,
            },
        ))
        .await
        .unwrap();
    let bad_date = placements
        .accept_application(holding(
            &contact,
            v1::AcceptApplicationRequest {
                id: applied.id.clone(),
                start_date: "next monday".into(),
                fill_opportunity: false,
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(bad_date.code(), Code::InvalidArgument);
    assert!(bad_date.message().contains("start_date"), "{bad_date:?}");
    let start = Utc::now().date_naive().format("%Y-%m-%d").to_string();
    let accepted = placements
        .accept_application(holding(
            &contact,
            v1::AcceptApplicationRequest {
                id: applied.id.clone(),
                start_date: start.clone(),
                fill_opportunity: false,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let application = accepted.application.unwrap();
    nothing_of_the_rules(&application);
    assert!(
        application
            .employer_conditions
            .iter()
            .any(|c| c.starts_with(TWV))
    );
    assert_eq!(accepted.placement.unwrap().start_date, start);
    // Yusuf still sees his whole application.
    let his_view = placements
        .get_application(get(&his))
        .await
        .unwrap()
        .into_inner();
    assert!(his_view.conditions.iter().any(|c| c.starts_with(TWV)));
    assert!(!his_view.rule_ids.is_empty());

    // Matching members to the job tells the employer no count the rules make.
    let matched = MatchServiceClient::new(gateway)
        .match_members(holding(
            &contact,
            v1::MatchMembersRequest {
                opportunity_id: opportunity.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((matched.considered, matched.eligible), (0, 0));
    assert!(matched.matches.iter().any(|m| m.member_id == yusuf));
    cluster.stop().await;
}

async fn an_organisation_acts_only_for_itself(backend: Backend) {
    // Arrange: two employers, each with a published job and an application.
    let cluster = Cluster::start(backend).await;
    let mut chapter = Chapter::open(&cluster).await;
    let ours = chapter.organisation(employer("Zorggroep Amstel")).await;
    let theirs = chapter.organisation(employer("Bouwbedrijf Noord")).await;
    let their_job = chapter.published(job(&theirs, "Site assistant")).await;
    let yusuf = yusuf(&mut chapter).await;
    let their_application = chapter
        .placements
        .apply(to(
            REGION,
            v1::ApplyRequest {
                member_id: yusuf,
                opportunity_id: their_job.clone(),
                motivation: String::new(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let contact = cluster
        .amsterdam_organisation_session("zorggroep", &ours, "herons on the amstel at six")
        .await;
    let gateway = cluster.gateway().await;
    let mut market = MarketServiceClient::new(gateway.clone());
    let mut placements = PlacementServiceClient::new(gateway.clone());
    let mut review = ReviewServiceClient::new(gateway.clone());

    // Its own draft: written, edited, submitted.
    let draft = market
        .create_opportunity(holding(
            &contact,
            v1::CreateOpportunityRequest {
                opportunity: Some(job(&ours, "Care assistant")),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let mut edited = draft.clone();
    edited.hours_per_week = 24;
    market
        .update_opportunity(holding(
            &contact,
            v1::UpdateOpportunityRequest {
                opportunity: Some(edited),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["hours_per_week".into()],
                }),
            },
        ))
        .await
        .unwrap();
    let submitted = review
        .submit_for_review(holding(
            &contact,
            v1::SubmitForReviewRequest {
                opportunity_id: draft.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(submitted.status, v1::OpportunityStatus::InReview as i32);
    let listed = market
        .list_opportunities(holding(&contact, v1::ListOpportunitiesRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        listed
            .opportunities
            .iter()
            .map(|o| o.id.as_str())
            .collect::<Vec<_>>(),
        [draft.id.as_str()],
        "only its own organisation's opportunities"
    );

    // Nothing of the other employer's.
    denied(
        market
            .create_opportunity(holding(
                &contact,
                v1::CreateOpportunityRequest {
                    opportunity: Some(job(&theirs, "Not ours")),
                },
            ))
            .await,
        "a draft for another organisation",
    );
    denied(
        market
            .get_opportunity(holding(
                &contact,
                v1::GetOpportunityRequest {
                    id: their_job.clone(),
                },
            ))
            .await,
        "another organisation's opportunity",
    );
    denied(
        placements
            .list_applications(holding(
                &contact,
                v1::ListApplicationsRequest {
                    opportunity_id: their_job.clone(),
                    ..Default::default()
                },
            ))
            .await,
        "the applications to another organisation's opportunity",
    );
    denied(
        placements
            .get_application(holding(
                &contact,
                v1::GetApplicationRequest {
                    id: their_application.id.clone(),
                },
            ))
            .await,
        "another organisation's applicant",
    );
    denied(
        placements
            .move_application(holding(
                &contact,
                v1::MoveApplicationRequest {
                    id: their_application.id.clone(),
                    stage: v1::ApplicationStage::Rejected as i32,
                    note: String::new(),
                },
            ))
            .await,
        "rejecting another organisation's applicant",
    );
    denied(
        MatchServiceClient::new(gateway)
            .match_members(holding(
                &contact,
                v1::MatchMembersRequest {
                    opportunity_id: their_job.clone(),
                    ..Default::default()
                },
            ))
            .await,
        "matching members to another organisation's opportunity",
    );
    // Its applicants one opportunity at a time, named.
    let unnamed = placements
        .list_applications(holding(&contact, v1::ListApplicationsRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(unnamed.code(), Code::InvalidArgument);
    assert!(unnamed.message().contains("opportunity_id"), "{unnamed:?}");
    cluster.stop().await;
}
