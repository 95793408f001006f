//! `NotificationService`: a member's contact details and preferences, her inbox
//! and the one-click unsubscribe of a mail. The member herself, or her chapter
//! admin, calls for her (`Caller::may_act_for`); an organisation's contact reads
//! and marks the organisation's inbox (`Caller::may_act_for_organisation`);
//! unsubscribing needs no sign-in, the signed token names the member and the kind.
//! The region's chapter admin reads its mail queue (`passage admin mail`),
//! addresses masked.
//! The gateway alone (its own seal) tells a member's home that her move was
//! declined, and has it mail her an invitation's link; and tells a move's
//! destination that a member waits there, in the chapter's inbox its chapter
//! admins read (`ListChapterNotifications`) and mark (`MarkNotificationsRead`
//! with no member named).

use std::sync::Arc;

use passage_proto::v1::{self, notification_service_server::NotificationService};
use passage_server::access::with_subject;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::context::NodeContext;
use crate::convert::notifications::{
    notification_to_wire, queued_mail_to_wire, settings_from_wire, settings_to_wire,
};
use crate::error::{Error, Result};
use crate::membership::member_here;
use crate::notify::unsubscribe;
use crate::store::{PageRequest, mail_queue, notifications};
use crate::validate;

/// The mails of each list of `GetMailQueue` when the request names no limit, and
/// the most it may name.
const QUEUE_LIMIT: (i32, i32) = (50, 500);

pub struct NotificationApi {
    context: NodeContext,
    unsubscribe_key: Arc<unsubscribe::Key>,
}

impl NotificationApi {
    pub fn new(context: NodeContext, unsubscribe_key: Arc<unsubscribe::Key>) -> Self {
        NotificationApi {
            context,
            unsubscribe_key,
        }
    }

    /// The member a call names, when the caller may act for her and she is a
    /// member of this region.
    async fn member<T>(
        &self,
        request: &Request<T>,
        field: &str,
        value: &str,
    ) -> std::result::Result<Uuid, Status> {
        let id = validate::id(field, value)?;
        crate::access::acts_for(request, id)?;
        member_here(
            &self.context.db,
            &self.context.region,
            field,
            id,
            "keep contact details here",
        )
        .await?;
        Ok(id)
    }
}

impl NotificationApi {
    /// The inbox a call names in `member_id`: a member of this region, for
    /// herself or her chapter admin; or, for an organisation's contact, their
    /// own organisation of this region.
    async fn inbox_owner<T>(
        &self,
        request: &Request<T>,
        value: &str,
    ) -> std::result::Result<Uuid, Status> {
        let caller = passage_server::access::Caller::of(request)?;
        if caller.role == passage_server::access::Role::ChapterAdmin && value.trim().is_empty() {
            return Ok(notifications::chapter_inbox(&self.context.region));
        }
        if crate::access::organisation_limit(request)?.is_some() {
            let id = validate::id("member_id", value)?;
            crate::access::acts_for_organisation(request, id)?;
            crate::store::rows::find::<crate::store::entity::organisation::Entity>(
                &self.context.db,
                id,
                "organisation",
            )
            .await?;
            return Ok(id);
        }
        self.member(request, "member_id", value).await
    }
}

#[tonic::async_trait]
impl NotificationService for NotificationApi {
    async fn get_notification_settings(
        &self,
        request: Request<v1::GetNotificationSettingsRequest>,
    ) -> Result<Response<v1::NotificationSettings>, Status> {
        let id = self
            .member(&request, "member_id", &request.get_ref().member_id)
            .await?;
        let settings = notifications::settings(&self.context.db, id).await?;
        Ok(with_subject(
            Response::new(settings_to_wire(&settings)),
            id.to_string(),
        ))
    }

