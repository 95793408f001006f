//! Notifications in the database: a member's contact details and preferences,
//! her inbox, and the mail queue. [`notify`] is what a change calls, inside its
//! own transaction, so the notification (and its mail, when she wants one) is
//! written if and only if the change commits; the node's mail task
//! (`crate::notify::delivery`) sends the queue after commit.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    JoinType, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::error::Result;
use crate::store::entity::{
    contact_details, departure, digest_item, mail_queue, notification, notification_key,
    notification_preference,
};
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

/// A helpdesk question was routed to her (to the superlocal who answers it).
pub const QUESTION_ROUTED: Kind = Kind {
    name: "question_routed",
    link: "/answering",
};
/// New opportunities wait for review (to the region's newcomer reviewers, at
/// most once a day).
pub const REVIEW_WAITING: Kind = Kind {
    name: "review_waiting",
    link: "/review",
};
/// An event she is registered for is tomorrow.
pub const EVENT_TOMORROW: Kind = Kind {
    name: "event_tomorrow",
    link: "/events",
};
/// A session of a cohort she takes part in or coaches is tomorrow.
pub const SESSION_TOMORROW: Kind = Kind {
    name: "session_tomorrow",
    link: "/coaching",
};

/// Her move was accepted by the destination and her home handed her over (to
/// the member, from the home that hands her over and holds her address).
pub const MOVE_HANDED_OVER: Kind = Kind {
    name: "move_handed_over",
    link: "/moving",
};
/// She arrived: her new home has her (to the member, in the new home's inbox).
pub const MOVE_ARRIVED: Kind = Kind {
    name: "move_arrived",
    link: "/moving",
};

/// The destination's chapter admin declined her move (to the member, from her
/// home, which the gateway tells).
pub const MOVE_DECLINED: Kind = Kind {
    name: "move_declined",
    link: "/moving",
};

/// Every kind, in the order preferences list them.
pub const KINDS: [Kind; 11] = [
    APPLICATION_STAGE,
    QUESTION_ANSWERED,
    EVENT_SEAT,
    BUDDY_CONFIRMED,
    QUESTION_ROUTED,
    REVIEW_WAITING,
    EVENT_TOMORROW,
    SESSION_TOMORROW,
    MOVE_HANDED_OVER,
    MOVE_ARRIVED,
    MOVE_DECLINED,
];

/// An organisation's opportunity was approved by community review and published.
pub const OPPORTUNITY_APPROVED: Kind = Kind {
    name: "opportunity_approved",
    link: "/our-opportunities",
};
/// An organisation's opportunity was sent back to draft with the reviewers'
/// comments (which its page shows, never a notice).
pub const OPPORTUNITY_SENT_BACK: Kind = Kind {
    name: "opportunity_sent_back",
    link: "/our-opportunities",
};
/// An organisation's opportunity was rejected by community review.
pub const OPPORTUNITY_REJECTED: Kind = Kind {
    name: "opportunity_rejected",
    link: "/our-opportunities",
};

/// The kinds an organisation's inbox receives. No mail: the node keeps no
/// address of an organisation (its contacts' addresses are their accounts', at
/// the gateway).
pub const ORGANISATION_KINDS: [Kind; 3] = [
    OPPORTUNITY_APPROVED,
    OPPORTUNITY_SENT_BACK,
    OPPORTUNITY_REJECTED,
];

/// The mail of a daily or weekly digest: not a kind one chooses, the list of
/// the kinds she chose, gathered. Its unsubscribe link stops all her mail.
pub const DIGEST: Kind = Kind {
    name: "digest",
    link: "/inbox",
};

/// A member confirmed a move to this region and waits for a chapter admin to
/// accept her (to the region's chapter admins, in the chapter's inbox, which the
/// gateway has this node write when she confirms). No mail: the node holds no
/// address of a chapter admin; the row names no member, the console's moves page
/// lists who waits.
pub const MOVE_WAITING: Kind = Kind {
    name: "move_waiting",
    link: "/console/moves",
};

