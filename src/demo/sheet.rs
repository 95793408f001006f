//! A chapter's spreadsheet, saved as CSV: members, organisations and opportunities,
//! one file per kind of record, read into the messages the public API takes.
//!
//! The demo's own data is written this way (`src/demo/sheets/`), and so is a
//! chapter's import: a header row of plain column names (`display_name`,
//! `profession`, `languages` …) in any order, one record per row. Inside a cell,
//! lists are separated by `;` (`Python; SQL`), choices are the lowercase names the
//! API stores (`newcomer`, `asylum_seeker`; an empty cell leaves one unset), dates
//! are `YYYY-MM-DD`, yes/no cells say `yes` or `no` (an empty cell is no), and an
//! hourly wage is written in the currency (`14.75`). Bad input is reported with the
//! file, the line and the column, so that whoever keeps the sheet can mend it.

use std::fmt;

use passage_proto::v1;
use passage_proto::v1::{
    CivicIntegration, EducationLevel, EventKind, GroupKind, MemberRole, OpportunityKind,
    OpportunityStatus, OrganisationKind, ResidenceStatus,
};
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
// Records

/// A member: their shared profile and their record in the region.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MemberRow {
    pub region: String,
    pub display_name: String,
    #[serde(deserialize_with = "choice")]
    pub role: MemberRole,
    #[serde(deserialize_with = "choice")]
    pub residence_status: ResidenceStatus,
    /// ISO 3166-1 alpha-2, such as `SY`.
    pub nationality: String,
    pub profession: String,
    #[serde(deserialize_with = "list")]
    pub sectors: Vec<String>,
    #[serde(deserialize_with = "list")]
    pub skills: Vec<String>,
    /// ISO 639-1 codes, such as `ar; nl; en`.
    #[serde(deserialize_with = "list")]
    pub languages: Vec<String>,
    #[serde(deserialize_with = "choice")]
    pub education_level: EducationLevel,
    #[serde(deserialize_with = "number")]
    pub experience_years: i32,
    #[serde(deserialize_with = "number")]
    pub available_hours_per_week: i32,
    #[serde(deserialize_with = "yes_no")]
    pub share_across_regions: bool,
    #[serde(deserialize_with = "date")]
    pub asylum_application_date: String,
    /// `kind until YYYY-MM-DD`, or the kind alone for one without an end.
    #[serde(deserialize_with = "permits")]
    pub permits: Vec<v1::Permit>,
    #[serde(deserialize_with = "choice")]
    pub civic_integration: CivicIntegration,
    #[serde(deserialize_with = "yes_no")]
    pub safe_country_national: bool,
    #[serde(deserialize_with = "yes_no")]
    pub in_reception_centre: bool,
    #[serde(deserialize_with = "number")]
    pub asylum_clock_stopped_days: i32,
    #[serde(deserialize_with = "number")]
    pub buddy_capacity: i32,
    /// Follows an education programme of which an internship is part (BPV).
    #[serde(deserialize_with = "yes_no")]
    pub in_school_programme: bool,
    /// The authorities hold the member's identity to be unclear (AufenthG §60b).
    #[serde(deserialize_with = "yes_no")]
    pub identity_unclear: bool,
}

impl SheetRow for MemberRow {
    const COLUMNS: &'static [&'static str] = &[
        "region",
        "display_name",
        "role",
        "residence_status",
        "nationality",
        "profession",
        "sectors",
        "skills",
        "languages",
        "education_level",
        "experience_years",
        "available_hours_per_week",
        "share_across_regions",
        "asylum_application_date",
        "permits",
        "civic_integration",
        "safe_country_national",
        "in_reception_centre",
        "asylum_clock_stopped_days",
        "buddy_capacity",
        "in_school_programme",
        "identity_unclear",
    ];
}

