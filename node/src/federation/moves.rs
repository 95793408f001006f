//! Members moving between home regions, as a node takes part.
//!
//! The region a member moves to records an `arrival` (with the region-local record
//! taken at intake there) and asks the gateway. The old home region, asked on its
//! `Sync` stream, hands the member over in one transaction: it publishes their
//! profile naming the new home (after every change it made before, as the outbox
//! keeps order; to the new home alone when the member does not share it), stops
//! changing them and notes the `departure`, keeping their record and every
//! region-local record about them. When the profile naming this region as home
//! arrives, the new region makes the member its own, from the arrival, and tells
//! the old home (privately). Only then does the old home erase its region-local
//! records; from the hand-over on it answers edits with "member moved to <region>".
//! So a new home that fails between hand-over and arrival loses nothing: it takes
//! the member on when it is back, from its cursor, and the old home still holds all
//! it held until then.

use std::collections::BTreeMap;

use chrono::Utc;
use passage_proto::v1::{self, ProfileState, RegionalRecord};
use prost::Message;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, sea_query::OnConflict};
use uuid::Uuid;

use super::publish;
use crate::context::NodeContext;
use crate::convert::{self, member::RowIdentity};
use crate::error::Result;
use crate::store::entity::{arrival, departure, member, remote_profile};
use crate::store::rows;

