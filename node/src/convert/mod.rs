//! Conversions between wire messages (`passage.v1`) and database rows. Parsing a
//! request into a row is also where it is validated: a row built here is valid.

pub mod buddies;
pub mod casework;
pub mod coaching;
pub mod enums;
pub mod events;
pub mod groups;
pub mod helpdesk;
pub mod market;
pub mod masked;
pub mod member;
pub mod notifications;
pub mod placements;
pub mod review;

use chrono::{DateTime, Utc};
use prost_types::{FieldMask, Timestamp};

pub use crate::store::strings_from_json;

use crate::error::{Error, Refusal, Result};

/// A database time as a protobuf `Timestamp`.
pub fn timestamp(time: DateTime<Utc>) -> Timestamp {
    Timestamp {
        seconds: time.timestamp(),
        nanos: time.timestamp_subsec_nanos() as i32,
    }
}

/// A time the request must carry, as a database time; `field` names it.
pub fn required_time(field: &str, value: Option<&Timestamp>) -> Result<DateTime<Utc>> {
    let value = value.ok_or_else(|| Error::missing(field, "must be set"))?;
    u32::try_from(value.nanos)
        .ok()
        .and_then(|nanos| DateTime::from_timestamp(value.seconds, nanos))
        .filter(|time| (2000..=2200).contains(&chrono::Datelike::year(time)))
        .ok_or_else(|| {
            // The year when the seconds make one, for the page to quote.
            let year = DateTime::from_timestamp(value.seconds, 0).map_or_else(
                || format!("{}s", value.seconds),
                |time| chrono::Datelike::year(&time).to_string(),
            );
            Error::refused(
                field,
                format!(
                    "{}s {}ns is not a time between the years 2000 and 2200",
                    value.seconds, value.nanos
                ),
                Refusal::of(
                    passage_proto::v1::RefusalKind::OutOfRange,
                    &year,
                    ["2000".to_owned(), "2200".to_owned()],
                ),
            )
        })
}

/// A time as a refusal quotes it: to the minute, in UTC.
pub fn minute_text(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// JSON array of strings, as stored.
pub fn json_strings(values: &[String]) -> serde_json::Value {
    serde_json::Value::from(values.to_vec())
}

/// The paths of an update mask, which must name at least one field; `*` names all.
pub fn mask_paths(mask: Option<&FieldMask>) -> Result<Vec<String>> {
    let paths: Vec<String> = mask.map(|m| m.paths.clone()).unwrap_or_default();
    if paths.is_empty() {
        return Err(Error::invalid(
            "update_mask",
            "must name the fields to change (use \"*\" for all)",
        ));
    }
    Ok(paths)
}

/// Error for a mask path the resource does not have or that cannot be changed.
pub fn unknown_path(path: &str, allowed: &[&str]) -> Error {
    Error::invalid(
        "update_mask",
        format!(
            "{} is not a field that can be updated; use one of {}",
            crate::validate::quoted(path),
            allowed.join(", ")
        ),
    )
}
