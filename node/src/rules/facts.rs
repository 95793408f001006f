//! What a rule can read: the facts about a member and an opportunity, built from
//! stored rows or from a rules file's cases, and the CEL values rules see
//! (`member`, `opportunity`, `today`; docs/rules.md lists every field).

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::store::entity::{member, opportunity};

/// The values a member's `role` may take, as rules see them.
pub const ROLES: &[&str] = &["newcomer", "local", "volunteer_coach", "unspecified"];
/// The values of `residence_status`.
pub const RESIDENCE_STATUSES: &[&str] = &[
    "asylum_seeker",
    "status_holder",
    "temporary_protection",
    "tolerated",
    "citizen_or_resident",
    "other",
    "unspecified",
];
/// The values of `civic_integration`.
pub const CIVIC_INTEGRATION: &[&str] =
    &["none", "in_progress", "completed", "exempt", "unspecified"];
/// The values of an opportunity's `kind`.
pub const OPPORTUNITY_KINDS: &[&str] = &[
    "job",
    "internship",
    "taster_internship",
    "volunteer",
    "learn_work",
    "project",
];
/// The values of `organisation_kind`.
pub const ORGANISATION_KINDS: &[&str] = &[
    "employer",
    "ngo",
    "municipality",
    "education",
    "unspecified",
];

/// The fields of `member` a rule may name.
pub const MEMBER_FIELDS: &[&str] = &[
    "role",
    "residence_status",
    "has_asylum_application",
    "days_since_asylum_application",
    "months_since_asylum_application",
    "asylum_clock_stopped_days",
    "asylum_clock_days",
    "permits",
    "permit_kinds",
    "civic_integration",
    "nationality",
    "safe_country_national",
    "in_reception_centre",
    "in_school_programme",
    "identity_unclear",
    "profession",
    "sectors",
    "skills",
    "languages",
    "available_hours_per_week",
    "experience_years",
];

/// The fields of `opportunity` a rule may name, in the order of [`OpportunityFacts`].
pub const OPPORTUNITY_FIELDS: &[&str] = &[
    "kind",
    "paid",
    "hours_per_week",
    "sector",
    "self_employment",
    "hourly_wage",
    "organisation_kind",
    "employer_headcount",
];

/// A permit or work authorisation held by a member.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PermitFact {
    pub kind: String,
    #[serde(default)]
    pub valid_until: Option<NaiveDate>,
}

/// What rules know of a member: the shared profile and the region-local record.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MemberFacts {
    pub role: String,
    pub residence_status: String,
    pub asylum_application_date: Option<NaiveDate>,
    pub asylum_clock_stopped_days: i64,
    pub permits: Vec<PermitFact>,
    pub civic_integration: String,
    pub nationality: String,
    pub safe_country_national: bool,
    pub in_reception_centre: bool,
    /// Follows an education programme of which an internship is part (BPV).
    pub in_school_programme: bool,
    /// The authorities hold the member's identity to be unclear (AufenthG §60b).
    pub identity_unclear: bool,
    pub profession: String,
    pub sectors: Vec<String>,
    pub skills: Vec<String>,
    pub languages: Vec<String>,
    pub available_hours_per_week: i64,
    pub experience_years: i64,
}

impl Default for MemberFacts {
    fn default() -> Self {
        MemberFacts {
            role: "newcomer".into(),
            residence_status: "unspecified".into(),
            asylum_application_date: None,
            asylum_clock_stopped_days: 0,
            permits: Vec::new(),
            civic_integration: "unspecified".into(),
            nationality: String::new(),
            safe_country_national: false,
            in_reception_centre: false,
            in_school_programme: false,
            identity_unclear: false,
            profession: String::new(),
            sectors: Vec::new(),
            skills: Vec::new(),
            languages: Vec::new(),
            available_hours_per_week: 0,
            experience_years: 0,
        }
    }
}

/// What rules know of an opportunity.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OpportunityFacts {
    pub kind: String,
    pub paid: bool,
    pub hours_per_week: i64,
    pub sector: String,
    pub self_employment: bool,
    /// Gross, in the rules file's currency; 0.0 when not given.
    pub hourly_wage: f64,
    pub organisation_kind: String,
    /// Employees of the organisation, all locations; 0 when not recorded.
    pub employer_headcount: i64,
}

