//! Reading a rules file: TOML with a `[[rule]]` table per rule and a `[[case]]` per
//! test case. Every mistake is reported with the file, the line and the rule id.

use std::collections::HashSet;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use cel::Env;
use chrono::NaiveDate;
use serde::Deserialize;
use toml::Spanned;

use super::RuleSet;
use super::cases::{Case, Expectation};
use super::compile::compile_rule;
use super::facts::{MemberFacts, OpportunityFacts, PermitFact};

/// A rules file that cannot be used, and where.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}:{line}: {}{message}", rule.as_ref().map(|r| format!("rule {r}: ")).unwrap_or_default())]
pub struct RulesError {
    pub file: String,
    pub line: usize,
    pub rule: Option<String>,
    pub message: String,
}

impl From<RulesError> for crate::error::Error {
    fn from(error: RulesError) -> Self {
        crate::error::Error::Rules(error.to_string())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    region: Spanned<String>,
    country: Spanned<String>,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    description: String,
    #[serde(default, rename = "rule")]
    rules: Vec<Spanned<RawRule>>,
    #[serde(default, rename = "case")]
    cases: Vec<Spanned<RawCase>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRule {
    pub(super) id: Spanned<String>,
    pub(super) description: String,
    pub(super) source: Spanned<String>,
    pub(super) effective_from: Spanned<String>,
    #[serde(default)]
    pub(super) effective_until: Option<Spanned<String>>,
    /// The day somebody last checked the rule against its source.
    #[serde(default)]
    pub(super) reviewed_on: Option<Spanned<String>>,
    /// The day the rule is due for its next check (a figure that changes on a
    /// known day is due that day).
    #[serde(default)]
    pub(super) review_by: Option<Spanned<String>>,
    pub(super) when: Spanned<String>,
    pub(super) effect: Spanned<String>,
    #[serde(default)]
    pub(super) reason: Option<String>,
    #[serde(default)]
    pub(super) condition: Option<String>,
    /// Who must meet a `require` rule's condition: `member` (the default) or
    /// `employer`. An employer's condition is what an organisation may be shown,
    /// from the offer on and with the member's consent.
    #[serde(default)]
    pub(super) falls_on: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) hours: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) message: Option<String>,
    /// The reason, condition or message in other languages, by language code.
    #[serde(default)]
    pub(super) translations: Option<Spanned<super::Translations>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase {
    name: String,
    date: Spanned<String>,
    #[serde(default)]
    member: MemberFacts,
    #[serde(default)]
    opportunity: OpportunityFacts,
    expect: Spanned<RawExpect>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExpect {
    eligible: bool,
    fired: Vec<String>,
    #[serde(default)]
    hours_cap: Option<i32>,
}

/// Line numbers of byte offsets in one text.
pub(super) struct Lines<'t> {
    pub(super) text: &'t str,
}

impl Lines<'_> {
    pub(super) fn of(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1
    }

    pub(super) fn of_span(&self, span: Range<usize>) -> usize {
        self.of(span.start)
    }

    /// The key a TOML mistake at `offset` is about, when its line is a `key = value`
    /// line: that key, or `key.inner` for a key of an inline table before `offset`
    /// (`expect.fired`).
    fn key_at(&self, offset: usize) -> Option<String> {
        let mut end = offset.min(self.text.len());
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let start = self.text[..end].rfind('\n').map_or(0, |i| i + 1);
        let line_end = self.text[end..]
            .find('\n')
            .map_or(self.text.len(), |i| end + i);
        let line = self.text[start..line_end].trim_start();
        let before = &self.text[start..end];
        let is_key = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.';
        let first_len = line.find(|c: char| !is_key(c))?;
        let first = &line[..first_len];
        let after_first = line[first_len..].trim_start();
        if first.is_empty() || !after_first.starts_with('=') || after_first.starts_with("==") {
            return None;
        }
        // The last `inner =` outside quotes, before `offset`.
        let mut last = first;
        let mut quote: Option<char> = None;
        let mut escaped = false;
        for (index, c) in before.char_indices() {
            match quote {
                Some(_) if escaped => escaped = false,
                Some('"') if c == '\\' => escaped = true,
                Some(open) if c == open => quote = None,
                Some(_) => {}
                None if c == '"' || c == '\'' => quote = Some(c),
                None if c == '#' => break,
                None if c == '=' => {
                    let key_end = before[..index].trim_end();
                    let key_start = key_end.rfind(|c: char| !is_key(c)).map_or(0, |i| i + 1);
                    if key_start < key_end.len() {
                        last = &key_end[key_start..];
                    }
                }
                None => {}
            }
        }
        Some(if last == first {
            first.to_owned()
        } else {
            format!("{first}.{last}")
        })
    }
}

