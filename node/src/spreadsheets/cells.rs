//! One line of an imported file, read cell by cell into the values of the API's
//! fields: lists separated by `|` (`ar|en`), yes/no, whole numbers, enums by
//! their lower-case names (`newcomer`) and dates (`YYYY-MM-DD`). A cell that
//! cannot be read is refused naming its column; an absent column reads as empty.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};

use crate::convert::enums::WireEnum;
use passage_proto::v1::RefusalKind;

use crate::error::{Error, Refusal, Result};
use crate::validate;

/// The columns of a file, by name.
#[derive(Debug)]
pub struct Columns(HashMap<String, usize>);

impl Columns {
    /// Checks the header against the columns a kind of file may have and must
    /// have; refuses an unknown, repeated or missing column by name.
    pub fn check(header: &[String], known: &[&str], required: &[&str], kind: &str) -> Result<Self> {
        let mut by_name = HashMap::new();
        for (index, name) in header.iter().enumerate() {
            if !known.contains(&name.as_str()) {
                return Err(Error::refused(
                    name.clone(),
                    format!(
                        "column {} is not a column of a {kind} file; the columns are {}",
                        index + 1,
                        known.join(", ")
                    ),
                    Refusal::of(
                        RefusalKind::UnknownColumn,
                        name,
                        known.iter().map(|column| column.to_string()),
                    ),
                ));
            }
            if by_name.insert(name.clone(), index).is_some() {
                return Err(Error::refused(
                    name.clone(),
                    format!("column {} is named twice in the header", index + 1),
                    Refusal::of(RefusalKind::ColumnNamedTwice, name, []),
                ));
            }
        }
        for name in required {
            if !by_name.contains_key(*name) {
                return Err(missing_column(kind, name));
            }
        }
        Ok(Columns(by_name))
    }

    /// Whether the file has this column.
    pub fn has(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }
}

/// The header lacks column `name`, which a `kind` file needs.
pub fn missing_column(kind: &str, name: &str) -> Error {
    Error::refused(
        name,
        format!("a {kind} file needs the column {name}"),
        Refusal::of(RefusalKind::MissingColumn, name, []),
    )
}

/// One data line and the columns it is read by.
#[derive(Debug, Clone, Copy)]
pub struct Line<'a> {
    pub columns: &'a Columns,
    pub cells: &'a [String],
}

