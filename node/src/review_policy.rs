//! A region's community-review policy (settings section `[review]`): how many
//! newcomer approvals in one review round publish an opportunity, and how many
//! rejections close it. A request for changes always sends it back to draft.

use serde::Deserialize;

/// The `[review]` settings section; every key is optional.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReviewPolicy {
    /// Approvals in one round that publish an opportunity, 1 to 20 (default 2).
    pub approvals_to_publish: i32,
    /// Rejections in one round that close an opportunity, 1 to 20 (default 2).
    pub rejections_to_close: i32,
}

impl Default for ReviewPolicy {
    fn default() -> Self {
        ReviewPolicy {
            approvals_to_publish: 2,
            rejections_to_close: 2,
        }
    }
}

/// What the reviews of one round so far do to the opportunity under review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It stays in review, waiting for more reviews.
    StaysInReview,
    /// Enough approvals: it is published.
    Publish,
    /// A request for changes: back to draft for the organisation to revise.
    BackToDraft,
    /// Enough rejections: it is closed.
    Close,
}

/// A verdict, as the policy counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Approve,
    RequestChanges,
    Reject,
}

impl ReviewPolicy {
    /// Checks the ranges, naming the key as the settings file spells it.
    pub fn validate(&self) -> Result<(), (String, String)> {
        for (key, value) in [
            ("review.approvals_to_publish", self.approvals_to_publish),
            ("review.rejections_to_close", self.rejections_to_close),
        ] {
            if !(1..=20).contains(&value) {
                return Err((key.into(), format!("must be between 1 and 20, got {value}")));
            }
        }
        Ok(())
    }

    /// What the latest review (`verdict`) does, given the round's approvals and
    /// rejections counted with it.
    pub fn outcome(&self, verdict: Verdict, approvals: u64, rejections: u64) -> Outcome {
        let reached = |count: u64, needed: i32| count >= u64::try_from(needed.max(1)).unwrap_or(1);
        match verdict {
            Verdict::RequestChanges => Outcome::BackToDraft,
            Verdict::Approve if reached(approvals, self.approvals_to_publish) => Outcome::Publish,
            Verdict::Reject if reached(rejections, self.rejections_to_close) => Outcome::Close,
            Verdict::Approve | Verdict::Reject => Outcome::StaysInReview,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_approvals_publish_and_two_rejections_close_by_default() {
        let policy = ReviewPolicy::default();
        assert_eq!(
            policy.outcome(Verdict::Approve, 1, 0),
            Outcome::StaysInReview
        );
        assert_eq!(policy.outcome(Verdict::Approve, 2, 1), Outcome::Publish);
        assert_eq!(
            policy.outcome(Verdict::Reject, 1, 1),
            Outcome::StaysInReview
        );
        assert_eq!(policy.outcome(Verdict::Reject, 1, 2), Outcome::Close);
        assert_eq!(
            policy.outcome(Verdict::RequestChanges, 5, 0),
            Outcome::BackToDraft
        );
    }

    #[test]
    fn a_policy_outside_its_ranges_is_refused_naming_the_key() {
        assert!(ReviewPolicy::default().validate().is_ok());
        let none = ReviewPolicy {
            approvals_to_publish: 0,
            ..ReviewPolicy::default()
        };
        let (key, reason) = none.validate().unwrap_err();
        assert_eq!(key, "review.approvals_to_publish");
        assert!(reason.contains("got 0"), "{reason}");
        let many = ReviewPolicy {
            rejections_to_close: 21,
            ..ReviewPolicy::default()
        };
        assert_eq!(many.validate().unwrap_err().0, "review.rejections_to_close");
    }
}
