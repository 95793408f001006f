//! Matching within a region's rules: published opportunities for a member, ranked
//! by how well they fit ([`rank`]), among those the rules allow.

pub mod buddies;
pub mod catalogue;
pub mod rank;

use std::collections::HashMap;

use chrono::NaiveDate;
use uuid::Uuid;

pub use catalogue::Catalogue;

use crate::rules::{Decision, Effect, EvaluationError, MemberFacts, RuleSet};
use catalogue::Listing;
use rank::Fit;

/// An opportunity the member may take, with its place in the ranking.
#[derive(Debug, Clone)]
pub struct Ranked {
    pub id: Uuid,
    pub score: f64,
    pub decision: Decision,
}

/// The best opportunities for one member.
#[derive(Debug, Clone)]
pub struct OpportunityMatches {
    pub best: Vec<Ranked>,
    /// Published opportunities looked at, and how many the rules allow.
    pub considered: usize,
    pub eligible: usize,
    /// CEL evaluations it took.
    pub evaluations: u64,
}

/// The `limit` best published opportunities in `listing` that the rules allow
/// `member` on `date`, best first (ties: the newest first).
///
/// Only the rules that can still fire for this member and that deny or cap hours
/// matter for the ranking; each is decided once per combination of the
/// opportunity values it reads ([`Memo`]), and the full decision, with every rule
/// that fired, is made for the opportunities returned.
pub fn opportunities_for(
    rules: &RuleSet,
    listing: &Listing,
    member: &MemberFacts,
    date: NaiveDate,
    limit: usize,
) -> Result<OpportunityMatches, EvaluationError> {
    let mut prepared = rules.for_member(member, date)?;
    let mut deciding: Vec<(Limit, Memo)> = prepared
        .possible()
        .iter()
        .filter_map(|rule| {
            let limit = match rule.effect {
                Effect::Deny { .. } => Limit::Deny,
                Effect::CapHours { hours } => Limit::Cap(*hours),
                Effect::Require { .. } | Effect::Warn { .. } => return None,
            };
            Some((
                limit,
                Memo::new(rule.index, rule.opportunity_fields, &listing.facts),
            ))
        })
        .collect();
    let ids = |words: &[String]| -> Vec<u32> {
        words.iter().filter_map(|w| listing.words.find(w)).collect()
    };
    let (skills, sectors, languages) = (
        ids(&member.skills),
        ids(&member.sectors),
        ids(&member.languages),
    );
    let hours = i32::try_from(member.available_hours_per_week).unwrap_or(0);
    let mut scored: Vec<(f64, usize)> = Vec::new();
    'opportunities: for (index, listed) in listing.opportunities.iter().enumerate() {
        let mut hours_cap: Option<i32> = None;
        for (limit, memo) in &mut deciding {
            let fires = match memo.get(&listed.facts) {
                Some(fires) => fires,
                None => {
                    let facts = listing.facts.facts(&listed.facts);
                    let fires = prepared.fires(memo.rule, &facts)?;
                    memo.set(&listed.facts, fires);
                    fires
                }
            };
            if fires {
                match limit {
                    Limit::Deny => continue 'opportunities,
                    Limit::Cap(hours) => {
                        hours_cap = Some(hours_cap.map_or(*hours, |cap| cap.min(*hours)));
                    }
                }
            }
        }
        let fit = Fit {
            member_skills: &skills,
            member_sectors: &sectors,
            member_languages: &languages,
            member_hours: hours,
            skills: &listed.skills,
            sector: &listed.sector,
            languages: &listed.languages,
            hours: listed.hours_per_week,
            hours_cap,
        };
        scored.push((fit.score(), index));
    }
    let eligible = scored.len();
    let order = |a: &(f64, usize), b: &(f64, usize)| {
        b.0.total_cmp(&a.0).then_with(|| {
            listing.opportunities[b.1]
                .id
                .cmp(&listing.opportunities[a.1].id)
        })
    };
    if scored.len() > limit {
        scored.select_nth_unstable_by(limit, order);
        scored.truncate(limit);
    }
    scored.sort_by(order);
    let mut best = Vec::with_capacity(scored.len());
    for (score, index) in scored {
        let listed = &listing.opportunities[index];
        best.push(Ranked {
            id: listed.id,
            score,
            decision: prepared.decide(&listing.facts.facts(&listed.facts))?,
        });
    }
    Ok(OpportunityMatches {
        best,
        considered: listing.opportunities.len(),
        eligible,
        evaluations: prepared.evaluations,
    })
}

/// What a rule that fires does to the ranking.
enum Limit {
    Deny,
    Cap(i32),
}

/// Most cells a dense memo may have; past it a rule's outcomes are kept by key.
const DENSE_CELLS: usize = 1 << 22;

/// One rule's outcome per combination of the opportunity values it reads: a
/// table indexed by the values' interned ids when it is small, else a map.
struct Memo {
    rule: usize,
    fields: Vec<usize>,
    kind: MemoKind,
}

enum MemoKind {
    /// The rule reads nothing of the opportunity: it always fires.
    Always,
    /// 0 = not decided yet, 1 = does not fire, 2 = fires.
    Dense {
        strides: Vec<usize>,
        cells: Vec<u8>,
    },
    Sparse(HashMap<Vec<u32>, bool>),
}

impl Memo {
    fn new(rule: usize, fields: &[usize], values: &catalogue::FactValues) -> Self {
        if fields.is_empty() {
            return Memo {
                rule,
                fields: Vec::new(),
                kind: MemoKind::Always,
            };
        }
        let mut strides = Vec::with_capacity(fields.len());
        let mut size: usize = 1;
        for field in fields {
            strides.push(size);
            size = size.saturating_mul(values.cardinality(*field).max(1));
        }
        let kind = if size <= DENSE_CELLS {
            MemoKind::Dense {
                strides,
                cells: vec![0; size],
            }
        } else {
            MemoKind::Sparse(HashMap::new())
        };
        Memo {
            rule,
            fields: fields.to_vec(),
            kind,
        }
    }

    fn cell(fields: &[usize], strides: &[usize], ids: &[u32; catalogue::FIELDS]) -> usize {
        fields
            .iter()
            .zip(strides)
            .map(|(field, stride)| ids[*field] as usize * stride)
            .sum()
    }

    fn get(&self, ids: &[u32; catalogue::FIELDS]) -> Option<bool> {
        match &self.kind {
            MemoKind::Always => Some(true),
            MemoKind::Dense { strides, cells } => {
                match cells.get(Self::cell(&self.fields, strides, ids)) {
                    Some(1) => Some(false),
                    Some(2) => Some(true),
                    _ => None,
                }
            }
            MemoKind::Sparse(map) => {
                let key: Vec<u32> = self.fields.iter().map(|f| ids[*f]).collect();
                map.get(&key).copied()
            }
        }
    }

    fn set(&mut self, ids: &[u32; catalogue::FIELDS], fires: bool) {
        match &mut self.kind {
            MemoKind::Always => {}
            MemoKind::Dense { strides, cells } => {
                let cell = Self::cell(&self.fields, strides, ids);
                if let Some(slot) = cells.get_mut(cell) {
                    *slot = if fires { 2 } else { 1 };
                }
            }
            MemoKind::Sparse(map) => {
                map.insert(self.fields.iter().map(|f| ids[*f]).collect(), fires);
            }
        }
    }
}
