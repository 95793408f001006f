//! Member ↔ `member` row, and update masks on members.

use chrono::{DateTime, Utc};
use passage_proto::v1;
use uuid::Uuid;

use super::enums::{self, from_stored, stored};
use super::{json_strings, strings_from_json, timestamp, unknown_path};
use crate::error::{Error, Refusal, Result};
use crate::store::entity::member;
use crate::validate;

/// The wire form of a stored member.
pub fn to_wire(row: &member::Model) -> v1::Member {
    v1::Member {
        id: row.id.to_string(),
        profile: Some(v1::SharedProfile {
            display_name: row.display_name.clone(),
            home_region: row.home_region.clone(),
            profession: row.profession.clone(),
            sectors: strings_from_json(&row.sectors),
            skills: strings_from_json(&row.skills),
            languages: strings_from_json(&row.languages),
            education_level: from_stored::<v1::EducationLevel>(&row.education_level) as i32,
            experience_years: row.experience_years,
            available_hours_per_week: row.available_hours_per_week,
            share_across_regions: row.share_across_regions,
        }),
        regional: Some(v1::RegionalRecord {
            role: from_stored::<v1::MemberRole>(&row.role) as i32,
            residence_status: from_stored::<v1::ResidenceStatus>(&row.residence_status) as i32,
            asylum_application_date: row
                .asylum_application_date
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            permits: permits_from_json(&row.permits),
            civic_integration: from_stored::<v1::CivicIntegration>(&row.civic_integration) as i32,
            nationality: row.nationality.clone(),
            safe_country_national: row.safe_country_national,
            in_reception_centre: row.in_reception_centre,
            asylum_clock_stopped_days: row.asylum_clock_stopped_days,
            buddy_capacity: row.buddy_capacity,
            in_school_programme: row.in_school_programme,
            identity_unclear: row.identity_unclear,
        }),
        create_time: Some(timestamp(row.created_at)),
        update_time: Some(timestamp(row.updated_at)),
    }
}

