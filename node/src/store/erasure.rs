//! What a region erases of a member (the right to erasure), in one transaction:
//! every record of the region that names them or holds their words. The home
//! region erases when the chapter deletes the member (`DeleteMember`); every other
//! region — the old home of a member who moved away above all — erases when the
//! erasure's tombstone arrives from the gateway's log (`federation::replica`).
//!
//! [`COVERED`] lists every column that names a member or holds their words, with
//! what erasure does to it; `tests/erasure.rs` reads the schema of a freshly
//! migrated database and fails on a column that names a member (by the rule of
//! [`names_a_person`]) and is not in the list, so a table added later is covered
//! or the test says so.
//!
//! Cases with every note and next step, helpdesk questions, registrations, group,
//! meeting and coaching records (the cohorts they coach, aftercare notes about
//! them), buddy pairs, the expert pool, the helpdesk answerers, a pending arrival,
//! a departure note, the member's search index entries, and her contact details,
//! notification preferences, inbox and queued mail are deleted (when she moved
//! away, a mail not yet sent waits until it is, then goes). Applications,
//! placements and reviews stay for the
//! region's figures but are unlinked: each
//! gets a new random member id that names no one, and the words the member or the
//! chapter wrote about them (motivation, stage and end notes, a review's comment)
//! are cleared, and so are the ids the chapter's own spreadsheet gave them
//! (`external_id` of imported history), which that spreadsheet ties to her. A coaching session they gave keeps its date and topic, without
//! the coach, and so does an aftercare note they wrote. A household case that
//! lists the member among others stays with the household, without her. The audit log keeps its entries, with the member's id
//! replaced by a pseudonym. The shared profile becomes the tombstone: the member
//! id and the erasure's stamp, nothing else (`remote_profile`, `outbox`), so that
//! no write arriving later brings the profile back.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::error::Result;
use crate::store::entity::{
    aftercare_contact, application, arrival, buddy_pair, case_file, case_next_step, case_note,
    coaching_attendance, coaching_enrolment, coaching_session, cohort_coach, departure,
    event_registration, group_membership, helpdesk_question, meeting_attendance,
    opportunity_review, outbox, placement,
};

/// What erasure does to a column that names a member or holds their words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coverage {
    /// The rows naming the member are deleted.
    Deleted,
    /// The rows stay for the figures; the member id is replaced by a new random id
    /// that names no one.
    Unlinked,
    /// The value is emptied (set to null or to the empty string) in the rows about
    /// the member.
    Cleared,
    /// The member's id is taken out of the list; the row stays.
    RemovedFromList,
    /// The member's id is replaced by a pseudonym that leads back to no one
    /// (`passage_migrations::audit::pseudonymise`).
    Pseudonymised,
    /// The row keeps the member id and the erasure's stamp, nothing else: the
    /// tombstone that keeps a later-arriving write from bringing the data back.
    Tombstone,
    /// The name matches the rule, but the column names no person (a role, a
    /// region).
    NotAPerson,
}

