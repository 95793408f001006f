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

/// How many more than twice `limit` scored opportunities gather before they
/// are pruned back to the best `limit`.
const PRUNE_SLACK: usize = 64;

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
    // What the rules do to each class of opportunity: `None` where one denies,
    // else the hours cap, if any. Every listed opportunity the rules allow counts
    // as eligible, whether it is scored or not.
    let mut allowed: Vec<Option<Option<i32>>> = Vec::with_capacity(listing.classes.len());
    let mut eligible = 0;
    for (facts, size) in listing.classes.iter().zip(&listing.class_sizes) {
        let outcome = if *size == 0 {
            None
        } else {
            class_outcome(&mut prepared, &mut deciding, listing, facts)?
        };
        if outcome.is_some() {
            eligible += *size as usize;
        }
        allowed.push(outcome);
    }
    let score = |index: usize, hours_cap: Option<i32>| {
        let listed = &listing.opportunities[index];
        Fit {
            member_skills: &skills,
            member_sectors: &sectors,
            member_languages: &languages,
            member_hours: hours,
            skills: &listed.skills,
            sector: &listed.sector,
            languages: &listed.languages,
            hours: listed.hours_per_week,
            hours_cap,
        }
        .score()
    };
    // First the opportunities that share a skill or the sector with the member
    // (or ask no skills); the others cannot score above `rank::best_unmatched`,
    // and are scored only when the first do not fill `limit` places above it.
    let skill_bits = skills
        .iter()
        .fold(0, |bits, s| bits | catalogue::skill_bit(*s));
    let order = |a: &(f64, usize), b: &(f64, usize)| {
        b.0.total_cmp(&a.0).then_with(|| {
            listing.opportunities[b.1]
                .id
                .cmp(&listing.opportunities[a.1].id)
        })
    };
    // Only the best `limit` are kept as they are scored: once `limit` are held,
    // a score below the lowest of them cannot enter, and the held ones are
    // pruned back to `limit` whenever twice as many gather. A million listed
    // opportunities are scored without a million kept.
    let mut scored: Vec<(f64, usize)> = Vec::with_capacity(2 * limit + PRUNE_SLACK);
    let mut floor = f64::NEG_INFINITY;
    let mut keep = |scored: &mut Vec<(f64, usize)>, entry: (f64, usize)| {
        if limit == 0 || entry.0 < floor {
            return;
        }
        scored.push(entry);
        if scored.len() >= 2 * limit + PRUNE_SLACK {
            scored.select_nth_unstable_by(limit - 1, order);
            scored.truncate(limit);
            floor = scored[limit - 1].0;
        }
    };
    let mut passed_over = false;
    for (index, screen) in listing.screens.iter().enumerate() {
        let Some(hours_cap) = allowed[screen.class as usize] else {
            continue;
        };
        if screen.may_fit(skill_bits, &sectors) {
            keep(&mut scored, (score(index, hours_cap), index));
        } else {
            passed_over = true;
        }
    }
    let places_filled = limit > 0 && scored.len() >= limit && {
        scored.select_nth_unstable_by(limit - 1, order);
        scored[limit - 1].0 > rank::best_unmatched()
    };
    if passed_over && !places_filled {
        for (index, screen) in listing.screens.iter().enumerate() {
            if let Some(hours_cap) = allowed[screen.class as usize]
                && !screen.may_fit(skill_bits, &sectors)
            {
                keep(&mut scored, (score(index, hours_cap), index));
            }
        }
    }
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

