//! Community review, as Refugee Start Force runs it: an organisation's opportunity
//! is checked by newcomers of the region before it goes out. Two approvals publish
//! it (the default policy), a request for changes sends it back to the
//! organisation, two rejections close it, and only newcomers review.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::chapter::{Chapter, employer, refused, refused_as};
use common::{Backend, Cluster, to};
use passage_proto::v1;
use prost_types::FieldMask;
use tonic::Code;

on_both_backends!(
    an_employers_internship_is_published_after_two_newcomers_approve_it,
    a_newcomer_asks_for_changes_the_employer_revises_and_the_second_round_publishes_it,
    a_local_cannot_review,
    two_rejections_close_it,
);

/// Community review of an employer's internship, as the chapter follows it.
impl Chapter {
    /// What every story starts with: an employer with an internship in draft; the
    /// internship's id.
    async fn internship(&mut self) -> String {
        let employer = self.organisation(employer("Zorggroep Amstel")).await;
        self.draft(v1::Opportunity {
            organisation_id: employer,
            title: "Internship on the geriatric ward".into(),
            description: "Three months alongside our nurses.".into(),
            kind: v1::OpportunityKind::Internship as i32,
            sector: "healthcare".into(),
            languages: vec!["nl".into()],
            hours_per_week: 24,
            paid: true,
            location: "Amsterdam-Oost".into(),
            ..Default::default()
        })
        .await
    }

    async fn submit(&mut self, internship: &str) -> v1::Opportunity {
        self.submit_for_review(internship).await.unwrap()
    }

    async fn review(
        &mut self,
        internship: &str,
        reviewer: &str,
        verdict: v1::ReviewVerdict,
        comment: &str,
    ) -> Result<v1::OpportunityReview, tonic::Status> {
        self.review
            .review_opportunity(to(
                "amsterdam",
                v1::ReviewOpportunityRequest {
                    opportunity_id: internship.into(),
                    reviewer_member_id: reviewer.into(),
                    verdict: verdict as i32,
                    comment: comment.into(),
                },
            ))
            .await
            .map(tonic::Response::into_inner)
    }

    /// UpdateOpportunity of the masked fields of `change`.
    async fn update(
        &mut self,
        internship: &str,
        change: v1::Opportunity,
        paths: &[&str],
    ) -> Result<v1::Opportunity, tonic::Status> {
        self.market
            .update_opportunity(to(
                "amsterdam",
                v1::UpdateOpportunityRequest {
                    opportunity: Some(v1::Opportunity {
                        id: internship.into(),
                        ..change
                    }),
                    update_mask: Some(FieldMask {
                        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
                    }),
                },
            ))
            .await
            .map(tonic::Response::into_inner)
    }

    async fn set_status(
        &mut self,
        internship: &str,
        status: v1::OpportunityStatus,
    ) -> Result<v1::Opportunity, tonic::Status> {
        self.update(
            internship,
            v1::Opportunity {
                status: status as i32,
                ..Default::default()
            },
            &["status"],
        )
        .await
    }