/// Every column of the node's schema that names a member or holds a member's
/// words, and what erasure does to it. `tests/erasure.rs` compares it with the
/// schema.
pub const COVERED: &[(&str, &str, Coverage)] = &[
    ("member", "id", Coverage::Deleted),
    ("member_term", "member_id", Coverage::Deleted),
    ("outbox", "member_id", Coverage::Tombstone),
    ("remote_profile", "member_id", Coverage::Tombstone),
    ("arrival", "member_id", Coverage::Deleted),
    ("departure", "member_id", Coverage::Deleted),
    (
        "opportunity_review",
        "reviewer_member_id",
        Coverage::Unlinked,
    ),
    ("opportunity_review", "comment", Coverage::Cleared),
    ("buddy_pair", "newcomer_member_id", Coverage::Deleted),
    ("buddy_pair", "local_member_id", Coverage::Deleted),
    ("group_membership", "member_id", Coverage::Deleted),
    ("meeting_attendance", "member_id", Coverage::Deleted),
    ("event_registration", "member_id", Coverage::Deleted),
    ("coaching_enrolment", "member_id", Coverage::Deleted),
    ("coaching_session", "coach_member_id", Coverage::Cleared),
    ("coaching_session", "coach_name", Coverage::Cleared),
    ("coaching_attendance", "member_id", Coverage::Deleted),
    ("cohort_coach", "coach_member_id", Coverage::Deleted),
    (
        "aftercare_contact",
        "participant_member_id",
        Coverage::Deleted,
    ),
    ("aftercare_contact", "coach_member_id", Coverage::Cleared),
    ("expert", "member_id", Coverage::Deleted),
    ("case_file", "member_id", Coverage::Deleted),
    (
        "case_file",
        "household_member_ids",
        Coverage::RemovedFromList,
    ),
    ("case_note", "text", Coverage::Deleted),
    ("case_next_step", "text", Coverage::Deleted),
    ("application", "member_id", Coverage::Unlinked),
    ("application", "motivation", Coverage::Cleared),
    ("application", "stage_note", Coverage::Cleared),
    // The chapter's own spreadsheet ties its ids to her.
    ("application", "external_id", Coverage::Cleared),
    ("placement", "member_id", Coverage::Unlinked),
    ("placement", "end_note", Coverage::Cleared),
    ("placement", "external_id", Coverage::Cleared),
    ("helpdesk_answerer", "member_id", Coverage::Deleted),
    ("helpdesk_question", "asker_member_id", Coverage::Deleted),
    ("helpdesk_question", "answerer_member_id", Coverage::Cleared),
    ("contact_details", "member_id", Coverage::Deleted),
    ("notification_preference", "member_id", Coverage::Deleted),
    ("notification", "member_id", Coverage::Deleted),
    ("mail_queue", "member_id", Coverage::Deleted),
    ("digest_item", "member_id", Coverage::Deleted),
    ("notification_key", "member_id", Coverage::Deleted),
    ("audit_entry", "caller_member_id", Coverage::Pseudonymised),
    ("audit_entry", "subject", Coverage::Pseudonymised),
    ("audit_entry", "caller_role", Coverage::NotAPerson),
    ("audit_entry", "caller_region", Coverage::NotAPerson),
];

/// The files a node writes, beside its database's name (`miami.db`): the
/// database, SQLite's write-ahead log and its shared-memory index. `secure_delete`
/// zeros what an erasure deletes in the database, [`scrub`] empties the log, and
/// the index holds page numbers, no row. Beside them a node writes only its mail
/// folder (`mail/<member>/…eml` without an SMTP server), whose member folder
/// erasure removes (`crate::notify::files`); its rules file and keys it only
/// reads. `tests/erasure.rs` fails on any other file in the data folder.
pub const DATA_FILE_SUFFIXES: [&str; 3] = ["", "-wal", "-shm"];

/// The rule by which a column names a person (node and gateway alike): its name
/// contains `member`, `person`, `user` or `account`, or begins with `subject`,
/// `caller`, `coach`, `reviewer`, `asker` or `answerer`. Every such column must be
/// in the coverage list; so must every table whose name says it keeps people's
/// sign-ins (`session`, `account`, `credential`, `login`, `token`, `user`),
/// through at least one column.
pub fn names_a_person(column: &str) -> bool {
    let column = column.to_ascii_lowercase();
    ["member", "person", "user", "account"]
        .iter()
        .any(|word| column.contains(word))
        || [
            "subject", "caller", "coach", "reviewer", "asker", "answerer",
        ]
        .iter()
        .any(|start| column.starts_with(start))
}

/// Whether a table's name says it keeps people's sign-ins or accounts.
pub fn keeps_sign_ins(table: &str) -> bool {
    let table = table.to_ascii_lowercase();
    ["session", "account", "credential", "login", "token", "user"]
        .iter()
        .any(|word| table.contains(word))
}

/// How many records of each kind an erasure removed or unlinked.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Erased {
    pub cases: u64,
    pub questions: u64,
    pub applications_unlinked: u64,
    pub reviews_unlinked: u64,
    pub audit_entries: u64,
    pub other_records: u64,
}

impl Erased {
    /// Whether the erasure found anything to erase.
    pub fn any(&self) -> bool {
        *self != Erased::default()
    }
}

