//! Compiling one `[[rule]]` of a rules file: its id, source and dates, its effect,
//! and its `when` expression — checked for size and depth, compiled to CEL, split
//! into the parts that read only the member and those that read the opportunity.
//! Every mistake names the line and the rule.

use std::collections::BTreeSet;
use std::sync::Arc;

use cel::{Env, IdedExpr, Program};
use chrono::NaiveDate;
use toml::Spanned;

use super::expression;
use super::file::{Lines, MAX_WHEN_BRACKETS, MAX_WHEN_CHARS, MAX_WHEN_DEPTH, RawRule};
use super::{Effect, Review, Rule};

/// A mistake in one rule: its line, the rule's id when known, and what is wrong.
pub(super) type RuleProblem = (usize, Option<String>, String);

/// The rule `raw`, compiled in `env`, or the first mistake in it.
pub(super) fn compile_rule(
    raw: &RawRule,
    env: &Arc<Env>,
    lines: &Lines,
) -> Result<Rule, RuleProblem> {
    let (id, line) = rule_id(raw, lines)?;
    let at = Mistakes { id: &id, lines };
    if raw.source.get_ref().trim().is_empty() {
        return Err(at.problem(
            lines.of_span(raw.source.span()),
            "source: every rule names its source".into(),
        ));
    }
    let (effective_from, effective_until) = effective_dates(raw, &at)?;
    let review = review_dates(raw, &at)?;
    let effect = effect_of(raw, &at)?;
    let translations = match &raw.translations {
        Some(translations) => {
            super::translations::check(translations.get_ref())
                .map_err(|message| at.at(translations, message))?;
            translations.get_ref().clone()
        }
        None => super::Translations::new(),
    };
    let when = compile_when(&raw.when, env, &at)?;
    Ok(Rule {
        id,
        description: raw.description.trim().to_owned(),
        source: raw.source.get_ref().trim().to_owned(),
        effective_from,
        effective_until,
        review,
        when: raw.when.get_ref().trim().to_owned(),
        effect,
        translations,
        line,
        when_line: when.line,
        program: when.program,
        member_parts: when.member_parts,
        opportunity_parts: when.opportunity_parts,
        opportunity_fields: when.opportunity_fields,
    })
}

/// Builds the mistakes of one rule, with its id.
struct Mistakes<'a, 't> {
    id: &'a str,
    lines: &'a Lines<'t>,
}

impl Mistakes<'_, '_> {
    fn problem(&self, line: usize, message: String) -> RuleProblem {
        (line, Some(self.id.to_owned()), message)
    }

    fn at<T>(&self, value: &Spanned<T>, message: String) -> RuleProblem {
        self.problem(self.lines.of_span(value.span()), message)
    }
}

/// The rule's id (kebab-case) and the line it starts on.
fn rule_id(raw: &RawRule, lines: &Lines) -> Result<(String, usize), RuleProblem> {
    let id = raw.id.get_ref().trim().to_owned();
    let line = lines.of_span(raw.id.span());
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err((
            line,
            None,
            format!("id: {id:?} must be kebab-case (a-z, 0-9, '-')"),
        ));
    }
    Ok((id, line))
}

/// The first day the rule applies and, when it ends, its last.
fn effective_dates(
    raw: &RawRule,
    at: &Mistakes,
) -> Result<(NaiveDate, Option<NaiveDate>), RuleProblem> {
    let date = |field: &str, value: &Spanned<String>| {
        NaiveDate::parse_from_str(value.get_ref(), "%Y-%m-%d").map_err(|_| {
            at.at(
                value,
                format!("{field}: {:?} is not a date (YYYY-MM-DD)", value.get_ref()),
            )
        })
    };
    let effective_from = date("effective_from", &raw.effective_from)?;
    let effective_until = match &raw.effective_until {
        Some(until) => Some(date("effective_until", until)?),
        None => None,
    };
    if let Some(until) = effective_until
        && until < effective_from
    {
        return Err(at.at(
            &raw.effective_from,
            "effective_until is before effective_from".into(),
        ));
    }
    Ok((effective_from, effective_until))
}

/// When the rule was last checked against its source and when it is due again;
/// either may be left out, but `review_by` may not come before `reviewed_on`.
fn review_dates(raw: &RawRule, at: &Mistakes) -> Result<Review, RuleProblem> {
    let date = |field: &str, value: &Option<Spanned<String>>| match value {
        Some(value) => NaiveDate::parse_from_str(value.get_ref(), "%Y-%m-%d")
            .map(Some)
            .map_err(|_| {
                at.at(
                    value,
                    format!("{field}: {:?} is not a date (YYYY-MM-DD)", value.get_ref()),
                )
            }),
        None => Ok(None),
    };
    let reviewed_on = date("reviewed_on", &raw.reviewed_on)?;
    let review_by = date("review_by", &raw.review_by)?;
    if let (Some(on), Some(by), Some(span)) = (reviewed_on, review_by, &raw.review_by)
        && by < on
    {
        return Err(at.at(span, format!("review_by: {by} is before reviewed_on {on}")));
    }
    Ok(Review {
        reviewed_on,
        review_by,
    })
}

