//! Every rule says when it was last checked (issue 17): the shipped rule sets carry
//! `reviewed_on` and `review_by`, a bad date is named with its file, line and key,
//! and `passage rules check` lists the rules past `review_by` without failing.
//! Staleness is checked against pinned days only, so no test breaks on a calendar day.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::NaiveDate;
use common::shipped_rules;
use passage::rules_cli;
use passage_node::rules::file;

const REGIONS: [&str; 4] = ["amsterdam", "washington-dc", "miami", "berlin"];

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

#[test]
fn every_shipped_rule_says_when_it_was_checked_and_when_it_is_due() {
    for region in REGIONS {
        let rules = file::load(&shipped_rules(region)).unwrap();
        for rule in &rules.rules {
            let on = rule
                .review
                .reviewed_on
                .unwrap_or_else(|| panic!("{region}: {} has no reviewed_on", rule.id));
            let by = rule
                .review
                .review_by
                .unwrap_or_else(|| panic!("{region}: {} has no review_by", rule.id));
            assert!(
                on >= day("2026-12-02"),
                "{region}: {} checked {on}",
                rule.id
            );
            assert!(by > on, "{region}: {}", rule.id);
            // A quarter between checks, or up to the known day a figure changes.
            assert!(
                (by - on).num_days() <= 310,
                "{region}: {} due {by}",
                rule.id
            );
        }
        // On the day of the check nothing is stale.
        assert!(rules.stale(day("2026-12-04")).is_empty(), "{region}");
    }
}

#[test]
fn a_figure_that_changes_on_a_known_day_is_due_that_day() {
    let due = |region: &str, id: &str| {
        let rules = file::load(&shipped_rules(region)).unwrap();
        let rule = rules.rules.iter().find(|r| r.id == id).unwrap();
        rule.review.review_by.unwrap()
    };
    assert_eq!(
        due("washington-dc", "dc-minimum-wage-2026"),
        day("2027-07-01")
    );
    assert_eq!(
        due("amsterdam", "nl-minimum-wage-2026-h2"),
        day("2027-01-01")
    );
    assert_eq!(due("berlin", "de-minimum-wage-2026"), day("2027-01-01"));
}

#[test]
fn rules_check_lists_the_rules_past_review_by_and_still_succeeds() {
    let path = shipped_rules("amsterdam");
    let fresh = rules_cli::check(&path, Some("2026-12-04")).unwrap();
    assert!(
        fresh.contains("0 rules past review_by on 2026-12-04"),
        "{fresh}"
    );
    assert!(!fresh.contains("STALE"), "{fresh}");

    let later = rules_cli::check(&path, Some("2027-06-01")).unwrap();
    assert!(later.contains("STALE"), "{later}");
    assert!(
        later.contains("nl-asylum-paid-work-waiting-period"),
        "{later}"
    );
    let rules = file::load(&path).unwrap();
    let stale = rules.stale(day("2027-06-01"));
    assert!(!stale.is_empty());
    // A node loading the file that day logs each of them and counts them.
    assert_eq!(
        passage_node::rules::active::log_stale(&rules, day("2027-06-01")),
        stale.len()
    );
    assert_eq!(
        passage_node::rules::active::log_stale(&rules, day("2026-12-04")),
        0
    );
    assert!(
        later.contains(&format!(
            "{} rules past review_by on 2027-06-01",
            stale.len()
        )),
        "{later}"
    );
    // A rule that ended before the day needs no check.
    assert!(
        stale
            .iter()
            .all(|r| r.effective_until.is_none_or(|u| u >= day("2027-06-01")))
    );

    let typo = rules_cli::check(&path, Some("2027-13-01")).unwrap_err();
    assert!(format!("{typo:#}").contains("--today"), "{typo:#}");
}

const ONE_RULE: &str = r#"region = "amsterdam"
country = "NL"

[[rule]]
id = "nl-checked"
description = "A rule with its review dates."
source = "test"
effective_from = "2026-01-01"
reviewed_on = "2026-12-04"
review_by = "2027-03-04"
when = 'opportunity.paid'
effect = "warn"
message = "paid"
"#;

#[test]
fn a_bad_review_date_is_named_with_file_line_and_key() {
    let rules = file::parse("amsterdam.rules.toml", ONE_RULE).unwrap();
    assert_eq!(rules.rules[0].review.reviewed_on, Some(day("2026-12-04")));
    assert_eq!(rules.rules[0].review.review_by, Some(day("2027-03-04")));
    assert!(!rules.rules[0].stale(day("2027-03-04")));
    assert!(rules.rules[0].stale(day("2027-03-05")));

    let typo = ONE_RULE.replace("2026-12-04", "2026-12-4x");
    let refused = file::parse("amsterdam.rules.toml", &typo).err().unwrap();
    assert_eq!(refused.file, "amsterdam.rules.toml");
    assert_eq!(refused.line, 9);
    assert_eq!(refused.rule.as_deref(), Some("nl-checked"));
    assert!(refused.message.starts_with("reviewed_on:"), "{refused}");
    assert!(
        refused
            .to_string()
            .starts_with("amsterdam.rules.toml:9: rule nl-checked: reviewed_on"),
        "{refused}"
    );

    let backwards = ONE_RULE.replace("2027-03-04", "2026-01-01");
    let refused = file::parse("amsterdam.rules.toml", &backwards)
        .err()
        .unwrap();
    assert_eq!(refused.line, 10);
    assert!(refused.message.starts_with("review_by:"), "{refused}");

    let not_a_string = ONE_RULE.replace("review_by = \"2027-03-04\"", "review_by = 2027");
    let refused = file::parse("amsterdam.rules.toml", &not_a_string)
        .err()
        .unwrap();
    assert_eq!(refused.line, 10);
    assert!(refused.message.contains("review_by"), "{refused}");
}
