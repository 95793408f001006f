//! sea-orm entities of the node schema (`migrations/src/node/`).

pub mod arrival;
pub mod buddy_pair;
pub mod departure;
pub mod member;
pub mod opportunity;
pub mod opportunity_review;
pub mod opportunity_review_round;
pub mod organisation;
pub mod outbox;
pub mod remote_profile;
pub mod sync_cursor;
