//! A person's own data as they read it in their export (GDPR art. 15 and 20): the
//! shared profile's state, which node and gateway keep encoded, as plain fields.

use passage_proto::v1::{ProfileState, SharedProfile};
use serde_json::{Value, json};

/// A shared profile's fields.
pub fn profile_json(profile: &SharedProfile) -> Value {
    json!({
        "display_name": profile.display_name,
        "home_region": profile.home_region,
        "profession": profile.profession,
        "sectors": profile.sectors,
        "skills": profile.skills,
        "languages": profile.languages,
        "education_level": passage_proto::v1::EducationLevel::try_from(profile.education_level)
            .map(|level| level.as_str_name())
            .unwrap_or("EDUCATION_LEVEL_UNSPECIFIED"),
        "experience_years": profile.experience_years,
        "available_hours_per_week": profile.available_hours_per_week,
        "share_across_regions": profile.share_across_regions,
    })
}

/// A profile state: the profile's fields (only those it carries), when each was
/// written and where, and whether it is an erasure.
pub fn profile_state_json(state: &ProfileState) -> Value {
    let written: serde_json::Map<String, Value> = state
        .stamps
        .iter()
        .map(|(field, stamp)| {
            (
                field.clone(),
                json!({ "region": stamp.region, "hlc": stamp.hlc }),
            )
        })
        .collect();
    json!({
        "member_id": state.member_id,
        "profile": state.profile.as_ref().map(profile_json),
        "fields_written": written,
        "erased": state.erased.is_some(),
        "for_one_region": state.deliver_only_to,
        "listing_only": state.listing,
    })
}

/// Replaces a database row's encoded `state` column (bytes, as the row was read
/// into JSON: a list of numbers) with the profile state it holds, as fields.
pub fn read_state_column(row: &mut Value) {
    use prost::Message;
    let Some(object) = row.as_object_mut() else {
        return;
    };
    let bytes: Option<Vec<u8>> = match object.get("state") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_u64().and_then(|b| u8::try_from(b).ok()))
            .collect(),
        _ => None,
    };
    if let Some(state) = bytes.and_then(|bytes| ProfileState::decode(bytes.as_slice()).ok()) {
        object.insert("state".into(), profile_state_json(&state));
    }
}
