//! Moving a member's home region. The region the member moves to asks; the gateway
//! asks the old home region to hand the member over on its `Sync` stream; the old
//! home stops changing the member and publishes their profile naming the new home,
//! after every change it made before (its outbox keeps order); appending that change
//! moves the directory to the new home and the next epoch (`log::append`). So no
//! change the old home acknowledged is lost, and no region writes after it lost the
//! member.
//!
//! Gateway replicas on one database share each move through its row in
//! `member_transfer` (`moves`): the replica that takes the request records it and
//! sends the hand-over at once if it holds the old home's stream; otherwise the
//! replica that does finds the request within a poll and sends it. Whichever sends
//! first claims the row, so the old home is asked once. The requesting replica reads
//! the row until it is completed (the handed-over change was appended, on any
//! replica) or failed (the old home refused, with its reason); a request no replica
//! sent within `HANDOFF_CLAIM` means the old home is not connected anywhere.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use passage_proto::v1::{self, Handoff, SyncFromGateway, sync_from_gateway};
use sea_orm::DatabaseConnection;
use tokio::sync::mpsc;
use uuid::Uuid;

use super::hub::SyncHub;
use super::{log, moves};
use crate::error::{Error, Result};
use crate::store::entity::member_transfer;

/// How long a move waits for the old home region to hand the member over.
const HANDOFF_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a move waits for a replica holding the old home region's stream to send
/// the hand-over; if none did, the old home is not connected.
const HANDOFF_CLAIM: Duration = Duration::from_secs(2);
/// How often each replica looks for requested moves away from regions whose stream
/// it holds.
const HANDOFF_POLL: Duration = Duration::from_millis(200);
/// How often a waiting move reads its request (a move completed on this replica
/// wakes it at once).
const OUTCOME_POLL: Duration = Duration::from_millis(100);

/// Requests made since then are recent enough to be waited for: older ones are
/// neither sent nor in the way of a new request.
fn waited_for_since() -> chrono::DateTime<Utc> {
    Utc::now() - chrono::TimeDelta::seconds(HANDOFF_TIMEOUT.as_secs() as i64)
}

/// The message asking a home region to hand `member_id` over to `to`.
fn handoff(member_id: Uuid, to: &str) -> SyncFromGateway {
    SyncFromGateway {
        message: Some(sync_from_gateway::Message::Handoff(Handoff {
            member_id: member_id.to_string(),
            to_region: to.to_owned(),
        })),
    }
}

/// Sends the hand-over of request `transfer` on a session of its old home region,
/// if no replica sent it yet; true if this call sent it. Never waits for room in
/// the session (a later poll tries again).
async fn offer_handoff(
    db: &DatabaseConnection,
    write_turn: &tokio::sync::Mutex<()>,
    control: &mpsc::Sender<SyncFromGateway>,
    transfer: &member_transfer::Model,
) -> Result<bool> {
    let Ok(permit) = control.try_reserve() else {
        return Ok(false);
    };
    let claimed = {
        let _turn = write_turn.lock().await;
        moves::claim_handoff(db, transfer.id).await?
    };
    if claimed {
        permit.send(handoff(transfer.member_id, &transfer.to_region));
        tracing::info!(
            member_id = %transfer.member_id,
            from = %transfer.from_region,
            to = %transfer.to_region,
            "hand-over sent"
        );
    }
    Ok(claimed)
}

/// Sends the hand-over of every recent, unsent request whose old home region holds
/// one of the sessions in `held`.
async fn offer_requested_handoffs(
    db: &DatabaseConnection,
    write_turn: &tokio::sync::Mutex<()>,
    held: &HashMap<String, mpsc::Sender<SyncFromGateway>>,
) -> Result<()> {
    let regions: Vec<String> = held.keys().cloned().collect();
    for transfer in moves::awaiting_handoff(db, &regions, waited_for_since()).await? {
        if let Some(control) = held.get(&transfer.from_region) {
            offer_handoff(db, write_turn, control, &transfer).await?;
        }
    }
    Ok(())
}

