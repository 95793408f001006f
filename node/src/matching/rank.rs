//! How well an opportunity fits a member, from 0 to 1: skills (40 %), sector
//! (25 %), a shared language (20 %) and hours (15 %), each with a reason a person
//! can read.

use passage_proto::v1::{self, FitReasonKind as Kind};

/// The weights of the four fits; they add up to 1.
const SKILLS: f64 = 0.40;
const SECTOR: f64 = 0.25;
const LANGUAGE: f64 = 0.20;
const HOURS: f64 = 0.15;

/// What is compared, with words as interned ids (or strings, for reasons).
pub struct Fit<'a, W> {
    pub member_skills: &'a [W],
    pub member_sectors: &'a [W],
    pub member_languages: &'a [W],
    pub member_hours: i32,
    pub skills: &'a [W],
    pub sector: &'a W,
    pub languages: &'a [W],
    pub hours: i32,
    /// The rules' hours cap, if one applies.
    pub hours_cap: Option<i32>,
}

impl<W: PartialEq> Fit<'_, W> {
    fn matched_skills(&self) -> usize {
        self.skills
            .iter()
            .filter(|s| self.member_skills.contains(s))
            .count()
    }

    fn skills_fit(&self) -> f64 {
        if self.skills.is_empty() {
            return 1.0;
        }
        self.matched_skills() as f64 / self.skills.len() as f64
    }

    fn sector_fit(&self) -> bool {
        self.member_sectors.contains(self.sector)
    }

    fn language_fit(&self) -> bool {
        self.languages.is_empty()
            || self
                .languages
                .iter()
                .any(|l| self.member_languages.contains(l))
    }

    /// The hours the member would work: the opportunity's, within the cap.
    fn hours_asked(&self) -> i32 {
        self.hours_cap.map_or(self.hours, |cap| cap.min(self.hours))
    }

    fn hours_fit(&self) -> f64 {
        let asked = self.hours_asked();
        if asked <= 0 || self.member_hours >= asked {
            1.0
        } else if self.member_hours <= 0 {
            // Availability not recorded: neither a fit nor a misfit.
            0.5
        } else {
            f64::from(self.member_hours) / f64::from(asked)
        }
    }

    /// The score, 0 to 1.
    pub fn score(&self) -> f64 {
        SKILLS * self.skills_fit()
            + SECTOR * f64::from(u8::from(self.sector_fit()))
            + LANGUAGE * f64::from(u8::from(self.language_fit()))
            + HOURS * self.hours_fit()
    }
}

/// The best score an opportunity can have that asks skills of which the member
/// has none, in a sector that is not the member's: a language shared and the
/// hours right. Computed as [`Fit::score`] computes, so that no such score
/// exceeds it.
pub fn best_unmatched() -> f64 {
    SKILLS * 0.0 + SECTOR * f64::from(0_u8) + LANGUAGE * f64::from(1_u8) + HOURS * 1.0
}