impl Default for OpportunityFacts {
    fn default() -> Self {
        OpportunityFacts {
            kind: String::new(),
            paid: false,
            hours_per_week: 0,
            sector: String::new(),
            self_employment: false,
            hourly_wage: 0.0,
            organisation_kind: "employer".into(),
            employer_headcount: 0,
        }
    }
}

fn one_of(field: &str, value: &str, allowed: &[&str]) -> Result<(), String> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(format!(
            "{field}: {value:?} is not one of {}",
            allowed.join(", ")
        ))
    }
}

impl MemberFacts {
    /// The facts of a stored member.
    pub fn from_row(row: &member::Model) -> Self {
        let strings = |json: &sea_orm::prelude::Json| crate::convert::strings_from_json(json);
        let permits = crate::convert::member::permits_from_json(&row.permits)
            .into_iter()
            .map(|permit| PermitFact {
                kind: permit.kind,
                valid_until: NaiveDate::parse_from_str(&permit.valid_until, "%Y-%m-%d").ok(),
            })
            .collect();
        MemberFacts {
            role: row.role.clone(),
            residence_status: row.residence_status.clone(),
            asylum_application_date: row.asylum_application_date,
            asylum_clock_stopped_days: i64::from(row.asylum_clock_stopped_days),
            permits,
            civic_integration: row.civic_integration.clone(),
            nationality: row.nationality.clone(),
            safe_country_national: row.safe_country_national,
            in_reception_centre: row.in_reception_centre,
            in_school_programme: row.in_school_programme,
            identity_unclear: row.identity_unclear,
            profession: row.profession.clone(),
            sectors: strings(&row.sectors),
            skills: strings(&row.skills),
            languages: strings(&row.languages),
            available_hours_per_week: i64::from(row.available_hours_per_week),
            experience_years: i64::from(row.experience_years),
        }
    }

    /// Checks the values a case gives (stored rows are checked when written).
    pub fn check(&self) -> Result<(), String> {
        one_of("member.role", &self.role, ROLES)?;
        one_of(
            "member.residence_status",
            &self.residence_status,
            RESIDENCE_STATUSES,
        )?;
        one_of(
            "member.civic_integration",
            &self.civic_integration,
            CIVIC_INTEGRATION,
        )
    }

    /// The CEL value `member` on `today`.
    pub fn to_value(&self, today: NaiveDate) -> cel::Value {
        let days_since = self
            .asylum_application_date
            .map(|date| (today - date).num_days().max(0))
            .unwrap_or(0);
        let months_since = self
            .asylum_application_date
            .map(|date| whole_months(date, today))
            .unwrap_or(0);
        let lower = |values: &[String]| -> Vec<String> {
            values.iter().map(|v| v.to_lowercase()).collect()
        };
        let view = MemberView {
            role: &self.role,
            residence_status: &self.residence_status,
            has_asylum_application: self.asylum_application_date.is_some(),
            days_since_asylum_application: days_since,
            months_since_asylum_application: months_since,
            asylum_clock_stopped_days: self.asylum_clock_stopped_days,
            asylum_clock_days: days_since
                .saturating_sub(self.asylum_clock_stopped_days)
                .max(0),
            permits: self
                .permits
                .iter()
                .map(|permit| PermitView {
                    kind: permit.kind.to_lowercase(),
                    valid_until: permit
                        .valid_until
                        .map(|d| d.format("%Y-%m-%d").to_string())
                        .unwrap_or_default(),
                    days_until_expiry: permit
                        .valid_until
                        .map(|d| (d - today).num_days())
                        .unwrap_or(NO_EXPIRY_DAYS),
                })
                .collect(),
            permit_kinds: self.permits.iter().map(|p| p.kind.to_lowercase()).collect(),
            civic_integration: &self.civic_integration,
            nationality: self.nationality.to_uppercase(),
            safe_country_national: self.safe_country_national,
            in_reception_centre: self.in_reception_centre,
            in_school_programme: self.in_school_programme,
            identity_unclear: self.identity_unclear,
            profession: self.profession.to_lowercase(),
            sectors: lower(&self.sectors),
            skills: lower(&self.skills),
            languages: lower(&self.languages),
            available_hours_per_week: self.available_hours_per_week,
            experience_years: self.experience_years,
        };
        // Plain strings, numbers, booleans and lists of them always convert.
        cel::to_value(view).unwrap_or(cel::Value::Null)
    }
}

