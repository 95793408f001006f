//! What a rule's `when` expression reads, found by walking its syntax tree: every
//! `member.x` and `opportunity.x` must be a known field (a typo is caught when the
//! file is checked, not when a member is refused), and the expression is split into
//! its top-level `&&` parts so the parts about the member alone are evaluated once
//! per member, not once per opportunity.

use std::collections::BTreeSet;

use cel::common::ast::{EntryExpr, Expr, operators};
use cel::{IdedExpr, Program};

use super::facts::{MEMBER_FIELDS, OPPORTUNITY_FIELDS};

/// The names an expression may use at its top level.
const VARIABLES: &[&str] = &["member", "opportunity", "today"];

/// What an expression (or a part of it) reads.
#[derive(Debug, Default, Clone)]
pub struct Reads {
    /// Indices into [`OPPORTUNITY_FIELDS`].
    pub opportunity_fields: BTreeSet<usize>,
    /// `opportunity` used as a whole (not only through its fields).
    pub whole_opportunity: bool,
}

impl Reads {
    pub fn reads_opportunity(&self) -> bool {
        self.whole_opportunity || !self.opportunity_fields.is_empty()
    }
}

/// A name or field an expression uses that does not exist, and where.
#[derive(Debug)]
pub struct UnknownName {
    pub message: String,
    /// Character offset in the expression.
    pub offset: Option<u32>,
}

/// Checks every name `program` uses and returns what it reads.
pub fn analyse(program: &Program) -> Result<Reads, UnknownName> {
    let mut reads = Reads::default();
    let mut scope = Vec::new();
    walk(program, program.expression(), &mut scope, &mut reads)?;
    Ok(reads)
}

/// What one part of `program` reads (the part was checked by [`analyse`]).
pub fn reads_of(program: &Program, part: &IdedExpr) -> Reads {
    let mut reads = Reads::default();
    let mut scope = Vec::new();
    // The whole program passed `analyse`, so its parts have no unknown names.
    let _ = walk(program, part, &mut scope, &mut reads);
    reads
}

/// How many levels deep `expression` nests: what evaluating it recurses through.
pub fn depth(expression: &IdedExpr) -> usize {
    let children: Vec<&IdedExpr> = match &expression.expr {
        Expr::Select(select) => vec![&select.operand],
        Expr::Call(call) => call
            .target
            .as_deref()
            .into_iter()
            .chain(&call.args)
            .collect(),
        Expr::Comprehension(comprehension) => vec![
            &comprehension.iter_range,
            &comprehension.accu_init,
            &comprehension.loop_cond,
            &comprehension.loop_step,
            &comprehension.result,
        ],
        Expr::List(list) => list.elements.iter().collect(),
        Expr::Map(map) => map.entries.iter().flat_map(entry_parts).collect(),
        Expr::Struct(structure) => structure.entries.iter().flat_map(entry_parts).collect(),
        _ => Vec::new(),
    };
    1 + children.into_iter().map(depth).max().unwrap_or(0)
}

fn entry_parts(entry: &cel::common::ast::IdedEntryExpr) -> Vec<&IdedExpr> {
    match &entry.expr {
        EntryExpr::StructField(field) => vec![&field.value],
        EntryExpr::MapEntry(entry) => vec![&entry.key, &entry.value],
    }
}

/// The top-level `a && b && …` parts of `expression` (itself when it is no `&&`).
pub fn conjuncts(expression: &IdedExpr) -> Vec<IdedExpr> {
    let mut parts = Vec::new();
    collect_conjuncts(expression, &mut parts);
    parts
}

fn collect_conjuncts(expression: &IdedExpr, parts: &mut Vec<IdedExpr>) {
    match &expression.expr {
        Expr::Call(call) if call.func_name == operators::LOGICAL_AND && call.target.is_none() => {
            for argument in &call.args {
                collect_conjuncts(argument, parts);
            }
        }
        _ => parts.push(expression.clone()),
    }
}

