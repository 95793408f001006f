//! The demo's community plans, saved as CSV: `src/demo/sheets/groups.csv` and
//! `events.csv`, one row per group or event with a `region` column, read into the
//! rows `community` makes them from. Groups are made in the console (the import
//! has no kind for them), and the four events of today are planned in days from
//! today, so these two stay the demo's own format rather than the import's.
//!
//! A header row of plain column names in any order, one record per row. Inside
//! a cell, lists are separated by `;` (`nl; ar`), choices are the lowercase names
//! the API stores (`opportunity_fair`; an empty cell leaves one unset), and numbers
//! are whole. Bad input is reported with the file, the line and the column.

use std::fmt;

use passage_proto::v1::{EventKind, GroupKind};
use serde::de::value::StrDeserializer;
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};

/// Bad input in a sheet: the file, the line (1 is the header row) and the column
/// where it is, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetError {
    pub file: String,
    pub line: Option<u64>,
    pub column: Option<String>,
    pub message: String,
}

impl SheetError {
    pub fn new(file: &str, line: u64, column: &str, message: impl Into<String>) -> Self {
        Self {
            file: file.to_owned(),
            line: Some(line),
            column: Some(column.to_owned()),
            message: message.into(),
        }
    }
}

impl fmt::Display for SheetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
        }
        if let Some(column) = &self.column {
            write!(f, ", column {column}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for SheetError {}

/// A kind of record a sheet holds: the columns its header row must name.
pub trait SheetRow: DeserializeOwned {
    const COLUMNS: &'static [&'static str];
}

/// The rows of `text`, the CSV file called `file` in messages, each with the line
/// it starts on.
pub fn read<T: SheetRow>(file: &str, text: &str) -> Result<Vec<(u64, T)>, SheetError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::Headers)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|error| from_csv(file, error))?
        .clone();
    for column in T::COLUMNS {
        if !headers.iter().any(|header| header == *column) {
            return Err(SheetError::new(
                file,
                1,
                column,
                "missing: the header row has no such column",
            ));
        }
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|error| from_csv(file, error))?;
        let line = record.position().map_or(0, csv::Position::line);
        let row = T::deserialize(RowDeserializer {
            cells: headers.iter().zip(record.iter()),
            current: None,
        })
        .map_err(|error| SheetError {
            file: file.to_owned(),
            line: Some(line),
            column: error.column,
            message: error.message,
        })?;
        rows.push((line, row));
    }
    Ok(rows)
}

/// The rows of one of the demo's files (`src/demo/sheets/<file>`) that belong to
/// `region`, in file order, each with its line.
pub fn rows_of<T: SheetRow>(
    file: &str,
    text: &str,
    region: &str,
    region_of: impl Fn(&T) -> &str,
) -> Result<Vec<(u64, T)>, SheetError> {
    Ok(read::<T>(&format!("src/demo/sheets/{file}"), text)?
        .into_iter()
        .filter(|(_, row)| region_of(row) == region)
        .collect())
}

/// A CSV reader's error (not UTF-8, a row of the wrong length) as a sheet error.
fn from_csv(file: &str, error: csv::Error) -> SheetError {
    SheetError {
        file: file.to_owned(),
        line: error.position().map(csv::Position::line),
        column: None,
        message: error.to_string(),
    }
}

/// What is wrong with a row, and in which column when it is one cell.
#[derive(Debug)]
struct CellError {
    column: Option<String>,
    message: String,
}

impl fmt::Display for CellError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CellError {}

impl serde::de::Error for CellError {
    fn custom<T: fmt::Display>(message: T) -> Self {
        Self {
            column: None,
            message: message.to_string(),
        }
    }

    fn missing_field(field: &'static str) -> Self {
        Self {
            column: Some(field.to_owned()),
            message: "missing: the header row has no such column".to_owned(),
        }
    }
}

/// One row as a map from column name to cell, for a row type's `Deserialize`; an
/// error in a cell's value is tagged with the column it is in.
struct RowDeserializer<'a, I: Iterator<Item = (&'a str, &'a str)>> {
    cells: I,
    current: Option<(&'a str, &'a str)>,
}