impl MemberRow {
    /// The member to create; the node assigns the id, the times and the home region.
    pub fn into_member(self) -> v1::Member {
        v1::Member {
            profile: Some(v1::SharedProfile {
                display_name: self.display_name,
                profession: self.profession,
                sectors: self.sectors,
                skills: self.skills,
                languages: self.languages,
                education_level: self.education_level as i32,
                experience_years: self.experience_years,
                available_hours_per_week: self.available_hours_per_week,
                share_across_regions: self.share_across_regions,
                ..Default::default()
            }),
            regional: Some(v1::RegionalRecord {
                role: self.role as i32,
                residence_status: self.residence_status as i32,
                asylum_application_date: self.asylum_application_date,
                permits: self.permits,
                civic_integration: self.civic_integration as i32,
                nationality: self.nationality,
                safe_country_national: self.safe_country_national,
                in_reception_centre: self.in_reception_centre,
                asylum_clock_stopped_days: self.asylum_clock_stopped_days,
                buddy_capacity: self.buddy_capacity,
                in_school_programme: self.in_school_programme,
                identity_unclear: self.identity_unclear,
            }),
            ..Default::default()
        }
    }
}

/// An organisation: an employer, an NGO, the municipality or a school.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct OrganisationRow {
    pub region: String,
    pub name: String,
    #[serde(deserialize_with = "choice")]
    pub kind: OrganisationKind,
    pub sector: String,
    pub location: String,
    pub website: String,
    /// Employees, all locations; 0 when not known.
    #[serde(deserialize_with = "number")]
    pub headcount: i32,
}

impl SheetRow for OrganisationRow {
    const COLUMNS: &'static [&'static str] = &[
        "region",
        "name",
        "kind",
        "sector",
        "location",
        "website",
        "headcount",
    ];
}

impl OrganisationRow {
    pub fn into_organisation(self) -> v1::Organisation {
        v1::Organisation {
            name: self.name,
            kind: self.kind as i32,
            sector: self.sector,
            location: self.location,
            website: self.website,
            headcount: self.headcount,
            ..Default::default()
        }
    }
}

/// An opportunity, offered by the organisation of that name in the same region,
/// and the status it is to reach (it starts as a draft).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct OpportunityRow {
    pub region: String,
    pub organisation: String,
    pub title: String,
    #[serde(deserialize_with = "choice")]
    pub kind: OpportunityKind,
    #[serde(deserialize_with = "choice")]
    pub status: OpportunityStatus,
    pub sector: String,
    #[serde(deserialize_with = "list")]
    pub skills: Vec<String>,
    #[serde(deserialize_with = "list")]
    pub languages: Vec<String>,
    #[serde(deserialize_with = "number")]
    pub hours_per_week: i32,
    #[serde(deserialize_with = "yes_no")]
    pub paid: bool,
    /// Gross, per hour, in cents of the region's currency; written `14.75`.
    #[serde(deserialize_with = "money")]
    pub hourly_wage: i64,
    #[serde(deserialize_with = "yes_no")]
    pub self_employment: bool,
    pub location: String,
    pub description: String,
}

impl SheetRow for OpportunityRow {
    const COLUMNS: &'static [&'static str] = &[
        "region",
        "organisation",
        "title",
        "kind",
        "status",
        "sector",
        "skills",
        "languages",
        "hours_per_week",
        "paid",
        "hourly_wage",
        "self_employment",
        "location",
        "description",
    ];
}

impl OpportunityRow {
    /// The opportunity to create, without its organisation's id and status.
    pub fn to_opportunity(&self) -> v1::Opportunity {
        v1::Opportunity {
            title: self.title.clone(),
            description: self.description.clone(),
            kind: self.kind as i32,
            sector: self.sector.clone(),
            skills: self.skills.clone(),
            languages: self.languages.clone(),
            hours_per_week: self.hours_per_week,
            paid: self.paid,
            location: self.location.clone(),
            self_employment: self.self_employment,
            hourly_wage_cents: self.hourly_wage,
            ..Default::default()
        }
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
    MemberRole => "MEMBER_ROLE_", "role";
    ResidenceStatus => "RESIDENCE_STATUS_", "residence status";
    CivicIntegration => "CIVIC_INTEGRATION_", "civic integration state";
    EducationLevel => "EDUCATION_LEVEL_", "education level";
    OrganisationKind => "ORGANISATION_KIND_", "kind of organisation";
    OpportunityKind => "OPPORTUNITY_KIND_", "kind of opportunity";
    OpportunityStatus => "OPPORTUNITY_STATUS_", "opportunity status";
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

/// `yes` or `no` (also `true`/`false`, `y`/`n`, `1`/`0`); empty is no.
pub fn parse_yes_no(cell: &str) -> Result<bool, String> {
    match cell.trim().to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" | "1" => Ok(true),
        "no" | "n" | "false" | "0" | "" => Ok(false),
        _ => Err(format!("`{}` is not yes or no", cell.trim())),
    }
}

pub fn yes_no<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    parse_yes_no(&String::deserialize(deserializer)?).map_err(D::Error::custom)
}

