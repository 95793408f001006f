//! `passage.v1.FederationAdminService`: what operators see of the federation — each
//! region's connection, cursor, backlog and lag, and which regions have applied each
//! erasure.

use std::collections::BTreeMap;

use chrono::Utc;
use passage_proto::v1::{self, federation_admin_service_server::FederationAdminService};
use tonic::{Request, Response, Status};

use super::hub::SyncHub;
use super::log;

/// Serves the federation's figures from the gateway's database and live sessions.
pub struct FederationAdmin {
    hub: SyncHub,
}

impl FederationAdmin {
    pub fn new(hub: SyncHub) -> Self {
        FederationAdmin { hub }
    }
}

fn timestamp(time: chrono::DateTime<Utc>) -> prost_types::Timestamp {
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
    let cursors: BTreeMap<String, log::region_cursor::Model> = log::cursors(db)
        .await?
        .into_iter()
        .map(|row| (row.region.clone(), row))
        .collect();
    let connected = hub.connected_regions();
    let now = Utc::now();
    let mut regions = Vec::new();
    for region in &hub.regions() {
        let cursor = cursors.get(region);
        let applied = cursor.map_or(0, |c| c.applied_sequence);
        let (backlog, oldest) = log::backlog(db, region, applied).await?;
        regions.push(v1::RegionSyncStatus {
            region: region.clone(),
            connected: connected.contains(region),
            last_seen: cursor.and_then(|c| c.last_seen).map(timestamp),
            cursor: applied as u64,
            backlog,
            lag_ms: oldest.map_or(0, |t| (now - t).num_milliseconds().max(0)),
        });
    }
    Ok(v1::GetSyncStatusResponse {
        log_head: log::head(db).await? as u64,
        regions,
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

    async fn list_erasures(
        &self,
        request: Request<v1::ListErasuresRequest>,
    ) -> Result<Response<v1::ListErasuresResponse>, Status> {
        let request = request.into_inner();
        let size = match request.page_size {
            size if size < 0 => {
                return Err(Status::invalid_argument("page_size: must not be negative"));
            }
            0 => DEFAULT_PAGE,
            size => size.min(MAX_PAGE),
        };
        let after = match request.page_token.as_str() {
            "" => 0,
            token => token
                .strip_prefix("e1.")
                .and_then(|s| s.parse::<i64>().ok())
                .ok_or_else(|| {
                    Status::invalid_argument("page_token: not a token from a previous page")
                })?,
        };
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
}
