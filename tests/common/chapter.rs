//! The Amsterdam chapter as its admin works through the gateway: one client per
//! service, and the steps every story starts with — registering newcomers and
//! locals, an organisation and its opportunities, publishing one by community
//! review. A test adds the verbs of its own service in an `impl Chapter` block of
//! its own file, so that a scenario reads as the chapter would tell it.
//!
//! Each test binary includes `common` and uses only part of it; `common`'s
//! `#![allow(dead_code)]` covers this module too.

use std::time::{Duration, SystemTime};

use passage_proto::v1::{
    self, buddy_service_client::BuddyServiceClient, case_service_client::CaseServiceClient,
    coaching_service_client::CoachingServiceClient, event_service_client::EventServiceClient,
    expert_pool_service_client::ExpertPoolServiceClient, group_service_client::GroupServiceClient,
    market_service_client::MarketServiceClient, member_service_client::MemberServiceClient,
    placement_service_client::PlacementServiceClient, review_service_client::ReviewServiceClient,
};
use tonic::Code;
use tonic::transport::Channel;

use super::{Cluster, create, eventually, member_named, profile_in, to};

/// The region whose chapter this is.
pub const AMSTERDAM: &str = "amsterdam";

/// The Amsterdam chapter's clients, all through the gateway.
pub struct Chapter {
    pub members: MemberServiceClient<Channel>,
    pub market: MarketServiceClient<Channel>,
    pub review: ReviewServiceClient<Channel>,
    pub placements: PlacementServiceClient<Channel>,
    pub buddies: BuddyServiceClient<Channel>,
    pub groups: GroupServiceClient<Channel>,
    pub events: EventServiceClient<Channel>,
    pub coaching: CoachingServiceClient<Channel>,
    pub cases: CaseServiceClient<Channel>,
    pub experts: ExpertPoolServiceClient<Channel>,
    /// Reviewers [`Chapter::published`] has registered so far, to name the next.
    reviewers: usize,
    /// The gateway, for the clients a story adds.
    gateway: Channel,
}

impl Chapter {
    pub async fn open(cluster: &Cluster) -> Chapter {
        let gateway = cluster.gateway().await;
        Chapter {
            members: MemberServiceClient::new(gateway.clone()),
            market: MarketServiceClient::new(gateway.clone()),
            review: ReviewServiceClient::new(gateway.clone()),
            placements: PlacementServiceClient::new(gateway.clone()),
            buddies: BuddyServiceClient::new(gateway.clone()),
            groups: GroupServiceClient::new(gateway.clone()),
            events: EventServiceClient::new(gateway.clone()),
            coaching: CoachingServiceClient::new(gateway.clone()),
            cases: CaseServiceClient::new(gateway.clone()),
            experts: ExpertPoolServiceClient::new(gateway.clone()),
            reviewers: 0,
            gateway,
        }
    }

    /// The gateway, for a client of another service.
    pub fn gateway_channel(&self) -> Channel {
        self.gateway.clone()
    }

    // -- Members -----------------------------------------------------------------

    /// Registers `member` in Amsterdam; their id.
    pub async fn register_member(&mut self, member: v1::Member) -> String {
        create(&mut self.members, AMSTERDAM, member).await.id
    }

    /// Registers a newcomer of that name ([`newcomer`]); her id.
    pub async fn newcomer(&mut self, name: &str) -> String {
        self.register_member(newcomer(name)).await
    }

    /// Registers a local of that name ([`local`]); his id.
    pub async fn local(&mut self, name: &str) -> String {
        self.register_member(local(name)).await
    }

    /// Registers a member of that name in `role`; their id.
    pub async fn member(&mut self, name: &str, role: v1::MemberRole) -> String {
        self.register_member(member_named(name, role)).await
    }

    /// Registers a newcomer of that name in another region, through the same
    /// gateway (as that region's chapter admin); her id.
    pub async fn newcomer_in(&mut self, region: &str, name: &str) -> String {
        create(&mut self.members, region, newcomer(name)).await.id
    }

    /// Waits until Amsterdam holds the shared profile of `member`, a member of
    /// another region.
    pub async fn until_amsterdam_holds(&self, member: &str) {
        let members = self.members.clone();
        eventually(
            &format!("Amsterdam holds the shared profile of {member}"),
            || {
                let mut members = members.clone();
                let id = member.to_owned();
                async move { profile_in(&mut members, AMSTERDAM, &id).await.is_some() }
            },
        )
        .await;
    }

    // -- Organisations and opportunities ------------------------------------------