/// Who a row belongs to and when it was written: what the node sets, never the caller.
#[derive(Debug, Clone)]
pub struct RowIdentity {
    pub id: Uuid,
    pub home_region: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Validates a wire member (fields named under `prefix`, such as `member`) and
/// builds the row it becomes.
pub fn to_row(wire: &v1::Member, prefix: &str, identity: RowIdentity) -> Result<member::Model> {
    let default_profile = v1::SharedProfile::default();
    let default_regional = v1::RegionalRecord::default();
    let profile = wire.profile.as_ref().unwrap_or(&default_profile);
    let regional = wire.regional.as_ref().unwrap_or(&default_regional);
    let under = |part: &str, name: &str| match prefix {
        "" => format!("{part}.{name}"),
        prefix => format!("{prefix}.{part}.{name}"),
    };
    let p = |name: &str| under("profile", name);
    let r = |name: &str| under("regional", name);

    let asylum_application_date = validate::optional_date(
        &r("asylum_application_date"),
        &regional.asylum_application_date,
    )?;
    if let Some(date) = asylum_application_date
        && date > identity.updated_at.date_naive()
    {
        return Err(Error::refused(
            r("asylum_application_date"),
            "must not be in the future",
            Refusal::of(v1::RefusalKind::InTheFuture, &date.to_string(), []),
        ));
    }
    let asylum_clock_stopped_days = validate::in_range(
        &r("asylum_clock_stopped_days"),
        regional.asylum_clock_stopped_days,
        0..=3650,
    )?;
    if let Some(date) = asylum_application_date {
        let days_since = (identity.updated_at.date_naive() - date).num_days();
        if i64::from(asylum_clock_stopped_days) > days_since {
            return Err(Error::refused(
                r("asylum_clock_stopped_days"),
                format!(
                    "must not be more than the {days_since} days since the asylum application \
                     date ({date}), got {asylum_clock_stopped_days}"
                ),
                Refusal::of(
                    v1::RefusalKind::OutOfRange,
                    &asylum_clock_stopped_days.to_string(),
                    ["0".to_owned(), days_since.to_string()],
                ),
            ));
        }
    }
    Ok(member::Model {
        id: identity.id,
        display_name: validate::required_text(&p("display_name"), &profile.display_name, 120)?,
        home_region: identity.home_region,
        profession: validate::optional_text(&p("profession"), &profile.profession, 120)?,
        sectors: json_strings(&validate::list(
            &p("sectors"),
            &profile.sectors,
            20,
            validate::slug,
        )?),
        skills: json_strings(&validate::list(
            &p("skills"),
            &profile.skills,
            50,
            |f, v| validate::required_text(f, v, 60),
        )?),
        languages: json_strings(&validate::list(
            &p("languages"),
            &profile.languages,
            20,
            validate::language,
        )?),
        education_level: stored(enums::parse::<v1::EducationLevel>(
            &p("education_level"),
            profile.education_level,
            false,
        )?),
        experience_years: validate::in_range(
            &p("experience_years"),
            profile.experience_years,
            0..=70,
        )?,
        available_hours_per_week: validate::in_range(
            &p("available_hours_per_week"),
            profile.available_hours_per_week,
            0..=80,
        )?,
        share_across_regions: profile.share_across_regions,
        role: stored(enums::parse::<v1::MemberRole>(
            &r("role"),
            regional.role,
            true,
        )?),
        residence_status: stored(enums::parse::<v1::ResidenceStatus>(
            &r("residence_status"),
            regional.residence_status,
            true,
        )?),
        asylum_application_date,
        permits: permits_to_json(&r("permits"), &regional.permits)?,
        civic_integration: stored(enums::parse::<v1::CivicIntegration>(
            &r("civic_integration"),
            regional.civic_integration,
            false,
        )?),
        nationality: validate::optional_country(&r("nationality"), &regional.nationality)?,
        safe_country_national: regional.safe_country_national,
        in_reception_centre: regional.in_reception_centre,
        asylum_clock_stopped_days,
        buddy_capacity: validate::in_range(&r("buddy_capacity"), regional.buddy_capacity, 0..=10)?,
        in_school_programme: regional.in_school_programme,
        identity_unclear: regional.identity_unclear,
        profile_stamps: "{}".to_owned(),
        created_at: identity.created_at,
        updated_at: identity.updated_at,
        external_id: None,
    })
}

fn permits_to_json(field: &str, permits: &[v1::Permit]) -> Result<serde_json::Value> {
    if permits.len() > 20 {
        return Err(Error::refused(
            field,
            "at most 20 permits",
            Refusal::of(v1::RefusalKind::TooMany, "", ["20".to_owned()]),
        ));
    }
    let mut stored = Vec::with_capacity(permits.len());
    for (index, permit) in permits.iter().enumerate() {
        let kind = validate::required_text(&format!("{field}[{index}].kind"), &permit.kind, 60)?;
        let valid_until = validate::optional_date(
            &format!("{field}[{index}].valid_until"),
            &permit.valid_until,
        )?;
        stored.push(serde_json::json!({
            "kind": kind,
            "valid_until": valid_until.map(|d| d.format("%Y-%m-%d").to_string()),
        }));
    }
    Ok(serde_json::Value::Array(stored))
}

pub fn permits_from_json(value: &serde_json::Value) -> Vec<v1::Permit> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .map(|permit| v1::Permit {
            kind: permit["kind"].as_str().unwrap_or_default().to_owned(),
            valid_until: permit["valid_until"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        })
        .collect()
}

/// Mask paths a member update may name.
pub const UPDATABLE: &[&str] = &[
    "*",
    "profile",
    "profile.display_name",
    "profile.profession",
    "profile.sectors",
    "profile.skills",
    "profile.languages",
    "profile.education_level",
    "profile.experience_years",
    "profile.available_hours_per_week",
    "profile.share_across_regions",
    "regional",
    "regional.role",
    "regional.residence_status",
    "regional.asylum_application_date",
    "regional.permits",
    "regional.civic_integration",
    "regional.nationality",
    "regional.safe_country_national",
    "regional.in_reception_centre",
    "regional.asylum_clock_stopped_days",
    "regional.buddy_capacity",
    "regional.in_school_programme",
    "regional.identity_unclear",
];

/// Copies the masked fields of `incoming` onto `current`; the rest stays as it was.
/// `home_region`, ids and times are never taken from the caller.
pub fn apply_mask(current: &mut v1::Member, incoming: &v1::Member, paths: &[String]) -> Result<()> {
    let from_profile = incoming.profile.clone().unwrap_or_default();
    let from_regional = incoming.regional.clone().unwrap_or_default();
    let profile = current.profile.get_or_insert_with(Default::default);
    let regional = current.regional.get_or_insert_with(Default::default);
    for path in paths {
        match path.as_str() {
            "*" => {
                let home_region = std::mem::take(&mut profile.home_region);
                *profile = v1::SharedProfile {
                    home_region,
                    ..from_profile.clone()
                };
                *regional = from_regional.clone();
            }
            "profile" => {
                let home_region = std::mem::take(&mut profile.home_region);
                *profile = v1::SharedProfile {
                    home_region,
                    ..from_profile.clone()
                };
            }
            "profile.display_name" => profile.display_name = from_profile.display_name.clone(),
            "profile.profession" => profile.profession = from_profile.profession.clone(),
            "profile.sectors" => profile.sectors = from_profile.sectors.clone(),
            "profile.skills" => profile.skills = from_profile.skills.clone(),
            "profile.languages" => profile.languages = from_profile.languages.clone(),
            "profile.education_level" => profile.education_level = from_profile.education_level,
            "profile.experience_years" => profile.experience_years = from_profile.experience_years,
            "profile.available_hours_per_week" => {
                profile.available_hours_per_week = from_profile.available_hours_per_week
            }
            "profile.share_across_regions" => {
                profile.share_across_regions = from_profile.share_across_regions
            }
            "regional" => *regional = from_regional.clone(),
            "regional.role" => regional.role = from_regional.role,
            "regional.residence_status" => {
                regional.residence_status = from_regional.residence_status
            }
            "regional.asylum_application_date" => {
                regional.asylum_application_date = from_regional.asylum_application_date.clone()
            }
            "regional.permits" => regional.permits = from_regional.permits.clone(),
            "regional.civic_integration" => {
                regional.civic_integration = from_regional.civic_integration
            }
            "regional.nationality" => regional.nationality = from_regional.nationality.clone(),
            "regional.safe_country_national" => {
                regional.safe_country_national = from_regional.safe_country_national
            }
            "regional.in_reception_centre" => {
                regional.in_reception_centre = from_regional.in_reception_centre
            }
            "regional.asylum_clock_stopped_days" => {
                regional.asylum_clock_stopped_days = from_regional.asylum_clock_stopped_days
            }
            "regional.buddy_capacity" => regional.buddy_capacity = from_regional.buddy_capacity,
            "regional.in_school_programme" => {
                regional.in_school_programme = from_regional.in_school_programme
            }
            "regional.identity_unclear" => {
                regional.identity_unclear = from_regional.identity_unclear
            }
            other => return Err(unknown_path(other, UPDATABLE)),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn on(day: &str) -> RowIdentity {
        let date = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
        let time = Utc.from_utc_datetime(&date.and_hms_opt(12, 0, 0).unwrap());
        RowIdentity {
            id: Uuid::now_v7(),
            home_region: "washington-dc".into(),
            created_at: time,
            updated_at: time,
        }
    }

    fn applicant(applied: &str, stopped_days: i32) -> v1::Member {
        v1::Member {
            profile: Some(v1::SharedProfile {
                display_name: "Yonas Tesfay".into(),
                ..Default::default()
            }),
            regional: Some(v1::RegionalRecord {
                role: v1::MemberRole::Newcomer as i32,
                residence_status: v1::ResidenceStatus::AsylumSeeker as i32,
                asylum_application_date: applied.into(),
                nationality: "er".into(),
                in_reception_centre: true,
                asylum_clock_stopped_days: stopped_days,
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn the_rule_facts_are_stored_and_read_back_with_the_nationality_upper_case() {
        let row = to_row(&applicant("2026-07-20", 12), "member", on("2026-11-24")).unwrap();
        assert_eq!(row.nationality, "ER");
        assert!(row.in_reception_centre && !row.safe_country_national);
        assert_eq!(row.asylum_clock_stopped_days, 12);
        let regional = to_wire(&row).regional.unwrap();
        assert_eq!(regional.nationality, "ER");
        assert!(regional.in_reception_centre);
        assert_eq!(regional.asylum_clock_stopped_days, 12);
        assert_eq!(regional.buddy_capacity, 0);
    }

    #[test]
    fn the_clock_cannot_have_stopped_longer_than_the_application_is_old() {
        // 2026-07-20 to 2026-11-24 is 127 days.
        assert!(to_row(&applicant("2026-07-20", 127), "member", on("2026-11-24")).is_ok());
        let error = to_row(&applicant("2026-07-20", 128), "member", on("2026-11-24")).unwrap_err();
        assert_eq!(
            error.to_string(),
            "member.regional.asylum_clock_stopped_days: must not be more than the 127 days \
             since the asylum application date (2026-07-20), got 128"
        );
        // Without an application date only the range applies.
        assert!(to_row(&applicant("", 400), "member", on("2026-11-24")).is_ok());
        for (days, field) in [
            (-1, "member.regional.asylum_clock_stopped_days"),
            (3651, "member.regional.asylum_clock_stopped_days"),
        ] {
            let error = to_row(&applicant("", days), "member", on("2026-11-24")).unwrap_err();
            assert!(error.to_string().starts_with(field), "{error}");
        }
    }

    #[test]
    fn a_buddy_takes_at_most_ten_newcomers_and_a_nationality_is_a_country_code() {
        let mut local = applicant("", 0);
        let regional = local.regional.as_mut().unwrap();
        regional.role = v1::MemberRole::Local as i32;
        regional.residence_status = v1::ResidenceStatus::CitizenOrResident as i32;
        regional.buddy_capacity = 3;
        assert_eq!(
            to_row(&local, "", on("2026-11-24")).unwrap().buddy_capacity,
            3
        );
        local.regional.as_mut().unwrap().buddy_capacity = 11;
        let error = to_row(&local, "", on("2026-11-24")).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("regional.buddy_capacity: must be between 0 and 10"),
            "{error}"
        );
        local.regional.as_mut().unwrap().buddy_capacity = 0;
        local.regional.as_mut().unwrap().nationality = "Syria".into();
        let error = to_row(&local, "member", on("2026-11-24")).unwrap_err();
        assert_eq!(
            error.to_string(),
            "member.regional.nationality: must be an ISO 3166-1 alpha-2 code such as SY, got \"Syria\""
        );
    }

    #[test]
    fn the_new_fields_can_be_masked_one_by_one() {
        let mut current = to_wire(&to_row(&applicant("", 0), "", on("2026-11-24")).unwrap());
        let mut incoming = applicant("", 30);
        let regional = incoming.regional.as_mut().unwrap();
        regional.nationality = "AF".into();
        regional.safe_country_national = true;
        regional.in_reception_centre = false;
        regional.buddy_capacity = 2;
        apply_mask(
            &mut current,
            &incoming,
            &[
                "regional.nationality".into(),
                "regional.buddy_capacity".into(),
            ],
        )
        .unwrap();
        let regional = current.regional.as_ref().unwrap();
        assert_eq!(regional.nationality, "AF");
        assert_eq!(regional.buddy_capacity, 2);
        assert!(regional.in_reception_centre, "not masked, kept");
        assert!(!regional.safe_country_national, "not masked, kept");
        assert_eq!(regional.asylum_clock_stopped_days, 0, "not masked, kept");
        apply_mask(
            &mut current,
            &incoming,
            &[
                "regional.safe_country_national".into(),
                "regional.in_reception_centre".into(),
                "regional.asylum_clock_stopped_days".into(),
            ],
        )
        .unwrap();
        let regional = current.regional.as_ref().unwrap();
        assert!(regional.safe_country_national && !regional.in_reception_centre);
        assert_eq!(regional.asylum_clock_stopped_days, 30);
    }
}