impl Fit<'_, String> {
    /// Why the opportunity ranks where it does, for a page to say in its reader's
    /// language.
    pub fn fit_reasons(&self) -> Vec<v1::FitReason> {
        let reason = |kind: Kind, values: Vec<String>, count: i32, of: i32| v1::FitReason {
            kind: kind as i32,
            values,
            count,
            of,
        };
        let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
        let mut reasons = Vec::new();
        if self.skills.is_empty() {
            reasons.push(reason(Kind::NoSkillsAsked, Vec::new(), 0, 0));
        } else {
            let matched: Vec<String> = self
                .skills
                .iter()
                .filter(|s| self.member_skills.contains(s))
                .cloned()
                .collect();
            reasons.push(if matched.is_empty() {
                reason(
                    Kind::NoSkillsMatched,
                    Vec::new(),
                    count(self.skills.len()),
                    0,
                )
            } else {
                let n = count(matched.len());
                reason(Kind::SkillsMatched, matched, n, count(self.skills.len()))
            });
        }
        let sector = vec![self.sector.clone()];
        reasons.push(if self.sector_fit() {
            reason(Kind::SectorKnown, sector, 0, 0)
        } else {
            reason(Kind::SectorNew, sector, 0, 0)
        });
        if self.languages.is_empty() {
            reasons.push(reason(Kind::NoLanguageAsked, Vec::new(), 0, 0));
        } else {
            let shared: Vec<String> = self
                .languages
                .iter()
                .filter(|l| self.member_languages.contains(l))
                .cloned()
                .collect();
            reasons.push(if shared.is_empty() {
                reason(Kind::NoLanguageShared, self.languages.to_vec(), 0, 0)
            } else {
                reason(Kind::LanguagesShared, shared, 0, 0)
            });
        }
        let asked = self.hours_asked();
        if asked < self.hours {
            reasons.push(reason(Kind::HoursCapped, Vec::new(), asked, self.hours));
        }
        reasons.push(if self.member_hours <= 0 {
            reason(Kind::HoursUnknown, Vec::new(), asked, 0)
        } else if self.member_hours >= asked {
            reason(Kind::HoursFit, Vec::new(), asked, self.member_hours)
        } else {
            reason(Kind::HoursShort, Vec::new(), asked, self.member_hours)
        });
        reasons
    }

    /// Why the opportunity ranks where it does, in English.
    pub fn reasons(&self) -> Vec<String> {
        self.fit_reasons().iter().map(in_english).collect()
    }
}

/// A reason in English, as the API's `reasons` give it.
pub fn in_english(reason: &v1::FitReason) -> String {
    let values = reason.values.join(", ");
    let (count, of) = (reason.count, reason.of);
    match Kind::try_from(reason.kind).unwrap_or(Kind::Unspecified) {
        Kind::NoSkillsAsked => "no particular skills asked".to_owned(),
        Kind::SkillsMatched => format!("{count} of {of} skills: {values}"),
        Kind::NoSkillsMatched => format!("none of the {count} skills asked"),
        Kind::SectorKnown => format!("sector {values} is one of the member's"),
        Kind::SectorNew => format!("sector {values} is new to the member"),
        Kind::NoLanguageAsked => "no language asked".to_owned(),
        Kind::LanguagesShared => format!("shared language: {values}"),
        Kind::NoLanguageShared => format!("no shared language (asks {values})"),
        Kind::HoursCapped => format!("{of} h/week capped at {count} by the region's rules"),
        Kind::HoursFit => format!("{count} h/week fits {of} available"),
        Kind::HoursShort => format!("{count} h/week, {of} available"),
        Kind::HoursUnknown => format!("{count} h/week; the member's availability is not recorded"),
        Kind::Unspecified => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_nurse_fits_a_nursing_job_better_than_a_warehouse_job() {
        let skills = words(&["patient care", "dutch"]);
        let sectors = words(&["healthcare"]);
        let languages = words(&["ar", "nl"]);
        let nursing = Fit {
            member_skills: &skills,
            member_sectors: &sectors,
            member_languages: &languages,
            member_hours: 32,
            skills: &words(&["patient care"]),
            sector: &"healthcare".to_string(),
            languages: &words(&["nl"]),
            hours: 32,
            hours_cap: None,
        };
        let warehouse = Fit {
            skills: &words(&["forklift"]),
            sector: &"logistics".to_string(),
            languages: &words(&["de"]),
            hours: 40,
            ..nursing
        };
        assert!(nursing.score() > 0.99);
        assert!(warehouse.score() < 0.2);
        assert!(
            nursing
                .reasons()
                .contains(&"1 of 1 skills: patient care".to_string())
        );
    }

    #[test]
    fn an_hours_cap_counts_against_the_capped_hours() {
        let none: Vec<String> = Vec::new();
        let fit = Fit {
            member_skills: &none,
            member_sectors: &none,
            member_languages: &none,
            member_hours: 16,
            skills: &none,
            sector: &"care".to_string(),
            languages: &none,
            hours: 40,
            hours_cap: Some(16),
        };
        assert!((fit.hours_fit() - 1.0).abs() < f64::EPSILON);
        assert!(fit.reasons().iter().any(|r| r.contains("capped at 16")));
    }
}
