//! The demo's present day for `passage demo`: the organisations, opportunities and
//! members a chapter of the network has today, for Amsterdam, Washington DC and
//! Miami, as the spreadsheet import's own CSV files in `src/demo/sheets/<region>/`
//! (the README's "Spreadsheets" section names their columns), built into the
//! binary and brought in through `SpreadsheetService.ImportRecords`, as a
//! chapter moving to Passage brings its records.
//!
//! An imported opportunity starts as a draft or is a record of the past (filled
//! or closed, with its days): community review still applies. What the region's
//! newcomers then do with each draft is `community-review.csv`: `in_review` is
//! submitted for review, `published` is also approved by as many newcomers as
//! the region's policy asks. Everyone and everything in the files is fictional.

use std::collections::HashMap;

use anyhow::Context;
use passage_proto::v1::ImportKind;
use serde::Deserialize;

/// One of a region's files: the kind the import reads it as, its name in
/// `src/demo/sheets/<region>/`, and its text.
#[derive(Debug, Clone, Copy)]
pub struct SeedFile {
    pub kind: ImportKind,
    pub name: &'static str,
    pub text: &'static str,
}

macro_rules! region_files {
    ($region:literal) => {
        [
            SeedFile {
                kind: ImportKind::Organisations,
                name: "organisations.csv",
                text: include_str!(concat!("sheets/", $region, "/organisations.csv")),
            },
            SeedFile {
                kind: ImportKind::Opportunities,
                name: "opportunities.csv",
                text: include_str!(concat!("sheets/", $region, "/opportunities.csv")),
            },
            SeedFile {
                kind: ImportKind::Members,
                name: "members.csv",
                text: include_str!(concat!("sheets/", $region, "/members.csv")),
            },
        ]
    };
}

/// Each demo region's files, in the order they are imported: organisations
/// before the opportunities that name them, members last (their presence marks
/// a region as seeded).
const FILES: [(&str, [SeedFile; 3]); 3] = [
    ("amsterdam", region_files!("amsterdam")),
    ("washington-dc", region_files!("washington-dc")),
    ("miami", region_files!("miami")),
];

/// `community-review.csv` of each demo region.
const COMMUNITY_REVIEW: [(&str, &str); 3] = [
    (
        "amsterdam",
        include_str!("sheets/amsterdam/community-review.csv"),
    ),
    (
        "washington-dc",
        include_str!("sheets/washington-dc/community-review.csv"),
    ),
    ("miami", include_str!("sheets/miami/community-review.csv")),
];

/// The files `region` imports, in order.
pub fn files(region: &str) -> anyhow::Result<[SeedFile; 3]> {
    FILES
        .iter()
        .find(|(slug, _)| *slug == region)
        .map(|(_, files)| *files)
        .with_context(|| format!("the demo has no files for region {region}"))
}

/// What the region's newcomers do with an imported draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Review {
    /// Submitted for review; no verdicts yet.
    InReview,
    /// Submitted and approved by as many newcomers as the policy asks.
    Published,
}

/// A line of `community-review.csv`: an opportunity of `opportunities.csv`, by
/// its `external_id`.
#[derive(Debug, Clone, Deserialize)]
pub struct PlannedReview {
    pub opportunity_external_id: String,
    pub review: Review,
}

/// The title of each opportunity of `region`'s `opportunities.csv`, by
/// `external_id`: the demo finds an imported opportunity by its title, since the
/// API names records by id, not by the file's `external_id`.
pub fn opportunity_titles(region: &str) -> anyhow::Result<HashMap<String, String>> {
    #[derive(Deserialize)]
    struct Line {
        external_id: String,
        title: String,
    }
    let file = files(region)?
        .into_iter()
        .find(|file| file.kind == ImportKind::Opportunities)
        .context("the demo's regions have opportunities")?;
    csv::Reader::from_reader(file.text.as_bytes())
        .deserialize::<Line>()
        .enumerate()
        .map(|(index, line)| {
            let line = line.with_context(|| {
                format!("src/demo/sheets/{region}/{} line {}", file.name, index + 2)
            })?;
            Ok((line.external_id, line.title))
        })
        .collect()
}