/// Hands a member of this region over to `to`. `Ok(Err(reason))` when the member
/// cannot be handed over; nothing is changed then.
pub async fn release(
    context: &NodeContext,
    member_id: &str,
    to: &str,
) -> Result<Result<(), String>> {
    let Ok(id) = Uuid::try_parse(member_id) else {
        return Ok(Err(format!("member_id {member_id:?} is not a UUID")));
    };
    if to == context.region {
        return Ok(Err(format!("member {id} already has {to} as home region")));
    }
    let (_turn, txn) = context.begin_write().await?;
    let Some(row) = member::Entity::find_by_id(id).one(&txn).await? else {
        return Ok(Err(format!(
            "member {id} is not a member of region {}",
            context.region
        )));
    };
    let mut leaving = row.clone();
    leaving.home_region = to.to_owned();
    leaving.updated_at = Utc::now();
    let now = Utc::now();
    let state = if row.share_across_regions {
        let Some(state) =
            publish::restamp(Some(&row), &mut leaving, &context.clock, &context.region)
        else {
            return Ok(Err(format!("member {id} has no profile to hand over")));
        };
        // A member who shares stays among this region's replicas, as every other
        // region holds them.
        remote_profile::Entity::insert(remote_profile::ActiveModel {
            member_id: Set(id),
            home_region: Set(to.to_owned()),
            state: Set(state.encode_to_vec()),
            updated_at: Set(now),
        })
        .on_conflict(
            OnConflict::column(remote_profile::Column::MemberId)
                .update_columns([
                    remote_profile::Column::HomeRegion,
                    remote_profile::Column::State,
                    remote_profile::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec(&txn)
        .await?;
        state
    } else {
        publish::private_hand_over(&leaving, &context.clock, &context.region, to)
    };
    departure::Entity::insert(departure::ActiveModel {
        member_id: Set(id),
        moved_to: Set(to.to_owned()),
        departed_at: Set(now),
        kept_record: Set(Some(convert::member::to_wire(&row).encode_to_vec())),
        arrived_at: Set(None),
    })
    .on_conflict(
        OnConflict::column(departure::Column::MemberId)
            .update_columns([
                departure::Column::MovedTo,
                departure::Column::DepartedAt,
                departure::Column::KeptRecord,
                departure::Column::ArrivedAt,
            ])
            .to_owned(),
    )
    .exec(&txn)
    .await?;
    // She hears of it from here, which holds her address: her new home has none
    // yet. The mail goes before the arrival erases what this region holds of her.
    let mail = crate::store::notifications::notify(
        &txn,
        id,
        crate::store::notifications::MOVE_HANDED_OVER,
    )
    .await?;
    // The record lives on in the departure until the new home confirms the arrival;
    // the region's roles (helpdesk answerer, expert) are handed on at once.
    crate::store::members::delete(&txn, id).await?;
    crate::store::members::member_leaves(&txn, id).await?;
    publish::enqueue(&txn, &state).await?;
    txn.commit().await?;
    context.outbox_ready.notify_one();
    if mail {
        context.mail_ready.notify_one();
    }
    tracing::info!(member_id = %id, to, "member handed over");
    Ok(Ok(()))
}

/// Where a member whose home this region was has moved, if they have.
pub async fn moved_to(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<String>> {
    Ok(departure::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|row| row.moved_to))
}

/// Records that this region asked for the member to move here, with their
/// region-local record from intake here.
pub async fn expect(
    db: &impl ConnectionTrait,
    id: Uuid,
    regional: &RegionalRecord,
    requested_by: &str,
) -> Result<()> {
    arrival::Entity::insert(arrival::ActiveModel {
        member_id: Set(id),
        regional: Set(regional.encode_to_vec()),
        requested_by: Set(requested_by.to_owned()),
        requested_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::column(arrival::Column::MemberId)
            .update_columns([
                arrival::Column::Regional,
                arrival::Column::RequestedBy,
                arrival::Column::RequestedAt,
            ])
            .to_owned(),
    )
    .exec(db)
    .await?;
    Ok(())
}

/// Forgets an arrival the gateway refused.
pub async fn forget(db: &impl ConnectionTrait, id: Uuid) -> Result<()> {
    arrival::Entity::delete_by_id(id).exec(db).await?;
    Ok(())
}

/// Makes a member whose profile names this region as home a member of this region,
/// from the arrival this region recorded, and tells the old home `from` (privately)
/// that they arrived. Returns false (and keeps nothing) when there is no arrival: a
/// move this region never asked for is not taken on.
pub async fn arrive(
    db: &impl ConnectionTrait,
    region: &str,
    id: Uuid,
    state: &ProfileState,
    from: &str,
) -> Result<bool> {
    let Some(expected) = arrival::Entity::find_by_id(id).one(db).await? else {
        tracing::error!(member_id = %id, "profile names this region as home, but no move here was asked for");
        return Ok(false);
    };
    let regional = match RegionalRecord::decode(expected.regional.as_slice()) {
        Ok(regional) => regional,
        Err(error) => {
            tracing::error!(member_id = %id, %error, "undecodable intake record; the move is not taken on");
            return Ok(false);
        }
    };
    let now = Utc::now();
    let wire = v1::Member {
        id: id.to_string(),
        profile: state.profile.clone(),
        regional: Some(regional),
        create_time: None,
        update_time: None,
    };
    let identity = RowIdentity {
        id,
        home_region: region.to_owned(),
        created_at: now,
        updated_at: now,
    };
    let mut row = match convert::member::to_row(&wire, "", identity) {
        Ok(row) => row,
        Err(error) => {
            tracing::error!(member_id = %id, %error, "arriving profile is not valid here");
            return Ok(false);
        }
    };
    let mut stamps: BTreeMap<String, u64> = state
        .stamps
        .iter()
        .map(|(field, stamp)| (field.clone(), stamp.hlc))
        .collect();
    stamps.insert(publish::PUBLISHED.to_owned(), 1);
    stamps.insert(publish::LISTED.to_owned(), 1);
    row.profile_stamps = serde_json::to_string(&stamps).unwrap_or_else(|_| "{}".into());
    let arrived = rows::insert::<member::Entity>(db, row).await?;
    crate::store::tally::member(db, None, Some(&arrived)).await?;
    crate::store::search_index::index_members(db, std::slice::from_ref(&arrived)).await?;
    remote_profile::Entity::delete_by_id(id).exec(db).await?;
    arrival::Entity::delete_by_id(id).exec(db).await?;
    departure::Entity::delete_by_id(id).exec(db).await?;
    if !from.is_empty() && from != region {
        publish::enqueue(db, &publish::arrival_notice(id, from)).await?;
    }
    // Her inbox is here from now on; mail only once she gives this region an
    // address (her old home's is erased with its region-local records).
    crate::store::notifications::notify(db, id, crate::store::notifications::MOVE_ARRIVED).await?;
    tracing::info!(member_id = %id, requested_by = %expected.requested_by, "member arrived");
    Ok(true)
}

/// As the old home: the members of `arrived` (member → the regions a log entry
/// about them came from) whose new home has now spoken for them have arrived there.
/// Their region-local records here are erased (the departure stays, to answer
/// "moved to"). An entry from the new home can only be in the log once the
/// directory names it as home, and the new home writes about a member only once
/// they are its own. Returns the members confirmed.
pub async fn confirm_arrivals(
    db: &impl ConnectionTrait,
    arrived: &BTreeMap<Uuid, std::collections::BTreeSet<String>>,
) -> Result<Vec<Uuid>> {
    use sea_orm::{ColumnTrait, QueryFilter};
    if arrived.is_empty() {
        return Ok(Vec::new());
    }
    let mut confirmed = Vec::new();
    let ids: Vec<Uuid> = arrived.keys().copied().collect();
    for chunk in ids.chunks(1000) {
        let waiting = departure::Entity::find()
            .filter(departure::Column::MemberId.is_in(chunk.iter().copied()))
            .filter(departure::Column::ArrivedAt.is_null())
            .all(db)
            .await?;
        for departed in waiting {
            let spoke = arrived
                .get(&departed.member_id)
                .is_some_and(|origins| origins.contains(&departed.moved_to));
            if !spoke {
                continue;
            }
            let erased = crate::store::erasure::erase_member_records(
                db,
                departed.member_id,
                crate::store::erasure::Reason::MovedAway,
            )
            .await?;
            departure::Entity::update_many()
                .col_expr(
                    departure::Column::ArrivedAt,
                    sea_orm::sea_query::Expr::value(Some(Utc::now())),
                )
                .col_expr(
                    departure::Column::KeptRecord,
                    sea_orm::sea_query::Expr::value(Option::<Vec<u8>>::None),
                )
                .filter(departure::Column::MemberId.eq(departed.member_id))
                .exec(db)
                .await?;
            tracing::info!(
                member_id = %departed.member_id,
                moved_to = %departed.moved_to,
                cases = erased.cases,
                questions = erased.questions,
                other_records = erased.other_records,
                "the new home confirmed the arrival: this region's records of the member erased"
            );
            confirmed.push(departed.member_id);
        }
    }
    Ok(confirmed)
}
