//! Erasure reaches every record and every region that ever held the person.
//!
//! Lucía, a newcomer of Miami with a case, a helpdesk question and a fair
//! registration there, moves to Amsterdam and asks Amsterdam to forget her: when
//! the operator's erasure ledger says every region erased her, Miami's database
//! holds nothing of her. A reviewer and a coach who are deleted leave their
//! reviews and sessions naming no one. A deleted member's words are in no byte of
//! the region's database files. And the schema itself is checked: every column
//! that names a member, in the node's and in the gateway's tables, is covered by
//! erasure (or the test names it), and a node writes no file that erasure does not
//! scrub. Runs on SQLite and PostgreSQL where a database is involved; the bytes of
//! files and the schema's listing are SQLite's.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{Datelike, Duration, Utc};
use common::chapter::{Chapter, employer, in_minutes, newcomer};
use common::{Backend, Cluster, create, eventually, profile_in, to};
use passage_node::store::erasure::{self as node_erasure, Coverage, names_a_person};
use passage_proto::v1::{
    self, event_service_client::EventServiceClient,
    federation_admin_service_client::FederationAdminServiceClient,
    helpdesk_service_client::HelpdeskServiceClient,
};
use prost::Message;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};

on_both_backends!(
    a_member_who_moved_is_erased_in_her_old_home_too,
    a_deleted_reviewer_and_coach_leave_reviews_and_sessions_naming_no_one,
    a_region_that_kept_an_erased_members_case_erases_it_when_it_starts,
);

// -- The story -------------------------------------------------------------------