/// Why a region erases what it holds about a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The member (or a chapter admin for them) asked: everything goes, and the
    /// audit log names them no more.
    Erasure,
    /// The member moved away and their new home confirmed the arrival: the
    /// region-local records go; the departure stays (to answer "moved to"), and so
    /// does the audit log, the region's account of who read what while they lived here.
    MovedAway,
}

/// Erases member `id`'s region-local records, inside the caller's transaction:
/// everything [`COVERED`] says, except the member row (the caller deletes it when
/// the member is at home here) and the tombstone (the caller writes it); for a
/// move, also not the departure nor the audit log ([`Reason::MovedAway`]).
/// Erasing twice erases nothing more.
pub async fn erase_member_records(
    db: &impl ConnectionTrait,
    id: Uuid,
    reason: Reason,
) -> Result<Erased> {
    let mut erased = Erased::default();
    crate::store::members::member_leaves(db, id).await?;
    crate::store::search_index::remove(db, crate::store::search_index::Indexed::Members, &[id])
        .await?;

    let cases: Vec<Uuid> = case_file::Entity::find()
        .select_only()
        .column(case_file::Column::Id)
        .filter(case_file::Column::MemberId.eq(id))
        .into_tuple()
        .all(db)
        .await?;
    if !cases.is_empty() {
        case_note::Entity::delete_many()
            .filter(case_note::Column::CaseId.is_in(cases.iter().copied()))
            .exec(db)
            .await?;
        case_next_step::Entity::delete_many()
            .filter(case_next_step::Column::CaseId.is_in(cases.iter().copied()))
            .exec(db)
            .await?;
        erased.cases = case_file::Entity::delete_many()
            .filter(case_file::Column::Id.is_in(cases.iter().copied()))
            .exec(db)
            .await?
            .rows_affected;
    }
    erased.other_records += leave_households(db, id).await?;

    // The kept statistics lose what goes (`tally_what_goes`).
    tally_what_goes(db, id).await?;
    erased.questions = helpdesk_question::Entity::delete_many()
        .filter(helpdesk_question::Column::AskerMemberId.eq(id))
        .exec(db)
        .await?
        .rows_affected;
    // Answers they gave stay with the question, no longer naming them.
    erased.other_records += helpdesk_question::Entity::update_many()
        .col_expr(
            helpdesk_question::Column::AnswererMemberId,
            Expr::value(Option::<Uuid>::None),
        )
        .filter(helpdesk_question::Column::AnswererMemberId.eq(id))
        .exec(db)
        .await?
        .rows_affected;

    let mut other = 0;
    other += event_registration::Entity::delete_many()
        .filter(event_registration::Column::MemberId.eq(id))
        .exec(db)
        .await?
        .rows_affected;
    other += group_membership::Entity::delete_many()
        .filter(group_membership::Column::MemberId.eq(id))
        .exec(db)
        .await?
        .rows_affected;
    other += meeting_attendance::Entity::delete_many()
        .filter(meeting_attendance::Column::MemberId.eq(id))
        .exec(db)
        .await?
        .rows_affected;
    other += coaching_attendance::Entity::delete_many()
        .filter(coaching_attendance::Column::MemberId.eq(id))
        .exec(db)
        .await?
        .rows_affected;
    other += coaching_enrolment::Entity::delete_many()
        .filter(coaching_enrolment::Column::MemberId.eq(id))
        .exec(db)
        .await?
        .rows_affected;
    // Sessions they coached keep their date and topic, without the coach.
    other += coaching_session::Entity::update_many()
        .col_expr(
            coaching_session::Column::CoachMemberId,
            Expr::value(Option::<Uuid>::None),
        )
        .col_expr(coaching_session::Column::CoachName, Expr::value(""))
        .filter(coaching_session::Column::CoachMemberId.eq(id))
        .exec(db)
        .await?
        .rows_affected;
    other += cohort_coach::Entity::delete_many()
        .filter(cohort_coach::Column::CoachMemberId.eq(id))
        .exec(db)
        .await?
        .rows_affected;
    // Aftercare notes about them go; notes they wrote as a coach stay with the
    // participant, without the coach.
    other += aftercare_contact::Entity::delete_many()
        .filter(aftercare_contact::Column::ParticipantMemberId.eq(id))
        .exec(db)
        .await?
        .rows_affected;
    other += aftercare_contact::Entity::update_many()
        .col_expr(
            aftercare_contact::Column::CoachMemberId,
            Expr::value(Option::<Uuid>::None),
        )
        .filter(aftercare_contact::Column::CoachMemberId.eq(id))
        .exec(db)
        .await?
        .rows_affected;
    other += buddy_pair::Entity::delete_many()
        .filter(
            Condition::any()
                .add(buddy_pair::Column::NewcomerMemberId.eq(id))
                .add(buddy_pair::Column::LocalMemberId.eq(id)),
        )
        .exec(db)
        .await?
        .rows_affected;
    other += arrival::Entity::delete_many()
        .filter(arrival::Column::MemberId.eq(id))
        .exec(db)
        .await?
        .rows_affected;
    if reason == Reason::Erasure {
        other += departure::Entity::delete_many()
            .filter(departure::Column::MemberId.eq(id))
            .exec(db)
            .await?
            .rows_affected;
    }
    // Contact details, preferences, inbox and queued mail (the written `.eml`
    // files go after commit: `crate::notify::files::erase`). A move keeps the
    // mail not yet sent until it is.
    other += crate::store::notifications::erase(db, id, reason == Reason::MovedAway).await?;
    // Their profile as it was, waiting to be sent: the tombstone supersedes it.
    other += outbox::Entity::delete_many()
        .filter(outbox::Column::MemberId.eq(id))
        .exec(db)
        .await?
        .rows_affected;
    erased.other_records += other;

    // Each review they gave counts still (one per reviewer and round), under its
    // own id that names no one, without the comment.
    let reviews: Vec<Uuid> = opportunity_review::Entity::find()
        .select_only()
        .column(opportunity_review::Column::Id)
        .filter(opportunity_review::Column::ReviewerMemberId.eq(id))
        .into_tuple()
        .all(db)
        .await?;
    for review_id in &reviews {
        opportunity_review::Entity::update_many()
            .col_expr(
                opportunity_review::Column::ReviewerMemberId,
                Expr::value(Uuid::now_v7()),
            )
            .col_expr(opportunity_review::Column::Comment, Expr::value(""))
            .filter(opportunity_review::Column::Id.eq(*review_id))
            .exec(db)
            .await?;
    }
    erased.reviews_unlinked = reviews.len() as u64;

    // Each application (and its placement) gets its own id that names no one.
    let placements = placement::Entity::find()
        .filter(placement::Column::MemberId.eq(id))
        .all(db)
        .await?;
    let applications: Vec<Uuid> = application::Entity::find()
        .select_only()
        .column(application::Column::Id)
        .filter(application::Column::MemberId.eq(id))
        .into_tuple()
        .all(db)
        .await?;
    for application_id in &applications {
        let nobody = Uuid::now_v7();
        application::Entity::update_many()
            .col_expr(application::Column::MemberId, Expr::value(nobody))
            .col_expr(application::Column::Motivation, Expr::value(""))
            .col_expr(application::Column::StageNote, Expr::value(""))
            .col_expr(application::Column::ExternalId, Expr::value(None::<String>))
            .filter(application::Column::Id.eq(*application_id))
            .exec(db)
            .await?;
        placement::Entity::update_many()
            .col_expr(placement::Column::MemberId, Expr::value(nobody))
            .col_expr(placement::Column::EndNote, Expr::value(""))
            .col_expr(placement::Column::ExternalId, Expr::value(None::<String>))
            .filter(placement::Column::ApplicationId.eq(*application_id))
            .exec(db)
            .await?;
    }
    // A placement without its application (none is made so today) goes nameless too.
    placement::Entity::update_many()
        .col_expr(placement::Column::MemberId, Expr::value(Uuid::now_v7()))
        .col_expr(placement::Column::EndNote, Expr::value(""))
        .col_expr(placement::Column::ExternalId, Expr::value(None::<String>))
        .filter(placement::Column::MemberId.eq(id))
        .exec(db)
        .await?;
    // A placement that names no one counts still, but not among her days to a
    // first placement.
    for was in &placements {
        let now = crate::store::rows::find::<placement::Entity>(db, was.id, "placement").await?;
        crate::store::tally::placement(db, Some(was), Some(&now)).await?;
    }
    erased.applications_unlinked = applications.len() as u64;

    if reason == Reason::Erasure {
        erased.audit_entries = passage_migrations::audit::pseudonymise(db, &id.to_string()).await?;
    }
    Ok(erased)
}