    async fn reviews(&mut self, internship: &str, round: i32) -> Vec<v1::OpportunityReview> {
        self.review
            .list_opportunity_reviews(to(
                "amsterdam",
                v1::ListOpportunityReviewsRequest {
                    opportunity_id: internship.into(),
                    round,
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .reviews
    }
}

use v1::OpportunityStatus::{Closed, Draft, InReview, Published};
use v1::ReviewVerdict::{Approve, Reject, RequestChanges};

async fn an_employers_internship_is_published_after_two_newcomers_approve_it(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let mut chapter = Chapter::open(&cluster).await;
    let internship = chapter.internship().await;
    let policy = chapter
        .review
        .get_review_policy(to("amsterdam", v1::GetReviewPolicyRequest {}))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (policy.approvals_to_publish, policy.rejections_to_close),
        (2, 2)
    );
    let samira = chapter.newcomer("Samira Yousef").await;
    let tesfay = chapter.newcomer("Tesfay Gebre").await;

    refused(
        chapter.set_status(&internship, InReview).await,
        Code::FailedPrecondition,
        "ReviewService.SubmitForReview",
    );
    refused(
        chapter.set_status(&internship, Published).await,
        Code::FailedPrecondition,
        "draft to published",
    );
    assert_eq!(chapter.submit(&internship).await.status, InReview as i32);
    refused(
        chapter.submit_for_review(&internship).await,
        Code::FailedPrecondition,
        "is in_review; only a draft can be submitted",
    );

    let first = chapter
        .review(&internship, &samira, Approve, "Clear hours, fair pay.")
        .await
        .unwrap();
    assert_eq!(
        (
            first.round,
            first.verdict,
            first.reviewer_member_id.as_str()
        ),
        (1, Approve as i32, samira.as_str())
    );
    assert_eq!(
        chapter.opportunity_status(&internship).await,
        InReview,
        "one approval is not enough"
    );
    refused(
        chapter.review(&internship, &samira, Approve, "").await,
        Code::AlreadyExists,
        "already reviewed",
    );
    refused(
        chapter.set_status(&internship, Published).await,
        Code::FailedPrecondition,
        "published by community review (2 approvals)",
    );
    refused(
        chapter
            .update(
                &internship,
                v1::Opportunity {
                    title: "Unpaid internship".into(),
                    ..Default::default()
                },
                &["title"],
            )
            .await,
        Code::FailedPrecondition,
        "title can change only while it is a draft",
    );

    chapter
        .review(&internship, &tesfay, Approve, "")
        .await
        .unwrap();
    assert_eq!(chapter.opportunity_status(&internship).await, Published);
    let published = chapter
        .market
        .list_opportunities(to(
            "amsterdam",
            v1::ListOpportunitiesRequest {
                status: Published as i32,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .opportunities;
    assert_eq!(published.len(), 1);
    assert_eq!(published[0].title, "Internship on the geriatric ward");

    let reviews = chapter.reviews(&internship, 0).await;
    let reviewers: Vec<&str> = reviews
        .iter()
        .map(|r| r.reviewer_member_id.as_str())
        .collect();
    assert_eq!(reviewers, [samira.as_str(), tesfay.as_str()]);
    assert_eq!(reviews[0].comment, "Clear hours, fair pay.");

    let late = chapter.newcomer("Olena Shevchenko").await;
    refused(
        chapter.review(&internship, &late, Approve, "").await,
        Code::FailedPrecondition,
        "is published, not in review",
    );
    // Filled and reopened by the employer, as before community review.
    assert_eq!(
        chapter
            .set_status(&internship, v1::OpportunityStatus::Filled)
            .await
            .unwrap()
            .status,
        v1::OpportunityStatus::Filled as i32
    );
    assert_eq!(
        chapter
            .set_status(&internship, Published)
            .await
            .unwrap()
            .status,
        Published as i32
    );
    cluster.stop().await;
}

async fn a_newcomer_asks_for_changes_the_employer_revises_and_the_second_round_publishes_it(
    backend: Backend,
) {
    let cluster = Cluster::start(backend).await;
    let mut chapter = Chapter::open(&cluster).await;
    let internship = chapter.internship().await;
    let samira = chapter.newcomer("Samira Yousef").await;
    let tesfay = chapter.newcomer("Tesfay Gebre").await;
    let olena = chapter.newcomer("Olena Shevchenko").await;

    chapter.submit(&internship).await;
    chapter
        .review(&internship, &samira, Approve, "")
        .await
        .unwrap();
    refused(
        chapter
            .review(&internship, &tesfay, RequestChanges, "  ")
            .await,
        Code::InvalidArgument,
        "comment: must say what to change",
    );
    refused_as(
        chapter
            .review(&internship, &tesfay, RequestChanges, "  ")
            .await,
        "comment",
        v1::RefusalKind::NeedsAReason,
        "",
    );
    let changes = chapter
        .review(
            &internship,
            &tesfay,
            RequestChanges,
            "Say that Dutch at B1 is enough, and that there is a buddy on the ward.",
        )
        .await
        .unwrap();
    assert_eq!(changes.round, 1);
    assert_eq!(
        chapter.opportunity_status(&internship).await,
        Draft,
        "sent back at once for revision"
    );

    let revised = chapter
        .update(
            &internship,
            v1::Opportunity {
                description: "Three months alongside our nurses. Dutch at B1 is enough; \
                              a colleague on the ward is your buddy."
                    .into(),
                ..Default::default()
            },
            &["description"],
        )
        .await
        .unwrap();
    assert!(revised.description.contains("B1"));

    assert_eq!(chapter.submit(&internship).await.status, InReview as i32);
    let second = chapter
        .review(&internship, &olena, Approve, "")
        .await
        .unwrap();
    assert_eq!(second.round, 2);
    assert_eq!(
        chapter.opportunity_status(&internship).await,
        InReview,
        "Samira's approval of the first version does not count for the second"
    );
    chapter
        .review(&internship, &samira, Approve, "Much clearer now.")
        .await
        .unwrap();
    assert_eq!(chapter.opportunity_status(&internship).await, Published);

    assert_eq!(chapter.reviews(&internship, 0).await.len(), 4);
    let round_two: Vec<String> = chapter
        .reviews(&internship, 2)
        .await
        .into_iter()
        .map(|r| r.reviewer_member_id)
        .collect();
    assert_eq!(round_two, [olena, samira]);
    cluster.stop().await;
}

async fn a_local_cannot_review(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let mut chapter = Chapter::open(&cluster).await;
    let internship = chapter.internship().await;
    let newcomer = chapter.newcomer("Samira Yousef").await;
    let local = chapter.local("Joost de Vries").await;
    let coach = chapter
        .member("Els Bakker", v1::MemberRole::VolunteerCoach)
        .await;

    refused(
        chapter.review(&internship, &newcomer, Approve, "").await,
        Code::FailedPrecondition,
        "is draft, not in review",
    );
    chapter.submit(&internship).await;
    refused(
        chapter.review(&internship, &local, Approve, "").await,
        Code::FailedPrecondition,
        "is a local, not a newcomer",
    );
    refused(
        chapter
            .review(&internship, &coach, Reject, "Too many hours")
            .await,
        Code::FailedPrecondition,
        "is a volunteer coach, not a newcomer",
    );
    refused(
        chapter
            .review(&internship, &uuid::Uuid::now_v7().to_string(), Approve, "")
            .await,
        Code::NotFound,
        "member",
    );
    refused(
        chapter.review(&internship, "someone", Approve, "").await,
        Code::InvalidArgument,
        "reviewer_member_id",
    );
    refused(
        chapter
            .review(&internship, &newcomer, v1::ReviewVerdict::Unspecified, "")
            .await,
        Code::InvalidArgument,
        "verdict",
    );

    // A newcomer of Miami, whose shared profile Amsterdam holds, is not one of
    // Amsterdam's reviewers.
    let miami = chapter.newcomer_in("miami", "Jean-Baptiste Pierre").await;
    chapter.until_amsterdam_holds(&miami).await;
    refused(
        chapter.review(&internship, &miami, Approve, "").await,
        Code::FailedPrecondition,
        "belongs to region miami",
    );

    assert!(
        chapter.reviews(&internship, 0).await.is_empty(),
        "nothing was recorded"
    );
    assert_eq!(chapter.opportunity_status(&internship).await, InReview);
    cluster.stop().await;
}

async fn two_rejections_close_it(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let mut chapter = Chapter::open(&cluster).await;
    let internship = chapter.internship().await;
    let samira = chapter.newcomer("Samira Yousef").await;
    let tesfay = chapter.newcomer("Tesfay Gebre").await;

    chapter.submit(&internship).await;
    refused(
        chapter.review(&internship, &samira, Reject, "").await,
        Code::InvalidArgument,
        "comment",
    );
    chapter
        .review(
            &internship,
            &samira,
            Reject,
            "Unpaid work presented as an internship.",
        )
        .await
        .unwrap();
    assert_eq!(chapter.opportunity_status(&internship).await, InReview);
    chapter
        .review(&internship, &tesfay, Reject, "No supervision is described.")
        .await
        .unwrap();
    assert_eq!(chapter.opportunity_status(&internship).await, Closed);
    refused(
        chapter.set_status(&internship, Published).await,
        Code::FailedPrecondition,
        "closed to published",
    );
    refused(
        chapter.submit_for_review(&internship).await,
        Code::FailedPrecondition,
        "is closed",
    );
    cluster.stop().await;
}
