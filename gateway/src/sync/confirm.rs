//! `MoveService`: a member confirms, with their own credential, that they move to
//! another region. The confirmation is single use and expires after
//! [`CONFIRMATION_LIFETIME`]; the gateway hands no member over without one
//! (`SyncHub::transfer` takes it), whoever asks — the destination's chapter admin,
//! the member through the destination, or a region's certificate. The
//! destination's chapter admin sees the moves waiting for her region and may
//! decline one, which withdraws the confirmation once the member's home node has
//! told her (`crate::notices`). A confirmation is told to the destination's
//! chapter admins in their chapter's inbox.

use chrono::{DateTime, Utc};
use passage_proto::v1::{self, move_service_server::MoveService};
use passage_server::access::{Caller, Role};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, sea_query::OnConflict,
};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::hub::SyncHub;
use super::log;
use crate::error::{Error, Result};
use crate::route::RegionRouter;
use crate::store::entity::move_confirmation;

/// How long a member's confirmation of a move stays usable.
pub const CONFIRMATION_LIFETIME: chrono::Duration = chrono::Duration::days(7);

/// Records that member `member_id` confirms a move to `destination` at `now`,
/// replacing an unused confirmation; returns when it expires.
pub async fn confirm(
    db: &impl ConnectionTrait,
    member_id: Uuid,
    destination: &str,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>> {
    let expires_at = now + CONFIRMATION_LIFETIME;
    move_confirmation::Entity::insert(move_confirmation::ActiveModel {
        member_id: Set(member_id),
        destination_region: Set(destination.to_owned()),
        confirmed_at: Set(now),
        expires_at: Set(expires_at),
    })
    .on_conflict(
        OnConflict::column(move_confirmation::Column::MemberId)
            .update_columns([
                move_confirmation::Column::DestinationRegion,
                move_confirmation::Column::ConfirmedAt,
                move_confirmation::Column::ExpiresAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(expires_at)
}

/// Uses member `member_id`'s confirmation of a move to `destination`: `true` when
/// there was an unexpired one (it is gone now), `false` when there was none.
pub async fn take(
    db: &impl ConnectionTrait,
    member_id: Uuid,
    destination: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let taken = move_confirmation::Entity::delete_many()
        .filter(move_confirmation::Column::MemberId.eq(member_id))
        .filter(move_confirmation::Column::DestinationRegion.eq(destination))
        .filter(move_confirmation::Column::ExpiresAt.gt(now))
        .exec(db)
        .await?;
    Ok(taken.rows_affected > 0)
}

/// Member `member_id`'s unused, unexpired confirmation at `now`: the destination and
/// when it expires.
pub async fn pending(
    db: &impl ConnectionTrait,
    member_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<(String, DateTime<Utc>)>> {
    Ok(move_confirmation::Entity::find_by_id(member_id)
        .filter(move_confirmation::Column::ExpiresAt.gt(now))
        .one(db)
        .await?
        .map(|row| (row.destination_region, row.expires_at)))
}

/// The unused, unexpired confirmations naming `destination` at `now`, soonest to
/// expire first (member id breaking ties): `limit` of them after the first `skip`.
pub async fn waiting_at(
    db: &impl ConnectionTrait,
    destination: &str,
    now: DateTime<Utc>,
    skip: u64,
    limit: u64,
) -> Result<Vec<move_confirmation::Model>> {
    Ok(move_confirmation::Entity::find()
        .filter(move_confirmation::Column::DestinationRegion.eq(destination))
        .filter(move_confirmation::Column::ExpiresAt.gt(now))
        .order_by_asc(move_confirmation::Column::ExpiresAt)
        .order_by_asc(move_confirmation::Column::MemberId)
        .offset(skip)
        .limit(limit)
        .all(db)
        .await?)
}

/// Withdraws member `member_id`'s confirmation of a move to `destination`, used or
/// expired alike: `true` when there was one.
pub async fn withdraw(
    db: &impl ConnectionTrait,
    member_id: Uuid,
    destination: &str,
) -> Result<bool> {
    let withdrawn = move_confirmation::Entity::delete_many()
        .filter(move_confirmation::Column::MemberId.eq(member_id))
        .filter(move_confirmation::Column::DestinationRegion.eq(destination))
        .exec(db)
        .await?;
    Ok(withdrawn.rows_affected > 0)
}

const DEFAULT_PAGE: i32 = 50;
const MAX_PAGE: i32 = 500;
/// How a page token of the waiting moves starts: the offset follows.
const PAGE_PREFIX: &str = "m1.";

/// Serves `MoveService` from the gateway's database.
pub struct MoveConfirmations {
    hub: SyncHub,
    /// To the members' home nodes, which tell them of a declined move.
    router: RegionRouter,
    /// Every region's name, by slug.
    region_names: std::collections::HashMap<String, String>,
}

impl MoveConfirmations {
    pub fn new(
        hub: SyncHub,
        router: RegionRouter,
        region_names: std::collections::HashMap<String, String>,
    ) -> Self {
        MoveConfirmations {
            hub,
            router,
            region_names,
        }
    }

    /// The calling member, who alone speaks for their move.
    fn member_of(caller: &Caller) -> Result<Uuid> {
        if caller.role != Role::Member {
            return Err(Error::PermissionDenied(
                "only the member themself confirms or follows their move".into(),
            ));
        }
        caller
            .member_id
            .as_deref()
            .and_then(|id| Uuid::try_parse(id).ok())
            .ok_or_else(|| {
                Error::PermissionDenied("the member's credential names no member".into())
            })
    }

    /// The region a chapter admin speaks for: the destination of the moves she
    /// accepts or declines.
    fn destination_of(caller: &Caller) -> Result<String> {
        match (caller.role, caller.region.as_deref()) {
            (Role::ChapterAdmin, Some(region)) => Ok(region.to_owned()),
            _ => Err(Error::PermissionDenied(
                "only the destination's chapter admin sees or declines the moves to it".into(),
            )),
        }
    }

    async fn incoming(
        &self,
        caller: &Caller,
        request: v1::ListIncomingMovesRequest,
    ) -> Result<v1::ListIncomingMovesResponse> {
        let destination = Self::destination_of(caller)?;
        let size = match request.page_size {
            size if size < 0 => {
                return Err(Error::InvalidField {
                    field: "page_size",
                    reason: "must not be negative".into(),
                });
            }
            0 => DEFAULT_PAGE,
            size => size.min(MAX_PAGE),
        } as u64;
        let skip = match request.page_token.as_str() {
            "" => 0,
            token => token
                .strip_prefix(PAGE_PREFIX)
                .and_then(|offset| offset.parse::<u64>().ok())
                .ok_or_else(|| Error::InvalidField {
                    field: "page_token",
                    reason: "not a token from a previous page".into(),
                })?,
        };
        let db = self.hub.db();
        let mut rows = waiting_at(db, &destination, Utc::now(), skip, size + 1).await?;
        let more = rows.len() as u64 > size;
        rows.truncate(size as usize);
        let mut moves = Vec::with_capacity(rows.len());
        for row in &rows {
            // The directory holds the shared profile of a member who shares it,
            // which every region (this one too) already holds; of anyone else it
            // holds the home region only.
            let (from_region, display_name) = match log::directory_entry(db, row.member_id).await? {
                Some((entry, state)) => (
                    entry.home_region,
                    state
                        .profile
                        .filter(|_| state.erased.is_none())
                        .map(|profile| profile.display_name)
                        .unwrap_or_default(),
                ),
                None => (String::new(), String::new()),
            };
            moves.push(v1::IncomingMove {
                member_id: row.member_id.to_string(),
                display_name,
                from_region,
                confirm_time: Some(super::admin::timestamp(row.confirmed_at)),
                expire_time: Some(super::admin::timestamp(row.expires_at)),
            });
        }
        Ok(v1::ListIncomingMovesResponse {
            moves,
            next_page_token: if more {
                format!("{PAGE_PREFIX}{}", skip + size)
            } else {
                String::new()
            },
            region_names: self.region_names.clone(),
        })
    }

    async fn decline(&self, caller: &Caller, member_id: &str) -> Result<v1::DeclineMoveResponse> {
        let destination = Self::destination_of(caller)?;
        let member = Uuid::try_parse(member_id.trim()).map_err(|_| Error::InvalidField {
            field: "member_id",
            reason: format!("not a UUID: {member_id:?}"),
        })?;
        let db = self.hub.db();
        let none_waiting = || {
            Error::NotFound(format!(
                "member {member} has no move to {destination} waiting"
            ))
        };
        if pending(db, member, Utc::now())
            .await?
            .is_none_or(|(to, _)| to != destination)
        {
            return Err(none_waiting());
        }
        // Her home tells her first (inbox, and mail when she wants it): a decline
        // her home cannot be told of is not made, and the chapter admin tries again.
        let home = log::directory_entry(db, member)
            .await?
            .map(|(entry, _)| entry.home_region)
            .and_then(|home| self.router.region(&home))
            .ok_or_else(|| {
                Error::Refused(format!(
                    "member {member}'s home region is not known to the gateway yet; try again"
                ))
            })?;
        crate::notices::move_declined(home, member).await?;
        if !withdraw(db, member, &destination).await? {
            return Err(none_waiting());
        }
        tracing::info!(%member, destination, "move declined by the destination");
        Ok(v1::DeclineMoveResponse {})
    }

    async fn follow(&self, caller: &Caller) -> Result<v1::MyMove> {
        let member_id = Self::member_of(caller)?;
        let home_region = log::directory_entry(self.hub.db(), member_id)
            .await?
            .map(|(entry, _)| entry.home_region)
            .or_else(|| caller.region.clone())
            .unwrap_or_default();
        let pending = pending(self.hub.db(), member_id, Utc::now()).await?;
        let latest = super::moves::latest_of(self.hub.db(), member_id).await?;
        Ok(v1::MyMove {
            region_names: self.region_names.clone(),
            other_regions: self
                .hub
                .regions()
                .iter()
                .filter(|region| **region != home_region)
                .cloned()
                .collect(),
            home_region,
            confirmed_destination: pending
                .as_ref()
                .map(|(to, _)| to.clone())
                .unwrap_or_default(),
            confirmation_expire_time: pending.map(|(_, until)| super::admin::timestamp(until)),
            latest: latest.as_ref().map(super::moves::to_wire),
        })
    }

    async fn record(&self, caller: &Caller, destination: &str) -> Result<v1::ConfirmMoveResponse> {
        let member_id = Self::member_of(caller)?;
        let destination = destination.trim();
        if destination.is_empty() {
            return Err(Error::InvalidField {
                field: "destination_region",
                reason: "must name the region the member moves to".into(),
            });
        }
        if !self
            .hub
            .regions()
            .iter()
            .any(|region| region == destination)
        {
            return Err(Error::InvalidField {
                field: "destination_region",
                reason: format!("{destination:?} is not a region of this federation"),
            });
        }
        if let Some((entry, _)) = log::directory_entry(self.hub.db(), member_id).await?
            && entry.home_region == destination
        {
            return Err(Error::Refused(format!(
                "member {member_id} already has {destination} as home region"
            )));
        }
        let expires_at = confirm(self.hub.db(), member_id, destination, Utc::now()).await?;
        tracing::info!(%member_id, destination, "move confirmed by the member");
        // The destination's chapter admins hear of it in their inbox. Her move
        // stands without the notice: the console's moves page lists every
        // confirmation waiting, and a destination that does not answer now is
        // logged.
        if let Some(region) = self.router.region(destination)
            && let Err(error) = crate::notices::move_waiting(region).await
        {
            tracing::warn!(%member_id, destination, %error, "the destination was not told of a move waiting");
        }
        Ok(v1::ConfirmMoveResponse {
            member_id: member_id.to_string(),
            destination_region: destination.to_owned(),
            expires_at: Some(super::admin::timestamp(expires_at)),
        })
    }
}

#[tonic::async_trait]
impl MoveService for MoveConfirmations {
    async fn confirm_move(
        &self,
        request: Request<v1::ConfirmMoveRequest>,
    ) -> std::result::Result<Response<v1::ConfirmMoveResponse>, Status> {
        let caller = Caller::of(&request)?.clone();
        let destination = request.into_inner().destination_region;
        Ok(Response::new(self.record(&caller, &destination).await?))
    }

    async fn list_incoming_moves(
        &self,
        request: Request<v1::ListIncomingMovesRequest>,
    ) -> std::result::Result<Response<v1::ListIncomingMovesResponse>, Status> {
        let caller = Caller::of(&request)?.clone();
        Ok(Response::new(
            self.incoming(&caller, request.into_inner()).await?,
        ))
    }

    async fn decline_move(
        &self,
        request: Request<v1::DeclineMoveRequest>,
    ) -> std::result::Result<Response<v1::DeclineMoveResponse>, Status> {
        let caller = Caller::of(&request)?.clone();
        let member_id = request.into_inner().member_id;
        Ok(Response::new(self.decline(&caller, &member_id).await?))
    }

    async fn get_my_move(
        &self,
        request: Request<v1::GetMyMoveRequest>,
    ) -> std::result::Result<Response<v1::MyMove>, Status> {
        let caller = Caller::of(&request)?.clone();
        Ok(Response::new(self.follow(&caller).await?))
    }
}
