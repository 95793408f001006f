//! Rule explanations in the languages of their region (issue 14 point 5, issue 17):
//! a rules file gives a rule's text in other languages in `[rule.translations]`;
//! every shipped rule with an explanation carries its region's language, and Arabic
//! and Ukrainian when it is about asylum, refugees, toleration or temporary
//! protection; a missing language falls back to English and says so.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::shipped_rules;
use passage::rules_cli::{self, Question};
use passage_node::rules::facts::RESIDENCE_STATUSES;
use passage_node::rules::{Effect, RuleSet, file};

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

/// Each shipped region and the language its rules' explanations must carry.
const REGION_LANGUAGES: &[(&str, &str)] = &[
    ("amsterdam", "nl"),
    ("washington-dc", "es"),
    ("miami", "es"),
    ("berlin", "de"),
];

/// The languages of the rules about asylum and protection, in every region.
const PROTECTION_LANGUAGES: &[&str] = &["ar", "uk"];

/// The residence statuses that are not about asylum or protection. Every other
/// status the engine knows (`asylum_seeker`, `status_holder` — refugees and
/// asylees —, `temporary_protection`, `tolerated`, and any added later) is.
const NOT_PROTECTION_STATUSES: &[&str] = &["citizen_or_resident", "other", "unspecified"];

/// Permit kinds only people in asylum or protection hold: a rule reading one is
/// about them even when it does not name a residence status.
const PROTECTION_PERMIT_KINDS: &[&str] = &[
    // Germany: a Duldung for employment.
    "beschaeftigungsduldung",
    // Netherlands: the asylum residence permit; temporary protection (Ukraine).
    "verblijfsvergunning_asiel",
    "w2_document",
    "ua_permanent_residence",
    // US EAD categories: refugee, asylee, asylum applicant, TPS granted, TPS pending.
    "ead_a3",
    "ead_a03",
    "ead_a5",
    "ead_a05",
    "ead_c8",
    "ead_c08",
    "ead_a12",
    "ead_c19",
];

/// The string literals of a `when` expression, in either quote.
fn string_literals(when: &str) -> Vec<String> {
    let mut literals = Vec::new();
    let mut chars = when.chars();
    while let Some(c) = chars.next() {
        if c != '"' && c != '\'' {
            continue;
        }
        let mut literal = String::new();
        while let Some(inner) = chars.next() {
            match inner {
                '\\' => literal.extend(chars.next()),
                end if end == c => break,
                other => literal.push(other),
            }
        }
        literals.push(literal);
    }
    literals
}

/// Whether a rule's `when` is about asylum seekers, refugees and asylees, tolerated
/// people or temporary protection: it names such a residence status, or a permit
/// kind only they hold.
fn about_protection(when: &str) -> bool {
    string_literals(when).iter().any(|literal| {
        let status = RESIDENCE_STATUSES.contains(&literal.as_str())
            && !NOT_PROTECTION_STATUSES.contains(&literal.as_str());
        status || PROTECTION_PERMIT_KINDS.contains(&literal.as_str())
    })
}

/// The runs of digits in `text`, which a translation keeps as they are (a figure,
/// a date, a form number, a paragraph of a law).
fn figures(text: &str) -> std::collections::BTreeSet<&str> {
    text.split(|c: char| !c.is_ascii_digit())
        .filter(|run| !run.is_empty())
        .collect()
}

/// What is wrong with the languages of `rules`, whose region speaks `language`:
/// a rule with an explanation lacks the region's language, or one about asylum
/// or protection lacks Arabic or Ukrainian; a translation is the English text, or
/// changes its figures.
fn language_problems(region: &str, language: &str, rules: &RuleSet) -> Vec<String> {
    let mut problems = Vec::new();
    for rule in &rules.rules {
        if matches!(rule.effect, Effect::CapHours { .. }) {
            continue; // no text: the reader's language words the cap
        }
        let english = rule.effect.explanation();
        let mut required = vec![language];
        if about_protection(&rule.when) {
            required.extend_from_slice(PROTECTION_LANGUAGES);
        }
        for code in required {
            if rule.explanation_in(code).fell_back {
                problems.push(format!("{region}: {} has no {code} text", rule.id));
            }
        }
        for (code, text) in &rule.translations {
            if text.trim().to_lowercase() == english.trim().to_lowercase() {
                problems.push(format!("{region}: {} {code} is the English text", rule.id));
            } else if figures(text) != figures(&english) {
                problems.push(format!(
                    "{region}: {} {code} has the figures {:?}, the English {:?}",
                    rule.id,
                    figures(text),
                    figures(&english)
                ));
            }
        }
    }
    problems
}

