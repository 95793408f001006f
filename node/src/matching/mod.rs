//! Matching within a region's rules: published opportunities for a member, ranked
//! by how well they fit ([`rank`]), among those the rules allow.

pub mod catalogue;
pub mod rank;

use chrono::NaiveDate;
use uuid::Uuid;

pub use catalogue::Catalogue;

use crate::rules::{Decision, EvaluationError, MemberFacts, RuleSet};
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
pub fn opportunities_for(
    rules: &RuleSet,
    listing: &Listing,
    member: &MemberFacts,
    date: NaiveDate,
    limit: usize,
) -> Result<OpportunityMatches, EvaluationError> {
    let mut prepared = rules.for_member(member, date)?;
    let decisions = listing
        .classes
        .iter()
        .map(|class| prepared.decide(class))
        .collect::<Result<Vec<_>, _>>()?;
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
    for (index, listed) in listing.opportunities.iter().enumerate() {
        let decision = &decisions[listed.class as usize];
        if !decision.eligible {
            continue;
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
            hours_cap: decision.hours_cap,
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
    let best = scored
        .into_iter()
        .map(|(score, index)| {
            let listed = &listing.opportunities[index];
            Ranked {
                id: listed.id,
                score,
                decision: decisions[listed.class as usize].clone(),
            }
        })
        .collect();
    Ok(OpportunityMatches {
        best,
        considered: listing.opportunities.len(),
        eligible,
        evaluations: prepared.evaluations,
    })
}
