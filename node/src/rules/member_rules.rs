//! Decisions for one member against many opportunities, as matching makes them: the
//! parts of each rule about the member alone are evaluated once, and the rest once
//! per combination of the opportunity fields each rule reads.

use std::collections::HashMap;

use cel::Value;
use chrono::NaiveDate;

use super::{Decision, Effect, EvaluationError, MemberFacts, OpportunityFacts, RuleSet, truth};

impl RuleSet {
    /// Prepares decisions for one member against many opportunities: the parts of
    /// each rule about the member alone are evaluated once here, and the rules they
    /// rule out are never evaluated again for this member.
    pub fn for_member(
        &self,
        member: &MemberFacts,
        date: NaiveDate,
    ) -> Result<MemberRules<'_>, EvaluationError> {
        let member_value = member.to_value(date);
        let context = self.context(&member_value, None, date);
        let mut candidates = Vec::new();
        let mut evaluations = 0u64;
        for (index, rule) in self.rules.iter().enumerate() {
            if !rule.in_force(date) {
                continue;
            }
            let mut possible = true;
            for part in &rule.member_parts {
                evaluations += 1;
                if !truth(rule, context.resolve(part))? {
                    possible = false;
                    break;
                }
            }
            if possible {
                candidates.push(Candidate {
                    index,
                    memo: HashMap::new(),
                });
            }
        }
        Ok(MemberRules {
            rules: self,
            member_value,
            date,
            candidates,
            evaluations,
        })
    }
}

/// One rule still possible for a member, with its outcome per combination of the
/// opportunity fields it reads.
struct Candidate {
    index: usize,
    memo: HashMap<Vec<FieldKey>, bool>,
}

/// An opportunity field's value as a memo key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum FieldKey {
    Text(String),
    Number(i64),
    Flag(bool),
    Wage(u64),
}

fn field_key(opportunity: &OpportunityFacts, field: usize) -> FieldKey {
    match field {
        0 => FieldKey::Text(opportunity.kind.clone()),
        1 => FieldKey::Flag(opportunity.paid),
        2 => FieldKey::Number(opportunity.hours_per_week),
        3 => FieldKey::Text(opportunity.sector.clone()),
        4 => FieldKey::Flag(opportunity.self_employment),
        5 => FieldKey::Wage(opportunity.hourly_wage.to_bits()),
        6 => FieldKey::Text(opportunity.organisation_kind.clone()),
        _ => FieldKey::Number(opportunity.employer_headcount),
    }
}

/// Decisions for one member, prepared by [`RuleSet::for_member`].
pub struct MemberRules<'r> {
    rules: &'r RuleSet,
    member_value: Value,
    date: NaiveDate,
    candidates: Vec<Candidate>,
    /// CEL evaluations run so far for this member.
    pub evaluations: u64,
}

/// A rule still possible for a member, as matching sees it.
pub struct Possible<'a> {
    /// Its index in [`RuleSet::rules`].
    pub index: usize,
    /// What it does when it fires.
    pub effect: &'a Effect,
    /// Indices into [`super::facts::OPPORTUNITY_FIELDS`] of what it reads of an
    /// opportunity; it fires for every opportunity when it reads none.
    pub opportunity_fields: &'a [usize],
}

impl MemberRules<'_> {
    /// The rules that may still fire for this member, in file order.
    pub fn possible(&self) -> Vec<Possible<'_>> {
        self.candidates
            .iter()
            .map(|candidate| {
                let rule = &self.rules.rules[candidate.index];
                Possible {
                    index: candidate.index,
                    effect: &rule.effect,
                    opportunity_fields: if rule.opportunity_parts.is_empty() {
                        &[]
                    } else {
                        &rule.opportunity_fields
                    },
                }
            })
            .collect()
    }

    /// Whether the possible rule `index` fires for `opportunity` (no memo: the
    /// caller keeps its own, keyed by the rule's opportunity fields).
    pub fn fires(
        &mut self,
        index: usize,
        opportunity: &OpportunityFacts,
    ) -> Result<bool, EvaluationError> {
        let rule = &self.rules.rules[index];
        if rule.opportunity_parts.is_empty() {
            return Ok(true);
        }
        let value = opportunity.to_value();
        let context = self
            .rules
            .context(&self.member_value, Some(&value), self.date);
        for part in &rule.opportunity_parts {
            self.evaluations += 1;
            if !truth(rule, context.resolve(part))? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The decision for this member and `opportunity`; the same as
    /// [`RuleSet::evaluate`], computed once per combination of the fields each rule
    /// reads.
    pub fn decide(&mut self, opportunity: &OpportunityFacts) -> Result<Decision, EvaluationError> {
        let mut fired = Vec::new();
        let mut context = None;
        for candidate in &mut self.candidates {
            let rule = &self.rules.rules[candidate.index];
            if rule.opportunity_parts.is_empty() {
                fired.push(candidate.index);
                continue;
            }
            let key: Vec<FieldKey> = rule
                .opportunity_fields
                .iter()
                .map(|field| field_key(opportunity, *field))
                .collect();
            let outcome = match candidate.memo.get(&key) {
                Some(outcome) => *outcome,
                None => {
                    let context = context.get_or_insert_with(|| {
                        let value = opportunity.to_value();
                        self.rules
                            .context(&self.member_value, Some(&value), self.date)
                    });
                    let mut outcome = true;
                    for part in &rule.opportunity_parts {
                        self.evaluations += 1;
                        if !truth(rule, context.resolve(part))? {
                            outcome = false;
                            break;
                        }
                    }
                    candidate.memo.insert(key, outcome);
                    outcome
                }
            };
            if outcome {
                fired.push(candidate.index);
            }
        }
        Ok(self.rules.decide(fired))
    }
}
