//! Buddy pairs ↔ rows. Pairs are made by the node's proposal, never from a
//! caller's message, so there is only the way out.

use passage_proto::v1;

use super::enums::from_stored;
use super::{strings_from_json, timestamp};
use crate::store::entity::buddy_pair;

pub fn pair_to_wire(row: &buddy_pair::Model) -> v1::BuddyPair {
    v1::BuddyPair {
        id: row.id.to_string(),
        newcomer_member_id: row.newcomer_member_id.to_string(),
        local_member_id: row.local_member_id.to_string(),
        status: from_stored::<v1::BuddyPairStatus>(&row.status) as i32,
        reasons: strings_from_json(&row.reasons),
        end_reason: row.end_reason.clone(),
        create_time: Some(timestamp(row.created_at)),
        update_time: Some(timestamp(row.updated_at)),
    }
}