/// Reads, compiles and checks the rules file at `path` (its cases are not run here;
/// see [`super::cases::run`]).
pub fn load(path: &Path) -> Result<RuleSet, RulesError> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|error| RulesError {
        file: file.clone(),
        line: 0,
        rule: None,
        message: format!("cannot read the rules file: {error}"),
    })?;
    let text = String::from_utf8(bytes).map_err(|error| {
        let valid = &error.as_bytes()[..error.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
        let column = valid.iter().rev().take_while(|b| **b != b'\n').count() + 1;
        RulesError {
            file: file.clone(),
            line,
            rule: None,
            message: format!("byte {column} of the line is not UTF-8; save the file as UTF-8"),
        }
    })?;
    parse(&file, &text)
}

/// Stack for checking a file. Compiling a CEL expression recurses once per level of
/// nesting with large frames (in debug builds over 100 KiB a level of brackets), so
/// a file is checked on a thread of its own with room for the deepest `when` that
/// [`MAX_WHEN_BRACKETS`] and [`MAX_WHEN_CHARS`] allow (under 32 MiB in a debug
/// build), whichever thread asks (a tokio worker reloading the rules has 2 MiB).
const CHECK_STACK_BYTES: usize = 64 << 20;

/// The longest `when`, in characters (the shipped files' longest is under 500).
pub const MAX_WHEN_CHARS: usize = 2000;

/// The most opening brackets — `(`, `[`, `{` — in a `when` (the shipped files have
/// at most 5).
pub const MAX_WHEN_BRACKETS: usize = 64;

/// The deepest a `when` may nest once compiled: evaluating it recurses once a level
/// (in debug builds some 40 KiB a level), on whichever thread decides. At this depth
/// it needs under 1 MiB.
pub const MAX_WHEN_DEPTH: usize = 16;

