//! Groups, memberships and meetings ↔ rows. A group or meeting row is built only
//! from a validated wire message; the node sets ids and times.

use chrono::{DateTime, Utc};
use passage_proto::v1;
use uuid::Uuid;

use super::enums::{self, from_stored, stored};
use super::{json_strings, required_time, strings_from_json, timestamp};
use crate::error::{Error, Result};
use crate::store::entity::{community_group, group_meeting, group_membership};
use crate::validate;

pub fn group_to_wire(row: &community_group::Model, member_count: i64) -> v1::Group {
    v1::Group {
        id: row.id.to_string(),
        kind: from_stored::<v1::GroupKind>(&row.kind) as i32,
        name: row.name.clone(),
        description: row.description.clone(),
        sector: row.sector.clone(),
        languages: strings_from_json(&row.languages),
        meeting_place: row.meeting_place.clone(),
        member_count: i32::try_from(member_count).unwrap_or(i32::MAX),
        create_time: Some(timestamp(row.created_at)),
    }
}

/// Validates a wire group (fields named under `prefix`) into its row: an expert
/// group needs its sector, every group at least one language.
pub fn group_to_row(
    wire: &v1::Group,
    prefix: &str,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<community_group::Model> {
    let f = |name: &str| format!("{prefix}.{name}");
    let kind = enums::parse::<v1::GroupKind>(&f("kind"), wire.kind, true)?;
    let sector = match (kind, wire.sector.trim()) {
        (v1::GroupKind::Expert, "") => {
            return Err(Error::missing(
                f("sector"),
                "an expert group is for one sector: name it (a slug such as \"it\")",
            ));
        }
        (_, "") => String::new(),
        (_, sector) => validate::slug(&f("sector"), sector)?,
    };
    let languages = validate::list(&f("languages"), &wire.languages, 10, validate::language)?;
    if languages.is_empty() {
        return Err(Error::missing(
            f("languages"),
            "must name at least one language the group meets in",
        ));
    }
    Ok(community_group::Model {
        id,
        kind: stored(kind),
        name: validate::required_text(&f("name"), &wire.name, 200)?,
        description: validate::optional_text(&f("description"), &wire.description, 2000)?,
        sector,
        languages: json_strings(&languages),
        meeting_place: validate::optional_text(&f("meeting_place"), &wire.meeting_place, 200)?,
        created_at: now,
    })
}

pub fn membership_to_wire(row: &group_membership::Model) -> v1::GroupMember {
    v1::GroupMember {
        id: row.id.to_string(),
        group_id: row.group_id.to_string(),
        member_id: row.member_id.to_string(),
        join_time: Some(timestamp(row.joined_at)),
    }
}

pub fn meeting_to_wire(row: &group_meeting::Model, attendee_count: i64) -> v1::GroupMeeting {
    v1::GroupMeeting {
        id: row.id.to_string(),
        group_id: row.group_id.to_string(),
        start_time: Some(timestamp(row.starts_at)),
        place: row.place.clone(),
        topic: row.topic.clone(),
        attendee_count: i32::try_from(attendee_count).unwrap_or(i32::MAX),
        create_time: Some(timestamp(row.created_at)),
    }
}

/// Validates a wire meeting (fields named under `prefix`) of `group` into its row;
/// an empty place is the group's meeting place, and one of the two is required.
pub fn meeting_to_row(
    wire: &v1::GroupMeeting,
    prefix: &str,
    group: &community_group::Model,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<group_meeting::Model> {
    let f = |name: &str| format!("{prefix}.{name}");
    let place = match validate::optional_text(&f("place"), &wire.place, 200)? {
        place if !place.is_empty() => place,
        _ if !group.meeting_place.is_empty() => group.meeting_place.clone(),
        _ => {
            return Err(Error::missing(
                f("place"),
                format!(
                    "must say where the group meets: {:?} has no usual meeting place",
                    group.name
                ),
            ));
        }
    };
    Ok(group_meeting::Model {
        id,
        group_id: group.id,
        starts_at: required_time(&f("start_time"), wire.start_time.as_ref())?,
        place,
        topic: validate::optional_text(&f("topic"), &wire.topic, 500)?,
        created_at: now,
    })
}
