//! A rules file's own test cases: a member, an opportunity, a date and the decision
//! expected. `passage rules test` prints them as a table; a node refuses a file
//! whose cases fail, or with a rule that no case makes fire.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use chrono::NaiveDate;

use super::facts::{MemberFacts, OpportunityFacts};
use super::{Decision, RuleSet, RulesError};

/// One case of a rules file.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    /// Line of the case in its file.
    pub line: usize,
    pub date: NaiveDate,
    pub member: MemberFacts,
    pub opportunity: OpportunityFacts,
    pub expect: Expectation,
}

/// The decision a case expects.
#[derive(Debug, Clone)]
pub struct Expectation {
    pub eligible: bool,
    /// Exactly the rules that fire, in any order.
    pub fired: Vec<String>,
    /// The lowest hours cap the case expects (0: no cap fires); `None` leaves the cap
    /// unchecked.
    pub hours_cap: Option<i32>,
}

/// How one case went.
#[derive(Debug, Clone)]
pub struct CaseOutcome {
    pub name: String,
    pub line: usize,
    /// Empty when the case passed.
    pub problems: Vec<String>,
    /// Rule ids whose firing differed from what the case expects.
    pub rules_at_fault: Vec<String>,
}

impl CaseOutcome {
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Every case of a file, and the rules no case makes fire.
#[derive(Debug, Clone)]
pub struct CaseReport {
    pub file: String,
    pub outcomes: Vec<CaseOutcome>,
    /// (rule id, line) of rules that no case expects to fire.
    pub uncovered: Vec<(String, usize)>,
}

impl CaseReport {
    pub fn passed(&self) -> usize {
        self.outcomes.iter().filter(|o| o.passed()).count()
    }

    pub fn failed(&self) -> usize {
        self.outcomes.len() - self.passed()
    }

    pub fn all_passed(&self) -> bool {
        self.failed() == 0 && self.uncovered.is_empty()
    }

    /// The first failure as an error naming the file, the line and the rule.
    pub fn first_failure(&self) -> Option<RulesError> {
        if let Some(outcome) = self.outcomes.iter().find(|o| !o.passed()) {
            return Some(RulesError {
                file: self.file.clone(),
                line: outcome.line,
                rule: (!outcome.rules_at_fault.is_empty())
                    .then(|| outcome.rules_at_fault.join(", ")),
                message: format!(
                    "case {:?} fails: {} ({} of {} cases fail)",
                    outcome.name,
                    outcome.problems.join("; "),
                    self.failed(),
                    self.outcomes.len()
                ),
            });
        }
        self.uncovered.first().map(|(id, line)| RulesError {
            file: self.file.clone(),
            line: *line,
            rule: Some(id.clone()),
            message: "no case makes this rule fire; add a [[case]] whose expect.fired names it"
                .into(),
        })
    }

    /// A pass/fail table, one line per case, then the rules without a case and a
    /// summary line.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let width = self
            .outcomes
            .iter()
            .map(|o| o.name.chars().count())
            .max()
            .unwrap_or(4)
            .clamp(4, 72);
        let _ = writeln!(
            out,
            "{:<6} {:>5}  {:<width$}  detail",
            "result", "line", "case"
        );
        for outcome in &self.outcomes {
            let name: String = outcome.name.chars().take(width).collect();
            let verdict = if outcome.passed() { "pass" } else { "FAIL" };
            let _ = writeln!(
                out,
                "{verdict:<6} {:>5}  {name:<width$}  {}",
                outcome.line,
                outcome.problems.join("; ")
            );
        }
        for (id, line) in &self.uncovered {
            let _ = writeln!(
                out,
                "{:<6} {line:>5}  {:<width$}  rule {id} fires in no case",
                "FAIL", "(no case)"
            );
        }
        let _ = writeln!(
            out,
            "{}: {} passed, {} failed{}",
            self.file,
            self.passed(),
            self.failed(),
            if self.uncovered.is_empty() {
                String::new()
            } else {
                format!(", {} rules without a case", self.uncovered.len())
            }
        );
        out
    }
}

/// Runs every case of `rules`.
pub fn run(rules: &RuleSet) -> CaseReport {
    let mut outcomes = Vec::with_capacity(rules.cases.len());
    let mut covered = BTreeSet::new();
    for case in &rules.cases {
        covered.extend(case.expect.fired.iter().cloned());
        outcomes.push(run_case(rules, case));
    }
    let uncovered = rules
        .rules
        .iter()
        .filter(|rule| !covered.contains(&rule.id))
        .map(|rule| (rule.id.clone(), rule.line))
        .collect();
    CaseReport {
        file: rules.path.clone(),
        outcomes,
        uncovered,
    }
}

fn run_case(rules: &RuleSet, case: &Case) -> CaseOutcome {
    let mut outcome = CaseOutcome {
        name: case.name.clone(),
        line: case.line,
        problems: Vec::new(),
        rules_at_fault: Vec::new(),
    };
    let decision: Decision = match rules.evaluate(&case.member, &case.opportunity, case.date) {
        Ok(decision) => decision,
        Err(error) => {
            outcome.rules_at_fault.push(error.rule.clone());
            outcome.problems.push(error.to_string());
            return outcome;
        }
    };
    let fired: BTreeSet<String> = decision
        .fired
        .iter()
        .map(|index| rules.rule(*index).id.clone())
        .collect();
    let expected: BTreeSet<String> = case.expect.fired.iter().cloned().collect();
    let unexpected: Vec<String> = fired.difference(&expected).cloned().collect();
    let missing: Vec<String> = expected.difference(&fired).cloned().collect();
    if !unexpected.is_empty() {
        outcome
            .problems
            .push(format!("fired but not expected: {}", unexpected.join(", ")));
    }
    if !missing.is_empty() {
        outcome
            .problems
            .push(format!("expected but did not fire: {}", missing.join(", ")));
    }
    outcome.rules_at_fault.extend(unexpected);
    outcome.rules_at_fault.extend(missing);
    if decision.eligible != case.expect.eligible {
        outcome.problems.push(format!(
            "expected {}, decided {}",
            eligibility(case.expect.eligible),
            eligibility(decision.eligible)
        ));
    }
    if let Some(cap) = case.expect.hours_cap {
        let decided = decision.hours_cap.unwrap_or(0);
        if decided != cap {
            outcome
                .problems
                .push(format!("expected hours cap {cap}, decided {decided}"));
        }
    }
    outcome
}

fn eligibility(eligible: bool) -> &'static str {
    if eligible { "eligible" } else { "not eligible" }
}
