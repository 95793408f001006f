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