impl<'a> Line<'a> {
    /// The cell of column `name`, trimmed; empty when the file has no such column
    /// or the line ends before it.
    pub fn text(&self, name: &str) -> &'a str {
        self.columns
            .0
            .get(name)
            .and_then(|&index| self.cells.get(index))
            .map(|cell| cell.trim())
            .unwrap_or_default()
    }

    /// A list cell: items separated by `|`, each trimmed, empty items dropped.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.text(name)
            .split('|')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// A yes/no cell: `true`, `yes`, `ja`, `1` or `false`, `no`, `nee`, `0`, or empty (no).
    pub fn yes_no(&self, name: &str) -> Result<bool> {
        match self.text(name).to_lowercase().as_str() {
            "true" | "yes" | "y" | "ja" | "1" => Ok(true),
            "" | "false" | "no" | "n" | "nee" | "0" => Ok(false),
            other => Err(Error::refused(
                name,
                format!(
                    "{} is not yes or no (true/false, yes/no, 1/0)",
                    validate::quoted(other)
                ),
                Refusal::of(RefusalKind::NotYesOrNo, other, []),
            )),
        }
    }

    /// A whole number; empty is 0.
    pub fn number<N: std::str::FromStr + Default>(&self, name: &str) -> Result<N> {
        let text = self.text(name);
        if text.is_empty() {
            return Ok(N::default());
        }
        text.parse().map_err(|_| {
            Error::refused(
                name,
                format!("{} is not a whole number", validate::quoted(text)),
                Refusal::of(RefusalKind::NotANumber, text, []),
            )
        })
    }

    /// An enum by its lower-case name (`newcomer`, `status_holder`) or its full wire
    /// name; empty is unspecified (0), which the row's own checks refuse where a
    /// value is required.
    pub fn enumerated<E: WireEnum + Into<i32>>(&self, name: &str) -> Result<i32> {
        let text = self.text(name);
        if text.is_empty() {
            return Ok(0);
        }
        let upper = text.to_uppercase().replace([' ', '-'], "_");
        let full = if upper.starts_with(E::PREFIX) {
            upper
        } else {
            format!("{}{upper}", E::PREFIX)
        };
        match E::from_name(&full) {
            Some(value) if value != E::default() => Ok(value.into()),
            _ => Err(Error::refused(
                name,
                format!(
                    "{} is not one of {}",
                    validate::quoted(text),
                    names::<E>().join(", ")
                ),
                Refusal::of(RefusalKind::NotOneOf, text, names::<E>()),
            )),
        }
    }

    /// A date `YYYY-MM-DD`; empty is none.
    pub fn date(&self, name: &str) -> Result<Option<NaiveDate>> {
        validate::optional_date(name, self.text(name))
    }

    /// A moment `YYYY-MM-DD HH:MM` in UTC (or `YYYY-MM-DDTHH:MM:SSZ`); empty is
    /// none.
    pub fn date_time(&self, name: &str) -> Result<Option<DateTime<Utc>>> {
        let text = self.text(name);
        if text.is_empty() {
            return Ok(None);
        }
        let plain = text.trim_end_matches('Z').replace('T', " ");
        ["%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
            .iter()
            .find_map(|format| NaiveDateTime::parse_from_str(&plain, format).ok())
            .map(|moment| Some(Utc.from_utc_datetime(&moment)))
            .ok_or_else(|| {
                Error::refused(
                    name,
                    format!(
                        "{} is not a date and time YYYY-MM-DD HH:MM (UTC)",
                        validate::quoted(text)
                    ),
                    Refusal::of(RefusalKind::NotADate, text, []),
                )
            })
    }
}

/// The lower-case names of an enum's values, unspecified left out.
fn names<E: WireEnum>() -> Vec<String> {
    (1..64)
        .filter_map(E::from_number)
        .map(|value| {
            value
                .name()
                .strip_prefix(E::PREFIX)
                .unwrap_or(value.name())
                .to_lowercase()
        })
        .collect()
}

/// The column a refusal of the field at `path` is about: the field's own name
/// (`profile.languages[1]` → `languages`, `regional.permits[0].kind` → `permits`).
pub fn column_of(path: &str) -> String {
    let path = ["row.", "profile.", "regional."]
        .iter()
        .find_map(|prefix| path.strip_prefix(prefix))
        .unwrap_or(path);
    path.split(['.', '[']).next().unwrap_or(path).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_field_names_its_column() {
        assert_eq!(column_of("profile.languages[1]"), "languages");
        assert_eq!(column_of("regional.permits[0].kind"), "permits");
        assert_eq!(column_of("row.hours_per_week"), "hours_per_week");
        assert_eq!(column_of("joined_on"), "joined_on");
    }

    #[test]
    fn a_moment_is_read_in_utc_with_or_without_seconds() {
        let columns = Columns::check(&["starts_at".to_owned()], &["starts_at"], &[], "events")
            .expect("the header is known");
        let read = |cell: &str| {
            let cells = [cell.to_owned()];
            Line {
                columns: &columns,
                cells: &cells,
            }
            .date_time("starts_at")
        };
        let at = |text: &str| {
            read(text)
                .expect("a moment")
                .expect("not empty")
                .to_rfc3339()
        };
        assert_eq!(at("2025-06-01 14:30"), "2025-06-01T14:30:00+00:00");
        assert_eq!(at("2025-06-01T14:30:15Z"), "2025-06-01T14:30:15+00:00");
        assert!(read("").expect("empty is none").is_none());
        assert!(read("1 June 2025").is_err());
    }
}