/// What the rule does when it fires, with the text or figure its effect needs.
fn effect_of(raw: &RawRule, at: &Mistakes) -> Result<Effect, RuleProblem> {
    let text = |field: &str, value: &Option<String>| match value {
        Some(text) if !text.trim().is_empty() => Ok(text.trim().to_owned()),
        _ => Err(at.at(
            &raw.effect,
            format!(
                "effect {:?} needs a non-empty `{field}`",
                raw.effect.get_ref()
            ),
        )),
    };
    let effect = match raw.effect.get_ref().as_str() {
        "deny" => Effect::Deny {
            reason: text("reason", &raw.reason)?,
        },
        "require" => Effect::Require {
            condition: text("condition", &raw.condition)?,
            on_employer: match &raw.falls_on {
                None => false,
                Some(party) => match party.get_ref().as_str() {
                    "member" => false,
                    "employer" => true,
                    other => {
                        return Err(at.at(
                            party,
                            format!("falls_on: {other:?} is not one of member, employer"),
                        ));
                    }
                },
            },
        },
        "warn" => Effect::Warn {
            message: text("message", &raw.message)?,
        },
        "cap_hours" => match &raw.hours {
            Some(hours) if (0..=80).contains(hours.get_ref()) => Effect::CapHours {
                hours: *hours.get_ref() as i32,
            },
            Some(hours) => {
                return Err(at.at(
                    hours,
                    format!("hours: must be between 0 and 80, got {}", hours.get_ref()),
                ));
            }
            None => {
                return Err(at.at(&raw.effect, "effect \"cap_hours\" needs `hours`".into()));
            }
        },
        other => {
            return Err(at.at(
                &raw.effect,
                format!("effect: {other:?} is not one of deny, require, cap_hours, warn"),
            ));
        }
    };
    // Checked once the effect is known to be one, so that a mistyped effect is
    // named as the mistake rather than the `falls_on` that depends on it.
    if let Some(party) = &raw.falls_on
        && !matches!(effect, Effect::Require { .. })
    {
        return Err(at.at(
            party,
            format!(
                "falls_on: only a \"require\" rule's condition falls on someone; this rule's effect is {:?}",
                raw.effect.get_ref()
            ),
        ));
    }
    Ok(effect)
}

/// A compiled `when`, split for matching: the parts that read only the member are
/// evaluated once per member, the others once per opportunity.
struct CompiledWhen {
    /// The line where the expression's text starts.
    line: usize,
    program: Program,
    member_parts: Vec<IdedExpr>,
    opportunity_parts: Vec<IdedExpr>,
    /// The opportunity's fields the expression reads (indexes into
    /// `facts::OPPORTUNITY_FIELDS`).
    opportunity_fields: Vec<usize>,
}

/// Compiles the `when` expression, refusing one too long, too deep, or reading a
/// field the facts do not have.
fn compile_when(
    when: &Spanned<String>,
    env: &Arc<Env>,
    at: &Mistakes,
) -> Result<CompiledWhen, RuleProblem> {
    let lines = at.lines;
    // The line where the expression's text starts: a multi-line string's first
    // line break right after its opening quotes is not part of it.
    let when_span = when.span();
    let opening = &lines.text[when_span.start.min(lines.text.len())..];
    let when_line = lines.of(when_span.start)
        + usize::from(opening.starts_with("'''\n") || opening.starts_with("\"\"\"\n"));
    let source = when.get_ref();
    check_size(source).map_err(|message| at.problem(when_line, format!("when: {message}")))?;
    let line_in_when = |offset: Option<u32>| {
        offset
            .map(|offset| {
                source
                    .chars()
                    .take(offset as usize)
                    .filter(|c| *c == '\n')
                    .count()
            })
            .unwrap_or(0)
            + when_line
    };
    let program = env.compile(source).map_err(|errors| {
        let first = errors.errors.first();
        let line = first
            .map(|e| when_line + usize::try_from(e.pos.0 - 1).unwrap_or(0))
            .unwrap_or(when_line);
        let message = first.map(|e| e.msg.clone()).unwrap_or_default();
        at.problem(line, format!("when: does not compile: {message}"))
    })?;
    let depth = expression::depth(program.expression());
    if depth > MAX_WHEN_DEPTH {
        return Err(at.problem(
            when_line,
            format!(
                "when: nests {depth} levels deep, at most {MAX_WHEN_DEPTH}; split the rule in two"
            ),
        ));
    }
    expression::analyse(&program).map_err(|unknown| {
        at.problem(
            line_in_when(unknown.offset),
            format!("when: {}", unknown.message),
        )
    })?;
    let (mut member_parts, mut opportunity_parts) = (Vec::new(), Vec::new());
    let mut opportunity_fields = BTreeSet::new();
    for part in expression::conjuncts(program.expression()) {
        let part_reads = expression::reads_of(&program, &part);
        if part_reads.reads_opportunity() {
            if part_reads.whole_opportunity {
                opportunity_fields.extend(0..super::facts::OPPORTUNITY_FIELDS.len());
            }
            opportunity_fields.extend(part_reads.opportunity_fields.iter().copied());
            opportunity_parts.push(part);
        } else {
            member_parts.push(part);
        }
    }
    Ok(CompiledWhen {
        line: when_line,
        program,
        member_parts,
        opportunity_parts,
        opportunity_fields: opportunity_fields.into_iter().collect(),
    })
}

/// Whether `when` is small enough to compile and evaluate safely: at most
/// [`MAX_WHEN_CHARS`] characters and [`MAX_WHEN_BRACKETS`] opening brackets, which
/// bounds how deep it nests (brackets in string literals count too: counting them
/// never lets a deeper expression through).
fn check_size(when: &str) -> Result<(), String> {
    let length = when.chars().count();
    if length > MAX_WHEN_CHARS {
        return Err(format!(
            "is {length} characters long, at most {MAX_WHEN_CHARS}; split the rule in two"
        ));
    }
    let brackets = when
        .chars()
        .filter(|c| matches!(c, '(' | '[' | '{'))
        .count();
    if brackets > MAX_WHEN_BRACKETS {
        return Err(format!(
            "has {brackets} opening brackets, at most {MAX_WHEN_BRACKETS}; split the rule in two"
        ));
    }
    Ok(())
}
