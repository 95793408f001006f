//! `passage rules check|test FILE`: what a chapter admin runs before a node loads an
//! edited rules file.

use std::path::Path;

use passage_node::rules::{cases, file};

/// Compiles every rule of the file; the summary, or the first mistake with its
/// file, line and rule id.
pub fn check(path: &Path) -> anyhow::Result<String> {
    let rules = file::load(path)?;
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
    Ok(out)
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
    use anyhow::Context;
    use passage_node::rules::{MemberFacts, OpportunityFacts};

    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Question {
        member: MemberFacts,
        opportunity: OpportunityFacts,
    }
    let rules = file::load(path)?;
    let date = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .with_context(|| format!("--date {date:?}: not a date (YYYY-MM-DD)"))?;
    let question: Question = toml::from_str(&format!(
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
        out.push_str(&format!(
            "  {:<9} {}\n            {}\n            source: {}\n",
            rule.effect.name(),
            rule.id,
            rule.effect.explanation(),
            rule.source
        ));
    }
    if decision.fired.is_empty() {
        out.push_str("  no rule fired\n");
    }
    Ok(out)
}
