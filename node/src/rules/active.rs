//! The rules a node decides with now. Reloading (SIGHUP, `RulesService.Reload`)
//! reads the file again and swaps the new rules in at once, or keeps the old ones
//! and says why the new file was refused. Every load logs the rules past their
//! `review_by` (a warning: they still decide as written).

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use chrono::{DateTime, NaiveDate, Utc};

use super::{RuleSet, RulesError, cases, file};

/// A rules file that compiles, belongs to `region` and whose cases all pass.
pub fn load_checked(path: &Path, region: &str) -> Result<RuleSet, RulesError> {
    let rules = file::load(path)?;
    if rules.region != region {
        return Err(RulesError {
            file: rules.path.clone(),
            line: 1,
            rule: None,
            message: format!(
                "region: the file is for {:?}, this node serves {region:?}",
                rules.region
            ),
        });
    }
    let report = cases::run(&rules);
    match report.first_failure() {
        Some(failure) => Err(failure),
        None => {
            log_stale(&rules, Utc::now().date_naive());
            Ok(rules)
        }
    }
}

/// Warns of every rule past its `review_by` on `today`; returns how many.
pub fn log_stale(rules: &RuleSet, today: NaiveDate) -> usize {
    let stale = rules.stale(today);
    for rule in &stale {
        tracing::warn!(
            file = %rules.path,
            line = rule.line,
            rule = %rule.id,
            review_by = ?rule.review.review_by,
            "labour-market rule past its review_by date: check it against its source (docs/rules.md)"
        );
    }
    if !stale.is_empty() {
        tracing::warn!(file = %rules.path, stale = stale.len(), "rules due for a check");
    }
    stale.len()
}

/// The rules in force on a node, and where they come from.
pub struct ActiveRules {
    /// None for a region without a rules file.
    path: Option<PathBuf>,
    region: String,
    current: RwLock<Loaded>,
}

#[derive(Clone)]
struct Loaded {
    rules: Arc<RuleSet>,
    loaded_at: DateTime<Utc>,
}

impl ActiveRules {
    /// Loads the rules file at `path` for `region`; start-up stops on an error.
    pub fn load(path: &Path, region: &str) -> Result<Self, RulesError> {
        let rules = load_checked(path, region)?;
        Ok(ActiveRules {
            path: Some(path.to_owned()),
            region: region.to_owned(),
            current: RwLock::new(Loaded {
                rules: Arc::new(rules),
                loaded_at: Utc::now(),
            }),
        })
    }

    /// A region without a rules file: no rule denies anything.
    pub fn none(region: &str) -> Self {
        ActiveRules {
            path: None,
            region: region.to_owned(),
            current: RwLock::new(Loaded {
                rules: Arc::new(RuleSet::empty(region)),
                loaded_at: Utc::now(),
            }),
        }
    }

    /// The rules file, if the region has one.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The rules to decide with now.
    pub fn current(&self) -> Arc<RuleSet> {
        self.loaded().rules
    }

    /// When the current rules were loaded.
    pub fn loaded_at(&self) -> DateTime<Utc> {
        self.loaded().loaded_at
    }

    fn loaded(&self) -> Loaded {
        match self.current.read() {
            Ok(loaded) => loaded.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Reads the file again; swaps the new rules in when they compile and pass
    /// their cases, and otherwise keeps the old ones and returns why.
    pub fn reload(&self) -> Result<Arc<RuleSet>, RulesError> {
        let Some(path) = &self.path else {
            return Err(RulesError {
                file: String::new(),
                line: 0,
                rule: None,
                message: format!(
                    "region {} has no rules file (set rules.file in its settings)",
                    self.region
                ),
            });
        };
        let rules = Arc::new(load_checked(path, &self.region)?);
        let loaded = Loaded {
            rules: rules.clone(),
            loaded_at: Utc::now(),
        };
        match self.current.write() {
            Ok(mut current) => *current = loaded,
            Err(poisoned) => *poisoned.into_inner() = loaded,
        }
        Ok(rules)
    }
}