/// What the deciding rules do to an opportunity with `facts`: `None` when one
/// denies it, else the lowest hours cap of those that fire, if any.
fn class_outcome(
    prepared: &mut crate::rules::MemberRules<'_>,
    deciding: &mut [(Limit, Memo)],
    listing: &Listing,
    facts: &[u32; catalogue::FIELDS],
) -> Result<Option<Option<i32>>, EvaluationError> {
    let mut hours_cap: Option<i32> = None;
    for (limit, memo) in deciding.iter_mut() {
        let fires = match memo.get(facts) {
            Some(fires) => fires,
            None => {
                let fires = prepared.fires(memo.rule, &listing.facts.facts(facts))?;
                memo.set(facts, fires);
                fires
            }
        };
        if fires {
            match limit {
                Limit::Deny => return Ok(None),
                Limit::Cap(hours) => {
                    hours_cap = Some(hours_cap.map_or(*hours, |cap| cap.min(*hours)));
                }
            }
        }
    }
    Ok(Some(hours_cap))
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

#[cfg(test)]
mod tests {
    //! Amsterdam's rules over a varied catalogue: the screened match (scoring
    //! first the opportunities that share a skill or the sector) returns exactly
    //! what scoring every allowed opportunity would, for members who match many,
    //! few and none.

    use super::*;
    use crate::store::entity::opportunity;

    const SKILLS: [&str; 12] = [
        "welding", "cooking", "nursing", "python", "excel", "sales", "driving", "cleaning",
        "teaching", "painting", "security", "barista",
    ];
    const SECTORS: [&str; 6] = [
        "construction",
        "healthcare",
        "hospitality",
        "ict",
        "retail",
        "care",
    ];
    const KINDS: [&str; 5] = ["job", "internship", "volunteer", "learn_work", "project"];

    fn catalogue(count: u64) -> Catalogue {
        let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let now = chrono::Utc::now();
        let rows: Vec<(opportunity::Model, String)> = (0..count)
            .map(|n| {
                let kind = KINDS[(next() % 5) as usize];
                let skills: Vec<String> = (0..next() % 4)
                    .map(|_| SKILLS[(next() % 12) as usize].to_owned())
                    .collect();
                let paid = next() % 2 == 0;
                let row = opportunity::Model {
                    id: Uuid::from_u128(u128::from(n) + 1),
                    organisation_id: Uuid::nil(),
                    title: format!("{kind} {n}"),
                    description: String::new(),
                    kind: kind.into(),
                    sector: SECTORS[(next() % 6) as usize].into(),
                    skills: crate::convert::json_strings(&skills),
                    languages: crate::convert::json_strings(&["nl".to_owned()]),
                    hours_per_week: 8 + (next() % 5) as i32 * 8,
                    paid,
                    location: "Amsterdam".into(),
                    status: "published".into(),
                    self_employment: kind == "project" && next() % 3 == 0,
                    hourly_wage_cents: if paid {
                        1_400 + (next() % 4) as i64 * 150
                    } else {
                        0
                    },
                    created_at: now,
                    updated_at: now,
                    external_id: None,
                };
                (row, ["employer", "ngo"][(next() % 2) as usize].to_owned())
            })
            .collect();
        Catalogue::from_rows(&rows)
    }

    /// Every allowed opportunity scored, best first, the first `limit`.
    fn every_one_scored(
        rules: &RuleSet,
        listing: &Listing,
        member: &MemberFacts,
        date: NaiveDate,
        limit: usize,
    ) -> (Vec<(Uuid, f64)>, usize) {
        let mut prepared = rules.for_member(member, date).unwrap();
        let mut deciding: Vec<(Limit, Memo)> = prepared
            .possible()
            .iter()
            .filter_map(|rule| {
                match rule.effect {
                    Effect::Deny { .. } => Some(Limit::Deny),
                    Effect::CapHours { hours } => Some(Limit::Cap(*hours)),
                    _ => None,
                }
                .map(|limit| {
                    (
                        limit,
                        Memo::new(rule.index, rule.opportunity_fields, &listing.facts),
                    )
                })
            })
            .collect();
        let words =
            |w: &[String]| -> Vec<u32> { w.iter().filter_map(|w| listing.words.find(w)).collect() };
        let (skills, sectors, languages) = (
            words(&member.skills),
            words(&member.sectors),
            words(&member.languages),
        );
        let mut all: Vec<(f64, Uuid)> = Vec::new();
        for listed in &listing.opportunities {
            let Some(hours_cap) =
                class_outcome(&mut prepared, &mut deciding, listing, &listed.facts).unwrap()
            else {
                continue;
            };
            let fit = Fit {
                member_skills: &skills,
                member_sectors: &sectors,
                member_languages: &languages,
                member_hours: member.available_hours_per_week as i32,
                skills: &listed.skills,
                sector: &listed.sector,
                languages: &listed.languages,
                hours: listed.hours_per_week,
                hours_cap,
            };
            all.push((fit.score(), listed.id));
        }
        let eligible = all.len();
        all.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| b.1.cmp(&a.1)));
        (
            all.into_iter().take(limit).map(|(s, id)| (id, s)).collect(),
            eligible,
        )
    }

    #[test]
    fn the_screened_match_is_the_match_of_every_opportunity() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../deploy/regions/amsterdam.rules.toml"
        );
        let rules = crate::rules::file::load(std::path::Path::new(path)).unwrap();
        let catalogue = catalogue(6_000);
        let listing = catalogue.read();
        let date = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let welder = MemberFacts {
            residence_status: "status_holder".into(),
            skills: vec!["welding".into(), "driving".into()],
            sectors: vec!["construction".into()],
            languages: vec!["nl".into()],
            available_hours_per_week: 32,
            ..MemberFacts::default()
        };
        let asylum_seeker = MemberFacts {
            residence_status: "asylum_seeker".into(),
            asylum_application_date: NaiveDate::from_ymd_opt(2026, 3, 1),
            skills: vec!["barista".into()],
            languages: vec!["ar".into()],
            available_hours_per_week: 12,
            ..MemberFacts::default()
        };
        let nothing_known = MemberFacts::default();
        for (who, member) in [
            ("welder", welder),
            ("asylum seeker", asylum_seeker),
            ("nothing known", nothing_known),
        ] {
            for limit in [1, 20, 500] {
                let found = opportunities_for(&rules, &listing, &member, date, limit).unwrap();
                let (expected, eligible) = every_one_scored(&rules, &listing, &member, date, limit);
                let got: Vec<(Uuid, f64)> = found.best.iter().map(|r| (r.id, r.score)).collect();
                assert_eq!(got, expected, "{who}, limit {limit}");
                assert_eq!(found.eligible, eligible, "{who}: eligible");
                assert_eq!(found.considered, 6_000);
            }
        }
    }

    #[test]
    fn classes_follow_opportunities_leaving_and_changing() {
        let catalogue = catalogue(300);
        let mut listing = catalogue.write();
        let first = listing.opportunities[0].id;
        listing.remove(first);
        let total: u32 = listing.class_sizes.iter().sum();
        assert_eq!(total as usize, listing.opportunities.len());
        assert_eq!(listing.screens.len(), listing.opportunities.len());
        for (listed, screen) in listing.opportunities.iter().zip(&listing.screens) {
            assert_eq!(listing.classes[screen.class as usize], listed.facts);
            assert_eq!(screen.sector, listed.sector);
        }
    }
}
