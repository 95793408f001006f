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

/// Marks, among the stamps, that the gateway's directory knows this region as the
/// member's home (from a listing notice or a published profile); an erasure must
/// reach the directory too.
pub const LISTED: &str = "~listed";

/// Whether a stamp key is one of the node's marks rather than a shared field.
fn is_mark(key: &str) -> bool {
    key.starts_with('~')
}

/// The notice that tells the gateway's directory this region is the member's home,
/// without anything of their profile (for a member who does not share).
pub fn listing(member_id: uuid::Uuid) -> ProfileState {
    ProfileState {
        member_id: member_id.to_string(),
        listing: true,
        ..Default::default()
    }
}

/// Whether a state carries nothing but its addressing: no profile, no stamp, no
/// erasure (a listing notice, or a new home's confirmation of an arrival).
pub fn is_bare_notice(state: &ProfileState) -> bool {
    state.profile.is_none() && state.stamps.is_empty() && state.erased.is_none()
}

/// The new home's confirmation to the old home `from` that the member arrived.
pub fn arrival_notice(member_id: uuid::Uuid, from: &str) -> ProfileState {
    ProfileState {
        member_id: member_id.to_string(),
        deliver_only_to: from.to_owned(),
        ..Default::default()
    }
}

/// The hand-over of a member who does not share their profile: the whole profile,
/// naming `to` as home with every field stamped now, for `to` alone.
pub fn private_hand_over(
    leaving: &member::Model,
    clock: &HlcClock,
    region: &str,
    to: &str,
) -> ProfileState {
    let now = clock.now().as_u64();
    let stamps: BTreeMap<String, u64> = SHARED_FIELDS
        .iter()
        .map(|field| ((*field).to_owned(), now))
        .collect();
    ProfileState {
        deliver_only_to: to.to_owned(),
        ..state_of(
            &leaving.id.to_string(),
            &shared_profile(leaving),
            &stamps,
            region,
        )
    }
}

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

/// How many members' stamps the start-up reads at a time.
const STAMPS_PAGE: u64 = 1_000;

/// The next [`STAMPS_PAGE`] members' ids and stored stamps, in the order of
/// their ids, after `after`.
async fn stamps_page(
    db: &impl ConnectionTrait,
    after: Option<uuid::Uuid>,
) -> Result<Vec<(uuid::Uuid, String)>> {
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
    let mut page = member::Entity::find()
        .select_only()
        .column(member::Column::Id)
        .column(member::Column::ProfileStamps)
        .order_by_asc(member::Column::Id)
        .limit(STAMPS_PAGE);
    if let Some(after) = after {
        page = page.filter(member::Column::Id.gt(after));
    }
    Ok(page.into_tuple().all(db).await?)
}

/// Starts `clock` after the newest stamp of this region's members, so that no edit
/// after a restart is stamped below one before it. A stored stamp beyond the wall
/// clock plus the allowed skew (left by a broken clock) is not followed: it is
/// reported, and the next edit of that field is stamped above it anyway
/// ([`restamp`]).
///
/// The members are read [`STAMPS_PAGE`] at a time, so a region of any size
/// starts in bounded memory.
pub async fn seed_clock(db: &impl ConnectionTrait, clock: &HlcClock) -> Result<()> {
    let mut refused = 0usize;
    let mut after: Option<uuid::Uuid> = None;
    loop {
        let rows = stamps_page(db, after).await?;
        let Some((last, _)) = rows.last() else {
            break;
        };
        after = Some(*last);
        let full = rows.len() as u64 == STAMPS_PAGE;
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
        if !full {
            break;
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
        .filter(|(field, _)| !is_mark(field))
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
    } else if !stamps.contains_key(LISTED) {
        // Not shared, and the directory does not know the member yet.
        Some(listing(after.id))
    } else {
        None
    };
    stamps.insert(LISTED.to_owned(), 1);
    after.profile_stamps = serde_json::to_string(&stamps).unwrap_or_else(|_| "{}".into());
    published
}

/// At start-up: lists in the gateway's directory every member of this region it
/// does not know yet (members made before the directory knew every home), in one
/// transaction per thousand. Returns how many notices were queued.
pub async fn announce_unlisted(context: &crate::context::NodeContext) -> Result<usize> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let mut announced = 0;
    let mut after: Option<uuid::Uuid> = None;
    loop {
        let rows = stamps_page(&context.db, after).await?;
        let Some((last, _)) = rows.last() else {
            break;
        };
        after = Some(*last);
        let unlisted: Vec<(uuid::Uuid, BTreeMap<String, u64>)> = rows
            .into_iter()
            .map(|(id, stored)| (id, read_stamps(id, &stored)))
            .filter(|(_, stamps)| !stamps.contains_key(LISTED))
            .collect();
        if unlisted.is_empty() {
            continue;
        }
        let (_turn, txn) = context.begin_write().await?;
        let mut notices = Vec::new();
        for (id, mut stamps) in unlisted {
            if !stamps.contains_key(PUBLISHED) {
                notices.push(listing(id));
            }
            stamps.insert(LISTED.to_owned(), 1);
            member::Entity::update_many()
                .col_expr(
                    member::Column::ProfileStamps,
                    sea_orm::sea_query::Expr::value(
                        serde_json::to_string(&stamps).unwrap_or_else(|_| "{}".into()),
                    ),
                )
                .filter(member::Column::Id.eq(id))
                .exec(&txn)
                .await?;
        }
        enqueue_all(&txn, &notices).await?;
        txn.commit().await?;
        announced += notices.len();
    }
    if announced > 0 {
        context.outbox_ready.notify_one();
        tracing::info!(
            members = announced,
            "members who do not share listed in the gateway's directory"
        );
    }
    Ok(announced)
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
        ..Default::default()
    }
}

/// The erasure tombstone for a deleted member, if their profile ever left the region
/// or the gateway's directory knows them.
pub fn erasure(row: &member::Model, clock: &HlcClock, region: &str) -> Option<ProfileState> {
    let stamps = stamps_of(row);
    (stamps.contains_key(PUBLISHED) || stamps.contains_key(LISTED)).then(|| ProfileState {
        member_id: row.id.to_string(),
        profile: None,
        stamps: Default::default(),
        erased: Some(stamp(clock.now(), region)),
        ..Default::default()
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
