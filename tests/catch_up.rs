//! A region far behind catches up from the gateway's directory (issue 18 point
//! 2): Miami's node was down while Amsterdam and Washington DC changed their
//! members many times over — one erased, one who withdrew her consent, one
//! handed to Miami privately, one who moved to Miami sharing her profile. Read
//! as a catch-up (each changed member's latest state, from the directory) or
//! entry by entry, batch after batch with small limits so that every edge of a
//! batch is crossed, Miami ends with the same states through the same sequence;
//! the catch-up sends far fewer states.
//!
//! A region behind also reads past changes a node's stream repeated or replayed
//! late: an older change arriving after a withdrawal or an erasure never shows
//! the member's profile again to a region that had not read the withdrawal yet,
//! nor puts an erased member's profile back in the log.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::Backend;
use passage_gateway::sync::catch_up::CatchUp;
use passage_gateway::sync::log;
use passage_migrations::GatewayMigrator;
use passage_proto::merge::merge;
use passage_proto::v1::{self, LogEntry, ProfileState, SharedProfile};
use sea_orm::DatabaseConnection;

on_both_backends!(
    a_region_far_behind_catches_up_from_the_directory_where_the_log_would_have_brought_it,
    a_change_replayed_late_never_undoes_a_withdrawal_or_an_erasure_for_a_region_behind,
);

const AMSTERDAM: &str = "amsterdam";
const WASHINGTON: &str = "washington-dc";
const MIAMI: &str = "miami";

/// A gateway database of `backend`, fresh; its PostgreSQL name, to drop after.
async fn gateway_database(
    backend: Backend,
    dir: &tempfile::TempDir,
) -> (DatabaseConnection, Option<String>) {
    common::fresh_database::<GatewayMigrator>(backend, dir, "gateway.db", "passage_test_catch_up")
        .await
}

