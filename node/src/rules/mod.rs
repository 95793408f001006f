//! A region's labour-market rules: data in a rules file (docs/rules.md), each rule a
//! CEL condition over `member` and `opportunity` with an effect — deny, require a
//! condition, cap the hours, or warn — and the dates it is in force. A decision says
//! whether the member may take the opportunity and which rules fired, and why.

pub mod active;
pub mod cases;
mod compile;
mod expression;
pub mod facts;
pub mod file;
mod member_rules;
pub mod translations;

use std::sync::Arc;

use cel::{Context, Env, IdedExpr, Program, Value};
use chrono::NaiveDate;

pub use active::ActiveRules;
pub use facts::{MemberFacts, OpportunityFacts, PermitFact};
pub use file::RulesError;
pub use member_rules::{MemberRules, Possible};
pub use translations::{Explained, Translations};

/// What a rule does when it fires.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// The member may not take the opportunity.
    Deny { reason: String },
    /// Allowed if this condition is met (by the employer, the member, …).
    Require {
        condition: String,
        /// The condition falls on the employer ("the employer applies for a
        /// TWV"), not on the member: an organisation may see it, from the offer on
        /// and with the member's consent.
        on_employer: bool,
    },
    /// At most this many hours a week.
    CapHours { hours: i32 },
    /// Allowed, but somebody must act.
    Warn { message: String },
}

impl Effect {
    /// The effect's name in a rules file.
    pub fn name(&self) -> &'static str {
        match self {
            Effect::Deny { .. } => "deny",
            Effect::Require { .. } => "require",
            Effect::CapHours { .. } => "cap_hours",
            Effect::Warn { .. } => "warn",
        }
    }

    /// What a person reads when the rule fires.
    pub fn explanation(&self) -> String {
        match self {
            Effect::Deny { reason } => reason.clone(),
            Effect::Require { condition, .. } => condition.clone(),
            Effect::CapHours { hours } => format!("at most {hours} hours a week"),
            Effect::Warn { message } => message.clone(),
        }
    }
}

/// One rule of a region.
#[derive(Debug)]
pub struct Rule {
    pub id: String,
    pub description: String,
    pub source: String,
    pub effective_from: NaiveDate,
    pub effective_until: Option<NaiveDate>,
    /// When the rule was last checked, and when it is due again.
    pub review: Review,
    /// The `when` expression as written.
    pub when: String,
    pub effect: Effect,
    /// The effect's text in other languages (`[rule.translations]`).
    pub translations: Translations,
    /// Line of the rule's `id` in its file.
    pub line: usize,
    /// Line where its `when` expression starts.
    when_line: usize,
    program: Program,
    /// Top-level `&&` parts that read only `member` and `today`…
    member_parts: Vec<IdedExpr>,
    /// …and those that read `opportunity`.
    opportunity_parts: Vec<IdedExpr>,
    /// Indices of the opportunity fields the latter read (all of them when they
    /// use `opportunity` as a whole).
    opportunity_fields: Vec<usize>,
}

impl Rule {
    /// Whether the rule is in force on `date`.
    pub fn in_force(&self, date: NaiveDate) -> bool {
        self.effective_from <= date && self.effective_until.is_none_or(|until| date <= until)
    }

    /// What a person reads when the rule fires, with the day it was last checked.
    pub fn explanation(&self) -> String {
        let text = self.effect.explanation();
        match self.review.reviewed_on {
            Some(on) => format!("{text} (rule checked on {})", on.format("%Y-%m-%d")),
            None => text,
        }
    }

    /// What a person reads in `language` (a code such as `nl`); the English, saying
    /// so, when the rule lacks it. The day the rule was checked is not part of it:
    /// the reader's language words it (`review.reviewed_on`).
    pub fn explanation_in(&self, language: &str) -> Explained {
        translations::explain(&self.effect.explanation(), &self.translations, language)
    }

    /// Whether the rule is past its `review_by` on `today` while still in force or
    /// yet to come (a rule that has ended needs no check). Staleness only warns.
    pub fn stale(&self, today: NaiveDate) -> bool {
        self.review.review_by.is_some_and(|by| by < today)
            && self.effective_until.is_none_or(|until| today <= until)
    }
}

/// When a rule was last checked against its source, and when it is due again.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Review {
    /// The day somebody last checked it.
    pub reviewed_on: Option<NaiveDate>,
    /// The day it is due for its next check.
    pub review_by: Option<NaiveDate>,
}

