//! Retention at 3, 6 and 12 months, derived from placements: of the placements
//! whose mark (start date plus the months) has passed, how many had not ended
//! before it. A placement whose mark is still to come is not counted at that mark,
//! so a recent placement neither helps nor hurts the figure. Also the months a
//! retention request covers (`requested_range`).

use std::collections::BTreeMap;

use chrono::{Datelike, Months, NaiveDate};
use passage_proto::v1;

use crate::error::{Error, Refusal, Result};

/// The marks retention is measured at, in months after the start.
pub const MARKS: [u32; 3] = passage_migrations::tallies::MARKS;

/// A placement as retention sees it.
#[derive(Debug, Clone)]
pub struct Stay {
    pub kind: String,
    pub start: NaiveDate,
    /// The last day; `None` while still going.
    pub end: Option<NaiveDate>,
}

/// Retention at one mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MarkFigure {
    pub months: u32,
    /// Placements whose mark has passed (on or before today).
    pub due: u32,
    /// Of those, the ones still going at the mark.
    pub retained: u32,
}

impl MarkFigure {
    /// retained / due; 0 when none is due.
    pub fn rate(&self) -> f64 {
        if self.due == 0 {
            0.0
        } else {
            f64::from(self.retained) / f64::from(self.due)
        }
    }
}

/// Retention of a group of placements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figures {
    pub started: u32,
    pub marks: [MarkFigure; 3],
}

impl Default for Figures {
    fn default() -> Self {
        Figures {
            started: 0,
            marks: MARKS.map(|months| MarkFigure {
                months,
                ..MarkFigure::default()
            }),
        }
    }
}

impl Figures {
    fn add(&mut self, stay: &Stay, today: NaiveDate) {
        self.started += 1;
        for mark in &mut self.marks {
            let Some(retained) = retained_at(stay, mark.months, today) else {
                continue;
            };
            mark.due += 1;
            if retained {
                mark.retained += 1;
            }
        }
    }
}

/// Whether `stay` was still going `months` after its start (the mark clamped to
/// the month's end); `None` while the mark is after `today`.
pub fn retained_at(stay: &Stay, months: u32, today: NaiveDate) -> Option<bool> {
    let at = stay.start.checked_add_months(Months::new(months))?;
    if at > today {
        return None;
    }
    Some(stay.end.is_none_or(|end| end >= at))
}

/// Retention counted as stays are read, a page at a time: of all together, and
/// per kind (by stored kind name).
#[derive(Debug, Clone, Default)]
pub struct Tally {
    pub all: Figures,
    pub by_kind: BTreeMap<String, Figures>,
}

impl Tally {
    pub fn add(&mut self, stay: &Stay, today: NaiveDate) {
        self.all.add(stay, today);
        self.by_kind
            .entry(stay.kind.clone())
            .or_default()
            .add(stay, today);
    }
}

/// Retention of all `stays` together, and per kind (by stored kind name).
pub fn retention(stays: &[Stay], today: NaiveDate) -> (Figures, BTreeMap<String, Figures>) {
    let mut tally = Tally::default();
    for stay in stays {
        tally.add(stay, today);
    }
    (tally.all, tally.by_kind)
}

/// How many months a retention request without a range covers.
const DEFAULT_RETENTION_MONTHS: u32 = 24;
/// The longest retention range, in months.
const MAX_RETENTION_MONTHS: u32 = 120;

