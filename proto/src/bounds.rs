//! How large the federation's messages may be, so that one bad change cannot stop
//! sync: a batch of changes (either way) is bounded by bytes as well as by count,
//! under the size a `Sync` stream decodes; and one change — a member's shared
//! profile with its stamps — is bounded as a whole and field by field, at least as
//! generously as a home node's own validation, so that an honest node's change is
//! never refused and a rogue one's is refused by name while the stream goes on.

use crate::merge::SHARED_FIELDS;
use crate::v1::ProfileState;

/// The most bytes of changes one batch carries (node → gateway, and log or snapshot
/// pages gateway → node); a batch holds at least one change, whatever its size.
pub const SYNC_BATCH_BYTES: usize = 1 << 20;

/// The largest `Sync` message either side decodes: a full batch and one change of
/// the largest allowed size, with room to spare.
pub const SYNC_MESSAGE_BYTES: usize = 8 << 20;

/// The largest encoded change (one member's shared state) the federation carries.
pub const MAX_CHANGE_BYTES: usize = 64 << 10;

/// Longest text fields of a shared profile, in characters (a home node allows 120
/// for names and professions).
const MAX_NAME_CHARS: usize = 200;
/// Longest region slug.
const MAX_SLUG_CHARS: usize = 63;
/// Most entries of a list field, and the longest entry (a home node allows 50
/// skills of 60 characters).
const MAX_LIST_ITEMS: usize = 64;
const MAX_ITEM_CHARS: usize = 100;

/// Why `change` may not travel, naming the field; `None` when it may.
pub fn oversized(change: &ProfileState, encoded_len: usize) -> Option<String> {
    if encoded_len > MAX_CHANGE_BYTES {
        return Some(format!(
            "change: {encoded_len} bytes, at most {MAX_CHANGE_BYTES}"
        ));
    }
    let text = |field: &str, value: &str, max: usize| {
        let chars = value.chars().count();
        (chars > max).then(|| format!("profile.{field}: {chars} characters, at most {max}"))
    };
    let list = |field: &str, values: &[String]| {
        if values.len() > MAX_LIST_ITEMS {
            return Some(format!(
                "profile.{field}: {} entries, at most {MAX_LIST_ITEMS}",
                values.len()
            ));
        }
        values
            .iter()
            .enumerate()
            .find_map(|(index, value)| text(&format!("{field}[{index}]"), value, MAX_ITEM_CHARS))
    };
    if change.member_id.len() > 36 {
        return Some(format!(
            "member_id: {} bytes, a UUID has 36",
            change.member_id.len()
        ));
    }
    if let Some(profile) = &change.profile {
        let problem = text("display_name", &profile.display_name, MAX_NAME_CHARS)
            .or_else(|| text("profession", &profile.profession, MAX_NAME_CHARS))
            .or_else(|| text("home_region", &profile.home_region, MAX_SLUG_CHARS))
            .or_else(|| list("sectors", &profile.sectors))
            .or_else(|| list("skills", &profile.skills))
            .or_else(|| list("languages", &profile.languages));
        if problem.is_some() {
            return problem;
        }
    }
    if let Some(field) = change
        .stamps
        .keys()
        .find(|field| !SHARED_FIELDS.contains(&field.as_str()))
    {
        let field: String = field.chars().take(MAX_ITEM_CHARS).collect();
        return Some(format!("stamps: {field:?} is not a shared field"));
    }
    let regions = change.stamps.values().chain(change.erased.iter());
    regions
        .map(|stamp| &stamp.region)
        .find(|region| region.chars().count() > MAX_SLUG_CHARS)
        .map(|region| {
            format!(
                "stamps: a stamp's region has {} characters, at most {MAX_SLUG_CHARS}",
                region.chars().count()
            )
        })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use prost::Message;

    use super::*;
    use crate::v1::{SharedProfile, Stamp};

    fn change(profile: SharedProfile) -> ProfileState {
        let mut state = ProfileState {
            member_id: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b".into(),
            profile: Some(profile),
            ..Default::default()
        };
        state.stamps.insert(
            "display_name".into(),
            Stamp {
                hlc: 1,
                region: "miami".into(),
            },
        );
        state
    }

    #[test]
    fn the_largest_profile_a_home_node_accepts_travels() {
        let largest = change(SharedProfile {
            display_name: "ل".repeat(120),
            profession: "é".repeat(120),
            home_region: "washington-dc".into(),
            sectors: vec!["s".repeat(63); 20],
            skills: vec!["ж".repeat(60); 50],
            languages: vec!["zh-Hant-TW".into(); 20],
            ..Default::default()
        });
        assert_eq!(oversized(&largest, largest.encoded_len()), None);
        assert!(largest.encoded_len() < MAX_CHANGE_BYTES);
    }

    #[test]
    fn an_oversized_change_is_refused_naming_what_is_too_big() {
        let huge = change(SharedProfile {
            display_name: "x".repeat(4 << 20),
            ..Default::default()
        });
        let why = oversized(&huge, huge.encoded_len()).unwrap();
        assert!(why.starts_with("change: "), "{why}");
        let long_name = change(SharedProfile {
            display_name: "x".repeat(500),
            ..Default::default()
        });
        let why = oversized(&long_name, long_name.encoded_len()).unwrap();
        assert!(
            why.starts_with("profile.display_name: 500 characters"),
            "{why}"
        );
        let many = change(SharedProfile {
            skills: vec!["welding".into(); 65],
            ..Default::default()
        });
        let why = oversized(&many, many.encoded_len()).unwrap();
        assert!(why.starts_with("profile.skills: 65 entries"), "{why}");
        let mut odd = change(SharedProfile::default());
        odd.stamps
            .insert("residence_status".into(), Stamp::default());
        let why = oversized(&odd, odd.encoded_len()).unwrap();
        assert!(
            why.contains("\"residence_status\" is not a shared field"),
            "{why}"
        );
    }
}