/// `src/demo/sheets/<region>/community-review.csv`, read.
pub fn community_review(region: &str) -> anyhow::Result<Vec<PlannedReview>> {
    let (_, text) = COMMUNITY_REVIEW
        .iter()
        .find(|(slug, _)| *slug == region)
        .with_context(|| format!("the demo has no community review for region {region}"))?;
    csv::Reader::from_reader(text.as_bytes())
        .deserialize()
        .enumerate()
        .map(|(index, line)| {
            line.with_context(|| {
                format!(
                    "src/demo/sheets/{region}/community-review.csv line {}",
                    index + 2
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::collections::HashSet;

    use super::*;
    use passage_node::spreadsheets::{import_market, import_members};

    const REGIONS: [&str; 3] = ["amsterdam", "washington-dc", "miami"];

    /// A file's lines as column → cell, with its header.
    fn lines(file: &SeedFile) -> (Vec<String>, Vec<HashMap<String, String>>) {
        let mut reader = csv::Reader::from_reader(file.text.as_bytes());
        let header: Vec<String> = reader
            .headers()
            .unwrap()
            .iter()
            .map(str::to_owned)
            .collect();
        let lines = reader
            .records()
            .map(|record| {
                let record = record.unwrap();
                header
                    .iter()
                    .cloned()
                    .zip(record.iter().map(str::to_owned))
                    .collect()
            })
            .collect();
        (header, lines)
    }

    fn file_of(region: &str, kind: ImportKind) -> Vec<HashMap<String, String>> {
        let files = files(region).unwrap();
        lines(files.iter().find(|file| file.kind == kind).unwrap()).1
    }

    fn list(cell: &str) -> Vec<&str> {
        cell.split('|')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .collect()
    }

    #[test]
    fn every_file_has_only_the_imports_columns_and_distinct_external_ids() {
        for region in REGIONS {
            for file in files(region).unwrap() {
                let known = match file.kind {
                    ImportKind::Members => import_members::COLUMNS,
                    ImportKind::Organisations => import_market::ORGANISATION_COLUMNS,
                    _ => import_market::OPPORTUNITY_COLUMNS,
                };
                let (header, lines) = lines(&file);
                for column in &header {
                    assert!(
                        known.contains(&column.as_str()),
                        "{region}/{}: {column}",
                        file.name
                    );
                }
                let ids: HashSet<&String> = lines.iter().map(|l| &l["external_id"]).collect();
                assert_eq!(ids.len(), lines.len(), "{region}/{}", file.name);
            }
        }
    }

    #[test]
    fn members_are_distinct_and_varied() {
        let mut everyone = HashSet::new();
        for region in REGIONS {
            let members = file_of(region, ImportKind::Members);
            assert!((35..=45).contains(&members.len()), "{region}");
            let roles: HashSet<&str> = members.iter().map(|m| m["role"].as_str()).collect();
            assert_eq!(roles.len(), 3, "{region}: newcomers, locals and coaches");
            let statuses: HashSet<&str> = members
                .iter()
                .map(|m| m["residence_status"].as_str())
                .collect();
            assert_eq!(statuses.len(), 5, "{region}");
            let sharing = members
                .iter()
                .filter(|m| m["share_across_regions"] == "yes")
                .count();
            assert!(sharing > members.len() / 2 && sharing < members.len());
            for member in &members {
                // The demo finds each imported member again by name.
                let name = &member["display_name"];
                assert!(everyone.insert(name.clone()), "{name} twice");
            }
        }
    }

    #[test]
    fn members_carry_the_facts_the_labour_market_rules_read() {
        for region in REGIONS {
            for member in file_of(region, ImportKind::Members) {
                let name = &member["display_name"];
                if member["role"] == "newcomer" {
                    assert!(!member["nationality"].is_empty(), "{name}'s nationality");
                }
                let capacity: i32 = member["buddy_capacity"].parse().unwrap();
                assert_eq!(capacity > 0, member["role"] == "local", "{name}");
                assert!(capacity <= 3);
                if member["residence_status"] != "asylum_seeker" {
                    assert_eq!(member["asylum_clock_stopped_days"], "0", "{name}");
                }
                for permit in list(&member["permits"]) {
                    if let Some((_, until)) = permit.split_once(':') {
                        assert_eq!(until.trim().len(), 10, "{name}: {permit}");
                    }
                }
            }
        }
        let amsterdam = file_of("amsterdam", ImportKind::Members);
        let mut safe: Vec<&str> = amsterdam
            .iter()
            .filter(|m| m["safe_country_national"] == "yes")
            .map(|m| m["nationality"].as_str())
            .collect();
        safe.sort();
        assert_eq!(safe, ["GE", "MA"]);
        let in_reception = amsterdam
            .iter()
            .filter(|m| m["in_reception_centre"] == "yes")
            .count();
        assert!(in_reception >= 3, "{in_reception} in a reception centre");
        for region in ["washington-dc", "miami"] {
            let members = file_of(region, ImportKind::Members);
            assert!(members.iter().all(|m| m["in_reception_centre"] == "no"));
            assert!(members.iter().all(|m| m["safe_country_national"] == "no"));
            assert!(
                members
                    .iter()
                    .any(|m| m["asylum_clock_stopped_days"] != "0"),
                "{region}: some asylum clocks stopped"
            );
        }
    }

    #[test]
    fn opportunities_name_their_organisations_and_cover_every_kind() {
        for region in REGIONS {
            let organisations = file_of(region, ImportKind::Organisations);
            assert_eq!(organisations.len(), 12);
            let kinds: HashSet<&str> = organisations.iter().map(|o| o["kind"].as_str()).collect();
            assert_eq!(kinds.len(), 4);
            let known: HashSet<&str> = organisations
                .iter()
                .map(|o| o["external_id"].as_str())
                .collect();
            let opportunities = file_of(region, ImportKind::Opportunities);
            let kinds: HashSet<&str> = opportunities.iter().map(|o| o["kind"].as_str()).collect();
            assert_eq!(kinds.len(), 6, "{region}");
            let mut titles = HashSet::new();
            for opportunity in &opportunities {
                let title = &opportunity["title"];
                assert!(known.contains(opportunity["organisation_external_id"].as_str()));
                // The demo finds each imported opportunity again by its title.
                assert!(titles.insert(title.clone()), "{region}: {title} twice");
                if opportunity["paid"] == "no" {
                    assert_eq!(opportunity["hourly_wage_cents"], "", "{title}");
                    assert_eq!(opportunity["self_employment"], "no", "{title}");
                }
            }
            let freelance = opportunities
                .iter()
                .filter(|o| o["self_employment"] == "yes")
                .count();
            assert_eq!(freelance, 2, "{region}");
        }
    }

    #[test]
    fn community_review_takes_drafts_and_publishes_most_of_them() {
        for region in REGIONS {
            let opportunities = file_of(region, ImportKind::Opportunities);
            let planned = community_review(region).unwrap();
            let titles = opportunity_titles(region).unwrap();
            for review in &planned {
                let opportunity = opportunities
                    .iter()
                    .find(|o| o["external_id"] == review.opportunity_external_id)
                    .unwrap_or_else(|| panic!("{region}: {}", review.opportunity_external_id));
                assert_eq!(opportunity["status"], "draft");
                assert_eq!(
                    opportunity["title"],
                    titles[&review.opportunity_external_id]
                );
            }
            let published = planned
                .iter()
                .filter(|r| r.review == Review::Published)
                .count();
            assert!(published * 2 > opportunities.len(), "{region}");
            assert!(planned.iter().any(|r| r.review == Review::InReview));
            let history = opportunities
                .iter()
                .filter(|o| o["status"] == "filled" || o["status"] == "closed")
                .count();
            assert!(history >= 5, "{region}: filled and closed vacancies");
        }
    }

    #[test]
    fn paid_work_pays_at_least_the_local_minimum_wage() {
        for (region, minimum) in [
            ("amsterdam", 1471),
            ("washington-dc", 1795),
            ("miami", 1400),
        ] {
            let wages: Vec<i64> = file_of(region, ImportKind::Opportunities)
                .iter()
                .filter(|o| o["paid"] == "yes")
                .map(|o| o["hourly_wage_cents"].parse().unwrap())
                .collect();
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
}
