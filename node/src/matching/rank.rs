//! How well an opportunity fits a member, from 0 to 1: skills (40 %), sector
//! (25 %), a shared language (20 %) and hours (15 %), each with a reason a person
//! can read.

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

impl Fit<'_, String> {
    /// Why the opportunity ranks where it does.
    pub fn reasons(&self) -> Vec<String> {
        let mut reasons = Vec::new();
        if self.skills.is_empty() {
            reasons.push("no particular skills asked".to_owned());
        } else {
            let matched: Vec<&str> = self
                .skills
                .iter()
                .filter(|s| self.member_skills.contains(s))
                .map(String::as_str)
                .collect();
            reasons.push(if matched.is_empty() {
                format!("none of the {} skills asked", self.skills.len())
            } else {
                format!(
                    "{} of {} skills: {}",
                    matched.len(),
                    self.skills.len(),
                    matched.join(", ")
                )
            });
        }
        reasons.push(if self.sector_fit() {
            format!("sector {} is one of the member's", self.sector)
        } else {
            format!("sector {} is new to the member", self.sector)
        });
        if self.languages.is_empty() {
            reasons.push("no language asked".to_owned());
        } else {
            let shared: Vec<&str> = self
                .languages
                .iter()
                .filter(|l| self.member_languages.contains(l))
                .map(String::as_str)
                .collect();
            reasons.push(if shared.is_empty() {
                format!("no shared language (asks {})", self.languages.join(", "))
            } else {
                format!("shared language: {}", shared.join(", "))
            });
        }
        let asked = self.hours_asked();
        if asked < self.hours {
            reasons.push(format!(
                "{} h/week capped at {asked} by the region's rules",
                self.hours
            ));
        }
        reasons.push(if self.member_hours <= 0 {
            format!("{asked} h/week; the member's availability is not recorded")
        } else if self.member_hours >= asked {
            format!("{asked} h/week fits {} available", self.member_hours)
        } else {
            format!("{asked} h/week, {} available", self.member_hours)
        });
        reasons
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