/// A `YYYY-MM-DD` day, kept as written; empty for none.
pub fn parse_date(cell: &str) -> Result<String, String> {
    let cell = cell.trim();
    if cell.is_empty()
        || (cell.len() == 10 && chrono::NaiveDate::parse_from_str(cell, "%Y-%m-%d").is_ok())
    {
        Ok(cell.to_owned())
    } else {
        Err(format!("`{cell}` is not a date written YYYY-MM-DD"))
    }
}

pub fn date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    parse_date(&String::deserialize(deserializer)?).map_err(D::Error::custom)
}

/// `TWV until 2027-05-01; Permanent resident card`: each permit's kind and, after
/// ` until `, the last day it is valid.
pub fn parse_permits(cell: &str) -> Result<Vec<v1::Permit>, String> {
    parse_list(cell)
        .into_iter()
        .map(|item| match item.rsplit_once(" until ") {
            Some((kind, until)) => Ok(v1::Permit {
                kind: kind.trim().to_owned(),
                valid_until: parse_date(until)?,
            }),
            None => Ok(v1::Permit {
                kind: item,
                valid_until: String::new(),
            }),
        })
        .collect()
}

/// A permit as [`parse_permits`] reads it.
pub fn permit_text(permit: &v1::Permit) -> String {
    if permit.valid_until.is_empty() {
        permit.kind.clone()
    } else {
        format!("{} until {}", permit.kind, permit.valid_until)
    }
}

pub fn permits<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<v1::Permit>, D::Error> {
    parse_permits(&String::deserialize(deserializer)?).map_err(D::Error::custom)
}

