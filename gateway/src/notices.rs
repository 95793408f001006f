//! What the gateway tells a region's node, for that node to tell its people
//! (issue 16): a member's home her move declined by its destination, or an
//! invitation made for her (the home node keeps her address and sends its
//! region's mail); a move's destination that a member waits for its chapter
//! admins (their chapter's inbox). The gateway calls with its own seal
//! (`Policy::TheGateway`), which no token holder can use.

use std::future::Future;
use std::time::Duration;

use passage_proto::v1::{self, notification_service_client::NotificationServiceClient};
use tonic::transport::Channel;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::route::RegionRoute;

/// How long the node may take to answer.
const DEADLINE: Duration = Duration::from_secs(10);

type Client = NotificationServiceClient<Channel>;

/// Sends `message` to `region`'s `NotificationService` method `method` with the
/// gateway's own seal, through `send`; the node's refusal or silence is the
/// caller's error, naming the region.
async fn tell<T, R, F, Fut>(region: &RegionRoute, method: &str, message: T, send: F) -> Result<R>
where
    T: prost::Message,
    F: FnOnce(Client, tonic::Request<T>) -> Fut,
    Fut: Future<Output = std::result::Result<tonic::Response<R>, tonic::Status>>,
{
    let unavailable = |reason: String| Error::RegionUnavailable {
        region: region.slug.clone(),
        reason,
    };
    let mut request = tonic::Request::new(message);
    request.set_timeout(DEADLINE);
    region.seal_own_call(
        &mut request,
        &format!("/passage.v1.NotificationService/{method}"),
    );
    let answer = tokio::time::timeout(DEADLINE, send(Client::new(region.channel()), request))
        .await
        .map_err(|_| unavailable(format!("no answer within {} s", DEADLINE.as_secs())))?
        .map_err(|status| unavailable(format!("{:?}: {}", status.code(), status.message())))?;
    Ok(answer.into_inner())
}

/// Has member `member_id`'s home node tell her the destination declined her move.
pub async fn move_declined(home: &RegionRoute, member_id: Uuid) -> Result<()> {
    let message = v1::TellMoveDeclinedRequest {
        member_id: member_id.to_string(),
    };
    tell(
        home,
        "TellMoveDeclined",
        message,
        |mut client, request| async move { client.tell_move_declined(request).await },
    )
    .await?;
    Ok(())
}

/// Has member `member_id`'s home node mail her the link of invitation `code`,
/// when she gave it an address; whether it did. The code goes in the request's
/// body only, never in a log line or the audit.
pub async fn send_invitation(home: &RegionRoute, member_id: Uuid, code: &str) -> Result<bool> {
    let message = v1::SendInvitationRequest {
        member_id: member_id.to_string(),
        invitation_code: code.to_owned(),
    };
    let answer = tell(
        home,
        "SendInvitation",
        message,
        |mut client, request| async move { client.send_invitation(request).await },
    )
    .await?;
    Ok(answer.mailed)
}

/// Has destination `region`'s node tell its chapter admins, in their chapter's
/// inbox, that a member waits for them to accept her move.
pub async fn move_waiting(region: &RegionRoute) -> Result<()> {
    tell(
        region,
        "TellMoveWaiting",
        v1::TellMoveWaitingRequest {},
        |mut client, request| async move { client.tell_move_waiting(request).await },
    )
    .await?;
    Ok(())
}
