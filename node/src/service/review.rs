//! `passage.v1.ReviewService`: community review of this region's opportunities by
//! its newcomer members, under the region's review policy.

use chrono::Utc;
use passage_proto::v1::{self, review_service_server::ReviewService};
use sea_orm::ConnectionTrait;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::community::{Acting, CommunityRole};
use crate::context::NodeContext;
use crate::convert::{self, enums};
use crate::error::{Error, Refusal, Result};
use crate::membership;
use crate::review_policy::{Outcome, Verdict};
use crate::store::{
    PageRequest,
    entity::{opportunity, opportunity_review},
    review, rows,
};
use crate::validate;

/// Longest review comment, in characters.
const MAX_COMMENT: usize = 2000;

/// Serves `ReviewService` from the node's database.
pub struct ReviewApi {
    context: NodeContext,
}

impl ReviewApi {
    pub fn new(context: NodeContext) -> Self {
        ReviewApi { context }
    }
}

/// The reviewer must be a newcomer of `region`: `NotFound` when no one has this id
/// here, `FailedPrecondition` saying why when someone does but may not review.
async fn check_reviewer(db: &impl ConnectionTrait, region: &str, id: Uuid) -> Result<()> {
    let row = membership::presence(db, id).await?.map_err(|absence| {
        absence.refusal(
            "",
            id,
            &format!("only members of {region} review its opportunities"),
        )
    })?;
    if row.role != "newcomer" {
        return Err(Error::FailedPrecondition(format!(
            "member {id} is a {}, not a newcomer; only newcomers review opportunities",
            row.role.replace('_', " ")
        )));
    }
    Ok(())
}

fn verdict(value: v1::ReviewVerdict) -> Verdict {
    match value {
        v1::ReviewVerdict::RequestChanges => Verdict::RequestChanges,
        v1::ReviewVerdict::Reject => Verdict::Reject,
        v1::ReviewVerdict::Approve | v1::ReviewVerdict::Unspecified => Verdict::Approve,
    }
}

#[tonic::async_trait]
impl ReviewService for ReviewApi {
    async fn submit_for_review(
        &self,
        request: Request<v1::SubmitForReviewRequest>,
    ) -> Result<Response<v1::Opportunity>, Status> {
        let id = validate::id("opportunity_id", &request.get_ref().opportunity_id)?;
        let (_turn, txn) = self.context.begin_write().await?;
        let row = rows::find::<opportunity::Entity>(&txn, id, "opportunity").await?;
        crate::access::acts_for_organisation(&request, row.organisation_id)?;
        if row.status != "draft" {
            return Err(Error::FailedPrecondition(format!(
                "opportunity {id} is {}; only a draft can be submitted for review",
                row.status
            ))
            .into());
        }
        let now = Utc::now();
        let approvals_to_publish = self.context.review_policy.approvals_to_publish;
        let round = review::start_round(&txn, id, now, approvals_to_publish).await?;
        let saved = review::set_status(&txn, row, "in_review", now).await?;
        crate::store::notifications::hooks::review_waiting(&txn, now).await?;
        txn.commit().await.map_err(Error::from)?;
        self.context.mail_ready.notify_one();
        tracing::info!(opportunity_id = %id, round, "opportunity submitted for review");
        Ok(Response::new(convert::market::opportunity_to_wire(&saved)))
    }