/// The kinds of the chapter's inbox.
pub const CHAPTER_KINDS: [Kind; 1] = [MOVE_WAITING];

/// The inbox of region `region`'s chapter admins: an id of its own, derived
/// from the region's name (a version-8 UUID of its SHA-256), which no member or
/// organisation has.
pub fn chapter_inbox(region: &str) -> Uuid {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(format!("passage chapter inbox {region}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

/// Tells region `region`'s chapter admins of a change of `kind`, inside the
/// change's own transaction: a notification in the chapter's inbox.
pub async fn notify_chapter(db: &impl ConnectionTrait, region: &str, kind: Kind) -> Result<()> {
    in_inbox(db, chapter_inbox(region), kind, kind.link, Utc::now()).await?;
    Ok(())
}

/// An invitation to an account, made by a chapter admin at the gateway: a mail
/// only (no inbox row, no choice, no unsubscribe link), to a person who has no
/// account yet. Its link carries the invitation's single-use code, so the queue
/// keeps the link only until the mail is sent ([`mark_sent`]).
pub const INVITATION: Kind = Kind {
    name: "invitation",
    link: "/invitation",
};

/// The kind with this name.
pub fn kind(name: &str) -> Option<Kind> {
    KINDS.iter().copied().find(|kind| kind.name == name)
}

/// The kind of a mail with this name: a kind, or the digest.
pub fn mail_kind(name: &str) -> Option<Kind> {
    kind(name).or((name == DIGEST.name).then_some(DIGEST))
}

/// Queues the mail of an invitation with single-use `code` to member
/// `member_id`, inside the caller's transaction, when she gave this region an
/// address; returns whether it did. The code goes into the mail's link and
/// nowhere else: no inbox row, no log line.
pub async fn queue_invitation(
    db: &impl ConnectionTrait,
    member_id: Uuid,
    code: &str,
) -> Result<bool> {
    let Some(details) = contact_details::Entity::find_by_id(member_id)
        .one(db)
        .await?
        .filter(|details| !details.email.is_empty())
    else {
        return Ok(false);
    };
    let link = format!("{}/{code}", INVITATION.link);
    queue_mail(
        db,
        Uuid::now_v7(),
        &details,
        INVITATION,
        &link,
        String::new(),
        Utc::now(),
    )
    .await?;
    Ok(true)
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
/// when she gave an address and wants this kind by mail (or, when she chose a
/// digest, an item of her next digest). Returns whether mail was queued (the
/// caller pokes the mail task after commit).
pub async fn notify(db: &impl ConnectionTrait, member_id: Uuid, kind: Kind) -> Result<bool> {
    notify_at(db, member_id, kind, kind.link).await
}

/// [`notify`], linking to the page `link` (such as the one question routed to
/// her) rather than the kind's page.
pub async fn notify_at(
    db: &impl ConnectionTrait,
    member_id: Uuid,
    kind: Kind,
    link: &str,
) -> Result<bool> {
    Ok(write(db, member_id, kind, link).await?.1)
}

/// One notice to write: to member `member_id`, of `kind`, linking to `link`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub member_id: Uuid,
    pub kind: Kind,
    pub link: String,
}

impl Notice {
    /// A notice of `kind` linking to the kind's own page.
    pub fn of(member_id: Uuid, kind: Kind) -> Self {
        Notice {
            member_id,
            kind,
            link: kind.link.to_owned(),
        }
    }
}

/// The time zones of `members` (UTC for those who set none).
pub async fn time_zones(
    db: &impl ConnectionTrait,
    members: &[Uuid],
) -> Result<HashMap<Uuid, String>> {
    let mut zones: HashMap<Uuid, String> = contact_details::Entity::find()
        .select_only()
        .column(contact_details::Column::MemberId)
        .column(contact_details::Column::TimeZone)
        .filter(contact_details::Column::MemberId.is_in(members.iter().copied()))
        .into_tuple::<(Uuid, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    for member in members {
        zones.entry(*member).or_insert_with(|| "UTC".to_owned());
    }
    Ok(zones)
}

/// Most rows one statement writes or reads by id.
const ROWS_PER_STATEMENT: usize = 500;

/// Writes the notification of [`notify_at`]; returns its id and whether mail was
/// queued.
async fn write(
    db: &impl ConnectionTrait,
    member_id: Uuid,
    kind: Kind,
    link: &str,
) -> Result<(Uuid, bool)> {
    let notice = Notice {
        member_id,
        kind,
        link: link.to_owned(),
    };
    let written = write_all(db, std::slice::from_ref(&notice)).await?;
    Ok(written[0])
}

/// [`notify_at`] for many notices at once, in a few statements whatever their
/// number (a group commit's, a digest round's): whether mail was queued for
/// each notice, in the order given.
pub async fn notify_all(db: &impl ConnectionTrait, notices: &[Notice]) -> Result<Vec<bool>> {
    let mut queued = Vec::with_capacity(notices.len());
    for chunk in notices.chunks(ROWS_PER_STATEMENT) {
        queued.extend(write_all(db, chunk).await?.into_iter().map(|(_, q)| q));
    }
    Ok(queued)
}

/// Writes `notices` (at most [`ROWS_PER_STATEMENT`]): every inbox row in one
/// statement; the recipients' contact details, with the kinds they turned off
/// by mail, read in one; then the digest items and the mails, one statement
/// each.
async fn write_all(db: &impl ConnectionTrait, notices: &[Notice]) -> Result<Vec<(Uuid, bool)>> {
    if notices.is_empty() {
        return Ok(Vec::new());
    }
    let now = Utc::now();
    let ids: Vec<Uuid> = notices.iter().map(|_| Uuid::now_v7()).collect();
    notification::Entity::insert_many(notices.iter().zip(&ids).map(|(notice, id)| {
        notification::ActiveModel {
            id: Set(*id),
            member_id: Set(notice.member_id),
            kind: Set(notice.kind.name.to_owned()),
            link: Set(notice.link.clone()),
            created_at: Set(now),
            read_at: Set(None),
        }
    }))
    .exec_without_returning(db)
    .await?;
    let recipients: Vec<Uuid> = {
        let mut recipients: Vec<Uuid> = notices.iter().map(|n| n.member_id).collect();
        recipients.sort_unstable();
        recipients.dedup();
        recipients
    };
    // The kinds among these that a recipient turned off by mail (a kind she
    // never set comes by mail), read with her contact details in one statement:
    // a row per kind she turned off, or one with no preference.
    let kinds: Vec<String> = {
        let mut kinds: Vec<&str> = notices.iter().map(|n| n.kind.name).collect();
        kinds.sort_unstable();
        kinds.dedup();
        kinds.into_iter().map(str::to_owned).collect()
    };
    let turned_off_by_mail = contact_details::Entity::belongs_to(notification_preference::Entity)
        .from(contact_details::Column::MemberId)
        .to(notification_preference::Column::MemberId)
        .on_condition(move |_, preference| {
            Condition::all()
                .add(
                    Expr::col((preference.clone(), notification_preference::Column::Kind))
                        .is_in(kinds.clone()),
                )
                .add(Expr::col((preference, notification_preference::Column::Email)).eq(false))
        });
    let rows: Vec<(
        contact_details::Model,
        Option<notification_preference::Model>,
    )> = contact_details::Entity::find()
        .join(JoinType::LeftJoin, turned_off_by_mail.into())
        .select_also(notification_preference::Entity)
        .filter(contact_details::Column::MemberId.is_in(recipients))
        .filter(contact_details::Column::Email.ne(""))
        .all(db)
        .await?;
    let mut outcomes: Vec<(Uuid, bool)> = ids.iter().map(|id| (*id, false)).collect();
    if rows.is_empty() {
        return Ok(outcomes);
    }
    let mut details: HashMap<Uuid, contact_details::Model> = HashMap::with_capacity(rows.len());
    let mut turned_off: HashSet<(Uuid, String)> = HashSet::new();
    for (row, preference) in rows {
        if let Some(preference) = preference {
            turned_off.insert((preference.member_id, preference.kind));
        }
        details.entry(row.member_id).or_insert(row);
    }
    let mut digest_items = Vec::new();
    let mut mails = Vec::new();
    for ((notice, id), outcome) in notices.iter().zip(&ids).zip(&mut outcomes) {
        let Some(details) = details.get(&notice.member_id) else {
            continue;
        };
        if turned_off.contains(&(notice.member_id, notice.kind.name.to_owned())) {
            continue;
        }
        if let Some(period) = crate::mail_clock::Period::chosen(&details.digest) {
            // Her digest gathers it; the inbox has it now.
            digest_items.push(digest_item::ActiveModel {
                notification_id: Set(*id),
                member_id: Set(notice.member_id),
                kind: Set(notice.kind.name.to_owned()),
                link: Set(notice.link.clone()),
                due_at: Set(crate::mail_clock::digest_due_at(
                    now,
                    period,
                    &details.time_zone,
                    details.quiet_from_minute,
                    details.quiet_until_minute,
                )),
            });
            continue;
        }
        mails.push(mail_row(
            *id,
            details,
            notice.kind,
            &notice.link,
            String::new(),
            now,
        ));
        outcome.1 = true;
    }
    if !digest_items.is_empty() {
        digest_item::Entity::insert_many(digest_items)
            .exec_without_returning(db)
            .await?;
    }
    if !mails.is_empty() {
        mail_queue::Entity::insert_many(mails)
            .exec_without_returning(db)
            .await?;
    }
    Ok(outcomes)
}

/// Writes a notification of `kind` to the inbox of `recipient` (a member, or an
/// organisation); its id.
async fn in_inbox(
    db: &impl ConnectionTrait,
    recipient: Uuid,
    kind: Kind,
    link: &str,
    now: DateTime<Utc>,
) -> Result<Uuid> {
    let id = Uuid::now_v7();
    notification::ActiveModel {
        id: Set(id),
        member_id: Set(recipient),
        kind: Set(kind.name.to_owned()),
        link: Set(link.to_owned()),
        created_at: Set(now),
        read_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(id)
}

/// Tells organisation `organisation_id` of a change of `kind`, inside the
/// change's own transaction: a notification in the inbox its contacts read.
pub async fn notify_organisation(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    kind: Kind,
) -> Result<()> {
    in_inbox(db, organisation_id, kind, kind.link, Utc::now()).await?;
    Ok(())
}

/// Puts mail `id` of `kind` to the person of `details` in the queue; due now,
/// or when her quiet hours end. `digest_items` lists a digest's items.
pub async fn queue_mail(
    db: &impl ConnectionTrait,
    id: Uuid,
    details: &contact_details::Model,
    kind: Kind,
    link: &str,
    digest_items: String,
    now: DateTime<Utc>,
) -> Result<()> {
    mail_row(id, details, kind, link, digest_items, now)
        .insert(db)
        .await?;
    Ok(())
}

/// The queued mail of [`queue_mail`], not yet written.
fn mail_row(
    id: Uuid,
    details: &contact_details::Model,
    kind: Kind,
    link: &str,
    digest_items: String,
    now: DateTime<Utc>,
) -> mail_queue::ActiveModel {
    mail_queue::ActiveModel {
        notification_id: Set(id),
        member_id: Set(details.member_id),
        to_address: Set(details.email.clone()),
        kind: Set(kind.name.to_owned()),
        link: Set(link.to_owned()),
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
        digest_items: Set(digest_items),
    }
}

/// [`notify_at`] once only for `key` (a reminder of one event to one person):
/// nothing when a notice with this key was written before, so a node that
/// restarts, or looks twice, tells no one twice. Returns whether mail was queued.
pub async fn notify_once(
    db: &impl ConnectionTrait,
    member_id: Uuid,
    kind: Kind,
    link: &str,
    key: &str,
) -> Result<bool> {
    let notice = Notice {
        member_id,
        kind,
        link: link.to_owned(),
    };
    notify_all_once(db, &[(notice, key.to_owned())]).await
}

/// [`notify_once`] for many notices, each with its key, in a few statements a
/// [`ROWS_PER_STATEMENT`]: the keys already used are read in one, the rest
/// written as [`notify_all`] writes, and their keys in one more. Returns
/// whether any mail was queued.
pub async fn notify_all_once(
    db: &impl ConnectionTrait,
    notices: &[(Notice, String)],
) -> Result<bool> {
    let mut queued = false;
    for chunk in notices.chunks(ROWS_PER_STATEMENT) {
        let used: HashSet<String> = notification_key::Entity::find()
            .select_only()
            .column(notification_key::Column::Key)
            .filter(notification_key::Column::Key.is_in(chunk.iter().map(|(_, key)| key.clone())))
            .into_tuple()
            .all(db)
            .await?
            .into_iter()
            .collect();
        let mut seen = HashSet::new();
        let fresh: Vec<&(Notice, String)> = chunk
            .iter()
            .filter(|(_, key)| !used.contains(key) && seen.insert(key.clone()))
            .collect();
        if fresh.is_empty() {
            continue;
        }
        let notices: Vec<Notice> = fresh.iter().map(|(notice, _)| notice.clone()).collect();
        let written = write_all(db, &notices).await?;
        let now = Utc::now();
        notification_key::Entity::insert_many(fresh.iter().zip(&written).map(
            |((notice, key), (notification_id, _))| notification_key::ActiveModel {
                key: Set(key.clone()),
                member_id: Set(notice.member_id),
                notification_id: Set(*notification_id),
                created_at: Set(now),
            },
        ))
        .exec_without_returning(db)
        .await?;
        queued |= written.iter().any(|(_, mail)| *mail);
    }
    Ok(queued)
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

/// Mail due to be sent at `now`, the first due first, at most `limit`.
pub async fn due_mail(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<mail_queue::Model>> {
    Ok(mail_queue::Entity::find()
        .filter(mail_queue::Column::SentAt.is_null())
        .filter(mail_queue::Column::NextAttemptAt.lte(now))
        // In the order of the index `mail_queue_due_order_idx`: the first `limit`
        // are read, not every mail due sorted.
        .order_by_asc(mail_queue::Column::NextAttemptAt)
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
        .map(|(kind, count)| (kind, u64::try_from(count).unwrap_or(0)))
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

/// Records that the mails of these notifications were accepted by the server
/// (or written, each to its file: `(id, written_file)`), in a few statements
/// whatever their number: the ones still queued are read in one, the mails sent
/// over SMTP marked in one (invitations' links forgotten with them), each
/// written file in its own. A mail erased meanwhile stays erased, and the last mail of
/// a member who has moved away goes once sent: returns the ids of those that
/// are still queued.
pub async fn mark_sent(
    db: &impl ConnectionTrait,
    accepted: &[(Uuid, &str)],
) -> Result<HashSet<Uuid>> {
    let mut still_queued = HashSet::new();
    for chunk in accepted.chunks(ROWS_PER_STATEMENT) {
        let ids: Vec<Uuid> = chunk.iter().map(|(id, _)| *id).collect();
        // The last mails of members whose new home has confirmed their arrival
        // (`erase` kept them until sent) go now, and so do their files: each
        // mail still queued, read with whether its member has moved away.
        let arrived = mail_queue::Entity::belongs_to(departure::Entity)
            .from(mail_queue::Column::MemberId)
            .to(departure::Column::MemberId)
            .on_condition(|_, departure| {
                Expr::col((departure, departure::Column::ArrivedAt))
                    .is_not_null()
                    .into()
            });
        let queued: Vec<(Uuid, Option<Uuid>)> = mail_queue::Entity::find()
            .select_only()
            .column(mail_queue::Column::NotificationId)
            .column_as(departure::Column::MemberId, "moved_away")
            .join(JoinType::LeftJoin, arrived.into())
            .filter(mail_queue::Column::NotificationId.is_in(ids))
            .into_tuple()
            .all(db)
            .await?;
        let (gone, staying): (Vec<_>, Vec<_>) = queued
            .into_iter()
            .partition(|(_, moved_away)| moved_away.is_some());
        still_queued.extend(staying.into_iter().map(|(id, _)| id));
        if !gone.is_empty() {
            mail_queue::Entity::delete_many()
                .filter(
                    mail_queue::Column::NotificationId.is_in(gone.into_iter().map(|(id, _)| id)),
                )
                .exec(db)
                .await?;
        }
        // An invitation's link holds its single-use code: sent, the queue forgets it.
        let sent = |update: sea_orm::UpdateMany<mail_queue::Entity>, written_file: &str| {
            update
                .col_expr(mail_queue::Column::SentAt, Expr::value(Some(Utc::now())))
                .col_expr(mail_queue::Column::WrittenFile, Expr::value(written_file))
                .col_expr(mail_queue::Column::LastError, Expr::value(""))
                .col_expr(
                    mail_queue::Column::Link,
                    Expr::case(
                        Expr::col(mail_queue::Column::Kind).eq(INVITATION.name),
                        INVITATION.link,
                    )
                    .finally(Expr::col(mail_queue::Column::Link))
                    .into(),
                )
        };
        let over_smtp: Vec<Uuid> = chunk
            .iter()
            .filter(|(_, file)| file.is_empty())
            .map(|(id, _)| *id)
            .collect();
        if !over_smtp.is_empty() {
            sent(mail_queue::Entity::update_many(), "")
                .filter(mail_queue::Column::NotificationId.is_in(over_smtp))
                .exec(db)
                .await?;
        }
        for (id, file) in chunk.iter().filter(|(_, file)| !file.is_empty()) {
            sent(mail_queue::Entity::update_many(), file)
                .filter(mail_queue::Column::NotificationId.eq(*id))
                .exec(db)
                .await?;
        }
    }
    Ok(still_queued)
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
/// preferences, inbox, digest items, keys of notices written once and mail
/// queue. With `keep_unsent` (she moved away and her new home has her), a mail
/// not yet sent stays queued — above all the one that tells her she was handed
/// over, which a refusing relay or a busy node may not have sent before her new
/// home confirmed the arrival: it carries its own address, and goes from the
/// queue once sent ([`mark_sent`]). Returns how many rows went.
pub async fn erase(db: &impl ConnectionTrait, member_id: Uuid, keep_unsent: bool) -> Result<u64> {
    let mut erased = 0;
    let mut queued =
        mail_queue::Entity::delete_many().filter(mail_queue::Column::MemberId.eq(member_id));
    if keep_unsent {
        queued = queued.filter(mail_queue::Column::SentAt.is_not_null());
    }
    erased += queued.exec(db).await?.rows_affected;
    erased += digest_item::Entity::delete_many()
        .filter(digest_item::Column::MemberId.eq(member_id))
        .exec(db)
        .await?
        .rows_affected;
    erased += notification_key::Entity::delete_many()
        .filter(notification_key::Column::MemberId.eq(member_id))
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

    use chrono::{DateTime, Utc};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
    use uuid::Uuid;

    /// Most newcomer reviewers told of a review in one round of statements.
    pub const REVIEWERS_PAGE: u64 = 500;

    use super::{
        APPLICATION_STAGE, BUDDY_CONFIRMED, EVENT_SEAT, Notice, OPPORTUNITY_APPROVED,
        OPPORTUNITY_REJECTED, OPPORTUNITY_SENT_BACK, QUESTION_ANSWERED, QUESTION_ROUTED,
        REVIEW_WAITING, notify, notify_all, notify_all_once, notify_at, notify_organisation,
        time_zones,
    };
    use crate::error::Result;
    use crate::store::entity::{
        application, buddy_pair, event_registration, helpdesk_question, member,
    };

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

    /// Questions were answered (a group commit's): each asker hears. Returns
    /// whether mail was queued.
    pub async fn questions_answered(
        db: &impl ConnectionTrait,
        questions: &[helpdesk_question::Model],
    ) -> Result<bool> {
        let notices: Vec<Notice> = questions
            .iter()
            .map(|question| Notice::of(question.asker_member_id, QUESTION_ANSWERED))
            .collect();
        Ok(notify_all(db, &notices).await?.contains(&true))
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

    /// Community review decided on an opportunity (`status` is where it went:
    /// published, back to draft, closed): its organisation hears. The reviewers'
    /// comments stay on the opportunity's page.
    pub async fn opportunity_reviewed(
        db: &impl ConnectionTrait,
        organisation_id: Uuid,
        status: &str,
    ) -> Result<()> {
        let kind = match status {
            "published" => OPPORTUNITY_APPROVED,
            "draft" => OPPORTUNITY_SENT_BACK,
            _ => OPPORTUNITY_REJECTED,
        };
        notify_organisation(db, organisation_id, kind).await
    }

    /// A question was routed to a superlocal: she hears, with a link to it.
    /// Returns whether mail was queued.
    pub async fn question_routed(
        db: &impl ConnectionTrait,
        question: &helpdesk_question::Model,
    ) -> Result<bool> {
        match question.answerer_member_id {
            Some(answerer) => {
                let link = format!("{}/{}", QUESTION_ROUTED.link, question.id);
                notify_at(db, answerer, QUESTION_ROUTED, &link).await
            }
            None => Ok(false),
        }
    }

    /// An opportunity was put in review: every newcomer reviewer of the region
    /// (`crate::community`: a member whose role is newcomer) hears, at most once
    /// on each day of her own calendar. The reviewers are taken
    /// [`REVIEWERS_PAGE`] at a time: for each page, their time zones are read,
    /// and those not yet told today are told ([`notify_all_once`]), in a few
    /// statements whatever the page holds. Returns whether mail was queued.
    pub async fn review_waiting(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<bool> {
        let mut queued = false;
        let mut after: Option<Uuid> = None;
        loop {
            let mut page = member::Entity::find()
                .select_only()
                .column(member::Column::Id)
                .filter(member::Column::Role.eq("newcomer"))
                .order_by_asc(member::Column::Id)
                .limit(REVIEWERS_PAGE);
            if let Some(after) = after {
                page = page.filter(member::Column::Id.gt(after));
            }
            let reviewers: Vec<Uuid> = page.into_tuple().all(db).await?;
            let Some(last) = reviewers.last().copied() else {
                break;
            };
            let time_zones = time_zones(db, &reviewers).await?;
            let notices: Vec<(Notice, String)> = reviewers
                .iter()
                .map(|reviewer| {
                    let time_zone = time_zones.get(reviewer).map_or("UTC", String::as_str);
                    let day = crate::mail_clock::local_date(now, time_zone);
                    let key = format!("{}:{reviewer}:{day}", REVIEW_WAITING.name);
                    (Notice::of(*reviewer, REVIEW_WAITING), key)
                })
                .collect();
            queued |= notify_all_once(db, &notices).await?;
            if reviewers.len() < REVIEWERS_PAGE as usize {
                break;
            }
            after = Some(last);
        }
        Ok(queued)
    }
}