/// `days_until_expiry` of a permit without an end date.
pub const NO_EXPIRY_DAYS: i64 = 100_000;

impl OpportunityFacts {
    /// The facts of a stored opportunity offered by an organisation of
    /// `organisation_kind` with `employer_headcount` employees (0: not recorded).
    pub fn from_row(
        row: &opportunity::Model,
        organisation_kind: &str,
        employer_headcount: i64,
    ) -> Self {
        OpportunityFacts {
            kind: row.kind.clone(),
            paid: row.paid,
            hours_per_week: i64::from(row.hours_per_week),
            sector: row.sector.to_lowercase(),
            self_employment: row.self_employment,
            hourly_wage: row.hourly_wage_cents as f64 / 100.0,
            organisation_kind: organisation_kind.to_owned(),
            employer_headcount,
        }
    }

    /// Checks the values a case gives.
    pub fn check(&self) -> Result<(), String> {
        one_of("opportunity.kind", &self.kind, OPPORTUNITY_KINDS)?;
        one_of(
            "opportunity.organisation_kind",
            &self.organisation_kind,
            ORGANISATION_KINDS,
        )
    }

    /// The CEL value `opportunity`.
    pub fn to_value(&self) -> cel::Value {
        let view = OpportunityView {
            kind: &self.kind,
            paid: self.paid,
            hours_per_week: self.hours_per_week,
            sector: &self.sector,
            self_employment: self.self_employment,
            hourly_wage: self.hourly_wage,
            organisation_kind: &self.organisation_kind,
            employer_headcount: self.employer_headcount,
        };
        cel::to_value(view).unwrap_or(cel::Value::Null)
    }
}

/// Whole calendar months from `from` to `to` (0 when `to` is earlier).
pub fn whole_months(from: NaiveDate, to: NaiveDate) -> i64 {
    let mut months =
        i64::from(to.year() - from.year()) * 12 + i64::from(to.month()) - i64::from(from.month());
    if to.day() < from.day() {
        months -= 1;
    }
    months.max(0)
}

#[derive(Serialize)]
struct MemberView<'a> {
    role: &'a str,
    residence_status: &'a str,
    has_asylum_application: bool,
    days_since_asylum_application: i64,
    months_since_asylum_application: i64,
    asylum_clock_stopped_days: i64,
    asylum_clock_days: i64,
    permits: Vec<PermitView>,
    permit_kinds: Vec<String>,
    civic_integration: &'a str,
    nationality: String,
    safe_country_national: bool,
    in_reception_centre: bool,
    in_school_programme: bool,
    identity_unclear: bool,
    profession: String,
    sectors: Vec<String>,
    skills: Vec<String>,
    languages: Vec<String>,
    available_hours_per_week: i64,
    experience_years: i64,
}

#[derive(Serialize)]
struct PermitView {
    kind: String,
    valid_until: String,
    days_until_expiry: i64,
}

#[derive(Serialize)]
struct OpportunityView<'a> {
    kind: &'a str,
    paid: bool,
    hours_per_week: i64,
    sector: &'a str,
    self_employment: bool,
    hourly_wage: f64,
    organisation_kind: &'a str,
    employer_headcount: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn months_count_only_whole_calendar_months() {
        assert_eq!(whole_months(date("2026-05-24"), date("2026-11-24")), 6);
        assert_eq!(whole_months(date("2026-05-25"), date("2026-11-24")), 5);
        assert_eq!(whole_months(date("2026-12-01"), date("2026-11-24")), 0);
        assert_eq!(whole_months(date("2025-01-31"), date("2025-02-28")), 0);
    }
}
