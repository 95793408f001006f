//! The node's gRPC services, one file each; handlers validate, call the store and
//! convert, nothing more.

mod audit;
mod buddies;
mod cases;
mod coaches;
mod coaching;
mod events;
mod expert_pool;
mod groups;
mod helpdesk;
mod market;
mod matching;
mod member;
mod notifications;
mod placements;
mod review;
mod rules;
mod spreadsheets;
mod stats;

pub use audit::AuditApi;
pub use buddies::BuddyApi;
pub use cases::CaseApi;
pub use coaching::CoachingApi;
pub use events::EventApi;
pub use expert_pool::ExpertPoolApi;
pub use groups::GroupApi;
pub use helpdesk::HelpdeskApi;
pub use market::MarketApi;
pub use matching::MatchApi;
pub use member::MemberApi;
pub use notifications::NotificationApi;
pub use placements::PlacementApi;
pub use review::ReviewApi;
pub use rules::{RulesApi, decision_to_wire};
pub use spreadsheets::SpreadsheetApi;
pub use stats::{Counted, RegionStatsApi, count_again, kept, recount, residence_class};
