//! What a change to a member means for the federation. Every shared field carries the
//! stamp of its last write; a change is published (as the member's whole shared
//! state) into the outbox in the same transaction as the change itself, and only
//! while the member consents to sharing.

use std::collections::BTreeMap;

use chrono::Utc;
use passage_proto::hlc::{Hlc, HlcClock};
use passage_proto::merge::{SHARED_FIELDS, stamp};
use passage_proto::v1::{ProfileState, SharedProfile};
use prost::Message;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};

use crate::convert;
use crate::error::Result;
use crate::store::entity::{member, outbox};

/// Marks, among the stamps, that the member's profile has left the region at least
/// once, so that an erasure must follow it.
pub const PUBLISHED: &str = "~published";

/// Per-field stamps of a member row (field name → HLC).
/// Stamps that cannot be read (a corrupt row) are logged and read as none, so the
/// next edit of each field wins over them.
fn stamps_of(row: &member::Model) -> BTreeMap<String, u64> {
    read_stamps(row.id, &row.profile_stamps)
}

fn read_stamps(member_id: uuid::Uuid, stored: &str) -> BTreeMap<String, u64> {
    serde_json::from_str(stored).unwrap_or_else(|error| {
        tracing::error!(
            %member_id,
            %error,
            "stored profile stamps are unreadable; read as none"
        );
        BTreeMap::new()
    })
}

/// The member id of a state this node made; a state with an unreadable id (which
/// the node never makes) is logged and stored under the nil id.
fn member_id_of(state: &ProfileState) -> uuid::Uuid {
    uuid::Uuid::try_parse(&state.member_id).unwrap_or_else(|_| {
        tracing::error!(
            member_id = %state.member_id,
            "a profile state to publish has an unreadable member id; stored under the nil id"
        );
        uuid::Uuid::nil()
    })
}

fn shared_profile(row: &member::Model) -> SharedProfile {
    convert::member::to_wire(row).profile.unwrap_or_default()
}

fn field_differs(a: &SharedProfile, b: &SharedProfile, field: &str) -> bool {
    let (mut only_a, mut only_b) = (SharedProfile::default(), SharedProfile::default());
    passage_proto::merge::copy_field(a, &mut only_a, field);
    passage_proto::merge::copy_field(b, &mut only_b, field);
    only_a != only_b
}

/// Starts `clock` after the newest stamp of this region's members, so that no edit
/// after a restart is stamped below one before it. A stored stamp beyond the wall
/// clock plus the allowed skew (left by a broken clock) is not followed: it is
/// reported, and the next edit of that field is stamped above it anyway
/// ([`restamp`]).
pub async fn seed_clock(db: &impl ConnectionTrait, clock: &HlcClock) -> Result<()> {
    use sea_orm::QuerySelect;
    let rows: Vec<(uuid::Uuid, String)> = member::Entity::find()
        .select_only()
        .column(member::Column::Id)
        .column(member::Column::ProfileStamps)
        .into_tuple()
        .all(db)
        .await?;
    let mut refused = 0usize;
    for (id, stamps) in rows {
        let stamps = read_stamps(id, &stamps);
        let beyond = clock.seed(stamps.values().map(|hlc| Hlc::from_u64(*hlc)));
        if let Some(first) = beyond.first() {
            refused += beyond.len();
            tracing::error!(
                member_id = %id,
                stamp_millis = first.millis(),
                "a stored stamp lies beyond the clock plus the allowed skew; not followed"
            );
        }
    }
    if refused > 0 {
        tracing::error!(
            refused,
            "stored stamps beyond the clock were left out of its start"
        );
    }
    Ok(())
}

/// Stamps the fields that `after` changes (all of them for a new member, or when
/// consent is given again) and returns the state to publish, if any.
pub fn restamp(
    before: Option<&member::Model>,
    after: &mut member::Model,
    clock: &HlcClock,
    region: &str,
) -> Option<ProfileState> {
    let mut stamps = before.map(stamps_of).unwrap_or_default();
    // Never below a field's present stamp, even one left by a clock that ran ahead.
    let present = stamps
        .iter()
        .filter(|(field, _)| field.as_str() != PUBLISHED)
        .map(|(_, hlc)| *hlc)
        .max()
        .unwrap_or(0);
    let now = clock.now_after(Hlc::from_u64(present));
    let new_profile = shared_profile(after);
    let consent_before = before.is_some_and(|b| b.share_across_regions);
    let consent_after = after.share_across_regions;
    let restamp_all = before.is_none() || (consent_after && !consent_before);
    let old_profile = before.map(shared_profile).unwrap_or_default();
    for field in SHARED_FIELDS {
        if restamp_all || field_differs(&old_profile, &new_profile, field) {
            stamps.insert(field.to_owned(), now.as_u64());
        }
    }
    let published = if consent_before && !consent_after {
        // Withdrawn: every field cleared elsewhere, at one stamp.
        for field in SHARED_FIELDS {
            stamps.insert(field.to_owned(), now.as_u64());
        }
        Some(state_of(
            &after.id.to_string(),
            &SharedProfile::default(),
            &stamps,
            region,
        ))
    } else if consent_after {
        stamps.insert(PUBLISHED.to_owned(), 1);
        Some(state_of(
            &after.id.to_string(),
            &new_profile,
            &stamps,
            region,
        ))
    } else {
        None
    };
    after.profile_stamps = serde_json::to_string(&stamps).unwrap_or_else(|_| "{}".into());
    published
}

fn state_of(
    member_id: &str,
    profile: &SharedProfile,
    stamps: &BTreeMap<String, u64>,
    region: &str,
) -> ProfileState {
    ProfileState {
        member_id: member_id.to_owned(),
        profile: Some(profile.clone()),
        stamps: SHARED_FIELDS
            .iter()
            .filter_map(|field| {
                let hlc = stamps.get(*field)?;
                Some(((*field).to_owned(), stamp(Hlc::from_u64(*hlc), region)))
            })
            .collect(),
        erased: None,
    }
}

/// The erasure tombstone for a deleted member, if their profile ever left the region.
pub fn erasure(row: &member::Model, clock: &HlcClock, region: &str) -> Option<ProfileState> {
    stamps_of(row)
        .contains_key(PUBLISHED)
        .then(|| ProfileState {
            member_id: row.id.to_string(),
            profile: None,
            stamps: Default::default(),
            erased: Some(stamp(clock.now(), region)),
        })
}

/// Adds a state to the outbox; call inside the transaction of the change.
pub async fn enqueue(db: &impl ConnectionTrait, state: &ProfileState) -> Result<()> {
    outbox::Entity::insert(outbox::ActiveModel {
        member_id: Set(member_id_of(state)),
        state: Set(state.encode_to_vec()),
        created_at: Set(Utc::now()),
        ..Default::default()
    })
    .exec(db)
    .await?;
    Ok(())
}

/// Adds states to the outbox in one statement, in order; call inside the
/// transaction of the changes.
pub async fn enqueue_all(db: &impl ConnectionTrait, states: &[ProfileState]) -> Result<()> {
    if states.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    let rows = states.iter().map(|state| outbox::ActiveModel {
        member_id: Set(member_id_of(state)),
        state: Set(state.encode_to_vec()),
        created_at: Set(now),
        ..Default::default()
    });
    outbox::Entity::insert_many(rows).exec(db).await?;
    Ok(())
}
