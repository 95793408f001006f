//! Moving a member's home region. The region the member moves to asks; the gateway
//! asks the old home region to hand the member over on its `Sync` stream; the old
//! home stops changing the member and publishes their profile naming the new home,
//! after every change it made before (its outbox keeps order); appending that change
//! moves the directory to the new home and the next epoch (`log::append`). So no
//! change the old home acknowledged is lost, and no region writes after it lost the
//! member.

use std::time::Duration;

use passage_proto::v1::{self, Handoff, sync_from_gateway};
use uuid::Uuid;

use super::hub::{PendingHandoff, SyncHub};
use super::{log, moves};
use crate::error::{Error, Result};

fn poisoned() -> Error {
    Error::Refused("the gateway's table of hand-overs is unusable; restart the gateway".into())
}

/// How long a move waits for the old home region to hand the member over.
const HANDOFF_TIMEOUT: Duration = Duration::from_secs(10);

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
                "member {member_id} has never been shared across regions"
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
        if !self.is_connected(&from) {
            return Err(Error::RegionUnavailable {
                region: from.clone(),
                reason: "the home region must be connected to hand the member over; try again when it is".into(),
            });
        }
        let (done, answered) = tokio::sync::oneshot::channel();
        {
            let mut handoffs = self.handoffs.lock().map_err(|_| poisoned())?;
            if handoffs.contains_key(&member_id) {
                return Err(Error::InProgress(format!(
                    "a move of member {member_id} is already under way"
                )));
            }
            handoffs.insert(
                member_id,
                PendingHandoff {
                    transfer_id: 0,
                    done,
                },
            );
        }
        let transfer_id = match self
            .exclusive(moves::request(
                self.db(),
                member_id,
                &from,
                region,
                requested_by,
            ))
            .await
        {
            Ok(id) => id,
            Err(error) => {
                self.abandon(member_id);
                return Err(error);
            }
        };
        if let Some(pending) = self
            .handoffs
            .lock()
            .map_err(|_| poisoned())?
            .get_mut(&member_id)
        {
            pending.transfer_id = transfer_id;
        }
        tracing::info!(%member_id, %from, to = %region, requested_by, "move requested");
        let handoff = v1::SyncFromGateway {
            message: Some(sync_from_gateway::Message::Handoff(Handoff {
                member_id: member_id.to_string(),
                to_region: region.to_owned(),
            })),
        };
        if !self.send_to(&from, handoff).await {
            self.abandon(member_id);
            let reason = format!("home region {from} disconnected before the hand-over");
            self.exclusive(moves::fail(self.db(), transfer_id, &reason))
                .await?;
            return Err(Error::RegionUnavailable {
                region: from,
                reason,
            });
        }
        match tokio::time::timeout(HANDOFF_TIMEOUT, answered).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(reason))) => return Err(Error::Refused(reason)),
            Ok(Err(_)) | Err(_) => {
                self.abandon(member_id);
                return Err(Error::Timeout(format!(
                    "home region {from} did not hand member {member_id} over within {} s; \
                     the move completes when it does",
                    HANDOFF_TIMEOUT.as_secs()
                )));
            }
        }
        let transfer = moves::find(self.db(), transfer_id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("move {transfer_id} is not recorded")))?;
        let state = log::directory_entry(self.db(), member_id)
            .await?
            .map(|(_, state)| state);
        Ok(v1::RequestTransferResponse {
            transfer: Some(moves::to_wire(&transfer)),
            state,
        })
    }

    /// Stops waiting for a hand-over (the recorded request stays open: if the old
    /// home region hands over later, the move completes then).
    fn abandon(&self, member_id: Uuid) {
        if let Ok(mut handoffs) = self.handoffs.lock() {
            handoffs.remove(&member_id);
        }
    }
}
