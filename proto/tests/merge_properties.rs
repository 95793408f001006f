//! Properties of the profile merge, on states that real writers produce: a home
//! region editing, withdrawing and giving consent again, erasing — and a second
//! region writing concurrently, as during a move.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use passage_proto::hlc::HlcClock;
use passage_proto::merge::{SHARED_FIELDS, copy_field, merge, stamp};
use passage_proto::v1::{ProfileState, SharedProfile};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Edit {
        writer: usize,
        field: usize,
        value: u8,
    },
    Withdraw {
        writer: usize,
    },
    Consent {
        writer: usize,
    },
    Erase {
        writer: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (0..2usize, 0..SHARED_FIELDS.len() - 1, any::<u8>())
            .prop_map(|(writer, field, value)| Op::Edit { writer, field, value }),
        2 => (0..2usize).prop_map(|writer| Op::Withdraw { writer }),
        2 => (0..2usize).prop_map(|writer| Op::Consent { writer }),
        1 => (0..2usize).prop_map(|writer| Op::Erase { writer }),
    ]
}

/// A region writing a member's profile the way a node does.
struct Writer {
    region: &'static str,
    clock: HlcClock,
    values: SharedProfile,
    consent: bool,
}

fn value_for(field: &str, value: u8) -> SharedProfile {
    let text = format!("v{value}");
    let mut p = SharedProfile::default();
    match field {
        "display_name" => p.display_name = text,
        "home_region" => p.home_region = text,
        "profession" => p.profession = text,
        "sectors" => p.sectors = vec![text],
        "skills" => p.skills = vec![text, "x".into()],
        "languages" => p.languages = vec![text],
        "education_level" => p.education_level = i32::from(value % 8),
        "experience_years" => p.experience_years = i32::from(value % 70),
        "available_hours_per_week" => p.available_hours_per_week = i32::from(value % 80),
        _ => {}
    }
    p
}

impl Writer {
    fn full_state(&self, wall: u64, values: &SharedProfile) -> ProfileState {
        let at = stamp(self.clock.now_at(wall), self.region);
        ProfileState {
            member_id: "m".into(),
            profile: Some(values.clone()),
            stamps: SHARED_FIELDS
                .iter()
                .map(|f| ((*f).to_owned(), at.clone()))
                .collect(),
            erased: None,
            ..Default::default()
        }
    }

    /// What the writer publishes for `op`, if anything.
    fn apply(&mut self, op: &Op, wall: u64) -> Option<ProfileState> {
        match op {
            Op::Edit { field, value, .. } => {
                let name = SHARED_FIELDS[*field];
                copy_field(&value_for(name, *value), &mut self.values, name);
                if !self.consent {
                    return None;
                }
                let at = stamp(self.clock.now_at(wall), self.region);
                let mut profile = SharedProfile::default();
                copy_field(&self.values, &mut profile, name);
                Some(ProfileState {
                    member_id: "m".into(),
                    profile: Some(profile),
                    stamps: [(name.to_owned(), at)].into(),
                    erased: None,
                    ..Default::default()
                })
            }
            Op::Withdraw { .. } if self.consent => {
                self.consent = false;
                Some(self.full_state(wall, &SharedProfile::default()))
            }
            Op::Consent { .. } if !self.consent => {
                self.consent = true;
                let mut values = self.values.clone();
                values.share_across_regions = true;
                Some(self.full_state(wall, &values))
            }
            Op::Erase { .. } => Some(ProfileState {
                member_id: "m".into(),
                profile: None,
                stamps: Default::default(),
                erased: Some(stamp(self.clock.now_at(wall), self.region)),
                ..Default::default()
            }),
            _ => None,
        }
    }
}