/// An amount in cents, written in the currency with at most two decimals
/// (`14.75`, `15`); empty is 0.
pub fn parse_money(cell: &str) -> Result<i64, String> {
    let cell = cell.trim();
    if cell.is_empty() {
        return Ok(0);
    }
    let bad = || format!("`{cell}` is not an amount such as 14.75");
    let (whole, fraction) = cell.split_once('.').unwrap_or((cell, ""));
    let digits = |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !(fraction.is_empty() || (fraction.len() <= 2 && digits(fraction))) {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let cents: i64 = format!("{fraction:0<2}").parse().map_err(|_| bad())?;
    whole
        .checked_mul(100)
        .and_then(|amount| amount.checked_add(cents))
        .ok_or_else(bad)
}

/// Cents as [`parse_money`] reads them; empty for 0.
pub fn money_text(cents: i64) -> String {
    if cents == 0 {
        String::new()
    } else {
        format!("{}.{:02}", cents / 100, cents % 100)
    }
}

pub fn money<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    parse_money(&String::deserialize(deserializer)?).map_err(D::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "region,display_name,role,residence_status,nationality,profession,\
        sectors,skills,languages,education_level,experience_years,available_hours_per_week,\
        share_across_regions,asylum_application_date,permits,civic_integration,\
        safe_country_national,in_reception_centre,asylum_clock_stopped_days,buddy_capacity,\
        in_school_programme,identity_unclear";

    #[test]
    fn a_good_row_reads_into_a_member() {
        let text = format!(
            "{HEADER}\namsterdam,Rania Haddad,newcomer,asylum_seeker,SY,nurse,healthcare,\
             wound care; triage,ar;nl ; en,bachelor,6,24,yes,2025-03-10,\
             TWV until 2027-05-01,none,no,yes,0,,yes,no\n"
        );
        let rows = read::<MemberRow>("members.csv", &text).unwrap();
        assert_eq!(rows.len(), 1);
        let (line, row) = rows.into_iter().next().unwrap();
        assert_eq!(line, 2);
        let member = row.into_member();
        let profile = member.profile.unwrap();
        let regional = member.regional.unwrap();
        assert_eq!(profile.display_name, "Rania Haddad");
        assert_eq!(profile.skills, ["wound care", "triage"]);
        assert_eq!(profile.languages, ["ar", "nl", "en"]);
        assert_eq!(profile.education_level, EducationLevel::Bachelor as i32);
        assert!(profile.share_across_regions);
        assert_eq!(regional.role, MemberRole::Newcomer as i32);
        assert_eq!(
            regional.residence_status,
            ResidenceStatus::AsylumSeeker as i32
        );
        assert_eq!(regional.asylum_application_date, "2025-03-10");
        assert_eq!(
            regional.permits,
            [v1::Permit {
                kind: "TWV".into(),
                valid_until: "2027-05-01".into()
            }]
        );
        assert_eq!(regional.civic_integration, CivicIntegration::None as i32);
        assert!(regional.in_reception_centre && !regional.safe_country_national);
        assert_eq!(regional.buddy_capacity, 0);
        assert!(regional.in_school_programme && !regional.identity_unclear);
    }

    #[test]
    fn a_bad_choice_names_the_file_line_and_column() {
        let text = format!(
            "{HEADER}\n\
             amsterdam,A B,local,citizen_or_resident,NL,cook,hospitality,menus,nl,vocational,\
             3,4,yes,,,exempt,no,no,0,2,no,no\n\
             amsterdam,C D,newcomr,asylum_seeker,SY,cook,hospitality,menus,ar,vocational,\
             3,4,yes,,,none,no,no,0,0,no,no\n"
        );
        let error = read::<MemberRow>("members.csv", &text).unwrap_err();
        assert_eq!(error.file, "members.csv");
        assert_eq!(error.line, Some(3));
        assert_eq!(error.column.as_deref(), Some("role"));
        assert!(
            error.message.contains("`newcomr` is not a role")
                && error.message.contains("newcomer, local, volunteer_coach"),
            "{error}"
        );
        assert!(
            error
                .to_string()
                .starts_with("members.csv, line 3, column role: `newcomr`"),
            "{error}"
        );
    }

    #[test]
    fn a_missing_column_is_named() {
        let text = "region,name,kind,sector,website\namsterdam,Zorg,employer,care,\n";
        let error = read::<OrganisationRow>("organisations.csv", text).unwrap_err();
        assert_eq!(
            error,
            SheetError::new(
                "organisations.csv",
                1,
                "location",
                "missing: the header row has no such column"
            )
        );
    }

    #[test]
    fn columns_may_come_in_any_order_and_extra_ones_are_left() {
        let text = "notes,headcount,website,location,sector,kind,name,region\n\
                    call back,12,https://a.example,Amsterdam,care,ngo,A,amsterdam\n";
        let rows = read::<OrganisationRow>("organisations.csv", text).unwrap();
        assert_eq!(rows[0].1.kind, OrganisationKind::Ngo);
        assert_eq!(rows[0].1.location, "Amsterdam");
        assert_eq!(rows[0].1.headcount, 12);
    }

    #[test]
    fn bad_cells_say_what_they_should_be() {
        let text = "region,name,kind,sector,location,website,headcount\nx,A,,care,B,C,\n";
        let rows = read::<OrganisationRow>("o.csv", text).unwrap();
        assert_eq!(rows[0].1.kind, OrganisationKind::Unspecified);
        assert_eq!(rows[0].1.headcount, 0, "an empty headcount is not recorded");
        assert!(parse_date("2026-02-30").is_err());
        assert!(parse_date("1.3.2026").is_err());
        assert_eq!(parse_money("14.7"), Ok(1470));
        assert_eq!(parse_money("15"), Ok(1500));
        assert_eq!(parse_money(""), Ok(0));
        assert!(parse_money("14,75").is_err() && parse_money("1.234").is_err());
        assert_eq!(money_text(1475), "14.75");
        assert_eq!(parse_yes_no("Yes"), Ok(true));
        assert!(parse_yes_no("maybe").is_err());
        assert_eq!(
            parse_permits("EAD until 2027-01-02; Permanent resident card").unwrap(),
            [
                v1::Permit {
                    kind: "EAD".into(),
                    valid_until: "2027-01-02".into()
                },
                v1::Permit {
                    kind: "Permanent resident card".into(),
                    valid_until: String::new()
                }
            ]
        );
        assert!(parse_permits("EAD until soon").is_err());
        assert_eq!(choice_name(ResidenceStatus::AsylumSeeker), "asylum_seeker");
        assert_eq!(choice_name(CivicIntegration::Unspecified), "");
        assert_eq!(
            parse_choice::<OpportunityKind>("taster_internship"),
            Ok(OpportunityKind::TasterInternship)
        );
        assert!(parse_choice::<OpportunityKind>("unspecified").is_err());
    }
}