/// Lucía registers with Miami, gets a case with a caseworker's note, asks the
/// helpdesk and registers for a job fair there; then she moves to Amsterdam and
/// asks Amsterdam to delete her. The ledger says she is erased everywhere only
/// when Miami has erased her too: at that moment not one covered column of
/// Miami's database names her, and her words are gone.
async fn a_member_who_moved_is_erased_in_her_old_home_too(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let gateway = cluster.gateway().await;
    let mut chapter = Chapter::open(&cluster).await;
    let lucia = chapter.newcomer_in("miami", "Lucía Fernández").await;

    common::case_with_note(
        &gateway,
        "miami",
        &lucia,
        "Interview on 12 March; she fears being sent back.",
    )
    .await;
    HelpdeskServiceClient::new(gateway.clone())
        .ask_question(to(
            "miami",
            v1::AskQuestionRequest {
                asker_member_id: lucia.clone(),
                language: "es".into(),
                topic: "work permit".into(),
                text: "¿Cuándo puedo pedir el permiso de trabajo?".into(),
            },
        ))
        .await
        .unwrap();
    let mut events = EventServiceClient::new(gateway.clone());
    let fair = events
        .create_event(to(
            "miami",
            v1::CreateEventRequest {
                event: Some(v1::Event {
                    kind: v1::EventKind::OpportunityFair as i32,
                    title: "Miami-Dade job fair".into(),
                    description: "Employers of the county present their vacancies.".into(),
                    start_time: Some(in_minutes(60 * 24 * 14)),
                    end_time: Some(in_minutes(60 * 24 * 14 + 180)),
                    place: "Miami-Dade College, Wolfson Campus".into(),
                    capacity: 50,
                    languages: vec!["en".into(), "es".into()],
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    events
        .register_for_event(to(
            "miami",
            v1::RegisterForEventRequest {
                event_id: fair.id.clone(),
                member_id: lucia.clone(),
            },
        ))
        .await
        .unwrap();

    // She moves to Amsterdam: Amsterdam asks for her with its own intake record.
    // Once Amsterdam has her, Miami erases what its chapter held about her; only
    // the note that she moved (and its audit log) stays.
    moves_to_amsterdam(&cluster, &mut chapter, &lucia).await;
    let miami = connect(&cluster, "miami").await;
    until_arrival_confirmed(&miami, &lucia).await;
    assert_eq!(
        count(&miami, "SELECT COUNT(*) FROM case_note").await,
        0,
        "once Amsterdam has her, Miami's chapter holds her case no more"
    );
    for table in ["case_file", "helpdesk_question", "event_registration"] {
        assert_eq!(
            count(&miami, &format!("SELECT COUNT(*) FROM {table}")).await,
            0,
            "Miami's {table} still holds her record after she arrived in Amsterdam"
        );
    }

    // Amsterdam deletes her at her request.
    chapter
        .members
        .delete_member(to(
            "amsterdam",
            v1::DeleteMemberRequest { id: lucia.clone() },
        ))
        .await
        .unwrap();

    // The operator's ledger: erased everywhere, Miami included.
    let mut admin = FederationAdminServiceClient::new(gateway.clone());
    eventually("the ledger says every region erased Lucía", || {
        let mut admin = admin.clone();
        let lucia = lucia.clone();
        async move {
            admin
                .list_erasures(common::operator(v1::ListErasuresRequest::default()))
                .await
                .unwrap()
                .into_inner()
                .erasures
                .iter()
                .any(|e| e.member_id == lucia && e.pending_regions.is_empty())
        }
    })
    .await;
    let erasure = admin
        .list_erasures(common::operator(v1::ListErasuresRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .erasures
        .into_iter()
        .find(|e| e.member_id == lucia)
        .unwrap();
    assert_eq!(erasure.home_region, "amsterdam");
    assert!(erasure.confirmed_regions.contains(&"miami".to_owned()));

    // And it is true: Miami, her old home, holds nothing of her.
    assert_eq!(holding(&miami, &lucia).await, Vec::<String>::new());
    for table in [
        "case_file",
        "case_note",
        "helpdesk_question",
        "event_registration",
    ] {
        assert_eq!(
            count(&miami, &format!("SELECT COUNT(*) FROM {table}")).await,
            0,
            "Miami's {table} still holds her record"
        );
    }
    assert!(
        profile_in(&mut chapter.members, "miami", &lucia)
            .await
            .is_none()
    );
    for region in ["amsterdam", "washington-dc"] {
        let db = connect(&cluster, region).await;
        assert_eq!(holding(&db, &lucia).await, Vec::<String>::new(), "{region}");
    }
    // The gateway's record of her move no longer names her.
    let moves = admin
        .list_transfers(common::operator(v1::ListTransfersRequest {
            member_id: lucia.clone(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
        .transfers;
    assert!(moves.is_empty(), "the gateway still names her in {moves:?}");
    cluster.stop().await;
}

/// Samira reviewed an internship with a comment; Joost coached a session. Both
/// ask to be forgotten. The review still counts for the round, the session still
/// happened, but neither names them, and Samira's comment is gone.
async fn a_deleted_reviewer_and_coach_leave_reviews_and_sessions_naming_no_one(backend: Backend) {
    let cluster = Cluster::start(backend).await;
    let mut chapter = Chapter::open(&cluster).await;
    let samira = chapter.newcomer("Samira Haddad").await;
    let joost = chapter.local("Joost Bakker").await;

    let employer = chapter.organisation(employer("Zorggroep Amstel")).await;
    let internship = chapter
        .draft(v1::Opportunity {
            organisation_id: employer,
            title: "Internship on the geriatric ward".into(),
            description: "Three months alongside our nurses.".into(),
            kind: v1::OpportunityKind::Internship as i32,
            sector: "healthcare".into(),
            languages: vec!["nl".into()],
            hours_per_week: 24,
            paid: true,
            location: "Amsterdam-Oost".into(),
            ..Default::default()
        })
        .await;
    chapter.submit_for_review(&internship).await.unwrap();
    chapter
        .review
        .review_opportunity(to(
            "amsterdam",
            v1::ReviewOpportunityRequest {
                opportunity_id: internship.clone(),
                reviewer_member_id: samira.clone(),
                verdict: v1::ReviewVerdict::Approve as i32,
                comment: "I worked on such a ward in Aleppo; it is a fair start.".into(),
            },
        ))
        .await
        .unwrap();

    let programme = chapter
        .coaching
        .create_programme(to(
            "amsterdam",
            v1::CreateProgrammeRequest {
                programme: Some(v1::CoachingProgramme {
                    name: "Refugee on Board".into(),
                    description: "A year of weekly job coaching.".into(),
                    mandatory_components: vec![v1::CoachingComponent::JobCoaching as i32],
                    aftercare_months: 6,
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let starts = Utc::now().date_naive() - Duration::days(30);
    let cohort = chapter
        .coaching
        .create_cohort(to(
            "amsterdam",
            v1::CreateCohortRequest {
                cohort: Some(v1::Cohort {
                    programme_id: programme.id.clone(),
                    year: starts.year(),
                    starts_on: starts.to_string(),
                    ends_on: (starts + Duration::days(365)).to_string(),
                    capacity: 12,
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    chapter
        .coaching
        .schedule_coaching_session(to(
            "amsterdam",
            v1::ScheduleCoachingSessionRequest {
                session: Some(v1::CoachingSession {
                    cohort_id: cohort.id.clone(),
                    component: v1::CoachingComponent::JobCoaching as i32,
                    held_on: (starts + Duration::days(7)).to_string(),
                    topic: "Your CV for the Dutch labour market".into(),
                    coach_name: "Joost Bakker".into(),
                    coach_member_id: joost.clone(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap();

    for member in [&samira, &joost] {
        chapter
            .members
            .delete_member(to(
                "amsterdam",
                v1::DeleteMemberRequest { id: member.clone() },
            ))
            .await
            .unwrap();
    }

    let amsterdam = connect(&cluster, "amsterdam").await;
    // The audit log's entry of each deletion is pseudonymised once it is written.
    for member in [&samira, &joost] {
        eventually("the audit log names neither of them", || {
            let amsterdam = amsterdam.clone();
            let member = member.clone();
            async move { holding(&amsterdam, &member).await.is_empty() }
        })
        .await;
    }
    assert_eq!(
        count(&amsterdam, "SELECT COUNT(*) FROM opportunity_review").await,
        1,
        "the review still counts for its round"
    );
    assert_eq!(
        count(
            &amsterdam,
            "SELECT COUNT(*) FROM opportunity_review WHERE comment <> ''"
        )
        .await,
        0,
        "Samira's comment is gone"
    );
    assert_eq!(
        count(
            &amsterdam,
            "SELECT COUNT(*) FROM coaching_session \
             WHERE coach_member_id IS NULL AND coach_name = '' AND topic <> ''"
        )
        .await,
        1,
        "the session stays, without its coach"
    );
    assert!(
        count(
            &amsterdam,
            "SELECT COUNT(*) FROM audit_entry WHERE subject LIKE 'erased:%'"
        )
        .await
            > 0,
        "the audit log keeps the entries, under a pseudonym"
    );
    cluster.stop().await;
}

/// Before this version, a region applied an erasure's tombstone to the shared
/// profile only: Lucía's old home Miami kept her case after Amsterdam erased her,
/// and the tombstone is not sent again. When Miami's node starts with this
/// version, it finds the tombstone and erases the case.
async fn a_region_that_kept_an_erased_members_case_erases_it_when_it_starts(backend: Backend) {
    use passage_node::store::entity::remote_profile;
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};

    let cluster = Cluster::start(backend).await;
    let gateway = cluster.gateway().await;
    let mut chapter = Chapter::open(&cluster).await;
    let lucia = chapter.newcomer_in("miami", "Lucía Fernández").await;
    common::case_with_note(&gateway, "miami", &lucia, "Interview on 12 March.").await;
    let miami = connect(&cluster, "miami").await;
    let kept = kept_cases(&miami).await;
    moves_to_amsterdam(&cluster, &mut chapter, &lucia).await;
    until_arrival_confirmed(&miami, &lucia).await;

    // What an older Miami node left: the tombstone in its replica, the case kept
    // (it erased nothing when a member moved away).
    restore_cases(&miami, kept).await;
    let id = uuid::Uuid::parse_str(&lucia).unwrap();
    let tombstone = v1::ProfileState {
        member_id: lucia.clone(),
        profile: None,
        stamps: Default::default(),
        erased: Some(v1::Stamp {
            hlc: (Utc::now().timestamp_millis() as u64) << 16,
            region: "amsterdam".into(),
        }),
        ..Default::default()
    };
    remote_profile::ActiveModel {
        member_id: Set(id),
        state: Set(tombstone.encode_to_vec()),
        ..Default::default()
    }
    .update(&miami)
    .await
    .unwrap();
    assert_eq!(count(&miami, "SELECT COUNT(*) FROM case_note").await, 1);

    // Miami's node starts with this version.
    let context = passage_node::context::NodeContext::new(miami.clone(), "miami".into());
    let erased = passage_node::federation::replica::erase_leftovers(&context)
        .await
        .unwrap();
    assert_eq!(erased, 1);
    assert_eq!(holding(&miami, &lucia).await, Vec::<String>::new());
    assert_eq!(count(&miami, "SELECT COUNT(*) FROM case_note").await, 0);
    // Starting again finds nothing more to erase.
    let again = passage_node::federation::replica::erase_leftovers(&context)
        .await
        .unwrap();
    assert_eq!(again, 0);
    cluster.stop().await;
}

// -- The bytes on disk -------------------------------------------------------------

/// Amira's caseworker wrote a note and Amira asked the helpdesk; the chapter
/// deletes her. Not one byte of Amsterdam's database, write-ahead log or
/// shared-memory file holds either text afterwards — and once every region
/// erased her, no file of the whole federation holds her name. Every file in the
/// data folder is one that erasure scrubs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_members_words_are_in_no_byte_of_the_database_files() {
    let cluster = Cluster::start(Backend::Sqlite).await;
    let gateway = cluster.gateway().await;
    let mut chapter = Chapter::open(&cluster).await;
    let mark = uuid::Uuid::now_v7().simple().to_string();
    let name = format!("Amira Canary{}", &mark[20..]);
    let note = format!("CANARY-NOTE-{mark}: owes the municipality two months of rent");
    let question = format!("CANARY-QUESTION-{mark}: may I work while my asylum claim runs?");
    let amira = create(&mut chapter.members, "amsterdam", newcomer(&name))
        .await
        .id;
    chapter.until_amsterdam_holds(&amira).await;
    for region in ["miami", "washington-dc"] {
        eventually(&format!("{region} holds her profile"), || {
            let mut members = chapter.members.clone();
            let amira = amira.clone();
            async move { profile_in(&mut members, region, &amira).await.is_some() }
        })
        .await;
    }

    common::case_with_note(&gateway, "amsterdam", &amira, &note).await;
    HelpdeskServiceClient::new(gateway.clone())
        .ask_question(to(
            "amsterdam",
            v1::AskQuestionRequest {
                asker_member_id: amira.clone(),
                language: "en".into(),
                topic: "work permit".into(),
                text: question.clone(),
            },
        ))
        .await
        .unwrap();
    let folder = data_folder(&cluster);
    assert!(
        !files_holding(&folder, "amsterdam", &note).is_empty(),
        "the note is written to Amsterdam's files before the deletion"
    );

    chapter
        .members
        .delete_member(to(
            "amsterdam",
            v1::DeleteMemberRequest { id: amira.clone() },
        ))
        .await
        .unwrap();

    for words in [&note, &question] {
        assert_eq!(
            files_holding(&folder, "amsterdam", words),
            Vec::<String>::new(),
            "Amsterdam's files still hold {words:?}"
        );
    }

    // Once every region erased her, no file of the federation holds her name.
    let admin = FederationAdminServiceClient::new(gateway.clone());
    eventually("every region erased Amira", || {
        let mut admin = admin.clone();
        let amira = amira.clone();
        async move {
            admin
                .list_erasures(common::operator(v1::ListErasuresRequest::default()))
                .await
                .unwrap()
                .into_inner()
                .erasures
                .iter()
                .any(|e| e.member_id == amira && e.pending_regions.is_empty())
        }
    })
    .await;
    assert_eq!(files_holding(&folder, "", &name), Vec::<String>::new());

    // Every file in the folder is a database file of a region or of the gateway
    // that erasure scrubs, or what the test put there (rules, keys, certificates).
    let mut unknown = Vec::new();
    for entry in std::fs::read_dir(&folder).unwrap() {
        let file = entry.unwrap().file_name().to_string_lossy().into_owned();
        let database = passage::demo::REGIONS
            .iter()
            .map(|r| r.0)
            .chain(["gateway"])
            .any(|owner| {
                node_erasure::DATA_FILE_SUFFIXES
                    .iter()
                    .any(|suffix| file == format!("{owner}.db{suffix}"))
            });
        let put_there = file.ends_with(".rules.toml") || file == "keys" || file == "certs";
        // Mail written as files: one folder per member, which erasure removes
        // (`passage_node::notify::files`).
        let mail = file == "mail";
        if !database && !put_there && !mail {
            unknown.push(file);
        }
    }
    assert_eq!(
        unknown,
        Vec::<String>::new(),
        "files erasure does not know of (add them to DATA_FILE_SUFFIXES and scrub them)"
    );
    cluster.stop().await;
}

// -- The schema --------------------------------------------------------------------

/// Every column of the node's and the gateway's schema whose name says it names a
/// member (`names_a_person`) is in the coverage list next to the erasure code —
/// `passage_node::store::erasure::COVERED`, `passage_gateway::sync::erasure::
/// COVERED` — and every entry of those lists is a column that exists. A column
/// or table added later without coverage fails here, by name.
#[tokio::test]
async fn every_column_that_names_a_member_is_covered_by_erasure() {
    let folder = tempfile::tempdir().unwrap();
    let url = |name: &str| format!("sqlite://{}?mode=rwc", folder.path().join(name).display());
    let node = passage_migrations::connect::<passage_migrations::NodeMigrator>(&url("node.db"), 1)
        .await
        .unwrap();
    let gateway =
        passage_migrations::connect::<passage_migrations::GatewayMigrator>(&url("gateway.db"), 1)
            .await
            .unwrap();
    let node_covered: Vec<(&str, &str)> = node_erasure::COVERED
        .iter()
        .map(|(table, column, _)| (*table, *column))
        .collect();
    let gateway_covered: Vec<(&str, &str)> = passage_gateway::sync::erasure::COVERED
        .iter()
        .map(|(table, column, _)| (*table, *column))
        .collect();

    let mut uncovered = Vec::new();
    let mut stale = Vec::new();
    for (schema, db, covered) in [
        ("node", &node, &node_covered),
        ("gateway", &gateway, &gateway_covered),
    ] {
        let columns = schema_columns(db).await;
        for (table, column) in &columns {
            if names_a_person(column) && !covered.contains(&(table.as_str(), column.as_str())) {
                uncovered.push(format!("{schema}: {table}.{column}"));
            }
        }
        let mut tables: Vec<&String> = columns.iter().map(|(table, _)| table).collect();
        tables.dedup();
        for table in tables {
            if node_erasure::keeps_sign_ins(table) && !covered.iter().any(|(t, _)| t == table) {
                uncovered.push(format!(
                    "{schema}: table {table} keeps sign-ins, and erasure covers none of its columns"
                ));
            }
        }
        for (table, column) in covered.iter() {
            if !columns.contains(&((*table).to_owned(), (*column).to_owned())) {
                stale.push(format!("{schema}: {table}.{column}"));
            }
        }
    }
    assert_eq!(
        uncovered,
        Vec::<String>::new(),
        "columns that name a member and that erasure does not cover (add each to COVERED, \
         and erase it)"
    );
    assert_eq!(
        stale,
        Vec::<String>::new(),
        "COVERED lists columns the schema does not have"
    );
}

/// Whatever sign-in tables are called, the rule sees them: a sessions table, an
/// accounts table and the columns that tie them to a member cannot be added
/// without erasure saying what becomes of them (the gateway's `account`,
/// `account_invitation` and `account_session` are in its COVERED list).
#[test]
fn sessions_and_accounts_added_later_cannot_be_forgotten() {
    for table in [
        "web_session",
        "account",
        "account_invitation",
        "account_session",
        "member_account",
        "login_attempt",
        "user",
    ] {
        assert!(node_erasure::keeps_sign_ins(table), "{table}");
    }
    for column in [
        "account_id",
        "member_id",
        "owner_member_id",
        "user_id",
        "person_id",
        "subject",
        "caller_member_id",
        "coach_member_id",
        "reviewer_id",
    ] {
        assert!(names_a_person(column), "{column}");
    }
    for column in ["opportunity_id", "cohort_id", "title", "starts_on"] {
        assert!(!names_a_person(column), "{column}");
    }
    // Whatever erasure covers, it says how.
    for (table, column, coverage) in node_erasure::COVERED {
        if *coverage == Coverage::NotAPerson {
            assert!(
                names_a_person(column),
                "{table}.{column} is listed as not naming a person, yet the rule does not match it"
            );
        }
    }
}

// -- Helpers -----------------------------------------------------------------------

async fn connect(cluster: &Cluster, region: &str) -> DatabaseConnection {
    Database::connect(cluster.database_urls[region].as_str())
        .await
        .unwrap()
}

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

/// The SQL condition "`column` holds member `id`", whatever the column's type
/// (a UUID is a 16-byte blob on SQLite, `uuid` on PostgreSQL; a list is JSON).
fn names(backend: DbBackend, column: &str, id: &str) -> String {
    match backend {
        DbBackend::Sqlite => {
            let hex = id.replace('-', "").to_uppercase();
            format!(r#"("{column}" = X'{hex}' OR CAST("{column}" AS TEXT) LIKE '%{id}%')"#)
        }
        _ => format!(r#"CAST("{column}" AS TEXT) LIKE '%{id}%'"#),
    }
}

/// Every covered column of a node's database that still names `id`, as
/// `table.column (n rows)`; a tombstone row counts only if it holds more than the
/// tombstone.
async fn holding(db: &DatabaseConnection, id: &str) -> Vec<String> {
    let backend = db.get_database_backend();
    let mut found = Vec::new();
    for (table, column, coverage) in node_erasure::COVERED {
        let names_member = names_a_person(column) || (*table, *column) == ("member", "id");
        if !names_member || *coverage == Coverage::NotAPerson {
            continue;
        }
        let condition = names(backend, column, id);
        if *coverage == Coverage::Tombstone {
            let rows = db
                .query_all_raw(Statement::from_string(
                    backend,
                    format!(r#"SELECT state FROM "{table}" WHERE {condition}"#),
                ))
                .await
                .unwrap();
            for row in rows {
                let state: Vec<u8> = row.try_get_by_index(0).unwrap();
                let state = v1::ProfileState::decode(state.as_slice()).unwrap();
                if state.erased.is_none() || state.profile.is_some() {
                    found.push(format!("{table}.{column} (not a tombstone: {state:?})"));
                }
            }
            continue;
        }
        let rows = count(
            db,
            &format!(r#"SELECT COUNT(*) FROM "{table}" WHERE {condition}"#),
        )
        .await;
        if rows > 0 {
            found.push(format!("{table}.{column} ({rows} rows)"));
        }
    }
    found
}

/// Every (table, column) of a migrated SQLite database, migrations' own tables
/// left out.
async fn schema_columns(db: &DatabaseConnection) -> Vec<(String, String)> {
    let tables = db
        .query_all_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '%migrations' ORDER BY name",
        ))
        .await
        .unwrap();
    let mut columns = Vec::new();
    for table in tables {
        let table: String = table.try_get_by_index(0).unwrap();
        for column in db
            .query_all_raw(Statement::from_string(
                DbBackend::Sqlite,
                format!("SELECT name FROM pragma_table_info('{table}')"),
            ))
            .await
            .unwrap()
        {
            columns.push((table.clone(), column.try_get_by_index::<String>(0).unwrap()));
        }
    }
    columns
}

/// The folder the cluster's SQLite files are in.
fn data_folder(cluster: &Cluster) -> std::path::PathBuf {
    let url = &cluster.database_urls["amsterdam"];
    let path = url
        .trim_start_matches("sqlite://")
        .split('?')
        .next()
        .unwrap();
    std::path::Path::new(path).parent().unwrap().to_owned()
}

/// The files in `folder` whose name starts with `prefix` and whose raw bytes
/// contain `words`.
fn files_holding(folder: &std::path::Path, prefix: &str, words: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(folder).unwrap() {
        let entry = entry.unwrap();
        let file = entry.file_name().to_string_lossy().into_owned();
        if !file.starts_with(prefix) || !entry.file_type().unwrap().is_file() {
            continue;
        }
        let bytes = std::fs::read(entry.path()).unwrap();
        if bytes
            .windows(words.len())
            .any(|window| window == words.as_bytes())
        {
            found.push(file);
        }
    }
    found
}

/// Waits until `member`'s new home has confirmed her arrival to her old home `db`.
async fn until_arrival_confirmed(db: &DatabaseConnection, member: &str) {
    use passage_node::store::entity::departure;
    use sea_orm::EntityTrait;
    let id = uuid::Uuid::parse_str(member).unwrap();
    eventually(
        "the new home confirms her arrival to the old home",
        || async move {
            departure::Entity::find_by_id(id)
                .one(db)
                .await
                .unwrap()
                .is_some_and(|departed| departed.arrived_at.is_some())
        },
    )
    .await;
}

/// The cases and their notes a region holds, as rows.
async fn kept_cases(
    db: &DatabaseConnection,
) -> (
    Vec<passage_node::store::entity::case_file::Model>,
    Vec<passage_node::store::entity::case_note::Model>,
) {
    use passage_node::store::entity::{case_file, case_note};
    use sea_orm::EntityTrait;
    (
        case_file::Entity::find().all(db).await.unwrap(),
        case_note::Entity::find().all(db).await.unwrap(),
    )
}

/// Puts cases and notes back, as a node that erased nothing would have kept them.
async fn restore_cases(
    db: &DatabaseConnection,
    (cases, notes): (
        Vec<passage_node::store::entity::case_file::Model>,
        Vec<passage_node::store::entity::case_note::Model>,
    ),
) {
    use sea_orm::{ActiveModelTrait, IntoActiveModel};
    for case in cases {
        case.into_active_model()
            .reset_all()
            .insert(db)
            .await
            .unwrap();
    }
    for note in notes {
        note.into_active_model()
            .reset_all()
            .insert(db)
            .await
            .unwrap();
    }
}

/// `member`, at home in Miami, confirms her move to Amsterdam, and Amsterdam takes
/// her in with its own intake record.
async fn moves_to_amsterdam(cluster: &Cluster, chapter: &mut Chapter, member: &str) {
    chapter.until_amsterdam_holds(member).await;
    cluster
        .member_confirms_move("miami", member, "amsterdam")
        .await
        .unwrap();
    chapter
        .members
        .transfer_member(to(
            "amsterdam",
            v1::TransferMemberRequest {
                member_id: member.to_owned(),
                regional: Some(v1::RegionalRecord {
                    role: v1::MemberRole::Newcomer as i32,
                    residence_status: v1::ResidenceStatus::AsylumSeeker as i32,
                    ..Default::default()
                }),
                requested_by: "chapter admin of amsterdam".into(),
            },
        ))
        .await
        .unwrap();
}