/// The first day of a `YYYY-MM` month.
fn month(field: &str, text: &str) -> Result<NaiveDate> {
    let text = text.trim();
    let well_formed = text.len() == 7
        && text
            .char_indices()
            .all(|(i, c)| if i == 4 { c == '-' } else { c.is_ascii_digit() });
    well_formed
        .then(|| NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d").ok())
        .flatten()
        .ok_or_else(|| {
            Error::refused(
                field,
                format!("{text:?} is not a month of the form YYYY-MM"),
                Refusal::of(v1::RefusalKind::NotAMonth, text, []),
            )
        })
}

/// The months a retention request covers: first day of the first, first day of
/// the last.
pub fn requested_range(
    request: &v1::GetRetentionRequest,
    today: NaiveDate,
) -> Result<(NaiveDate, NaiveDate)> {
    let (from, to) = match (request.from_month.trim(), request.to_month.trim()) {
        ("", "") => {
            let this_month = today - chrono::Days::new(u64::from(today.day0()));
            let first = this_month
                .checked_sub_months(Months::new(DEFAULT_RETENTION_MONTHS - 1))
                .unwrap_or(this_month);
            (first, this_month)
        }
        ("", _) => {
            return Err(Error::missing(
                "from_month",
                "must be set when to_month is (leave both empty for the last 24 months)",
            ));
        }
        (_, "") => {
            return Err(Error::missing(
                "to_month",
                "must be set when from_month is (leave both empty for the last 24 months)",
            ));
        }
        (from, to) => (month("from_month", from)?, month("to_month", to)?),
    };
    if from > to {
        return Err(Error::refused(
            "from_month",
            "must not be after to_month",
            Refusal::of(
                v1::RefusalKind::After,
                &from.format("%Y-%m").to_string(),
                [to.format("%Y-%m").to_string()],
            ),
        ));
    }
    if from
        .checked_add_months(Months::new(MAX_RETENTION_MONTHS))
        .is_some_and(|limit| to >= limit)
    {
        let months = (to.year() - from.year()) * 12 + to.month0() as i32 - from.month0() as i32 + 1;
        return Err(Error::refused(
            "to_month",
            format!("the range may cover at most {MAX_RETENTION_MONTHS} months"),
            Refusal::of(
                v1::RefusalKind::TooManyMonths,
                &months.to_string(),
                [MAX_RETENTION_MONTHS.to_string()],
            ),
        ));
    }
    Ok((from, to))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_is_yyyy_mm_and_the_range_defaults_to_24_months() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let (from, to) = requested_range(&v1::GetRetentionRequest::default(), today).unwrap();
        assert_eq!(
            (from.to_string().as_str(), to.to_string().as_str()),
            ("2024-12-01", "2026-11-01")
        );
        for bad in ["2026-13", "2026-1", "26-11", "2026/11", "2026-11-01"] {
            let error = month("from_month", bad).unwrap_err();
            assert!(
                error.to_string().starts_with("from_month: "),
                "{bad}: {error}"
            );
        }
        let one_sided = v1::GetRetentionRequest {
            from_month: "2026-01".into(),
            to_month: String::new(),
        };
        assert!(
            requested_range(&one_sided, today)
                .unwrap_err()
                .to_string()
                .starts_with("to_month")
        );
        let backwards = v1::GetRetentionRequest {
            from_month: "2026-05".into(),
            to_month: "2026-01".into(),
        };
        let Err(Error::InvalidArgument { field, refusal, .. }) = requested_range(&backwards, today)
        else {
            panic!("a backwards range is refused")
        };
        assert_eq!(field, "from_month");
        assert_eq!(
            (refusal.kind, refusal.value.as_str(), refusal.allowed),
            (
                v1::RefusalKind::After,
                "2026-05",
                vec!["2026-01".to_owned()]
            )
        );
        let too_long = v1::GetRetentionRequest {
            from_month: "2016-01".into(),
            to_month: "2026-01".into(),
        };
        let Err(Error::InvalidArgument { field, refusal, .. }) = requested_range(&too_long, today)
        else {
            panic!("eleven years are refused")
        };
        assert_eq!(field, "to_month");
        assert_eq!(
            (refusal.kind, refusal.value.as_str(), refusal.allowed),
            (
                v1::RefusalKind::TooManyMonths,
                "121",
                vec!["120".to_owned()]
            )
        );
        let Err(Error::InvalidArgument { refusal, .. }) = month("from_month", "2026/11") else {
            panic!("2026/11 is refused")
        };
        assert_eq!(
            (refusal.kind, refusal.value.as_str()),
            (v1::RefusalKind::NotAMonth, "2026/11")
        );
    }

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn stay(kind: &str, start: &str, end: Option<&str>) -> Stay {
        Stay {
            kind: kind.into(),
            start: day(start),
            end: end.map(day),
        }
    }

    #[test]
    fn a_mark_counts_only_once_it_has_passed_and_an_end_on_the_mark_still_counts() {
        let today = day("2026-11-24");
        let stays = [
            // 13 months ago, still going: retained at every mark.
            stay("paid_job", "2025-10-20", None),
            // Ended after 4 months: retained at 3, not at 6 or 12.
            stay("paid_job", "2025-09-01", Some("2026-01-05")),
            // Ended exactly on its 3-month mark: retained at 3.
            stay("volunteering", "2026-05-10", Some("2026-08-10")),
            // Started last month: no mark has passed, counted nowhere but started.
            stay("internship", "2026-10-15", None),
        ];
        let (all, by_kind) = retention(&stays, today);
        assert_eq!(all.started, 4);
        let [three, six, twelve] = all.marks;
        assert_eq!((three.due, three.retained), (3, 3));
        assert_eq!((six.due, six.retained), (3, 1));
        assert_eq!((twelve.due, twelve.retained), (2, 1));
        assert!((twelve.rate() - 0.5).abs() < 1e-9);
        let internship = &by_kind["internship"];
        assert_eq!(internship.started, 1);
        assert!(
            internship
                .marks
                .iter()
                .all(|m| m.due == 0 && m.rate() == 0.0)
        );
        assert_eq!(by_kind["paid_job"].marks[1].retained, 1);
    }

    #[test]
    fn a_mark_at_the_end_of_a_short_month_falls_on_its_last_day() {
        // 30 Nov + 3 months = 28 Feb (not 2 March): due on that day.
        let stays = [stay("project", "2025-11-30", None)];
        let (all, _) = retention(&stays, day("2026-02-28"));
        assert_eq!(all.marks[0].due, 1);
        let (before, _) = retention(&stays, day("2026-02-27"));
        assert_eq!(before.marks[0].due, 0);
    }
}