/// The federation's regions.
fn regions() -> BTreeSet<String> {
    [AMSTERDAM, WASHINGTON, MIAMI]
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// Member `id`'s change from `region` at clock `hlc`: her name and profession.
fn change(region: &str, id: &str, name: &str, profession: &str, hlc: u64) -> ProfileState {
    let mut state = ProfileState {
        member_id: id.to_owned(),
        profile: Some(SharedProfile {
            display_name: name.to_owned(),
            profession: profession.to_owned(),
            share_across_regions: true,
            ..Default::default()
        }),
        ..Default::default()
    };
    for field in ["display_name", "profession", "share_across_regions"] {
        state.stamps.insert(
            field.into(),
            v1::Stamp {
                hlc,
                region: region.to_owned(),
            },
        );
    }
    state
}

/// `state` as a hand-over to `to`.
fn handed_to(mut state: ProfileState, from: &str, to: &str, hlc: u64) -> ProfileState {
    if let Some(profile) = state.profile.as_mut() {
        profile.home_region = to.to_owned();
    }
    state.stamps.insert(
        "home_region".into(),
        v1::Stamp {
            hlc,
            region: from.to_owned(),
        },
    );
    state
}

/// One batch as a node receives it: its entries and the sequence it applies
/// through (the highest entry's, or the window's end on a catch-up's last page).
type Batch = (Vec<LogEntry>, u64);

/// What a node holds after applying `batches` one after the other: each member's
/// state, merged, and the sequence it has applied through.
fn applied(batches: &[Batch]) -> (BTreeMap<String, ProfileState>, u64) {
    let mut held: BTreeMap<String, ProfileState> = BTreeMap::new();
    let mut through = 0;
    for (entries, batch_through) in batches {
        for entry in entries {
            let state = entry.state.clone().unwrap();
            let merged = match held.get(&state.member_id) {
                Some(before) => merge(before, &state),
                None => merge(&state, &state),
            };
            held.insert(state.member_id.clone(), merged);
        }
        through = through.max(*batch_through);
    }
    (held, through)
}

/// A batch's limits: log rows looked at, members and bytes of states sent.
#[derive(Debug, Clone, Copy)]
struct Limits {
    rows: u64,
    members: usize,
    bytes: usize,
}

/// How the gateway reads the log for a region.
#[derive(Debug, Clone, Copy)]
enum Read {
    ByEntry,
    CatchUp,
}

/// Every batch the gateway sends Miami from the start of the log to its head.
async fn bring_up_to_date(db: &DatabaseConnection, read: Read, limits: Limits) -> Vec<Batch> {
    let Limits {
        rows,
        members,
        bytes,
    } = limits;
    let mut batches = Vec::new();
    let mut after = 0;
    loop {
        match read {
            Read::ByEntry => {
                let entries = log::entries_for(db, MIAMI, after, rows, members, bytes)
                    .await
                    .unwrap();
                let Some(last) = entries.iter().map(|e| e.sequence).max() else {
                    return batches;
                };
                assert!(last as i64 > after, "every batch moves on");
                after = last as i64;
                batches.push((entries, last));
            }
            Read::CatchUp => {
                let Some(mut window) = CatchUp::start(db, MIAMI, after, rows).await.unwrap() else {
                    return batches;
                };
                assert!(window.through > after, "every window moves on");
                loop {
                    let (entries, last) =
                        window.next_page(db, MIAMI, members, bytes).await.unwrap();
                    assert!(
                        entries.iter().all(|e| e.sequence == 0),
                        "no page but the last moves the cursor"
                    );
                    if !last {
                        batches.push((entries, 0));
                        continue;
                    }
                    batches.push((entries, window.through as u64));
                    after = window.through;
                    break;
                }
            }
        }
    }
}

async fn a_region_far_behind_catches_up_from_the_directory_where_the_log_would_have_brought_it(
    backend: Backend,
) {
    // Arrange: while Miami is down, Amsterdam's 120 members and Washington DC's
    // 80 change between one and seven times each, in batches as nodes send them.
    let dir = tempfile::tempdir().unwrap();
    let (db, postgres_name) = gateway_database(backend, &dir).await;
    let regions = regions();
    let members: Vec<(String, &str)> = (0..200)
        .map(|n| {
            let home = if n < 120 { AMSTERDAM } else { WASHINGTON };
            (uuid::Uuid::now_v7().to_string(), home)
        })
        .collect();
    for round in 1..=7u64 {
        for home in [AMSTERDAM, WASHINGTON] {
            let changes: Vec<ProfileState> = members
                .iter()
                .enumerate()
                .filter(|(n, (_, at))| *at == home && (*n as u64 % 7) + 1 >= round)
                .map(|(n, (id, _))| {
                    change(
                        home,
                        id,
                        &format!("Member {n}"),
                        &format!("trade {round}"),
                        round,
                    )
                })
                .collect();
            let appended = log::append(&db, home, &changes, &regions, 60_000)
                .await
                .unwrap();
            assert!(appended.refused.is_empty(), "{:?}", appended.refused);
        }
    }
    // Amira (Amsterdam) is erased; Samir (Amsterdam) withdraws his consent.
    let (amira, samir) = (&members[0].0, &members[1].0);
    let mut erased = ProfileState {
        member_id: amira.clone(),
        erased: Some(v1::Stamp {
            hlc: 20,
            region: AMSTERDAM.into(),
        }),
        ..Default::default()
    };
    erased.profile = None;
    let mut withdrawn = change(AMSTERDAM, samir, "", "", 20);
    withdrawn.profile = Some(SharedProfile::default());
    // Olena (Amsterdam, not sharing) is handed to Miami privately; Daniel
    // (Washington DC) moves to Miami with his shared profile.
    let olena = uuid::Uuid::now_v7().to_string();
    let mut private = handed_to(
        change(AMSTERDAM, &olena, "Olena", "nurse", 21),
        AMSTERDAM,
        MIAMI,
        21,
    );
    private.deliver_only_to = MIAMI.into();
    let daniel = &members[150].0;
    let moved = handed_to(
        change(WASHINGTON, daniel, "Daniel", "welder", 21),
        WASHINGTON,
        MIAMI,
        21,
    );
    for (home, batch) in [
        (AMSTERDAM, vec![erased, withdrawn, private]),
        (WASHINGTON, vec![moved]),
    ] {
        let appended = log::append(&db, home, &batch, &regions, 60_000)
            .await
            .unwrap();
        assert!(appended.refused.is_empty(), "{:?}", appended.refused);
    }
    let head = log::head(&db).await.unwrap();

    // Act: Miami is brought up to date both ways, a batch at a time: with limits
    // small enough that every edge of a batch is crossed, and roomy ones.
    let small = Limits {
        rows: 300,
        members: 40,
        bytes: 4_096,
    };
    let roomy = Limits {
        rows: 100_000,
        members: 5_000,
        bytes: 1 << 20,
    };
    let by_entry = bring_up_to_date(&db, Read::ByEntry, small).await;
    let caught_up = bring_up_to_date(&db, Read::CatchUp, small).await;
    let caught_up_at_once = bring_up_to_date(&db, Read::CatchUp, roomy).await;

    // Assert: the same states through the same sequence, the log's head.
    let (held_by_entry, through_by_entry) = applied(&by_entry);
    for batches in [&caught_up, &caught_up_at_once] {
        let (held, through) = applied(batches);
        assert_eq!(through, through_by_entry);
        assert_eq!(through as i64, head);
        assert_eq!(held.len(), 201, "every member Miami is given");
        assert_eq!(held, held_by_entry);
    }
    let held = applied(&caught_up).0;
    assert!(held[amira].erased.is_some() && held[amira].profile.is_none());
    assert_eq!(held[samir].profile, Some(SharedProfile::default()));
    let olena_held = held[&olena].profile.clone().unwrap();
    assert_eq!(
        (
            olena_held.display_name.as_str(),
            olena_held.home_region.as_str()
        ),
        ("Olena", MIAMI)
    );
    let daniel_held = held[daniel].profile.clone().unwrap();
    assert_eq!(
        (
            daniel_held.profession.as_str(),
            daniel_held.home_region.as_str()
        ),
        ("welder", MIAMI)
    );
    // With room, one state per member, not one per change: Daniel and Olena (at
    // home in Miami now) come entry by entry.
    let sent = |batches: &[Batch]| batches.iter().map(|(e, _)| e.len()).sum::<usize>();
    assert_eq!(caught_up_at_once.len(), 1, "one batch");
    assert_eq!(sent(&caught_up_at_once), 201);
    assert!(sent(&by_entry) > 500, "{} entries", sent(&by_entry));

    drop(db);
    if let Some(name) = postgres_name {
        common::drop_postgres_database(&name).await;
    }
}

/// Every entry the gateway sends `region` after `after`, batch by batch, each of
/// at most `rows` log rows (one row: each row as it is stored); and the
/// sequence the region then applied through.
async fn read_log(
    db: &DatabaseConnection,
    region: &str,
    mut after: i64,
    rows: u64,
) -> (Vec<Batch>, i64) {
    let mut batches = Vec::new();
    loop {
        let entries = log::entries_for(db, region, after, rows, 2, 4_096)
            .await
            .unwrap();
        let Some(last) = entries.iter().map(|e| e.sequence).max() else {
            return (batches, after);
        };
        after = last as i64;
        batches.push((entries, last));
    }
}

async fn a_change_replayed_late_never_undoes_a_withdrawal_or_an_erasure_for_a_region_behind(
    backend: Backend,
) {
    // Arrange: Samir and Amira, at home in Miami, share their profiles, and
    // Amsterdam has read them.
    let dir = tempfile::tempdir().unwrap();
    let (db, postgres_name) = gateway_database(backend, &dir).await;
    let regions = regions();
    let samir = uuid::Uuid::now_v7().to_string();
    let amira = uuid::Uuid::now_v7().to_string();
    let sharing = vec![
        change(MIAMI, &samir, "Samir", "electrician", 10),
        change(MIAMI, &amira, "Amira", "pharmacist", 10),
    ];
    let append = |batch: Vec<ProfileState>| {
        let (db, regions) = (&db, &regions);
        async move {
            let appended = log::append(db, MIAMI, &batch, regions, 60_000)
                .await
                .unwrap();
            assert!(appended.refused.is_empty(), "{:?}", appended.refused);
        }
    };
    append(sharing.clone()).await;
    let (mut amsterdam, read_through) = read_log(&db, AMSTERDAM, 0, 3).await;
    assert!(
        applied(&amsterdam).0[&samir]
            .profile
            .as_ref()
            .unwrap()
            .share_across_regions
    );

    // Act: Samir withdraws his consent and Amira is erased; Washington DC reads
    // that, Amsterdam not yet. Then Miami's stream, cut and resumed, delivers
    // its first batch again, twice.
    let mut withdrawn = change(MIAMI, &samir, "", "", 20);
    withdrawn.profile = Some(SharedProfile::default());
    let erased = ProfileState {
        member_id: amira.clone(),
        erased: Some(v1::Stamp {
            hlc: 20,
            region: MIAMI.into(),
        }),
        ..Default::default()
    };
    append(vec![withdrawn, erased]).await;
    let (washington, _) = read_log(&db, WASHINGTON, 0, 3).await;
    append(sharing.clone()).await;
    append(sharing).await;
    let (later, _) = read_log(&db, AMSTERDAM, read_through, 3).await;
    amsterdam.extend(later);

    // Assert: both regions show neither profile; the log holds Amira's erasure
    // and nothing of her profile.
    for (region, batches) in [(AMSTERDAM, &amsterdam), (WASHINGTON, &washington)] {
        let held = applied(batches).0;
        assert!(
            !passage_proto::merge::is_shared(&held[&samir]),
            "{region} shows Samir's withdrawn profile: {:?}",
            held[&samir]
        );
        assert!(
            held[&amira].erased.is_some() && held[&amira].profile.is_none(),
            "{region} holds Amira as {:?}",
            held[&amira]
        );
    }
    let everything = read_log(&db, AMSTERDAM, 0, 1).await.0;
    let about_amira: Vec<&ProfileState> = everything
        .iter()
        .flat_map(|(entries, _)| entries)
        .filter_map(|entry| entry.state.as_ref())
        .filter(|state| state.member_id == amira)
        .collect();
    assert!(!about_amira.is_empty(), "her erasure is in the log");
    assert!(
        about_amira
            .iter()
            .all(|state| state.erased.is_some() && state.profile.is_none()),
        "the log holds Amira's profile after her erasure: {about_amira:?}"
    );

    drop(db);
    if let Some(name) = postgres_name {
        common::drop_postgres_database(&name).await;
    }
}
