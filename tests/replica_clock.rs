//! A region never loses an entry of the gateway's log to its clock: a batch that
//! holds an entry stamped beyond the region's clock (more than the allowed skew)
//! is refused whole — nothing of it applied, the cursor where it was, so the
//! gateway sends it again — and is applied whole once it comes within the skew.
//! Skipping the entry while the cursor moved past it would lose it for good, and
//! with it, perhaps, a member's withdrawal of consent.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use common::Backend;
use passage_migrations::NodeMigrator;
use passage_node::context::NodeContext;
use passage_node::federation::replica;
use passage_proto::hlc::{Hlc, HlcClock, wall_millis};
use passage_proto::v1::{self, LogBatch, LogEntry, ProfileState, SharedProfile};

on_both_backends!(a_batch_stamped_beyond_the_clock_waits_and_is_applied_whole_when_it_comes_again);

/// How far beyond its clock Amsterdam accepts a stamp in this story.
const SKEW_MS: u64 = 400;

/// Miami's log entry `sequence`: member `id` shares her name, stamped at `millis`.
fn entry(sequence: u64, id: &str, name: &str, millis: u64) -> LogEntry {
    let stamp = v1::Stamp {
        hlc: Hlc::new(millis, 0).as_u64(),
        region: "miami".into(),
    };
    let mut state = ProfileState {
        member_id: id.to_owned(),
        profile: Some(SharedProfile {
            display_name: name.to_owned(),
            home_region: "miami".into(),
            share_across_regions: true,
            ..Default::default()
        }),
        ..Default::default()
    };
    for field in ["display_name", "home_region", "share_across_regions"] {
        state.stamps.insert(field.into(), stamp.clone());
    }
    LogEntry {
        sequence,
        origin_region: "miami".into(),
        state: Some(state),
    }
}

async fn a_batch_stamped_beyond_the_clock_waits_and_is_applied_whole_when_it_comes_again(
    backend: Backend,
) {
    // Arrange: Amsterdam's node, which allows 400 ms of skew; a batch from the
    // log with Lucía's profile, stamped now, and Samir's, stamped by a clock
    // running a second and a half ahead.
    let dir = tempfile::tempdir().unwrap();
    let (db, postgres_name) = common::fresh_database::<NodeMigrator>(
        backend,
        &dir,
        "amsterdam.db",
        "passage_test_replica_clock",
    )
    .await;
    let mut context = NodeContext::new(db.clone(), "amsterdam".into());
    context.clock = Arc::new(HlcClock::with_max_skew(SKEW_MS));
    let lucia = uuid::Uuid::now_v7().to_string();
    let samir = uuid::Uuid::now_v7().to_string();
    let now = wall_millis();
    let ahead = now + 1_500;
    let batch = LogBatch {
        entries: vec![
            entry(7, &lucia, "Lucía", now),
            entry(8, &samir, "Samir", ahead),
        ],
        snapshot_through: 0,
    };
    let held = |id: &str| {
        let id = uuid::Uuid::parse_str(id).unwrap();
        let db = db.clone();
        async move { replica::stored_state(&db, id).await.unwrap() }
    };

    // Act and assert: refused whole, as unavailable for now, naming the entry.
    let refused = replica::apply_batch(&context, &batch).await.unwrap_err();
    let status = tonic::Status::from(refused);
    assert_eq!(status.code(), tonic::Code::Unavailable, "{status:?}");
    assert!(
        status.message().contains("log entry 8") && status.message().contains(&samir),
        "{}",
        status.message()
    );
    assert_eq!(held(&lucia).await, None, "nothing of the batch is applied");
    assert_eq!(held(&samir).await, None);

    // The gateway sends it again once the stamp is within the skew: applied whole,
    // and the cursor moves through it.
    let within = ahead - SKEW_MS;
    while wall_millis() <= within {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let through = replica::apply_batch(&context, &batch).await.unwrap();
    assert_eq!(through, Some(8));
    for (id, name) in [(&lucia, "Lucía"), (&samir, "Samir")] {
        let state = held(id).await.expect("applied");
        assert_eq!(state.profile.unwrap().display_name, name);
    }

    drop((context, db));
    if let Some(name) = postgres_name {
        common::drop_postgres_database(&name).await;
    }
}