    async fn review_opportunity(
        &self,
        request: Request<v1::ReviewOpportunityRequest>,
    ) -> Result<Response<v1::OpportunityReview>, Status> {
        let acting = Acting::of(&request)?;
        let request = request.into_inner();
        let opportunity_id = validate::id("opportunity_id", &request.opportunity_id)?;
        let reviewer = validate::id("reviewer_member_id", &request.reviewer_member_id)?;
        let given = enums::parse::<v1::ReviewVerdict>("verdict", request.verdict, true)?;
        let comment = match given {
            v1::ReviewVerdict::Approve => {
                validate::optional_text("comment", &request.comment, MAX_COMMENT)?
            }
            _ => validate::required_text("comment", &request.comment, MAX_COMMENT).map_err(
                |error| match error {
                    Error::InvalidArgument { field, reason, .. }
                        if reason == "must not be empty" =>
                    {
                        Error::refused(
                            field,
                            "must say what to change, or why not, when the verdict is not APPROVE",
                            Refusal::of(v1::RefusalKind::NeedsAReason, "", []),
                        )
                    }
                    other => other,
                },
            )?,
        };

        acting.named("reviewer_member_id", reviewer)?;
        let (_turn, txn) = self.context.begin_write().await?;
        crate::community::require(&txn, acting, CommunityRole::NewcomerReviewer).await?;
        check_reviewer(&txn, &self.context.region, reviewer).await?;
        let row = rows::find::<opportunity::Entity>(&txn, opportunity_id, "opportunity").await?;
        if row.status != "in_review" {
            return Err(Error::FailedPrecondition(format!(
                "opportunity {opportunity_id} is {}, not in review",
                row.status
            ))
            .into());
        }
        let now = Utc::now();
        let approvals_to_publish = self.context.review_policy.approvals_to_publish;
        // An opportunity put in review before community review existed is in its
        // first round.
        let round = match review::current_round(&txn, opportunity_id).await? {
            0 => review::start_round(&txn, opportunity_id, now, approvals_to_publish).await?,
            round => round,
        };
        if review::find_review(&txn, opportunity_id, round, reviewer)
            .await?
            .is_some()
        {
            return Err(Error::AlreadyExists(format!(
                "member {reviewer} already reviewed opportunity {opportunity_id} in round {round}"
            ))
            .into());
        }
        let saved = rows::insert::<opportunity_review::Entity>(
            &txn,
            opportunity_review::Model {
                id: Uuid::now_v7(),
                opportunity_id,
                reviewer_member_id: reviewer,
                verdict: enums::stored(given),
                comment,
                round,
                created_at: now,
                external_id: None,
            },
        )
        .await?;
        crate::store::tally::review(&txn, approvals_to_publish, None, Some(&saved)).await?;
        let approvals = review::count_verdicts(&txn, opportunity_id, round, "approve").await?;
        let rejections = review::count_verdicts(&txn, opportunity_id, round, "reject").await?;
        let outcome = self
            .context
            .review_policy
            .outcome(verdict(given), approvals, rejections);
        let status = match outcome {
            Outcome::StaysInReview => None,
            Outcome::Publish => Some("published"),
            Outcome::BackToDraft => Some("draft"),
            Outcome::Close => Some("closed"),
        };
        if let Some(status) = status {
            let organisation_id = row.organisation_id;
            review::set_status(&txn, row, status, now).await?;
            crate::store::notifications::hooks::opportunity_reviewed(&txn, organisation_id, status)
                .await?;
        }
        txn.commit().await.map_err(Error::from)?;
        if status.is_some() {
            // Published (or no longer): matching's catalogue follows.
            self.context
                .catalogue
                .follow(&self.context.db, &[opportunity_id])
                .await;
        }
        tracing::info!(
            %opportunity_id, %reviewer, round, verdict = %saved.verdict, ?outcome,
            "opportunity reviewed"
        );
        Ok(Response::new(convert::review::review_to_wire(&saved)))
    }

    async fn list_opportunity_reviews(
        &self,
        request: Request<v1::ListOpportunityReviewsRequest>,
    ) -> Result<Response<v1::ListOpportunityReviewsResponse>, Status> {
        let request = request.into_inner();
        let opportunity_id = validate::id("opportunity_id", &request.opportunity_id)?;
        let page = PageRequest::parse(request.page_size, &request.page_token)?;
        let round = match request.round {
            round if round < 0 => {
                return Err(Error::invalid("round", "must not be negative").into());
            }
            0 => None,
            round => Some(round),
        };
        rows::find::<opportunity::Entity>(&self.context.db, opportunity_id, "opportunity").await?;
        let page = review::list(&self.context.db, page, opportunity_id, round).await?;
        Ok(Response::new(v1::ListOpportunityReviewsResponse {
            next_page_token: page.next_page_token(),
            reviews: page
                .items
                .iter()
                .map(convert::review::review_to_wire)
                .collect(),
        }))
    }

    async fn get_review_policy(
        &self,
        _request: Request<v1::GetReviewPolicyRequest>,
    ) -> Result<Response<v1::ReviewPolicy>, Status> {
        Ok(Response::new(convert::review::policy_to_wire(
            &self.context.review_policy,
        )))
    }

    async fn list_opportunities_to_review(
        &self,
        request: Request<v1::ListOpportunitiesToReviewRequest>,
    ) -> Result<Response<v1::ListOpportunitiesToReviewResponse>, Status> {
        let acting = Acting::of(&request)?;
        let request = request.into_inner();
        let reviewer = validate::id("reviewer_member_id", &request.reviewer_member_id)?;
        let page = PageRequest::parse(request.page_size, &request.page_token)?;
        acting.named("reviewer_member_id", reviewer)?;
        let db = &self.context.db;
        crate::community::require(db, acting, CommunityRole::NewcomerReviewer).await?;
        check_reviewer(db, &self.context.region, reviewer).await?;
        let page = review::queue(db, page, reviewer).await?;
        let mut opportunities = Vec::with_capacity(page.items.len());
        for (row, round) in &page.items {
            let count = |verdict: &'static str| review::count_verdicts(db, row.id, *round, verdict);
            opportunities.push(v1::OpportunityToReview {
                opportunity: Some(convert::market::opportunity_to_wire(row)),
                round: *round,
                approvals: i32::try_from(count("approve").await?).unwrap_or(i32::MAX),
                rejections: i32::try_from(count("reject").await?).unwrap_or(i32::MAX),
            });
        }
        Ok(Response::new(v1::ListOpportunitiesToReviewResponse {
            next_page_token: page.next_page_token(),
            opportunities,
        }))
    }
}
