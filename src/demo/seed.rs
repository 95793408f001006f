//! Demo data for `passage demo`: the members, organisations and opportunities a
//! chapter of the network would have, for Amsterdam, Washington DC and Miami.
//!
//! The records live in `src/demo/sheets/` as the CSV files a chapter's spreadsheet is
//! saved as (see [`super::sheet`]), one file per kind of record with a `region`
//! column, and are built into the binary. Everyone and everything in them is
//! fictional; every record passes the node's validation, and the node assigns ids,
//! times and the home region.

use anyhow::Context;
use passage_proto::v1;

use super::sheet::{self, MemberRow, OpportunityRow, OrganisationRow, SheetError, SheetRow};

/// `src/demo/sheets/members.csv`.
const MEMBERS: &str = include_str!("sheets/members.csv");
/// `src/demo/sheets/organisations.csv`.
const ORGANISATIONS: &str = include_str!("sheets/organisations.csv");
/// `src/demo/sheets/opportunities.csv`.
const OPPORTUNITIES: &str = include_str!("sheets/opportunities.csv");

/// The rows of one of the demo's files (`src/demo/sheets/<file>`) that belong to
/// `region`, in file order, each with its line.
pub(super) fn rows_of<T: SheetRow>(
    file: &str,
    text: &str,
    region: &str,
    region_of: impl Fn(&T) -> &str,
) -> Result<Vec<(u64, T)>, SheetError> {
    Ok(sheet::read::<T>(&format!("src/demo/sheets/{file}"), text)?
        .into_iter()
        .filter(|(_, row)| region_of(row) == region)
        .collect())
}

/// Members of a region: about 40 newcomers, locals and volunteer coaches, of every
/// role and residence status, with the region's permits, civic-integration states,
/// nationalities and reception, and the buddy capacity of its locals.
pub fn members(region: &str) -> anyhow::Result<Vec<v1::Member>> {
    let rows = rows_of("members.csv", MEMBERS, region, |row: &MemberRow| {
        &row.region
    })?;
    Ok(rows.into_iter().map(|(_, row)| row.into_member()).collect())
}

/// Organisations of a region: 12 fictional employers, NGOs, the municipality and
/// schools. The opportunities of [`opportunities`] index into this list.
pub fn organisations(region: &str) -> anyhow::Result<Vec<v1::Organisation>> {
    let rows = rows_of(
        "organisations.csv",
        ORGANISATIONS,
        region,
        |row: &OrganisationRow| &row.region,
    )?;
    Ok(rows
        .into_iter()
        .map(|(_, row)| row.into_organisation())
        .collect())
}

