//! Notifications in the database: a member's contact details and preferences,
//! her inbox, and the mail queue. [`notify`] is what a change calls, inside its
//! own transaction, so the notification (and its mail, when she wants one) is
//! written if and only if the change commits; the node's mail task
//! (`crate::notify::delivery`) sends the queue after commit.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::error::Result;
use crate::store::entity::{contact_details, mail_queue, notification, notification_preference};
use crate::store::{Page, PageRequest};

/// A kind of notification: a stable name, the page of the web app it links to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    pub name: &'static str,
    pub link: &'static str,
}

/// An application's stage changed (to the member).
pub const APPLICATION_STAGE: Kind = Kind {
    name: "application_stage",
    link: "/applications",
};
/// Her helpdesk question was answered (to the asker).
pub const QUESTION_ANSWERED: Kind = Kind {
    name: "question_answered",
    link: "/helpdesk",
};
/// A seat freed at an event was given to her from the waiting list.
pub const EVENT_SEAT: Kind = Kind {
    name: "event_seat",
    link: "/events",
};
/// A buddy pair she is in was confirmed (to both).
pub const BUDDY_CONFIRMED: Kind = Kind {
    name: "buddy_confirmed",
    link: "/buddy",
};

/// Every kind, in the order preferences list them.
pub const KINDS: [Kind; 4] = [
    APPLICATION_STAGE,
    QUESTION_ANSWERED,
    EVENT_SEAT,
    BUDDY_CONFIRMED,
];

/// The kind with this name.
pub fn kind(name: &str) -> Option<Kind> {
    KINDS.iter().copied().find(|kind| kind.name == name)
}

/// The mail languages; the first is the one used when she chose none.
pub const LANGUAGES: [&str; 5] = ["en", "nl", "ar", "uk", "es"];

/// A member's settings as kept, with defaults where she set nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub details: contact_details::Model,
    /// For every kind of [`KINDS`], whether it comes by mail.
    pub email_kinds: Vec<(Kind, bool)>,
}

/// The settings of a member who set none: no address, UTC, English, immediate,
/// no quiet hours, mail on for every kind.
pub fn default_details(member_id: Uuid) -> contact_details::Model {
    contact_details::Model {
        member_id,
        email: String::new(),
        time_zone: "UTC".into(),
        language: LANGUAGES[0].into(),
        digest: "immediate".into(),
        quiet_from_minute: None,
        quiet_until_minute: None,
        updated_at: DateTime::<Utc>::UNIX_EPOCH,
    }
}

/// Member `member_id`'s settings.
pub async fn settings(db: &impl ConnectionTrait, member_id: Uuid) -> Result<Settings> {
    let details = contact_details::Entity::find_by_id(member_id)
        .one(db)
        .await?
        .unwrap_or_else(|| default_details(member_id));
    let chosen = notification_preference::Entity::find()
        .filter(notification_preference::Column::MemberId.eq(member_id))
        .all(db)
        .await?;
    let email_kinds = KINDS
        .iter()
        .map(|kind| {
            let email = chosen
                .iter()
                .find(|row| row.kind == kind.name)
                .is_none_or(|row| row.email);
            (*kind, email)
        })
        .collect();
    Ok(Settings {
        details,
        email_kinds,
    })
}

/// Writes member `details` and the mail choice of each kind listed.
pub async fn save_settings(
    db: &impl ConnectionTrait,
    details: contact_details::Model,
    email_kinds: &[(Kind, bool)],
) -> Result<()> {
    let member_id = details.member_id;
    contact_details::Entity::delete_by_id(member_id)
        .exec(db)
        .await?;
    details.into_active_model().insert(db).await?;
    for (kind, email) in email_kinds {
        set_email_kind(db, member_id, *kind, *email).await?;
    }
    Ok(())
}