#[test]
fn every_shipped_explanation_speaks_its_regions_languages() {
    let mut problems = Vec::new();
    for (region, language) in REGION_LANGUAGES {
        let rules = file::load(&shipped_rules(region)).unwrap();
        problems.extend(language_problems(region, language, &rules));
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn the_rules_about_asylum_and_protection_are_found() {
    // Named by residence status, or only by a permit kind of the status.
    for (region, id) in [
        ("amsterdam", "nl-asylum-paid-work-waiting-period"),
        ("amsterdam", "nl-tp-protection-ended"),
        ("washington-dc", "us-refugee-asylee-work-incident-to-status"),
        ("washington-dc", "us-ead-validity-18-months"),
        ("miami", "us-tps-ead-validity-one-year"),
        ("berlin", "de-tolerated-no-self-employment"),
        ("berlin", "de-beschaeftigungsduldung-hours"),
    ] {
        let rules = file::load(&shipped_rules(region)).unwrap();
        let rule = rules.rules.iter().find(|rule| rule.id == id).unwrap();
        assert!(about_protection(&rule.when), "{region}: {id}");
    }
    for (region, id) in [
        ("amsterdam", "nl-minimum-wage-2026"),
        ("amsterdam", "nl-permit-expired"),
        ("washington-dc", "us-ead-expiring-within-60-days"),
        ("berlin", "de-minimum-wage-internship"),
    ] {
        let rules = file::load(&shipped_rules(region)).unwrap();
        let rule = rules.rules.iter().find(|rule| rule.id == id).unwrap();
        assert!(!about_protection(&rule.when), "{region}: {id}");
    }
    // Every residence status the engine knows is sorted one way or the other.
    for status in NOT_PROTECTION_STATUSES {
        assert!(RESIDENCE_STATUSES.contains(status), "{status}");
    }
}

#[test]
fn a_missing_or_english_translation_is_named() {
    let text = r#"region = "berlin"
country = "DE"

[[rule]]
id = "de-tolerated-spoken"
description = "A rule about tolerated people."
source = "test"
effective_from = "2026-01-01"
when = 'member.residence_status == "tolerated" && opportunity.paid'
effect = "warn"
message = "Check the Duldung for 20 h/week."
[rule.translations]
de = "Prüfen Sie die Duldung auf 20 Std./Woche."
ar = "Check the Duldung for 20 h/week."

[[rule]]
id = "de-wage-spoken"
description = "A rule for everybody."
source = "test"
effective_from = "2026-01-01"
when = 'opportunity.paid'
effect = "deny"
reason = "Below EUR 13.90 an hour."
[rule.translations]
de = "Unter 13,80 EUR pro Stunde."

[[rule]]
id = "de-cap"
description = "A cap has no text."
source = "test"
effective_from = "2026-01-01"
when = 'member.residence_status == "asylum_seeker"'
effect = "cap_hours"
hours = 20
"#;
    let rules = file::parse("berlin.rules.toml", text).unwrap();
    let problems = language_problems("berlin", "de", &rules);
    assert_eq!(
        problems,
        [
            "berlin: de-tolerated-spoken has no uk text",
            "berlin: de-tolerated-spoken ar is the English text",
            "berlin: de-wage-spoken de has the figures {\"13\", \"80\"}, the English {\"13\", \"90\"}",
        ]
    );
    assert_eq!(
        language_problems("miami", "es", &rules)[..2],
        [
            "miami: de-tolerated-spoken has no es text",
            "miami: de-tolerated-spoken has no uk text",
        ]
    );
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