    /// Registers `organisation` in Amsterdam; its id.
    pub async fn organisation(&mut self, organisation: v1::Organisation) -> String {
        self.market
            .create_organisation(to(
                AMSTERDAM,
                v1::CreateOrganisationRequest {
                    organisation: Some(organisation),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .id
    }

    /// Creates `opportunity`, which starts as a draft; its id.
    pub async fn draft(&mut self, opportunity: v1::Opportunity) -> String {
        self.market
            .create_opportunity(to(
                AMSTERDAM,
                v1::CreateOpportunityRequest {
                    opportunity: Some(opportunity),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .id
    }

    /// The organisation submits its draft to community review.
    pub async fn submit_for_review(
        &mut self,
        opportunity: &str,
    ) -> Result<v1::Opportunity, tonic::Status> {
        self.review
            .submit_for_review(to(
                AMSTERDAM,
                v1::SubmitForReviewRequest {
                    opportunity_id: opportunity.into(),
                },
            ))
            .await
            .map(tonic::Response::into_inner)
    }

    /// A newcomer of Amsterdam approves the opportunity in review.
    pub async fn approve(&mut self, opportunity: &str, reviewer: &str) {
        self.review
            .review_opportunity(to(
                AMSTERDAM,
                v1::ReviewOpportunityRequest {
                    opportunity_id: opportunity.into(),
                    reviewer_member_id: reviewer.into(),
                    verdict: v1::ReviewVerdict::Approve as i32,
                    comment: String::new(),
                },
            ))
            .await
            .unwrap();
    }

    /// Community review publishes the draft: it is submitted and each of the
    /// `reviewers` (newcomers) approves.
    pub async fn publish(&mut self, opportunity: &str, reviewers: &[&str]) {
        self.submit_for_review(opportunity).await.unwrap();
        for reviewer in reviewers {
            self.approve(opportunity, reviewer).await;
        }
    }

    /// `opportunity` as a draft published by community review, as the region's
    /// policy asks: once it is submitted, as many fresh newcomers as the policy
    /// asks for ("Reviewer 1", "Reviewer 2", …, who keep their profiles in
    /// Amsterdam) approve it one by one. Its id.
    pub async fn published(&mut self, opportunity: v1::Opportunity) -> String {
        let id = self.draft(opportunity).await;
        self.submit_for_review(&id).await.unwrap();
        let policy = self
            .review
            .get_review_policy(to(AMSTERDAM, v1::GetReviewPolicyRequest {}))
            .await
            .unwrap()
            .into_inner();
        for _ in 0..policy.approvals_to_publish {
            self.reviewers += 1;
            let mut reviewer = newcomer(&format!("Reviewer {}", self.reviewers));
            reviewer.profile.as_mut().unwrap().share_across_regions = false;
            let reviewer = self.register_member(reviewer).await;
            self.approve(&id, &reviewer).await;
        }
        id
    }

    /// Where the opportunity stands.
    pub async fn opportunity_status(&mut self, opportunity: &str) -> v1::OpportunityStatus {
        let opportunity = self
            .market
            .get_opportunity(to(
                AMSTERDAM,
                v1::GetOpportunityRequest {
                    id: opportunity.into(),
                },
            ))
            .await
            .unwrap()
            .into_inner();
        v1::OpportunityStatus::try_from(opportunity.status).unwrap()
    }
}

/// A newcomer of that name, as a chapter admin registers her: [`super::amira`]
/// under another name.
pub fn newcomer(name: &str) -> v1::Member {
    member_named(name, v1::MemberRole::Newcomer)
}

/// A local of that name (a member who lives and works in the region).
pub fn local(name: &str) -> v1::Member {
    member_named(name, v1::MemberRole::Local)
}

/// An employer in healthcare in Amsterdam-Oost.
pub fn employer(name: &str) -> v1::Organisation {
    v1::Organisation {
        name: name.into(),
        kind: v1::OrganisationKind::Employer as i32,
        sector: "healthcare".into(),
        location: "Amsterdam-Oost".into(),
        ..Default::default()
    }
}

/// A volunteer organisation (an NGO) in healthcare in Amsterdam-Oost.
pub fn ngo(name: &str) -> v1::Organisation {
    v1::Organisation {
        kind: v1::OrganisationKind::Ngo as i32,
        ..employer(name)
    }
}

/// A time `minutes` from now (negative: ago).
pub fn in_minutes(minutes: i64) -> prost_types::Timestamp {
    let offset = Duration::from_secs(minutes.unsigned_abs() * 60);
    let time = if minutes < 0 {
        SystemTime::now() - offset
    } else {
        SystemTime::now() + offset
    };
    prost_types::Timestamp::from(time)
}

/// The call was refused with `code`, and the message says `says`.
pub fn refused(result: Result<impl std::fmt::Debug, tonic::Status>, code: Code, says: &str) {
    let error = result.unwrap_err();
    assert_eq!(error.code(), code, "{}", error.message());
    assert!(
        error.message().contains(says),
        "{:?} should say {says:?}",
        error.message()
    );
}

/// The call was refused naming `field`, with a refusal of `kind` about `value` in
/// the status's details, which the web app words in its reader's language; the
/// detail, for its `allowed`.
pub fn refused_as(
    result: Result<impl std::fmt::Debug, tonic::Status>,
    field: &str,
    kind: v1::RefusalKind,
    value: &str,
) -> v1::RefusedLine {
    refusal_of(&result.unwrap_err(), field, kind, value)
}

/// `error` refuses `field` with a refusal of `kind` about `value` in its
/// details; the detail, for its `allowed`.
pub fn refusal_of(
    error: &tonic::Status,
    field: &str,
    kind: v1::RefusalKind,
    value: &str,
) -> v1::RefusedLine {
    assert_eq!(error.code(), Code::InvalidArgument, "{}", error.message());
    assert!(
        error.message().starts_with(field),
        "{:?} should name {field}",
        error.message()
    );
    let detail = <v1::RefusedLine as prost::Message>::decode(error.details())
        .unwrap_or_else(|_| panic!("{:?} carries no refused line", error.message()));
    assert_eq!(
        (detail.column.as_str(), detail.kind(), detail.value.as_str()),
        (field, kind, value),
        "{}",
        error.message()
    );
    detail
}
