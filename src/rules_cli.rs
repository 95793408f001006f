//! `passage rules check|test|explain FILE`: what a chapter admin runs before a node
//! loads an edited rules file, and every quarter to find the rules due for a check.

use std::path::Path;

use passage_node::rules::{cases, file};

/// Compiles every rule of the file; the summary with the rules past their
/// `review_by` on `today` (default: the real today), or the first mistake with its
/// file, line and rule id. A stale rule is a warning, never an error.
pub fn check(path: &Path, today: Option<&str>) -> anyhow::Result<String> {
    use anyhow::Context;

    let rules = file::load(path)?;
    let today = match today {
        Some(day) => chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
            .with_context(|| format!("--today {day:?}: not a date (YYYY-MM-DD)"))?,
        None => chrono::Utc::now().date_naive(),
    };
    let mut out = String::new();
    for rule in &rules.rules {
        out.push_str(&format!(
            "ok {:>5}  {:<9} {}\n",
            rule.line,
            rule.effect.name(),
            rule.id
        ));
    }
    out.push_str(&format!(
        "{}: {} rules compile ({} cases; run `passage rules test` to run them)\n",
        rules.path,
        rules.rules.len(),
        rules.cases.len()
    ));
    let stale = rules.stale(today);
    for rule in &stale {
        out.push_str(&format!(
            "STALE {:>5}  {}  review by {}, last checked {}\n",
            rule.line,
            rule.id,
            day(rule.review.review_by),
            day(rule.review.reviewed_on)
        ));
    }
    let unreviewed = rules
        .rules
        .iter()
        .filter(|rule| rule.review.review_by.is_none())
        .count();
    out.push_str(&format!(
        "{}: {} rules past review_by on {}{} (docs/rules.md: reviewing a rule set)\n",
        rules.path,
        stale.len(),
        today.format("%Y-%m-%d"),
        if unreviewed == 0 {
            String::new()
        } else {
            format!(", {unreviewed} without a review_by")
        }
    ));
    Ok(out)
}

fn day(date: Option<chrono::NaiveDate>) -> String {
    date.map_or_else(|| "never".to_owned(), |d| d.format("%Y-%m-%d").to_string())
}

/// Runs every case of the file: the table, and whether all passed and every rule
/// fires in some case.
pub fn test(path: &Path) -> anyhow::Result<(String, bool)> {
    let rules = file::load(path)?;
    let report = cases::run(&rules);
    Ok((report.table(), report.all_passed()))
}

/// The decision of the rules file for one person and one opportunity, given as
/// the inside of a case's `member = { … }` and `opportunity = { … }` tables: what
/// a chapter admin tries before a rule goes live.
pub fn explain(path: &Path, date: &str, member: &str, opportunity: &str) -> anyhow::Result<String> {
    let question = Question {
        date,
        member,
        opportunity,
    };
    explain_in(path, &question, "en")
}

/// What `passage rules explain` is asked: the day, and the member and the
/// opportunity as inside a case's tables.
pub struct Question<'a> {
    pub date: &'a str,
    pub member: &'a str,
    pub opportunity: &'a str,
}

/// [`explain`] with the explanations in `language` (a code such as `nl`); a rule
/// without a text in it gives the English and says so.
pub fn explain_in(path: &Path, asked: &Question, language: &str) -> anyhow::Result<String> {
    use anyhow::Context;
    let Question {
        date,
        member,
        opportunity,
    } = *asked;
    use passage_node::rules::{MemberFacts, OpportunityFacts};

    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Facts {
        member: MemberFacts,
        opportunity: OpportunityFacts,
    }
    let rules = file::load(path)?;
    let date = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .with_context(|| format!("--date {date:?}: not a date (YYYY-MM-DD)"))?;
    let question: Facts = toml::from_str(&format!(
        "member = {{ {member} }}\nopportunity = {{ {opportunity} }}\n"
    ))
    .context("--member / --opportunity: fields as in a rules file's case (docs/rules.md)")?;
    question
        .member
        .check()
        .map_err(|m| anyhow::anyhow!("--member: {m}"))?;
    question
        .opportunity
        .check()
        .map_err(|m| anyhow::anyhow!("--opportunity: {m}"))?;
    let decision = rules.evaluate(&question.member, &question.opportunity, date)?;
    let mut out = format!(
        "{} ({}), {}: {}",
        rules.region,
        rules.country,
        date,
        if decision.eligible {
            "eligible"
        } else {
            "NOT eligible"
        }
    );
    if let Some(cap) = decision.hours_cap {
        out.push_str(&format!(", at most {cap} hours a week"));
    }
    out.push('\n');
    for index in &decision.fired {
        let rule = rules.rule(*index);
        let text = if language == "en" {
            rule.explanation()
        } else {
            let explained = rule.explanation_in(language);
            let checked = rule
                .review
                .reviewed_on
                .map(|on| format!(" ({})", on.format("%Y-%m-%d")))
                .unwrap_or_default();
            let fallback = if explained.fell_back {
                format!(" [no {language} text: English]")
            } else {
                String::new()
            };
            format!("{}{checked}{fallback}", explained.text)
        };
        out.push_str(&format!(
            "  {:<9} {}\n            {}\n            source: {}\n",
            rule.effect.name(),
            rule.id,
            text,
            rule.source
        ));
    }
    if decision.fired.is_empty() {
        out.push_str("  no rule fired\n");
    }
    Ok(out)
}
