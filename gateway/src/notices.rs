//! What the gateway tells a region's node, for that node to tell its people
//! (issue 16): a member's home her move declined by its destination, or an
//! invitation made for her (the home node keeps her address and sends its
//! region's mail); a move's destination that a member waits for its chapter
//! admins (their chapter's inbox). The gateway calls with its own seal
//! (`Policy::TheGateway`), which no token holder can use.

use std::time::Duration;

use passage_proto::v1::{self, notification_service_client::NotificationServiceClient};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::route::RegionRoute;

/// How long the home node may take to answer.
const DEADLINE: Duration = Duration::from_secs(10);

/// The home node's refusal or silence, as the caller's error.
fn unavailable(home: &RegionRoute, reason: String) -> Error {
    Error::RegionUnavailable {
        region: home.slug.clone(),
        reason,
    }
}

/// Has member `member_id`'s home node tell her the destination declined her move.
pub async fn move_declined(home: &RegionRoute, member_id: Uuid) -> Result<()> {
    let mut request = tonic::Request::new(v1::TellMoveDeclinedRequest {
        member_id: member_id.to_string(),
    });
    request.set_timeout(DEADLINE);
    home.seal_own_call(
        &mut request,
        "/passage.v1.NotificationService/TellMoveDeclined",
    );
    let mut client = NotificationServiceClient::new(home.channel());
    tokio::time::timeout(DEADLINE, client.tell_move_declined(request))
        .await
        .map_err(|_| unavailable(home, format!("no answer within {} s", DEADLINE.as_secs())))?
        .map_err(|status| {
            unavailable(home, format!("{:?}: {}", status.code(), status.message()))
        })?;
    Ok(())
}

/// Has member `member_id`'s home node mail her the link of invitation `code`,
/// when she gave it an address; whether it did. The code goes in the request's
/// body only, never in a log line or the audit.
pub async fn send_invitation(home: &RegionRoute, member_id: Uuid, code: &str) -> Result<bool> {
    let mut request = tonic::Request::new(v1::SendInvitationRequest {
        member_id: member_id.to_string(),
        invitation_code: code.to_owned(),
    });
    request.set_timeout(DEADLINE);
    home.seal_own_call(
        &mut request,
        "/passage.v1.NotificationService/SendInvitation",
    );
    let mut client = NotificationServiceClient::new(home.channel());
    let answer = tokio::time::timeout(DEADLINE, client.send_invitation(request))
        .await
        .map_err(|_| unavailable(home, format!("no answer within {} s", DEADLINE.as_secs())))?
        .map_err(|status| {
            unavailable(home, format!("{:?}: {}", status.code(), status.message()))
        })?;
    Ok(answer.into_inner().mailed)
}

/// Has destination `region`'s node tell its chapter admins, in their chapter's
/// inbox, that a member waits for them to accept her move.
pub async fn move_waiting(region: &RegionRoute) -> Result<()> {
    let mut request = tonic::Request::new(v1::TellMoveWaitingRequest {});
    request.set_timeout(DEADLINE);
    region.seal_own_call(
        &mut request,
        "/passage.v1.NotificationService/TellMoveWaiting",
    );
    let mut client = NotificationServiceClient::new(region.channel());
    tokio::time::timeout(DEADLINE, client.tell_move_waiting(request))
        .await
        .map_err(|_| unavailable(region, format!("no answer within {} s", DEADLINE.as_secs())))?
        .map_err(|status| {
            unavailable(region, format!("{:?}: {}", status.code(), status.message()))
        })?;
    Ok(())
}