    async fn update_notification_settings(
        &self,
        request: Request<v1::UpdateNotificationSettingsRequest>,
    ) -> Result<Response<v1::NotificationSettings>, Status> {
        let wire = request
            .get_ref()
            .settings
            .clone()
            .ok_or_else(|| Error::invalid("settings", "must be set"))?;
        let id = self
            .member(&request, "settings.member_id", &wire.member_id)
            .await?;
        let (details, email_kinds) = settings_from_wire(id, &wire)?;
        let (_turn, txn) = self.context.begin_write().await?;
        notifications::save_settings(&txn, details, &email_kinds).await?;
        let saved = notifications::settings(&txn, id).await?;
        txn.commit().await.map_err(Error::from)?;
        tracing::info!(member_id = %id, "notification settings saved");
        Ok(with_subject(
            Response::new(settings_to_wire(&saved)),
            id.to_string(),
        ))
    }

    async fn list_notifications(
        &self,
        request: Request<v1::ListNotificationsRequest>,
    ) -> Result<Response<v1::ListNotificationsResponse>, Status> {
        let id = self
            .inbox_owner(&request, &request.get_ref().member_id)
            .await?;
        let request = request.into_inner();
        let page = PageRequest::parse(request.page_size, &request.page_token)?;
        let found = notifications::inbox(&self.context.db, id, page).await?;
        let unread = notifications::unread(&self.context.db, id).await?;
        let next_page_token = found.next_page_token();
        Ok(with_subject(
            Response::new(v1::ListNotificationsResponse {
                notifications: found.items.iter().map(notification_to_wire).collect(),
                next_page_token,
                unread: unread as u32,
            }),
            id.to_string(),
        ))
    }

    async fn mark_notifications_read(
        &self,
        request: Request<v1::MarkNotificationsReadRequest>,
    ) -> Result<Response<v1::MarkNotificationsReadResponse>, Status> {
        let id = self
            .inbox_owner(&request, &request.get_ref().member_id)
            .await?;
        let ids = request
            .get_ref()
            .ids
            .iter()
            .enumerate()
            .map(|(index, value)| validate::id(&format!("ids[{index}]"), value))
            .collect::<Result<Vec<_>>>()?;
        let (_turn, txn) = self.context.begin_write().await?;
        let marked = notifications::mark_read(&txn, id, &ids).await?;
        let unread = notifications::unread(&txn, id).await?;
        txn.commit().await.map_err(Error::from)?;
        Ok(with_subject(
            Response::new(v1::MarkNotificationsReadResponse {
                marked: marked as u32,
                unread: unread as u32,
            }),
            id.to_string(),
        ))
    }

    async fn unsubscribe(
        &self,
        request: Request<v1::UnsubscribeRequest>,
    ) -> Result<Response<v1::UnsubscribeResponse>, Status> {
        let (member_id, kind) = self.unsubscribe_key.open(&request.get_ref().token)?;
        let (_turn, txn) = self.context.begin_write().await?;
        // A member erased or moved away since has nothing left to turn off.
        if crate::membership::presence(&txn, member_id).await?.is_ok() {
            // A digest gathers every kind she gets by mail: stopping it stops them.
            let kinds = if kind == notifications::DIGEST {
                notifications::KINDS.to_vec()
            } else {
                vec![kind]
            };
            for kind in kinds {
                notifications::set_email_kind(&txn, member_id, kind, false).await?;
            }
        }
        txn.commit().await.map_err(Error::from)?;
        tracing::info!(%member_id, kind = kind.name, "mail unsubscribed");
        Ok(with_subject(
            Response::new(v1::UnsubscribeResponse {
                kind: kind.name.to_owned(),
            }),
            member_id.to_string(),
        ))
    }

    async fn get_mail_queue(
        &self,
        request: Request<v1::GetMailQueueRequest>,
    ) -> Result<Response<v1::GetMailQueueResponse>, Status> {
        let limit = match request.get_ref().limit {
            0 => QUEUE_LIMIT.0,
            limit if (1..=QUEUE_LIMIT.1).contains(&limit) => limit,
            _ => {
                return Err(Error::invalid(
                    "limit",
                    format!(
                        "must be between 1 and {} (0: {})",
                        QUEUE_LIMIT.1, QUEUE_LIMIT.0
                    ),
                )
                .into());
            }
        } as u64;
        let db = &self.context.db;
        let channel = self.context.mail_channel;
        let waiting = mail_queue::waiting(db).await?;
        let queue = mail_queue::soonest_due(db, limit).await?;
        let failures = mail_queue::failing(db, limit).await?;
        Ok(Response::new(v1::GetMailQueueResponse {
            channel: channel.to_owned(),
            waiting: waiting.min(u64::from(u32::MAX)) as u32,
            queue: queue
                .iter()
                .map(|row| queued_mail_to_wire(row, channel))
                .collect(),
            failures: failures
                .iter()
                .map(|row| queued_mail_to_wire(row, channel))
                .collect(),
        }))
    }

