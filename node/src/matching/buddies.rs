//! Which newcomer to pair with which local: same profession (case-insensitive) or
//! a shared sector, and at least one shared language; within a local's capacity;
//! never two members who were paired before. Greedy and deterministic: newcomers
//! oldest first (by UUIDv7 id), each with the best-fitting local left — same
//! profession first, then most shared sectors, then most shared languages, then the
//! oldest local.

use std::collections::HashSet;

use uuid::Uuid;

/// A member as the proposal sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub id: Uuid,
    /// Trimmed and lower case; empty when not given.
    pub profession: String,
    pub sectors: Vec<String>,
    pub languages: Vec<String>,
}

impl Candidate {
    pub fn new(id: Uuid, profession: &str, sectors: Vec<String>, languages: Vec<String>) -> Self {
        Candidate {
            id,
            profession: profession.trim().to_lowercase(),
            sectors,
            languages,
        }
    }
}

/// A local and how many more newcomers they can take on.
#[derive(Debug, Clone)]
pub struct Buddy {
    pub candidate: Candidate,
    pub room: u32,
}

/// A proposed pair and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    pub newcomer: Uuid,
    pub local: Uuid,
    pub reasons: Vec<String>,
}

/// How well two members fit; `None` when they do not.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Fit {
    same_profession: bool,
    sectors: usize,
    languages: usize,
}

fn fit(newcomer: &Candidate, local: &Candidate) -> Option<(Fit, Vec<String>)> {
    let same_profession =
        !newcomer.profession.is_empty() && newcomer.profession == local.profession;
    let sectors: Vec<&String> = newcomer
        .sectors
        .iter()
        .filter(|s| local.sectors.contains(s))
        .collect();
    let languages: Vec<&String> = newcomer
        .languages
        .iter()
        .filter(|l| local.languages.contains(l))
        .collect();
    let common_ground = same_profession || !sectors.is_empty();
    if !common_ground || languages.is_empty() {
        return None;
    }
    let mut reasons = Vec::new();
    if same_profession {
        reasons.push(format!("same profession: {}", newcomer.profession));
    }
    reasons.extend(sectors.iter().map(|s| format!("shared sector: {s}")));
    reasons.extend(languages.iter().map(|l| format!("shared language: {l}")));
    Some((
        Fit {
            same_profession,
            sectors: sectors.len(),
            languages: languages.len(),
        },
        reasons,
    ))
}

/// Up to `max_pairs` proposals. `newcomers` and `locals` in id order; `paired_before`
/// holds (newcomer, local) of every earlier pair. Uses up the locals' room.
pub fn propose(
    newcomers: &[Candidate],
    locals: &mut [Buddy],
    paired_before: &HashSet<(Uuid, Uuid)>,
    max_pairs: usize,
) -> Vec<Proposal> {
    let mut proposals = Vec::new();
    for newcomer in newcomers {
        if proposals.len() >= max_pairs {
            break;
        }
        let mut best: Option<(usize, Fit, Vec<String>)> = None;
        for (index, local) in locals.iter().enumerate() {
            if local.room == 0
                || local.candidate.id == newcomer.id
                || paired_before.contains(&(newcomer.id, local.candidate.id))
            {
                continue;
            }
            let Some((score, reasons)) = fit(newcomer, &local.candidate) else {
                continue;
            };
            if best.as_ref().is_none_or(|(_, top, _)| score > *top) {
                best = Some((index, score, reasons));
            }
        }
        if let Some((index, _, reasons)) = best
            && let Some(local) = locals.get_mut(index)
        {
            local.room -= 1;
            proposals.push(Proposal {
                newcomer: newcomer.id,
                local: local.candidate.id,
                reasons,
            });
        }
    }
    proposals
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(profession: &str, sectors: &[&str], languages: &[&str]) -> Candidate {
        Candidate::new(
            Uuid::now_v7(),
            profession,
            sectors.iter().map(|s| (*s).to_owned()).collect(),
            languages.iter().map(|l| (*l).to_owned()).collect(),
        )
    }

    fn buddy(candidate: &Candidate, room: u32) -> Buddy {
        Buddy {
            candidate: candidate.clone(),
            room,
        }
    }

    #[test]
    fn same_profession_wins_over_more_shared_sectors() {
        let newcomer = person("Nurse", &["healthcare", "elderly-care"], &["ar", "en"]);
        let same_sectors = person("carer", &["healthcare", "elderly-care"], &["ar", "en"]);
        let nurse = person(" nurse ", &[], &["ar"]);
        let mut locals = vec![buddy(&same_sectors, 1), buddy(&nurse, 1)];
        let proposals = propose(
            std::slice::from_ref(&newcomer),
            &mut locals,
            &HashSet::new(),
            10,
        );
        assert_eq!(
            proposals,
            vec![Proposal {
                newcomer: newcomer.id,
                local: nurse.id,
                reasons: vec![
                    "same profession: nurse".into(),
                    "shared language: ar".into()
                ],
            }]
        );
        assert_eq!(locals[1].room, 0);
    }

    #[test]
    fn no_shared_language_or_no_common_ground_is_no_pair() {
        let newcomer = person("nurse", &["healthcare"], &["ar"]);
        let silent = person("nurse", &["healthcare"], &["nl"]);
        let stranger = person("baker", &["hospitality"], &["ar"]);
        let mut locals = vec![buddy(&silent, 3), buddy(&stranger, 3)];
        assert!(propose(&[newcomer], &mut locals, &HashSet::new(), 10).is_empty());
    }

    #[test]
    fn capacity_earlier_pairs_and_the_limit_are_respected() {
        let first = person("nurse", &["healthcare"], &["ar"]);
        let second = person("nurse", &["healthcare"], &["ar"]);
        let third = person("nurse", &["healthcare"], &["ar"]);
        let local = person("nurse", &["healthcare"], &["ar"]);
        let mut locals = vec![buddy(&local, 1)];
        let before = HashSet::from([(first.id, local.id)]);
        let newcomers = [first, second.clone(), third];
        let proposals = propose(&newcomers, &mut locals, &before, 10);
        assert_eq!(proposals.len(), 1);
        assert_eq!(
            proposals[0].newcomer, second.id,
            "the first was paired before"
        );

        let mut roomy = vec![buddy(&local, 5)];
        assert_eq!(propose(&newcomers, &mut roomy, &before, 1).len(), 1);
    }
}