impl<'de, 'a, I: Iterator<Item = (&'a str, &'a str)>> serde::Deserializer<'de>
    for RowDeserializer<'a, I>
{
    type Error = CellError;

    fn deserialize_any<V: serde::de::Visitor<'de>>(
        self,
        visitor: V,
    ) -> Result<V::Value, CellError> {
        visitor.visit_map(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
        byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map
        struct enum identifier ignored_any
    }
}

impl<'de, 'a, I: Iterator<Item = (&'a str, &'a str)>> serde::de::MapAccess<'de>
    for RowDeserializer<'a, I>
{
    type Error = CellError;

    fn next_key_seed<K: serde::de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, CellError> {
        self.current = self.cells.next();
        match self.current {
            Some((column, _)) => seed
                .deserialize(StrDeserializer::<CellError>::new(column))
                .map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: serde::de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, CellError> {
        let (column, cell) = self.current.take().unwrap_or_default();
        seed.deserialize(StrDeserializer::<CellError>::new(cell))
            .map_err(|error| CellError {
                column: error.column.or_else(|| Some(column.to_owned())),
                message: error.message,
            })
    }
}

// ---------------------------------------------------------------------------------
// Cells

/// A choice cell: an API enum, written as its lowercase value name without the
/// type's prefix (`MEMBER_ROLE_VOLUNTEER_COACH` → `volunteer_coach`).
pub trait Choice: Sized + Copy + Default {
    /// The value names' prefix, such as `MEMBER_ROLE_`.
    const PREFIX: &'static str;
    /// What a value is, in messages ("role").
    const WHAT: &'static str;
    fn from_number(number: i32) -> Option<Self>;
    fn from_full_name(name: &str) -> Option<Self>;
    fn full_name(self) -> &'static str;
}

macro_rules! choices {
    ($($type:ty => $prefix:literal, $what:literal;)*) => {$(
        impl Choice for $type {
            const PREFIX: &'static str = $prefix;
            const WHAT: &'static str = $what;
            fn from_number(number: i32) -> Option<Self> {
                Self::try_from(number).ok()
            }
            fn from_full_name(name: &str) -> Option<Self> {
                Self::from_str_name(name)
            }
            fn full_name(self) -> &'static str {
                self.as_str_name()
            }
        }
    )*};
}

choices! {
    GroupKind => "GROUP_KIND_", "kind of group";
    EventKind => "EVENT_KIND_", "kind of event";
}

/// The name a choice is written as in a sheet; empty for the unset value.
pub fn choice_name<E: Choice>(value: E) -> String {
    let full = value.full_name();
    match full.strip_prefix(E::PREFIX) {
        Some("UNSPECIFIED") => String::new(),
        Some(name) => name.to_ascii_lowercase(),
        None => full.to_ascii_lowercase(),
    }
}

/// The value `cell` names; empty leaves it unset.
pub fn parse_choice<E: Choice>(cell: &str) -> Result<E, String> {
    let cell = cell.trim();
    if cell.is_empty() {
        return Ok(E::default());
    }
    let lower = cell.to_ascii_lowercase();
    let known = (1..64)
        .filter_map(E::from_number)
        .map(choice_name)
        .collect::<Vec<_>>();
    let named = (lower != "unspecified" && known.contains(&lower))
        .then(|| E::from_full_name(&format!("{}{}", E::PREFIX, lower.to_uppercase())))
        .flatten();
    if let Some(value) = named {
        return Ok(value);
    }
    Err(format!(
        "`{cell}` is not a {}: one of {}",
        E::WHAT,
        known.join(", ")
    ))
}

pub fn choice<'de, D: Deserializer<'de>, E: Choice>(deserializer: D) -> Result<E, D::Error> {
    let cell = String::deserialize(deserializer)?;
    parse_choice(&cell).map_err(D::Error::custom)
}

/// `a; b; c`: the items, trimmed, without empty ones.
pub fn parse_list(cell: &str) -> Vec<String> {
    cell.split(';')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

pub fn list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    Ok(parse_list(&String::deserialize(deserializer)?))
}

/// A whole number; empty is 0.
pub fn number<'de, D: Deserializer<'de>, N: std::str::FromStr + Default>(
    deserializer: D,
) -> Result<N, D::Error> {
    let cell = String::deserialize(deserializer)?;
    let cell = cell.trim();
    if cell.is_empty() {
        return Ok(N::default());
    }
    cell.parse()
        .map_err(|_| D::Error::custom(format!("`{cell}` is not a whole number")))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// A row as the demo's events file has them, in short.
    #[derive(Debug, Deserialize)]
    struct EventLine {
        region: String,
        #[serde(deserialize_with = "choice")]
        kind: EventKind,
        title: String,
        #[serde(deserialize_with = "number")]
        capacity: i32,
        #[serde(deserialize_with = "list")]
        languages: Vec<String>,
    }

    impl SheetRow for EventLine {
        const COLUMNS: &'static [&'static str] =
            &["region", "kind", "title", "capacity", "languages"];
    }

    const HEADER: &str = "region,kind,title,capacity,languages";

    #[test]
    fn a_good_row_reads_into_its_fields() {
        let text = format!("{HEADER}\namsterdam,training,Solliciteren,6,nl; ar ;en\n");
        let rows = read::<EventLine>("events.csv", &text).unwrap();
        assert_eq!(rows.len(), 1);
        let (line, row) = rows.into_iter().next().unwrap();
        assert_eq!(line, 2);
        assert_eq!(row.region, "amsterdam");
        assert_eq!(row.kind, EventKind::Training);
        assert_eq!(row.title, "Solliciteren");
        assert_eq!(row.capacity, 6);
        assert_eq!(row.languages, ["nl", "ar", "en"]);
    }

    #[test]
    fn a_bad_choice_names_the_file_line_and_column() {
        let text = format!("{HEADER}\namsterdam,training,A,6,nl\namsterdam,trainnig,B,6,nl\n");
        let error = read::<EventLine>("events.csv", &text).unwrap_err();
        assert_eq!(error.file, "events.csv");
        assert_eq!(error.line, Some(3));
        assert_eq!(error.column.as_deref(), Some("kind"));
        assert!(
            error.message.contains("`trainnig` is not a kind of event")
                && error.message.contains("training"),
            "{error}"
        );
        assert!(
            error
                .to_string()
                .starts_with("events.csv, line 3, column kind: `trainnig`"),
            "{error}"
        );
    }

    #[test]
    fn a_missing_column_is_named() {
        let text = "region,kind,title,languages\namsterdam,training,A,nl\n";
        let error = read::<EventLine>("events.csv", text).unwrap_err();
        assert_eq!(
            error,
            SheetError::new(
                "events.csv",
                1,
                "capacity",
                "missing: the header row has no such column"
            )
        );
    }

    #[test]
    fn columns_may_come_in_any_order_and_extra_ones_are_left() {
        let text = "notes,languages,capacity,title,kind,region\n\
                    call back,en,12,A,opportunity_fair,amsterdam\n";
        let rows = read::<EventLine>("events.csv", text).unwrap();
        assert_eq!(rows[0].1.kind, EventKind::OpportunityFair);
        assert_eq!(rows[0].1.capacity, 12);
    }

    #[test]
    fn bad_cells_say_what_they_should_be() {
        let text = format!("{HEADER}\nx,,A,,\n");
        let rows = read::<EventLine>("e.csv", &text).unwrap();
        assert_eq!(rows[0].1.kind, EventKind::Unspecified);
        assert_eq!(rows[0].1.capacity, 0, "an empty number is 0");
        let text = format!("{HEADER}\nx,training,A,six,nl\n");
        let error = read::<EventLine>("e.csv", &text).unwrap_err();
        assert_eq!(error.column.as_deref(), Some("capacity"));
        assert!(
            error.message.contains("`six` is not a whole number"),
            "{error}"
        );
        assert_eq!(choice_name(GroupKind::Coffee), "coffee");
        assert_eq!(choice_name(EventKind::Unspecified), "");
        assert_eq!(
            parse_choice::<EventKind>("information_session"),
            Ok(EventKind::InformationSession)
        );
        assert!(parse_choice::<EventKind>("unspecified").is_err());
    }
}