    async fn tell_move_declined(
        &self,
        request: Request<v1::TellMoveDeclinedRequest>,
    ) -> Result<Response<v1::TellMoveDeclinedResponse>, Status> {
        let id = validate::id("member_id", &request.get_ref().member_id)?;
        let (_turn, txn) = self.context.begin_write().await?;
        member_here(
            &txn,
            &self.context.region,
            "member_id",
            id,
            "hear of their moves here",
        )
        .await?;
        let mail = notifications::notify(&txn, id, notifications::MOVE_DECLINED).await?;
        txn.commit().await.map_err(Error::from)?;
        if mail {
            self.context.mail_ready.notify_one();
        }
        tracing::info!(member_id = %id, "told of a declined move");
        Ok(with_subject(
            Response::new(v1::TellMoveDeclinedResponse {}),
            id.to_string(),
        ))
    }

    async fn send_invitation(
        &self,
        request: Request<v1::SendInvitationRequest>,
    ) -> Result<Response<v1::SendInvitationResponse>, Status> {
        let request = request.into_inner();
        let id = validate::id("member_id", &request.member_id)?;
        let code = invitation_code(&request.invitation_code)?;
        let (_turn, txn) = self.context.begin_write().await?;
        member_here(
            &txn,
            &self.context.region,
            "member_id",
            id,
            "are invited from here",
        )
        .await?;
        let mailed = notifications::queue_invitation(&txn, id, code).await?;
        txn.commit().await.map_err(Error::from)?;
        if mailed {
            self.context.mail_ready.notify_one();
        }
        // The code is a secret: neither this line nor the audit's subject has it.
        tracing::info!(member_id = %id, mailed, "invitation mail queued");
        Ok(with_subject(
            Response::new(v1::SendInvitationResponse { mailed }),
            id.to_string(),
        ))
    }

    async fn list_chapter_notifications(
        &self,
        request: Request<v1::ListChapterNotificationsRequest>,
    ) -> Result<Response<v1::ListNotificationsResponse>, Status> {
        let id = notifications::chapter_inbox(&self.context.region);
        let request = request.into_inner();
        let page = PageRequest::parse(request.page_size, &request.page_token)?;
        let found = notifications::inbox(&self.context.db, id, page).await?;
        let unread = notifications::unread(&self.context.db, id).await?;
        Ok(Response::new(v1::ListNotificationsResponse {
            next_page_token: found.next_page_token(),
            notifications: found.items.iter().map(notification_to_wire).collect(),
            unread: unread as u32,
        }))
    }

    async fn tell_move_waiting(
        &self,
        _request: Request<v1::TellMoveWaitingRequest>,
    ) -> Result<Response<v1::TellMoveWaitingResponse>, Status> {
        let (_turn, txn) = self.context.begin_write().await?;
        notifications::notify_chapter(&txn, &self.context.region, notifications::MOVE_WAITING)
            .await?;
        txn.commit().await.map_err(Error::from)?;
        tracing::info!("the chapter told of a move waiting");
        Ok(Response::new(v1::TellMoveWaitingResponse {}))
    }
}

/// An invitation code as the gateway makes them (`psi_<id>_<secret>`: letters,
/// digits, '_' and '-'), so the mail's link can only ever be an invitation's.
fn invitation_code(code: &str) -> Result<&str> {
    let code = code.trim();
    let well_formed = code.starts_with("psi_")
        && code.len() <= 200
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'));
    if well_formed {
        Ok(code)
    } else {
        // Never echo the value: it may be a real code, mistyped.
        Err(Error::invalid(
            "invitation_code",
            "is not an invitation code (psi_<id>_<secret>)",
        ))
    }
}
