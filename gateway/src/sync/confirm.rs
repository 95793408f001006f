//! `MoveService`: a member confirms, with their own credential, that they move to
//! another region. The confirmation is single use and expires after
//! [`CONFIRMATION_LIFETIME`]; the gateway hands no member over without one
//! (`SyncHub::transfer` takes it), whoever asks — the destination's chapter admin,
//! the member through the destination, or a region's certificate.

use chrono::{DateTime, Utc};
use passage_proto::v1::{self, move_service_server::MoveService};
use passage_server::access::{Caller, Role};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, sea_query::OnConflict,
};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::hub::SyncHub;
use super::log;
use crate::error::{Error, Result};
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

/// Serves `MoveService` from the gateway's database.
pub struct MoveConfirmations {
    hub: SyncHub,
    /// Every region's name, by slug.
    region_names: std::collections::HashMap<String, String>,
}

impl MoveConfirmations {
    pub fn new(hub: SyncHub, region_names: std::collections::HashMap<String, String>) -> Self {
        MoveConfirmations { hub, region_names }
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

    async fn get_my_move(
        &self,
        request: Request<v1::GetMyMoveRequest>,
    ) -> std::result::Result<Response<v1::MyMove>, Status> {
        let caller = Caller::of(&request)?.clone();
        Ok(Response::new(self.follow(&caller).await?))
    }
}