impl SyncHub {
    /// Moves a member to `region`, which asked for it; answers once the move is in
    /// the log.
    pub(super) async fn transfer(
        &self,
        region: &str,
        request: &v1::RequestTransferRequest,
    ) -> Result<v1::RequestTransferResponse> {
        if !self.regions().iter().any(|r| r == region) {
            return Err(Error::Refused(format!(
                "region {region:?} is not a region of this federation"
            )));
        }
        let member_id = Uuid::try_parse(&request.member_id).map_err(|_| Error::InvalidField {
            field: "member_id",
            reason: format!("not a UUID: {:?}", request.member_id),
        })?;
        let requested_by = request.requested_by.trim();
        if requested_by.is_empty() {
            return Err(Error::InvalidField {
                field: "requested_by",
                reason: "must name who asks for the move".into(),
            });
        }
        let Some((entry, state)) = log::directory_entry(self.db(), member_id).await? else {
            return Err(Error::NotFound(format!(
                "member {member_id} is not known to the federation's directory"
            )));
        };
        if state.erased.is_some() {
            return Err(Error::Refused(format!("member {member_id} was erased")));
        }
        let from = entry.home_region;
        if from == region {
            return Err(Error::Refused(format!(
                "member {member_id} already has {region} as home region"
            )));
        }
        let Some(transfer_id) = self
            .exclusive(moves::request(
                self.db(),
                member_id,
                &from,
                region,
                requested_by,
                waited_for_since(),
            ))
            .await?
        else {
            return Err(Error::InProgress(format!(
                "a move of member {member_id} is already under way"
            )));
        };
        tracing::info!(%member_id, %from, to = %region, requested_by, "move requested");
        // Holding the old home's stream here, ask at once; otherwise (or if its
        // session has no room now) the poll of the replica that holds it does.
        if let Some(control) = self.control_of(&from)
            && let Some(transfer) = moves::find(self.db(), transfer_id).await?
        {
            offer_handoff(self.db(), &self.write_turn, &control, &transfer).await?;
        }
        let transfer = self.await_handover(transfer_id, member_id, &from).await?;
        // The profile as the directory keeps it, for a member who shares it; one who
        // does not is handed to the new home privately, on its stream.
        let state = log::directory_entry(self.db(), member_id)
            .await?
            .filter(|(entry, _)| entry.state.is_some())
            .map(|(_, state)| state);
        Ok(v1::RequestTransferResponse {
            transfer: Some(moves::to_wire(&transfer)),
            state,
        })
    }

    /// Reads request `transfer_id` until the old home region `from` handed the
    /// member over (the completed request), refused (its reason), or was not found
    /// connected by any replica, or `HANDOFF_TIMEOUT` passed (the request stays open:
    /// if the old home hands over later, the move completes then).
    async fn await_handover(
        &self,
        transfer_id: i64,
        member_id: Uuid,
        from: &str,
    ) -> Result<member_transfer::Model> {
        let started = tokio::time::Instant::now();
        loop {
            // Listen before reading, so an outcome recorded in between still wakes.
            let changed = self.moves_changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let transfer = moves::find(self.db(), transfer_id)
                .await?
                .ok_or_else(|| Error::NotFound(format!("move {transfer_id} is not recorded")))?;
            if transfer.completed_at.is_some() {
                return Ok(transfer);
            }
            if let Some(reason) = transfer.failure {
                return Err(Error::Refused(reason));
            }
            let waited = started.elapsed();
            if transfer.handoff_sent_at.is_none() && waited >= HANDOFF_CLAIM {
                let reason = "the home region must be connected to hand the member over; \
                              try again when it is"
                    .to_owned();
                if self
                    .exclusive(moves::fail_unsent(self.db(), transfer_id, &reason))
                    .await?
                {
                    return Err(Error::RegionUnavailable {
                        region: from.to_owned(),
                        reason,
                    });
                }
                // A replica sent it meanwhile: wait for the answer.
                continue;
            }
            if waited >= HANDOFF_TIMEOUT {
                return Err(Error::Timeout(format!(
                    "home region {from} did not hand member {member_id} over within {} s; \
                     the move completes when it does",
                    HANDOFF_TIMEOUT.as_secs()
                )));
            }
            let _ = tokio::time::timeout(OUTCOME_POLL, changed).await;
        }
    }

    /// Every `HANDOFF_POLL`, sends the hand-overs requested (on any replica) of
    /// members whose home region holds a stream on this one. Stops when the gateway
    /// closes or the hub is gone.
    pub(super) fn hand_over_for_other_replicas(&self) {
        let db = self.db().clone();
        let controls = Arc::downgrade(&self.controls);
        let write_turn = self.write_turn.clone();
        super::hub::poll_until_closed(
            HANDOFF_POLL,
            self.closing.clone(),
            "the requested moves",
            move || {
                let (db, write_turn, controls) =
                    (db.clone(), write_turn.clone(), controls.upgrade());
                async move {
                    let held: HashMap<String, mpsc::Sender<SyncFromGateway>> = controls?
                        .lock()
                        .map(|controls| {
                            controls
                                .iter()
                                .map(|(region, (_, control))| (region.clone(), control.clone()))
                                .collect()
                        })
                        .unwrap_or_default();
                    if held.is_empty() {
                        return Some(Ok(()));
                    }
                    Some(offer_requested_handoffs(&db, &write_turn, &held).await)
                }
            },
        );
    }
}