/// Turns mail of `kind` on or off for member `member_id`.
pub async fn set_email_kind(
    db: &impl ConnectionTrait,
    member_id: Uuid,
    kind: Kind,
    email: bool,
) -> Result<()> {
    notification_preference::Entity::delete_many()
        .filter(notification_preference::Column::MemberId.eq(member_id))
        .filter(notification_preference::Column::Kind.eq(kind.name))
        .exec(db)
        .await?;
    notification_preference::ActiveModel {
        member_id: Set(member_id),
        kind: Set(kind.name.to_owned()),
        email: Set(email),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Tells member `member_id` of a change of `kind`, inside the change's own
/// transaction: a notification in her inbox, always, and a mail in the queue
/// when she gave an address and wants this kind by mail. Returns whether mail was
/// queued (the caller pokes the mail task after commit).
pub async fn notify(db: &impl ConnectionTrait, member_id: Uuid, kind: Kind) -> Result<bool> {
    let now = Utc::now();
    let id = Uuid::now_v7();
    notification::ActiveModel {
        id: Set(id),
        member_id: Set(member_id),
        kind: Set(kind.name.to_owned()),
        link: Set(kind.link.to_owned()),
        created_at: Set(now),
        read_at: Set(None),
    }
    .insert(db)
    .await?;
    let Some(details) = contact_details::Entity::find_by_id(member_id)
        .one(db)
        .await?
    else {
        return Ok(false);
    };
    if details.email.is_empty() {
        return Ok(false);
    }
    let wants_mail = notification_preference::Entity::find_by_id((member_id, kind.name.to_owned()))
        .one(db)
        .await?
        .is_none_or(|row| row.email);
    if !wants_mail {
        return Ok(false);
    }
    mail_queue::ActiveModel {
        notification_id: Set(id),
        member_id: Set(member_id),
        to_address: Set(details.email.clone()),
        kind: Set(kind.name.to_owned()),
        link: Set(kind.link.to_owned()),
        language: Set(details.language.clone()),
        attempts: Set(0),
        // Within her quiet hours the mail waits until they end.
        next_attempt_at: Set(crate::quiet_hours::first_moment_allowed(
            now,
            &details.time_zone,
            details.quiet_from_minute,
            details.quiet_until_minute,
        )),
        last_error: Set(String::new()),
        sent_at: Set(None),
        written_file: Set(String::new()),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(true)
}

/// One page of member `member_id`'s inbox, newest first.
pub async fn inbox(
    db: &impl ConnectionTrait,
    member_id: Uuid,
    page: PageRequest,
) -> Result<Page<notification::Model>> {
    let mut select = notification::Entity::find()
        .filter(notification::Column::MemberId.eq(member_id))
        .order_by_desc(notification::Column::Id)
        .limit(page.size + 1);
    if let Some(after) = page.after {
        select = select.filter(notification::Column::Id.lt(after));
    }
    let rows = select.all(db).await?;
    Ok(Page::from_rows(rows, page.size, |row| row.id))
}

/// How many of member `member_id`'s notifications are unread.
pub async fn unread(db: &impl ConnectionTrait, member_id: Uuid) -> Result<u64> {
    Ok(notification::Entity::find()
        .filter(notification::Column::MemberId.eq(member_id))
        .filter(notification::Column::ReadAt.is_null())
        .count(db)
        .await?)
}

/// Marks member `member_id`'s notifications `ids` read (all of hers when `ids` is
/// empty); returns how many were unread.
pub async fn mark_read(db: &impl ConnectionTrait, member_id: Uuid, ids: &[Uuid]) -> Result<u64> {
    let mut update = notification::Entity::update_many()
        .col_expr(notification::Column::ReadAt, Expr::value(Some(Utc::now())))
        .filter(notification::Column::MemberId.eq(member_id))
        .filter(notification::Column::ReadAt.is_null());
    if !ids.is_empty() {
        update = update.filter(notification::Column::Id.is_in(ids.iter().copied()));
    }
    Ok(update.exec(db).await?.rows_affected)
}

/// Mail due to be sent at `now`, oldest first, at most `limit`.
pub async fn due_mail(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<mail_queue::Model>> {
    Ok(mail_queue::Entity::find()
        .filter(mail_queue::Column::SentAt.is_null())
        .filter(mail_queue::Column::NextAttemptAt.lte(now))
        .order_by_asc(mail_queue::Column::NotificationId)
        .limit(limit)
        .all(db)
        .await?)
}

/// How many mails wait to be sent, by kind.
pub async fn waiting_by_kind(db: &impl ConnectionTrait) -> Result<Vec<(String, u64)>> {
    let rows: Vec<(String, i64)> = mail_queue::Entity::find()
        .select_only()
        .column(mail_queue::Column::Kind)
        .column_as(mail_queue::Column::NotificationId.count(), "waiting")
        .filter(mail_queue::Column::SentAt.is_null())
        .group_by(mail_queue::Column::Kind)
        .order_by_asc(mail_queue::Column::Kind)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(kind, count)| (kind, count.max(0) as u64))
        .collect())
}

/// When the next unsent mail is due, if any waits.
pub async fn next_due(db: &impl ConnectionTrait) -> Result<Option<DateTime<Utc>>> {
    Ok(mail_queue::Entity::find()
        .select_only()
        .column(mail_queue::Column::NextAttemptAt)
        .filter(mail_queue::Column::SentAt.is_null())
        .order_by_asc(mail_queue::Column::NextAttemptAt)
        .into_tuple()
        .one(db)
        .await?)
}

/// Records that the mail of notification `id` was accepted by the server (or
/// written to `written_file`). A mail erased meanwhile stays erased: returns
/// whether the mail was still queued.
pub async fn mark_sent(db: &impl ConnectionTrait, id: Uuid, written_file: &str) -> Result<bool> {
    let updated = mail_queue::Entity::update_many()
        .col_expr(mail_queue::Column::SentAt, Expr::value(Some(Utc::now())))
        .col_expr(mail_queue::Column::WrittenFile, Expr::value(written_file))
        .col_expr(mail_queue::Column::LastError, Expr::value(""))
        .filter(mail_queue::Column::NotificationId.eq(id))
        .exec(db)
        .await?;
    Ok(updated.rows_affected > 0)
}

/// Records a failed attempt at the mail of notification `id` and when to try
/// again.
pub async fn mark_failed(
    db: &impl ConnectionTrait,
    id: Uuid,
    attempts: i32,
    next_attempt_at: DateTime<Utc>,
    error: &str,
) -> Result<()> {
    mail_queue::Entity::update_many()
        .col_expr(mail_queue::Column::Attempts, Expr::value(attempts))
        .col_expr(
            mail_queue::Column::NextAttemptAt,
            Expr::value(next_attempt_at),
        )
        .col_expr(
            mail_queue::Column::LastError,
            Expr::value(error.chars().take(500).collect::<String>()),
        )
        .filter(mail_queue::Column::NotificationId.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// The `.eml` files written for member `member_id`, relative to the mail folder.
pub async fn written_files(db: &impl ConnectionTrait, member_id: Uuid) -> Result<Vec<String>> {
    let files: Vec<String> = mail_queue::Entity::find()
        .select_only()
        .column(mail_queue::Column::WrittenFile)
        .filter(mail_queue::Column::MemberId.eq(member_id))
        .filter(mail_queue::Column::WrittenFile.ne(""))
        .into_tuple()
        .all(db)
        .await?;
    Ok(files)
}

/// Deletes every notification record of member `member_id`: contact details,
/// preferences, inbox and mail queue. Returns how many rows went.
pub async fn erase(db: &impl ConnectionTrait, member_id: Uuid) -> Result<u64> {
    let mut erased = 0;
    erased += mail_queue::Entity::delete_many()
        .filter(mail_queue::Column::MemberId.eq(member_id))
        .exec(db)
        .await?
        .rows_affected;
    erased += notification::Entity::delete_many()
        .filter(notification::Column::MemberId.eq(member_id))
        .exec(db)
        .await?
        .rows_affected;
    erased += notification_preference::Entity::delete_many()
        .filter(notification_preference::Column::MemberId.eq(member_id))
        .exec(db)
        .await?
        .rows_affected;
    erased += contact_details::Entity::delete_many()
        .filter(contact_details::Column::MemberId.eq(member_id))
        .exec(db)
        .await?
        .rows_affected;
    Ok(erased)
}

/// The hooks the changes call, in their own transaction, one per kind.
pub mod hooks {
    use sea_orm::ConnectionTrait;

    use super::{APPLICATION_STAGE, BUDDY_CONFIRMED, EVENT_SEAT, QUESTION_ANSWERED, notify};
    use crate::error::Result;
    use crate::store::entity::{application, buddy_pair, event_registration, helpdesk_question};

    /// An application moved to a new stage: its member hears, unless she
    /// withdrew it herself.
    pub async fn application_moved(
        db: &impl ConnectionTrait,
        application: &application::Model,
    ) -> Result<()> {
        if application.stage != "withdrawn" {
            notify(db, application.member_id, APPLICATION_STAGE).await?;
        }
        Ok(())
    }

    /// A question was answered: the asker hears.
    pub async fn question_answered(
        db: &impl ConnectionTrait,
        question: &helpdesk_question::Model,
    ) -> Result<()> {
        notify(db, question.asker_member_id, QUESTION_ANSWERED).await?;
        Ok(())
    }

    /// A freed seat went to the first on the waiting list: she hears.
    pub async fn seat_given(
        db: &impl ConnectionTrait,
        registration: &event_registration::Model,
    ) -> Result<()> {
        notify(db, registration.member_id, EVENT_SEAT).await?;
        Ok(())
    }

    /// A buddy pair was confirmed: both hear.
    pub async fn pair_confirmed(db: &impl ConnectionTrait, pair: &buddy_pair::Model) -> Result<()> {
        for member_id in [pair.newcomer_member_id, pair.local_member_id] {
            notify(db, member_id, BUDDY_CONFIRMED).await?;
        }
        Ok(())
    }
}
