//! Field checks shared by every request. Each names the field it rejects with its
//! path in the request (`member.profile.display_name`), so a client can point at it.

use chrono::NaiveDate;
use uuid::Uuid;

use crate::error::{Error, Result};

/// A required, trimmed text of 1 to `max` characters.
pub fn required_text(field: &str, value: &str, max: usize) -> Result<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    optional_text(field, trimmed, max)
}

/// An optional, trimmed text of at most `max` characters.
pub fn optional_text(field: &str, value: &str, max: usize) -> Result<String> {
    let trimmed = value.trim();
    let length = trimmed.chars().count();
    if length > max {
        return Err(Error::invalid(
            field,
            format!("must be at most {max} characters, got {length}"),
        ));
    }
    if trimmed.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Error::invalid(field, "must not contain control characters"));
    }
    Ok(trimmed.to_owned())
}

/// A lowercase slug such as a sector (`healthcare`, `it-and-data`).
pub fn slug(field: &str, value: &str) -> Result<String> {
    let value = value.trim();
    let ok = !value.is_empty()
        && value.len() <= 60
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !ok {
        return Err(Error::invalid(
            field,
            format!("{value:?} is not a slug (lowercase letters, digits and '-', at most 60)"),
        ));
    }
    Ok(value.to_owned())
}

/// A list of at most `max_items` entries, each checked by `item`, without duplicates.
pub fn list(
    field: &str,
    values: &[String],
    max_items: usize,
    item: impl Fn(&str, &str) -> Result<String>,
) -> Result<Vec<String>> {
    if values.len() > max_items {
        return Err(Error::invalid(
            field,
            format!("at most {max_items} entries, got {}", values.len()),
        ));
    }
    let mut checked: Vec<String> = Vec::with_capacity(values.len());
    for (index, value) in values.iter().enumerate() {
        let value = item(&format!("{field}[{index}]"), value)?;
        if !checked.contains(&value) {
            checked.push(value);
        }
    }
    Ok(checked)
}

/// An ISO 639-1 (or 639-3 where there is no two-letter code) language code.
pub fn language(field: &str, value: &str) -> Result<String> {
    let value = value.trim();
    let ok = (2..=3).contains(&value.len()) && value.chars().all(|c| c.is_ascii_lowercase());
    if !ok {
        return Err(Error::invalid(
            field,
            format!("{value:?} is not an ISO 639-1 language code such as \"nl\" or \"ar\""),
        ));
    }
    Ok(value.to_owned())
}

/// A whole number within `range`.
pub fn in_range(field: &str, value: i32, range: std::ops::RangeInclusive<i32>) -> Result<i32> {
    if !range.contains(&value) {
        return Err(Error::invalid(
            field,
            format!(
                "must be between {} and {}, got {value}",
                range.start(),
                range.end()
            ),
        ));
    }
    Ok(value)
}

/// An optional `YYYY-MM-DD` date.
pub fn optional_date(field: &str, value: &str) -> Result<Option<NaiveDate>> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| {
            Error::invalid(
                field,
                format!("{value:?} is not a date of the form YYYY-MM-DD"),
            )
        })
}

/// A UUID the caller must send.
pub fn id(field: &str, value: &str) -> Result<Uuid> {
    if value.trim().is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    Uuid::try_parse(value.trim())
        .map_err(|_| Error::invalid(field, format!("{value:?} is not a UUID")))
}

/// An optional web address.
pub fn optional_url(field: &str, value: &str) -> Result<String> {
    let value = optional_text(field, value, 300)?;
    let has_scheme = value.starts_with("https://") || value.starts_with("http://");
    if !value.is_empty() && !has_scheme {
        return Err(Error::invalid(field, "must start with https:// or http://"));
    }
    Ok(value)
}
