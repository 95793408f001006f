//! Rule explanations in the languages of their region (issue 17 with issue 14's
//! list): a rules file gives a rule's text in other languages in
//! `[rule.translations]`; the new and changed rules of December 2026 carry their
//! region's language, and Arabic and Ukrainian for the rules about asylum and
//! temporary protection; a missing language falls back to English and says so.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::shipped_rules;
use passage::rules_cli::{self, Question};
use passage_node::rules::file;

/// The new and changed rules of issue 17 and the languages each must carry.
const EXPECTED: &[(&str, &str, &[&str])] = &[
    (
        "amsterdam",
        "nl-asylum-employer-needs-twv",
        &["nl", "ar", "uk"],
    ),
    (
        "amsterdam",
        "nl-asylum-internship-waiting-period",
        &["nl", "ar", "uk"],
    ),
    ("amsterdam", "nl-asylum-bpv-internship", &["nl", "ar", "uk"]),
    ("amsterdam", "nl-asylum-coa-income", &["nl", "ar", "uk"]),
    (
        "amsterdam",
        "nl-asylum-proposal-3-months",
        &["nl", "ar", "uk"],
    ),
    ("amsterdam", "nl-minimum-wage-2026", &["nl"]),
    ("amsterdam", "nl-minimum-wage-2026-h2", &["nl"]),
    ("amsterdam", "nl-minimum-wage-2026-h2-unconfirmed", &["nl"]),
    (
        "washington-dc",
        "us-asylum-work-without-ead-may-apply",
        &["es", "ar", "uk"],
    ),
    (
        "washington-dc",
        "us-asylum-ead-fee-hr1-fy2026",
        &["es", "ar", "uk"],
    ),
    (
        "washington-dc",
        "us-asylum-annual-asylum-fee-fy2026",
        &["es", "ar", "uk"],
    ),
    (
        "washington-dc",
        "us-uscis-hold-travel-ban-nationals",
        &["es", "ar", "uk"],
    ),
    (
        "washington-dc",
        "us-ead-renewal-receipt-auto-extension",
        &["es", "ar", "uk"],
    ),
    (
        "washington-dc",
        "us-tps-designation-terminated",
        &["es", "ar", "uk"],
    ),
    (
        "washington-dc",
        "us-unpaid-internship-primary-beneficiary",
        &["es"],
    ),
    ("washington-dc", "dc-minimum-wage-2026", &["es"]),
    (
        "washington-dc",
        "dc-minimum-wage-2026-rate-unconfirmed",
        &["es"],
    ),
    (
        "miami",
        "us-asylum-work-without-ead-may-apply",
        &["es", "ar", "uk"],
    ),
    (
        "miami",
        "us-tps-designation-terminated",
        &["es", "ar", "uk"],
    ),
    ("miami", "fl-e-verify-private-employers", &["es"]),
    (
        "berlin",
        "de-asylum-work-permission-rule",
        &["de", "ar", "uk"],
    ),
    (
        "berlin",
        "de-tolerated-work-permission",
        &["de", "ar", "uk"],
    ),
    (
        "berlin",
        "de-tolerated-unclear-identity",
        &["de", "ar", "uk"],
    ),
    ("berlin", "de-asylum-geas-three-months", &["de", "ar", "uk"]),
];

#[test]
fn new_and_changed_rules_speak_their_regions_languages() {
    for (region, id, languages) in EXPECTED {
        let rules = file::load(&shipped_rules(region)).unwrap();
        let rule = rules
            .rules
            .iter()
            .find(|rule| rule.id == *id)
            .unwrap_or_else(|| panic!("{region}: no rule {id}"));
        let english = rule.effect.explanation();
        for language in *languages {
            let explained = rule.explanation_in(language);
            assert!(
                !explained.fell_back,
                "{region}: {id} has no {language} text"
            );
            assert_ne!(
                explained.text, english,
                "{region}: {id} {language} is English"
            );
        }
    }
    // The federal rules read the same in both US regions, in every language.
    let dc = file::load(&shipped_rules("washington-dc")).unwrap();
    let miami = file::load(&shipped_rules("miami")).unwrap();
    for rule in dc.rules.iter().filter(|rule| rule.id.starts_with("us-")) {
        let twin = miami.rules.iter().find(|r| r.id == rule.id).unwrap();
        assert_eq!(rule.translations, twin.translations, "{}", rule.id);
        assert_eq!(rule.effect, twin.effect, "{}", rule.id);
    }
}

#[test]
fn a_missing_language_falls_back_to_english_and_says_so() {
    let question = Question {
        date: "2026-11-24",
        member: r#"residence_status = "tolerated", identity_unclear = true"#,
        opportunity: r#"kind = "job", paid = true, hours_per_week = 30, hourly_wage = 15.0"#,
    };
    let berlin = shipped_rules("berlin");
    let german = rules_cli::explain_in(&berlin, &question, "de").unwrap();
    assert!(german.contains("ungeklärter Identität"), "{german}");
    assert!(german.contains("(2026-12-04)"), "{german}");
    let spanish = rules_cli::explain_in(&berlin, &question, "es").unwrap();
    assert!(spanish.contains("[no es text: English]"), "{spanish}");
    assert!(spanish.contains("unclear identity"), "{spanish}");
}

#[test]
fn a_translation_with_a_bad_language_code_is_named_with_its_line() {
    let text = r#"region = "amsterdam"
country = "NL"

[[rule]]
id = "nl-spoken"
description = "A rule in two languages."
source = "test"
effective_from = "2026-01-01"
when = 'opportunity.paid'
effect = "warn"
message = "paid"
[rule.translations]
nl = "betaald"
"#;
    let rules = file::parse("amsterdam.rules.toml", text).unwrap();
    assert_eq!(rules.rules[0].explanation_in("nl").text, "betaald");
    let english = text.replace("nl = \"betaald\"", "nl = \"betaald\"\nEN = \"paid\"");
    let refused = file::parse("amsterdam.rules.toml", &english).err().unwrap();
    assert_eq!(refused.rule.as_deref(), Some("nl-spoken"));
    assert!(refused.message.starts_with("translations.EN"), "{refused}");
    assert_eq!(refused.line, 12, "{refused}");
}
