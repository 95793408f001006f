//! Merging shared profile states: per-field last-writer-wins, ordered by stamp (HLC,
//! then region slug, then the value itself so that even equal stamps agree), with
//! erasure as a tombstone that absorbs everything. The merge is commutative,
//! associative and idempotent, so any delivery order, with duplicates, converges.
//!
//! Consent is carried by the same rule: a home region that loses a member's consent
//! publishes every field cleared at one stamp, which overwrites the old values
//! everywhere; when consent returns, it re-stamps every field with its real value.

use std::cmp::Ordering;

use prost::Message;

use crate::hlc::Hlc;
use crate::v1::{ProfileState, SharedProfile, Stamp};

/// Every field of `SharedProfile`, by its proto name.
pub const SHARED_FIELDS: [&str; 10] = [
    "display_name",
    "home_region",
    "profession",
    "sectors",
    "skills",
    "languages",
    "education_level",
    "experience_years",
    "available_hours_per_week",
    "share_across_regions",
];

/// A stamp for `hlc` in `region`.
pub fn stamp(hlc: Hlc, region: &str) -> Stamp {
    Stamp {
        hlc: hlc.as_u64(),
        region: region.to_owned(),
    }
}

/// Stamps order by clock, then by region.
pub fn compare_stamps(a: &Stamp, b: &Stamp) -> Ordering {
    a.hlc.cmp(&b.hlc).then_with(|| a.region.cmp(&b.region))
}

/// Copies one field's value.
pub fn copy_field(from: &SharedProfile, to: &mut SharedProfile, field: &str) {
    match field {
        "display_name" => to.display_name = from.display_name.clone(),
        "home_region" => to.home_region = from.home_region.clone(),
        "profession" => to.profession = from.profession.clone(),
        "sectors" => to.sectors = from.sectors.clone(),
        "skills" => to.skills = from.skills.clone(),
        "languages" => to.languages = from.languages.clone(),
        "education_level" => to.education_level = from.education_level,
        "experience_years" => to.experience_years = from.experience_years,
        "available_hours_per_week" => to.available_hours_per_week = from.available_hours_per_week,
        "share_across_regions" => to.share_across_regions = from.share_across_regions,
        _ => {}
    }
}

/// The encoded value of one field, the last tie-break between equal stamps.
fn field_bytes(profile: &SharedProfile, field: &str) -> Vec<u8> {
    let mut only = SharedProfile::default();
    copy_field(profile, &mut only, field);
    only.encode_to_vec()
}

/// Merges two states of the same member.
pub fn merge(a: &ProfileState, b: &ProfileState) -> ProfileState {
    let erased = match (&a.erased, &b.erased) {
        (Some(x), Some(y)) => Some(if compare_stamps(x, y).is_ge() { x } else { y }.clone()),
        (Some(x), None) | (None, Some(x)) => Some(x.clone()),
        (None, None) => None,
    };
    if erased.is_some() {
        return ProfileState {
            member_id: a.member_id.clone(),
            profile: None,
            stamps: Default::default(),
            erased,
            ..Default::default()
        };
    }
    let empty = SharedProfile::default();
    let (a_profile, b_profile) = (
        a.profile.as_ref().unwrap_or(&empty),
        b.profile.as_ref().unwrap_or(&empty),
    );
    let mut merged = ProfileState {
        member_id: a.member_id.clone(),
        profile: Some(SharedProfile::default()),
        stamps: Default::default(),
        erased: None,
        ..Default::default()
    };
    let profile = merged.profile.get_or_insert_with(Default::default);
    for field in SHARED_FIELDS {
        let winner = match (a.stamps.get(field), b.stamps.get(field)) {
            (Some(x), Some(y)) => {
                let order = compare_stamps(x, y).then_with(|| {
                    field_bytes(a_profile, field).cmp(&field_bytes(b_profile, field))
                });
                Some(if order.is_ge() {
                    (x, a_profile)
                } else {
                    (y, b_profile)
                })
            }
            (Some(x), None) => Some((x, a_profile)),
            (None, Some(y)) => Some((y, b_profile)),
            (None, None) => None,
        };
        if let Some((winning_stamp, source)) = winner {
            copy_field(source, profile, field);
            merged
                .stamps
                .insert(field.to_owned(), winning_stamp.clone());
        }
    }
    merged
}

/// Whether the state shows a profile the member agreed to share (not erased, not
/// withdrawn).
pub fn is_shared(state: &ProfileState) -> bool {
    state.erased.is_none()
        && state
            .profile
            .as_ref()
            .is_some_and(|profile| profile.share_across_regions)
}