/// Every state two concurrent writers publish for `ops`.
fn history(ops: &[Op], skews: (u64, u64)) -> Vec<ProfileState> {
    let mut writers = [
        Writer {
            region: "amsterdam",
            clock: HlcClock::default(),
            values: SharedProfile::default(),
            consent: true,
        },
        Writer {
            region: "miami",
            clock: HlcClock::default(),
            values: SharedProfile::default(),
            consent: true,
        },
    ];
    let mut published = Vec::new();
    for (tick, op) in ops.iter().enumerate() {
        let writer = match op {
            Op::Edit { writer, .. }
            | Op::Withdraw { writer }
            | Op::Consent { writer }
            | Op::Erase { writer } => *writer,
        };
        let skew = if writer == 0 { skews.0 } else { skews.1 };
        if let Some(state) = writers[writer].apply(op, 1_000 + tick as u64 / 3 + skew) {
            published.push(state);
        }
    }
    published
}

fn fold(states: impl IntoIterator<Item = ProfileState>) -> ProfileState {
    states.into_iter().fold(
        ProfileState {
            member_id: "m".into(),
            ..Default::default()
        },
        |acc, s| merge(&acc, &s),
    )
}

fn normal(state: &ProfileState) -> ProfileState {
    merge(state, state)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn merge_is_commutative_associative_and_idempotent(
        ops in prop::collection::vec(op(), 1..40),
        skews in (0..50u64, 0..50u64),
        picks in (any::<prop::sample::Index>(), any::<prop::sample::Index>(), any::<prop::sample::Index>()),
    ) {
        let states = history(&ops, skews);
        prop_assume!(!states.is_empty());
        let a = normal(picks.0.get(&states));
        let b = normal(picks.1.get(&states));
        let c = normal(picks.2.get(&states));
        prop_assert_eq!(merge(&a, &b), merge(&b, &a));
        prop_assert_eq!(merge(&merge(&a, &b), &c), merge(&a, &merge(&b, &c)));
        prop_assert_eq!(merge(&a, &a), a.clone());
    }

    #[test]
    fn any_delivery_order_with_duplicates_converges(
        ops in prop::collection::vec(op(), 1..60),
        skews in (0..50u64, 0..50u64),
        order in prop::collection::vec(any::<prop::sample::Index>(), 0..40),
        seed in any::<u64>(),
    ) {
        let states = history(&ops, skews);
        prop_assume!(!states.is_empty());
        let in_order = fold(states.iter().cloned());

        // Every state at least once, in a shuffled order, plus random duplicates.
        let mut delivery: Vec<ProfileState> = states.clone();
        delivery.extend(order.iter().map(|i| i.get(&states).clone()));
        let mut x = seed | 1;
        for i in (1..delivery.len()).rev() {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            delivery.swap(i, (x % (i as u64 + 1)) as usize);
        }
        prop_assert_eq!(fold(delivery), in_order);
    }
}

#[test]
fn an_erasure_dominates_writes_that_arrive_after_it() {
    let ops = [
        Op::Edit {
            writer: 0,
            field: 0,
            value: 1,
        },
        Op::Erase { writer: 0 },
        Op::Edit {
            writer: 1,
            field: 0,
            value: 2,
        },
    ];
    let states = history(&ops, (0, 40));
    let merged = fold(states);
    assert!(merged.erased.is_some());
    assert!(merged.profile.is_none() && merged.stamps.is_empty());
}

#[test]
fn a_withdrawn_consent_clears_every_value_elsewhere() {
    let ops = [
        Op::Edit {
            writer: 0,
            field: 0,
            value: 1,
        },
        Op::Edit {
            writer: 0,
            field: 2,
            value: 9,
        },
        Op::Withdraw { writer: 0 },
    ];
    let merged = fold(history(&ops, (0, 0)));
    assert_eq!(merged.profile.unwrap(), SharedProfile::default());
    let ops_with_return = [
        Op::Edit {
            writer: 0,
            field: 0,
            value: 1,
        },
        Op::Withdraw { writer: 0 },
        Op::Consent { writer: 0 },
    ];
    let merged = fold(history(&ops_with_return, (0, 0)));
    let profile = merged.profile.unwrap();
    assert_eq!(profile.display_name, "v1");
    assert!(profile.share_across_regions);
}