/// Opportunities for a region: 37 of every kind, each with the index of the
/// organisation in [`organisations`] that offers it and the status it should reach.
/// `organisation_id` is empty and `status` unset: new opportunities start in DRAFT.
pub fn opportunities(
    region: &str,
) -> anyhow::Result<Vec<(usize, v1::Opportunity, v1::OpportunityStatus)>> {
    let organisations = organisations(region)?;
    let file = "src/demo/sheets/opportunities.csv";
    let rows = rows_of(
        "opportunities.csv",
        OPPORTUNITIES,
        region,
        |row: &OpportunityRow| &row.region,
    )?;
    rows.into_iter()
        .map(|(line, row)| {
            let index = organisations
                .iter()
                .position(|organisation| organisation.name == row.organisation)
                .ok_or_else(|| {
                    SheetError::new(
                        file,
                        line,
                        "organisation",
                        format!("no organisation called `{}` in {region}", row.organisation),
                    )
                })
                .context("reading the demo's opportunities")?;
            Ok((index, row.to_opportunity(), row.status))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use passage_proto::v1::{MemberRole, OpportunityStatus, ResidenceStatus};

    const REGIONS: [&str; 3] = ["amsterdam", "washington-dc", "miami"];

    fn is_slug(text: &str) -> bool {
        (1..=60).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    }

    fn is_language(code: &str) -> bool {
        (2..=3).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_lowercase())
    }

    fn is_skill(skill: &str) -> bool {
        (1..=60).contains(&skill.chars().count()) && !skill.chars().any(char::is_control)
    }

    fn is_date(text: &str) -> bool {
        text.len() == 10 && ("2019-01-01"..="2026-11-01").contains(&text)
    }

    #[test]
    fn members_are_valid_distinct_and_varied() {
        for region in REGIONS {
            let members = members(region).unwrap();
            assert!((35..=45).contains(&members.len()), "{region}");
            let mut names = HashSet::new();
            let mut roles = HashSet::new();
            let mut statuses = HashSet::new();
            let mut sharing = 0;
            for member in &members {
                assert!(member.id.is_empty() && member.create_time.is_none());
                let profile = member.profile.as_ref().expect("profile");
                let regional = member.regional.as_ref().expect("regional");
                let name = &profile.display_name;
                assert!((1..=120).contains(&name.chars().count()), "{name}");
                assert!(names.insert(name.clone()), "duplicate {name} in {region}");
                assert!(profile.home_region.is_empty());
                assert!(profile.profession.chars().count() <= 120);
                assert!(!profile.sectors.is_empty() && profile.sectors.len() <= 20);
                assert!(profile.sectors.iter().all(|s| is_slug(s)), "{name}");
                assert!(!profile.skills.is_empty() && profile.skills.len() <= 50);
                assert!(profile.skills.iter().all(|s| is_skill(s)), "{name}");
                assert!(!profile.languages.is_empty() && profile.languages.len() <= 20);
                assert!(profile.languages.iter().all(|l| is_language(l)), "{name}");
                assert!((0..=40).contains(&profile.experience_years), "{name}");
                assert!((0..=40).contains(&profile.available_hours_per_week));
                assert!(profile.education_level != 0);
                assert!(regional.role != 0 && regional.residence_status != 0);
                let date = &regional.asylum_application_date;
                assert!(date.is_empty() || is_date(date), "{name}: {date}");
                for permit in &regional.permits {
                    assert!(!permit.kind.is_empty());
                    assert!(permit.valid_until.is_empty() || permit.valid_until.len() == 10);
                }
                let nationality = &regional.nationality;
                assert!(
                    nationality.is_empty()
                        || (nationality.len() == 2
                            && nationality.bytes().all(|b| b.is_ascii_uppercase())),
                    "{name}: {nationality}"
                );
                assert!((0..=150).contains(&regional.asylum_clock_stopped_days));
                assert!(regional.asylum_clock_stopped_days == 0 || date.as_str() <= "2026-04-30");
                assert!((0..=10).contains(&regional.buddy_capacity));
                roles.insert(regional.role);
                statuses.insert(regional.residence_status);
                sharing += usize::from(profile.share_across_regions);
            }
            assert_eq!(roles.len(), 3, "{region}");
            assert_eq!(statuses.len(), 5, "{region}");
            assert!(sharing > members.len() / 2 && sharing < members.len());
        }
    }

    #[test]
    fn organisations_are_valid() {
        for region in REGIONS {
            let organisations = organisations(region).unwrap();
            assert_eq!(organisations.len(), 12);
            let kinds: HashSet<i32> = organisations.iter().map(|o| o.kind).collect();
            assert_eq!(kinds.len(), 4);
            for organisation in &organisations {
                assert!((1..=200).contains(&organisation.name.chars().count()));
                assert!(!organisation.name.contains('{'), "{}", organisation.name);
                assert!(is_slug(&organisation.sector));
                assert!(organisation.location.chars().count() <= 120);
                assert!(organisation.website.starts_with("https://"));
                assert!(organisation.website.ends_with(".example"));
            }
        }
    }

    #[test]
    fn opportunities_are_valid_and_cover_every_kind() {
        for region in REGIONS {
            let organisations = organisations(region).unwrap().len();
            let opportunities = opportunities(region).unwrap();
            let kinds: HashSet<i32> = opportunities.iter().map(|(_, o, _)| o.kind).collect();
            assert_eq!(kinds.len(), 6);
            let published = opportunities
                .iter()
                .filter(|(_, _, status)| *status == OpportunityStatus::Published)
                .count();
            assert!(published * 2 > opportunities.len());
            for (index, opportunity, _) in &opportunities {
                assert!(*index < organisations);
                assert!(opportunity.organisation_id.is_empty() && opportunity.status == 0);
                let title = &opportunity.title;
                assert!((1..=200).contains(&title.chars().count()) && !title.contains('{'));
                assert!(opportunity.description.chars().count() <= 5000);
                assert!(!opportunity.description.contains('{'), "{title}");
                assert!(is_slug(&opportunity.sector));
                assert!(opportunity.skills.iter().all(|s| is_skill(s)));
                assert!(!opportunity.languages.is_empty());
                assert!(opportunity.languages.iter().all(|l| is_language(l)));
                assert!((1..=60).contains(&opportunity.hours_per_week));
                assert!(!opportunity.location.is_empty());
                if !opportunity.paid {
                    assert_eq!(opportunity.hourly_wage_cents, 0, "{title}");
                    assert!(!opportunity.self_employment, "{title}");
                }
            }
            let freelance = opportunities
                .iter()
                .filter(|(_, o, _)| o.self_employment)
                .count();
            assert_eq!(freelance, 2, "{region}");
        }
    }

    #[test]
    fn paid_work_pays_at_least_the_local_minimum_wage() {
        let wages = |region: &str| -> Vec<i64> {
            opportunities(region)
                .unwrap()
                .into_iter()
                .filter(|(_, o, _)| o.paid)
                .map(|(_, o, _)| o.hourly_wage_cents)
                .collect()
        };
        for (region, minimum) in [
            ("amsterdam", 1471),
            ("washington-dc", 1795),
            ("miami", 1400),
        ] {
            let wages = wages(region);
            assert!(!wages.is_empty());
            assert!(
                wages.iter().all(|&cents| cents >= minimum),
                "{region}: {wages:?}"
            );
            assert!(
                wages.iter().all(|&cents| cents % 5 == 0),
                "{region}: {wages:?}"
            );
        }
    }

    #[test]
    fn members_carry_the_facts_the_labour_market_rules_read() {
        for region in REGIONS {
            for member in members(region).unwrap() {
                let regional = member.regional.expect("regional");
                let role = MemberRole::try_from(regional.role).expect("role");
                let status = ResidenceStatus::try_from(regional.residence_status).expect("status");
                if role == MemberRole::Newcomer {
                    assert!(
                        !regional.nationality.is_empty(),
                        "every newcomer's nationality"
                    );
                }
                assert_eq!(
                    regional.buddy_capacity > 0,
                    role == MemberRole::Local,
                    "locals buddy 1 to 3 newcomers"
                );
                assert!(regional.buddy_capacity <= 3);
                if status != ResidenceStatus::AsylumSeeker {
                    assert_eq!(regional.asylum_clock_stopped_days, 0);
                }
            }
        }
        let amsterdam = members("amsterdam").unwrap();
        let regional = |member: &v1::Member| member.regional.clone().expect("regional");
        let safe: Vec<String> = amsterdam
            .iter()
            .map(regional)
            .filter(|r| r.safe_country_national)
            .map(|r| r.nationality)
            .collect();
        assert_eq!(safe.len(), 2, "{safe:?}");
        assert!(safe.contains(&"MA".to_owned()) && safe.contains(&"GE".to_owned()));
        let in_reception = amsterdam
            .iter()
            .map(regional)
            .filter(|r| r.in_reception_centre)
            .count();
        assert!(in_reception >= 3, "{in_reception} in a reception centre");
        for region in ["washington-dc", "miami"] {
            let members = members(region).unwrap();
            assert!(members.iter().map(regional).all(|r| !r.in_reception_centre));
            assert!(
                members
                    .iter()
                    .map(regional)
                    .all(|r| !r.safe_country_national)
            );
            let clock_stopped = members
                .iter()
                .map(regional)
                .filter(|r| r.asylum_clock_stopped_days > 0)
                .count();
            assert!(clock_stopped >= 1, "{region}: some asylum clocks stopped");
        }
    }

    #[test]
    fn no_one_appears_in_two_regions() {
        let mut names = HashSet::new();
        for region in REGIONS {
            for member in members(region).unwrap() {
                let name = member.profile.expect("profile").display_name;
                assert!(names.insert(name.clone()), "{name} twice");
            }
        }
    }

    #[test]
    fn every_row_is_for_a_demo_region_and_the_files_have_their_columns() {
        let known: Vec<&str> = crate::demo::REGIONS.iter().map(|r| r.0).collect();
        let header = |text: &str| text.lines().next().unwrap_or_default().to_owned();
        assert_eq!(header(MEMBERS), MemberRow::COLUMNS.join(","));
        assert_eq!(header(ORGANISATIONS), OrganisationRow::COLUMNS.join(","));
        assert_eq!(header(OPPORTUNITIES), OpportunityRow::COLUMNS.join(","));
        for (line, row) in sheet::read::<MemberRow>("members.csv", MEMBERS).unwrap() {
            assert!(
                known.contains(&row.region.as_str()),
                "members.csv line {line}"
            );
        }
        for (line, row) in
            sheet::read::<OrganisationRow>("organisations.csv", ORGANISATIONS).unwrap()
        {
            assert!(
                known.contains(&row.region.as_str()),
                "organisations.csv line {line}"
            );
        }
        for (line, row) in
            sheet::read::<OpportunityRow>("opportunities.csv", OPPORTUNITIES).unwrap()
        {
            assert!(
                known.contains(&row.region.as_str()),
                "opportunities.csv line {line}"
            );
        }
    }
}
