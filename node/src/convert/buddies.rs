//! Buddy pairs ↔ rows. Pairs are made by the node's proposal, never from a
//! caller's message, so there is only the way out.

use std::collections::HashMap;

use passage_proto::v1;
use uuid::Uuid;

use super::enums::from_stored;
use super::{strings_from_json, timestamp};
use crate::store::entity::buddy_pair;

/// The pair as the API gives it, with the two members' names from `names`.
pub fn pair_to_wire(row: &buddy_pair::Model, names: &HashMap<Uuid, String>) -> v1::BuddyPair {
    let name = |id: &Uuid| names.get(id).cloned().unwrap_or_default();
    v1::BuddyPair {
        id: row.id.to_string(),
        newcomer_member_id: row.newcomer_member_id.to_string(),
        local_member_id: row.local_member_id.to_string(),
        status: from_stored::<v1::BuddyPairStatus>(&row.status) as i32,
        reasons: strings_from_json(&row.reasons),
        end_reason: row.end_reason.clone(),
        create_time: Some(timestamp(row.created_at)),
        update_time: Some(timestamp(row.updated_at)),
        newcomer_display_name: name(&row.newcomer_member_id),
        local_display_name: name(&row.local_member_id),
    }
}