/// A rules file, compiled and checked.
pub struct RuleSet {
    pub region: String,
    pub country: String,
    pub currency: String,
    pub description: String,
    pub rules: Vec<Rule>,
    pub cases: Vec<cases::Case>,
    /// Where it was read from.
    pub path: String,
    /// A short fingerprint of the file's text, to tell versions apart.
    pub version: String,
    env: Arc<Env>,
}

impl std::fmt::Debug for RuleSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleSet")
            .field("region", &self.region)
            .field("path", &self.path)
            .field("version", &self.version)
            .field("rules", &self.rules.len())
            .field("cases", &self.cases.len())
            .finish()
    }
}

/// A rule that fired, by its index in [`RuleSet::rules`].
pub type FiredIndex = usize;

/// The decision for one member and one opportunity.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// No `deny` fired.
    pub eligible: bool,
    /// The lowest `cap_hours` that fired.
    pub hours_cap: Option<i32>,
    /// Every rule that fired, in file order.
    pub fired: Vec<FiredIndex>,
}

/// A rule that could not be evaluated (a wrong type, a missing key): a mistake in
/// the rules file that its checks did not catch.
#[derive(Debug, thiserror::Error)]
#[error("rule {rule} (line {line}) could not be evaluated: {message}")]
pub struct EvaluationError {
    pub rule: String,
    pub line: usize,
    pub message: String,
}

impl RuleSet {
    /// The rules of a region without a rules file: none, so nothing is denied.
    pub fn empty(region: &str) -> Self {
        RuleSet {
            region: region.to_owned(),
            country: String::new(),
            currency: String::new(),
            description: "no rules file".into(),
            rules: Vec::new(),
            cases: Vec::new(),
            path: String::new(),
            version: String::new(),
            env: Arc::new(Env::stdlib()),
        }
    }

    /// The rules past their `review_by` on `today` (see [`Rule::stale`]).
    pub fn stale(&self, today: NaiveDate) -> Vec<&Rule> {
        self.rules.iter().filter(|rule| rule.stale(today)).collect()
    }

    /// The rule at `index` of a decision.
    pub fn rule(&self, index: FiredIndex) -> &Rule {
        &self.rules[index]
    }

    fn context(
        &self,
        member: &Value,
        opportunity: Option<&Value>,
        today: NaiveDate,
    ) -> Context<'_, '_> {
        let mut context = Context::with_env(self.env.clone());
        context.add_variable_from_value("member", member.clone());
        if let Some(opportunity) = opportunity {
            context.add_variable_from_value("opportunity", opportunity.clone());
        }
        context.add_variable_from_value("today", today.format("%Y-%m-%d").to_string());
        context
    }

    /// The decision for `member` and `opportunity` on `date`: every rule in force is
    /// evaluated.
    pub fn evaluate(
        &self,
        member: &MemberFacts,
        opportunity: &OpportunityFacts,
        date: NaiveDate,
    ) -> Result<Decision, EvaluationError> {
        let member_value = member.to_value(date);
        let opportunity_value = opportunity.to_value();
        let context = self.context(&member_value, Some(&opportunity_value), date);
        let mut fired = Vec::new();
        for (index, rule) in self.rules.iter().enumerate() {
            if rule.in_force(date) && truth(rule, rule.program.execute(&context))? {
                fired.push(index);
            }
        }
        Ok(self.decide(fired))
    }

    fn decide(&self, fired: Vec<FiredIndex>) -> Decision {
        let mut eligible = true;
        let mut hours_cap: Option<i32> = None;
        for index in &fired {
            match self.rules[*index].effect {
                Effect::Deny { .. } => eligible = false,
                Effect::CapHours { hours } => {
                    hours_cap = Some(hours_cap.map_or(hours, |cap| cap.min(hours)));
                }
                Effect::Require { .. } | Effect::Warn { .. } => {}
            }
        }
        Decision {
            eligible,
            hours_cap,
            fired,
        }
    }
}

fn truth(rule: &Rule, result: cel::ResolveResult) -> Result<bool, EvaluationError> {
    match result {
        Ok(Value::Bool(value)) => Ok(value),
        Ok(other) => Err(EvaluationError {
            rule: rule.id.clone(),
            line: rule.line,
            message: format!("when: must be true or false, got {other:?}"),
        }),
        Err(error) => Err(EvaluationError {
            rule: rule.id.clone(),
            line: rule.line,
            message: format!("when: {error}"),
        }),
    }
}
