//! `passage.v1.FederationAdminService`: what operators see of the federation — each
//! region's connection, cursor, backlog and lag, and which regions have applied each
//! erasure.

use std::collections::BTreeMap;

use chrono::Utc;
use passage_proto::v1::{self, federation_admin_service_server::FederationAdminService};
use passage_server::access::Caller;
use tonic::{Request, Response, Status};

use super::hub::SyncHub;
use super::{log, moves};
use crate::error::Error;
use crate::store::entity::region_cursor;

/// Serves the federation's figures from the gateway's database and live sessions.
pub struct FederationAdmin {
    hub: SyncHub,
}

impl FederationAdmin {
    pub fn new(hub: SyncHub) -> Self {
        FederationAdmin { hub }
    }
}

pub(super) fn timestamp(time: chrono::DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: time.timestamp(),
        nanos: time.timestamp_subsec_nanos() as i32,
    }
}

const DEFAULT_PAGE: i32 = 50;
const MAX_PAGE: i32 = 500;

/// Every region's connection, cursor, backlog and lag, as the hub sees them now.
pub async fn sync_status(hub: &SyncHub) -> crate::error::Result<v1::GetSyncStatusResponse> {
    let db = hub.db();
    let cursors: BTreeMap<String, region_cursor::Model> = log::cursors(db)
        .await?
        .into_iter()
        .map(|row| (row.region.clone(), row))
        .collect();
    let mut regions = Vec::new();
    for region in &hub.regions() {
        regions.push(region_status(hub, region, cursors.get(region)).await?);
    }
    Ok(v1::GetSyncStatusResponse {
        log_head: log::head(db).await? as u64,
        regions,
    })
}

/// One region's connection, cursor, backlog and lag, from its cursor row (none
/// when it never connected).
async fn region_status(
    hub: &SyncHub,
    region: &str,
    cursor: Option<&region_cursor::Model>,
) -> crate::error::Result<v1::RegionSyncStatus> {
    let applied = cursor.map_or(0, |c| c.applied_sequence);
    let (backlog, oldest) = log::backlog(hub.db(), region, applied).await?;
    Ok(v1::RegionSyncStatus {
        region: region.to_owned(),
        connected: hub.connected_regions().contains(region),
        last_seen: cursor.and_then(|c| c.last_seen).map(timestamp),
        cursor: applied as u64,
        backlog,
        lag_ms: oldest.map_or(0, |t| (Utc::now() - t).num_milliseconds().max(0)),
        streams_opened: hub.streams_opened(region),
    })
}

/// The line of the caller's own region: a chapter admin sees how her region keeps
/// up, not the others.
async fn own_region_status(
    hub: &SyncHub,
    caller: &Caller,
) -> crate::error::Result<v1::GetRegionSyncStatusResponse> {
    let region = caller
        .region
        .as_deref()
        .filter(|region| hub.regions().iter().any(|known| known == region))
        .ok_or_else(|| {
            Error::PermissionDenied(format!(
                "{} speaks for no region of this federation",
                caller.describe()
            ))
        })?;
    let cursor = log::cursors(hub.db())
        .await?
        .into_iter()
        .find(|row| row.region == region);
    Ok(v1::GetRegionSyncStatusResponse {
        log_head: log::head(hub.db()).await? as u64,
        status: Some(region_status(hub, region, cursor.as_ref()).await?),
    })
}

#[tonic::async_trait]
impl FederationAdminService for FederationAdmin {
    async fn get_sync_status(
        &self,
        _: Request<v1::GetSyncStatusRequest>,
    ) -> Result<Response<v1::GetSyncStatusResponse>, Status> {
        Ok(Response::new(sync_status(&self.hub).await?))
    }

    async fn get_region_sync_status(
        &self,
        request: Request<v1::GetRegionSyncStatusRequest>,
    ) -> Result<Response<v1::GetRegionSyncStatusResponse>, Status> {
        let caller = Caller::of(&request)?.clone();
        Ok(Response::new(own_region_status(&self.hub, &caller).await?))
    }