/// Compiles and checks the rules in `text`, read from `file`.
pub fn parse(file: &str, text: &str) -> Result<RuleSet, RulesError> {
    std::thread::scope(|scope| {
        let checking = std::thread::Builder::new()
            .name("rules-check".into())
            .stack_size(CHECK_STACK_BYTES)
            .spawn_scoped(scope, || parse_here(file, text))
            .map_err(|error| RulesError {
                file: file.to_owned(),
                line: 0,
                rule: None,
                message: format!("cannot start checking the rules file: {error}"),
            })?;
        checking
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

fn parse_here(file: &str, text: &str) -> Result<RuleSet, RulesError> {
    let lines = Lines { text };
    let error = |line: usize, rule: Option<&str>, message: String| RulesError {
        file: file.to_owned(),
        line,
        rule: rule.map(str::to_owned),
        message,
    };
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|span| lines.of_span(span)).unwrap_or(0);
        let key = e.span().and_then(|span| lines.key_at(span.start));
        let message = match key {
            Some(key) if !e.message().contains(&format!("`{key}`")) => {
                format!("{key}: {}", e.message())
            }
            _ => e.message().to_owned(),
        };
        error(line, None, message)
    })?;
    if !passage_proto::is_region_slug(raw.region.get_ref()) {
        return Err(error(
            lines.of_span(raw.region.span()),
            None,
            format!("region: {:?} is not a region slug", raw.region.get_ref()),
        ));
    }
    let country = raw.country.get_ref();
    if country.len() != 2 || !country.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(error(
            lines.of_span(raw.country.span()),
            None,
            format!("country: {country:?} is not an ISO 3166-1 alpha-2 code such as NL"),
        ));
    }

    let env = Arc::new(Env::stdlib());
    let mut rules = Vec::with_capacity(raw.rules.len());
    let mut ids = HashSet::new();
    for raw_rule in &raw.rules {
        let rule = compile_rule(raw_rule.get_ref(), &env, &lines)
            .map_err(|(line, id, message)| error(line, id.as_deref(), message))?;
        if !ids.insert(rule.id.clone()) {
            return Err(error(
                rule.line,
                Some(&rule.id),
                "the id is used by another rule of this file".into(),
            ));
        }
        rules.push(rule);
    }

    let mut cases = Vec::with_capacity(raw.cases.len());
    for raw_case in &raw.cases {
        let line = lines.of_span(raw_case.span());
        let case = raw_case.get_ref();
        let case_error = |line: usize, message: String| {
            error(line, None, format!("case {:?}: {message}", case.name))
        };
        let date = NaiveDate::parse_from_str(case.date.get_ref(), "%Y-%m-%d").map_err(|_| {
            case_error(
                lines.of_span(case.date.span()),
                format!("date: {:?} is not a date (YYYY-MM-DD)", case.date.get_ref()),
            )
        })?;
        case.member.check().map_err(|m| case_error(line, m))?;
        case.opportunity.check().map_err(|m| case_error(line, m))?;
        let expect = case.expect.get_ref();
        for id in &expect.fired {
            if !ids.contains(id) {
                return Err(case_error(
                    lines.of_span(case.expect.span()),
                    format!("expect.fired: no rule {id:?} in this file"),
                ));
            }
        }
        cases.push(Case {
            name: case.name.clone(),
            line,
            date,
            member: case.member.clone(),
            opportunity: case.opportunity.clone(),
            expect: Expectation {
                eligible: expect.eligible,
                fired: expect.fired.clone(),
                hours_cap: expect.hours_cap,
            },
        });
    }

    let set = RuleSet {
        region: raw.region.get_ref().clone(),
        country: country.clone(),
        currency: raw.currency,
        description: raw.description,
        rules,
        cases,
        path: file.to_owned(),
        version: fingerprint(text),
        env,
    };
    dry_run(&set).map_err(|e| error(e.line, Some(&e.rule), e.message))?;
    Ok(set)
}

/// Evaluates every rule once against empty facts and once against full ones, so a
/// type mistake (`opportunity.hours_per_week > 20.5`) is found when the file is
/// checked. (A rule may still fail on facts no dry run shows; evaluation then
/// reports it with its id and line.)
fn dry_run(set: &RuleSet) -> Result<(), super::EvaluationError> {
    let today = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default();
    let full_member = MemberFacts {
        residence_status: "asylum_seeker".into(),
        asylum_application_date: NaiveDate::from_ymd_opt(2025, 6, 1),
        asylum_clock_stopped_days: 10,
        permits: vec![PermitFact {
            kind: "twv".into(),
            valid_until: NaiveDate::from_ymd_opt(2026, 2, 1),
        }],
        civic_integration: "in_progress".into(),
        nationality: "SY".into(),
        profession: "nurse".into(),
        sectors: vec!["healthcare".into()],
        skills: vec!["care".into()],
        languages: vec!["ar".into(), "en".into()],
        available_hours_per_week: 24,
        experience_years: 5,
        ..MemberFacts::default()
    };
    let full_opportunity = OpportunityFacts {
        kind: "job".into(),
        paid: true,
        hours_per_week: 32,
        sector: "healthcare".into(),
        hourly_wage: 15.5,
        ..OpportunityFacts::default()
    };
    let empty_opportunity = OpportunityFacts {
        kind: "volunteer".into(),
        ..OpportunityFacts::default()
    };
    for (member, opportunity) in [
        (&MemberFacts::default(), &empty_opportunity),
        (&full_member, &full_opportunity),
    ] {
        let member_value = member.to_value(today);
        let opportunity_value = opportunity.to_value();
        let context = set.context(&member_value, Some(&opportunity_value), today);
        for rule in &set.rules {
            super::truth(rule, rule.program.execute(&context)).map_err(|error| {
                super::EvaluationError {
                    line: rule.when_line,
                    ..error
                }
            })?;
        }
    }
    Ok(())
}

/// A short, stable fingerprint of a file's text (FNV-1a, 64 bits).
fn fingerprint(text: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}
