//! Reviews ↔ rows. A review row is built by the review service from checked parts
//! (the reviewer, the round and the time come from the node, not the caller).

use passage_proto::v1;

use super::enums::from_stored;
use super::timestamp;
use crate::review_policy::ReviewPolicy;
use crate::store::entity::opportunity_review;

pub fn review_to_wire(row: &opportunity_review::Model) -> v1::OpportunityReview {
    v1::OpportunityReview {
        id: row.id.to_string(),
        opportunity_id: row.opportunity_id.to_string(),
        reviewer_member_id: row.reviewer_member_id.to_string(),
        verdict: from_stored::<v1::ReviewVerdict>(&row.verdict) as i32,
        comment: row.comment.clone(),
        round: row.round,
        create_time: Some(timestamp(row.created_at)),
    }
}

pub fn policy_to_wire(policy: &ReviewPolicy) -> v1::ReviewPolicy {
    v1::ReviewPolicy {
        approvals_to_publish: policy.approvals_to_publish,
        rejections_to_close: policy.rejections_to_close,
    }
}