/// Takes out of the kept statistics the member's records that erasure deletes:
/// the questions she asked, her coaching enrolments and her buddy pairs.
async fn tally_what_goes(db: &impl ConnectionTrait, id: Uuid) -> Result<()> {
    let questions = helpdesk_question::Entity::find()
        .filter(helpdesk_question::Column::AskerMemberId.eq(id))
        .all(db)
        .await?;
    for question in &questions {
        crate::store::tally::question(db, Some(question), None).await?;
    }
    let enrolments = coaching_enrolment::Entity::find()
        .filter(coaching_enrolment::Column::MemberId.eq(id))
        .all(db)
        .await?;
    for enrolment in &enrolments {
        crate::store::tally::enrolment(db, Some(enrolment), None).await?;
    }
    let pairs = buddy_pair::Entity::find()
        .filter(
            Condition::any()
                .add(buddy_pair::Column::NewcomerMemberId.eq(id))
                .add(buddy_pair::Column::LocalMemberId.eq(id)),
        )
        .all(db)
        .await?;
    let gone: Vec<_> = pairs.iter().map(|pair| (Some(pair), None)).collect();
    crate::store::tally::buddy_pairs(db, &gone).await
}

/// Those of `ids` whom a record of this region still names (by the member-id
/// columns of [`COVERED`], and the audit log), read with one query per column.
pub async fn still_named(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<std::collections::BTreeSet<Uuid>> {
    use crate::store::entity::{
        contact_details, digest_item, expert, helpdesk_answerer, mail_queue, notification,
        notification_key,
    };
    let mut named = std::collections::BTreeSet::new();
    if ids.is_empty() {
        return Ok(named);
    }
    named.extend(named_in::<case_file::Entity>(db, case_file::Column::MemberId, ids).await?);
    named.extend(
        named_in::<helpdesk_question::Entity>(db, helpdesk_question::Column::AskerMemberId, ids)
            .await?,
    );
    named.extend(
        named_in::<helpdesk_question::Entity>(db, helpdesk_question::Column::AnswererMemberId, ids)
            .await?,
    );
    named.extend(
        named_in::<event_registration::Entity>(db, event_registration::Column::MemberId, ids)
            .await?,
    );
    named.extend(
        named_in::<group_membership::Entity>(db, group_membership::Column::MemberId, ids).await?,
    );
    named.extend(
        named_in::<meeting_attendance::Entity>(db, meeting_attendance::Column::MemberId, ids)
            .await?,
    );
    named.extend(
        named_in::<coaching_attendance::Entity>(db, coaching_attendance::Column::MemberId, ids)
            .await?,
    );
    named.extend(
        named_in::<coaching_enrolment::Entity>(db, coaching_enrolment::Column::MemberId, ids)
            .await?,
    );
    named.extend(
        named_in::<coaching_session::Entity>(db, coaching_session::Column::CoachMemberId, ids)
            .await?,
    );
    named.extend(
        named_in::<cohort_coach::Entity>(db, cohort_coach::Column::CoachMemberId, ids).await?,
    );
    named.extend(
        named_in::<aftercare_contact::Entity>(
            db,
            aftercare_contact::Column::ParticipantMemberId,
            ids,
        )
        .await?,
    );
    named.extend(
        named_in::<aftercare_contact::Entity>(db, aftercare_contact::Column::CoachMemberId, ids)
            .await?,
    );
    named.extend(
        named_in::<buddy_pair::Entity>(db, buddy_pair::Column::NewcomerMemberId, ids).await?,
    );
    named.extend(named_in::<buddy_pair::Entity>(db, buddy_pair::Column::LocalMemberId, ids).await?);
    named.extend(
        named_in::<opportunity_review::Entity>(
            db,
            opportunity_review::Column::ReviewerMemberId,
            ids,
        )
        .await?,
    );
    named.extend(named_in::<application::Entity>(db, application::Column::MemberId, ids).await?);
    named.extend(named_in::<placement::Entity>(db, placement::Column::MemberId, ids).await?);
    named.extend(named_in::<expert::Entity>(db, expert::Column::MemberId, ids).await?);
    named.extend(
        named_in::<helpdesk_answerer::Entity>(db, helpdesk_answerer::Column::MemberId, ids).await?,
    );
    named.extend(named_in::<arrival::Entity>(db, arrival::Column::MemberId, ids).await?);
    named.extend(named_in::<departure::Entity>(db, departure::Column::MemberId, ids).await?);
    named.extend(named_in::<outbox::Entity>(db, outbox::Column::MemberId, ids).await?);
    named.extend(named_in::<notification::Entity>(db, notification::Column::MemberId, ids).await?);
    named.extend(named_in::<mail_queue::Entity>(db, mail_queue::Column::MemberId, ids).await?);
    named.extend(named_in::<digest_item::Entity>(db, digest_item::Column::MemberId, ids).await?);
    named.extend(
        named_in::<notification_key::Entity>(db, notification_key::Column::MemberId, ids).await?,
    );
    named.extend(
        named_in::<contact_details::Entity>(db, contact_details::Column::MemberId, ids).await?,
    );
    let texts: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    use passage_migrations::audit::audit_entry;
    for column in [
        audit_entry::Column::Subject,
        audit_entry::Column::CallerMemberId,
    ] {
        let found: Vec<String> = audit_entry::Entity::find()
            .select_only()
            .column(column)
            .filter(column.is_in(texts.iter().cloned()))
            .distinct()
            .into_tuple()
            .all(db)
            .await?;
        named.extend(found.iter().filter_map(|id| Uuid::try_parse(id).ok()));
    }
    Ok(named)
}

/// The distinct values of `column` among `ids`.
async fn named_in<E: EntityTrait>(
    db: &impl ConnectionTrait,
    column: E::Column,
    ids: &[Uuid],
) -> Result<Vec<Uuid>> {
    Ok(E::find()
        .select_only()
        .column(column)
        .filter(column.is_in(ids.iter().copied()))
        .distinct()
        .into_tuple()
        .all(db)
        .await?)
}

/// Takes member `id` out of the households whose cases list her among others.
async fn leave_households(db: &impl ConnectionTrait, id: Uuid) -> Result<u64> {
    let needle = id.to_string();
    let households = crate::store::casework::households_listing(db, id).await?;
    let mut changed = 0;
    for (case_id, list) in households {
        let kept: Vec<serde_json::Value> = list
            .iter()
            .filter(|value| value.as_str() != Some(needle.as_str()))
            .cloned()
            .collect();
        case_file::Entity::update_many()
            .col_expr(
                case_file::Column::HouseholdMemberIds,
                Expr::value(serde_json::Value::Array(kept)),
            )
            .filter(case_file::Column::Id.eq(case_id))
            .exec(db)
            .await?;
        changed += 1;
    }
    Ok(changed)
}

/// After an erasure committed: makes the deleted bytes unreadable in the
/// database's files (`passage_migrations::scrub_after_erasure`). A failure is
/// logged, not returned — the erasure itself has committed — and the server's
/// checkpointer finishes the work as soon as nothing holds the log.
pub async fn scrub(db: &sea_orm::DatabaseConnection) {
    match passage_migrations::scrub_after_erasure(db).await {
        Ok(true) => {}
        Ok(false) => tracing::warn!(
            "after an erasure the write-ahead log could not be emptied (held for 5 s by a reader, \
             a writer or another checkpoint); \
             the erased rows' old pages stay in it until the checkpointer empties it"
        ),
        Err(error) => {
            tracing::error!(%error, "emptying the write-ahead log after an erasure failed")
        }
    }
}