    async fn list_erasures(
        &self,
        request: Request<v1::ListErasuresRequest>,
    ) -> Result<Response<v1::ListErasuresResponse>, Status> {
        let request = request.into_inner();
        let size = page_size(request.page_size)?;
        let after = page_after(&request.page_token, "e1.")?;
        let db = self.hub.db();
        let rows = log::erasures(db, after, size as u64 + 1).await?;
        let cursors: BTreeMap<String, i64> = log::cursors(db)
            .await?
            .into_iter()
            .map(|row| (row.region, row.applied_sequence))
            .collect();
        let has_more = rows.len() > size as usize;
        let erasures: Vec<v1::Erasure> = rows
            .iter()
            .take(size as usize)
            .map(|row| {
                let (confirmed, pending) = self.hub.regions().iter().cloned().partition(|region| {
                    *region == row.origin_region
                        || cursors.get(region).is_some_and(|c| *c >= row.sequence)
                });
                v1::Erasure {
                    member_id: row.member_id.to_string(),
                    home_region: row.origin_region.clone(),
                    requested_time: Some(timestamp(row.appended_at)),
                    sequence: row.sequence as u64,
                    confirmed_regions: confirmed,
                    pending_regions: pending,
                }
            })
            .collect();
        let next_page_token = match (has_more, erasures.last()) {
            (true, Some(last)) => format!("e1.{}", last.sequence),
            _ => String::new(),
        };
        Ok(Response::new(v1::ListErasuresResponse {
            erasures,
            next_page_token,
        }))
    }

    async fn list_transfers(
        &self,
        request: Request<v1::ListTransfersRequest>,
    ) -> Result<Response<v1::ListTransfersResponse>, Status> {
        let request = request.into_inner();
        let size = page_size(request.page_size)?;
        let member_id = match request.member_id.as_str() {
            "" => None,
            id => Some(uuid::Uuid::try_parse(id).map_err(|_| Error::InvalidField {
                field: "member_id",
                reason: format!("not a UUID: {id:?}"),
            })?),
        };
        let after = page_after(&request.page_token, "t1.")?;
        let rows = moves::list(self.hub.db(), member_id, after, size as u64 + 1).await?;
        let has_more = rows.len() > size as usize;
        let rows = &rows[..rows.len().min(size as usize)];
        let next_page_token = match (has_more, rows.last()) {
            (true, Some(last)) => format!("t1.{}", last.id),
            _ => String::new(),
        };
        Ok(Response::new(v1::ListTransfersResponse {
            transfers: rows.iter().map(moves::to_wire).collect(),
            next_page_token,
        }))
    }

    async fn compact_log(
        &self,
        request: Request<v1::CompactLogRequest>,
    ) -> Result<Response<v1::CompactLogResponse>, Status> {
        let keep = request.into_inner().keep_seconds;
        if keep < 0 {
            return Err(Error::InvalidField {
                field: "keep_seconds",
                reason: format!("must be at least 0, got {keep}"),
            }
            .into());
        }
        let older_than = Utc::now() - chrono::Duration::seconds(keep);
        let (through, removed) = self.hub.compact(older_than).await?;
        tracing::info!(through, removed, "log compacted");
        Ok(Response::new(v1::CompactLogResponse {
            compacted_through: through as u64,
            removed_entries: removed,
        }))
    }
}

/// A page size from a request: the default for 0, at most `MAX_PAGE`.
fn page_size(requested: i32) -> Result<i32, Error> {
    match requested {
        size if size < 0 => Err(Error::InvalidField {
            field: "page_size",
            reason: "must not be negative".into(),
        }),
        0 => Ok(DEFAULT_PAGE),
        size => Ok(size.min(MAX_PAGE)),
    }
}

/// Where a page starts, from a `page_token` of the form `<prefix><number>`.
fn page_after(token: &str, prefix: &str) -> Result<i64, Error> {
    match token {
        "" => Ok(0),
        token => token
            .strip_prefix(prefix)
            .and_then(|s| s.parse::<i64>().ok())
            .ok_or_else(|| Error::InvalidField {
                field: "page_token",
                reason: "not a token from a previous page".into(),
            }),
    }
}