fn unknown(program: &Program, node: &IdedExpr, message: String) -> UnknownName {
    UnknownName {
        message,
        offset: program
            .source_info()
            .offset_for(node.id)
            .map(|(start, _)| start),
    }
}

fn walk(
    program: &Program,
    node: &IdedExpr,
    scope: &mut Vec<String>,
    reads: &mut Reads,
) -> Result<(), UnknownName> {
    match &node.expr {
        Expr::Ident(name) => {
            if scope.iter().any(|bound| bound == name) {
                return Ok(());
            }
            match name.as_str() {
                "opportunity" => reads.whole_opportunity = true,
                "member" | "today" => {}
                other => {
                    return Err(unknown(
                        program,
                        node,
                        format!(
                            "unknown name {other:?}; a rule reads {}",
                            VARIABLES.join(", ")
                        ),
                    ));
                }
            }
            Ok(())
        }
        Expr::Select(select) => {
            if let Expr::Ident(variable) = &select.operand.expr
                && !scope.iter().any(|bound| bound == variable)
            {
                match variable.as_str() {
                    "member" => {
                        if !MEMBER_FIELDS.contains(&select.field.as_str()) {
                            return Err(unknown(
                                program,
                                node,
                                format!(
                                    "unknown field member.{}; member has {}",
                                    select.field,
                                    MEMBER_FIELDS.join(", ")
                                ),
                            ));
                        }
                        return Ok(());
                    }
                    "opportunity" => {
                        let Some(index) = OPPORTUNITY_FIELDS
                            .iter()
                            .position(|field| *field == select.field)
                        else {
                            return Err(unknown(
                                program,
                                node,
                                format!(
                                    "unknown field opportunity.{}; opportunity has {}",
                                    select.field,
                                    OPPORTUNITY_FIELDS.join(", ")
                                ),
                            ));
                        };
                        reads.opportunity_fields.insert(index);
                        return Ok(());
                    }
                    _ => {}
                }
            }
            walk(program, &select.operand, scope, reads)
        }
        Expr::Call(call) => {
            if let Some(target) = &call.target {
                walk(program, target, scope, reads)?;
            }
            for argument in &call.args {
                walk(program, argument, scope, reads)?;
            }
            Ok(())
        }
        Expr::Comprehension(comprehension) => {
            walk(program, &comprehension.iter_range, scope, reads)?;
            walk(program, &comprehension.accu_init, scope, reads)?;
            let bound = scope.len();
            scope.push(comprehension.iter_var.clone());
            if let Some(second) = &comprehension.iter_var2 {
                scope.push(second.clone());
            }
            scope.push(comprehension.accu_var.clone());
            let inner = walk(program, &comprehension.loop_cond, scope, reads)
                .and_then(|_| walk(program, &comprehension.loop_step, scope, reads))
                .and_then(|_| walk(program, &comprehension.result, scope, reads));
            scope.truncate(bound);
            inner
        }
        Expr::List(list) => {
            for element in &list.elements {
                walk(program, element, scope, reads)?;
            }
            Ok(())
        }
        Expr::Map(map) => {
            for entry in &map.entries {
                if let EntryExpr::MapEntry(entry) = &entry.expr {
                    walk(program, &entry.key, scope, reads)?;
                    walk(program, &entry.value, scope, reads)?;
                }
            }
            Ok(())
        }
        Expr::Struct(structure) => {
            for entry in &structure.entries {
                match &entry.expr {
                    EntryExpr::StructField(field) => walk(program, &field.value, scope, reads)?,
                    EntryExpr::MapEntry(entry) => {
                        walk(program, &entry.key, scope, reads)?;
                        walk(program, &entry.value, scope, reads)?;
                    }
                }
            }
            Ok(())
        }
        Expr::Literal(_) | Expr::Unspecified => Ok(()),
        #[allow(unreachable_patterns)]
        _ => Ok(()),
    }
}
