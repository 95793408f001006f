//! Calendar months as the statistics speak of them (`2026-03`), and the month
//! range of a statistics request: parsed and checked the same way by the gateway
//! and by every node, so both refuse the same requests with the same words.

use std::fmt;

use crate::v1::{MonthRange, RefusalKind};

/// The longest range a statistics request may ask for, in months.
pub const MAX_MONTHS: u32 = 120;

/// How many months a request without a range covers, ending with the current one.
pub const DEFAULT_MONTHS: u32 = 12;

/// A calendar month (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    /// Months since January of year 0.
    index: i64,
}

impl Month {
    /// `month` of `year`, if `month` is 1 to 12 and the year has four digits.
    pub fn new(year: i32, month: u32) -> Option<Month> {
        ((1..=12).contains(&month) && (1..=9999).contains(&year)).then(|| Month {
            index: i64::from(year) * 12 + i64::from(month) - 1,
        })
    }

    /// Parses `YYYY-MM`.
    pub fn parse(text: &str) -> Option<Month> {
        let (year, month) = text.split_once('-')?;
        let digits =
            |part: &str, len: usize| part.len() == len && part.bytes().all(|b| b.is_ascii_digit());
        if !digits(year, 4) || !digits(month, 2) {
            return None;
        }
        Month::new(year.parse().ok()?, month.parse().ok()?)
    }

    pub fn year(self) -> i32 {
        (self.index.div_euclid(12)) as i32
    }

    /// 1 to 12.
    pub fn month(self) -> u32 {
        (self.index.rem_euclid(12) + 1) as u32
    }

    /// The month `count` months later (earlier when negative).
    pub fn plus(self, count: i64) -> Month {
        Month {
            index: self.index + count,
        }
    }

    /// Months from `self` to `later`, counting both (1 for the same month).
    pub fn span_to(self, later: Month) -> i64 {
        later.index - self.index + 1
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year(), self.month())
    }
}

/// A checked, inclusive range of months.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MonthSpan {
    pub from: Month,
    pub to: Month,
}

/// Why a month range was refused, naming the field (`months.from_month`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthRangeError {
    pub field: String,
    pub reason: String,
    /// Why, for a client to word in its reader's language (`RefusedLine.kind`).
    pub kind: RefusalKind,
    /// The refused value (`RefusedLine.value`).
    pub value: String,
    /// What the kind allows (`RefusedLine.allowed`).
    pub allowed: Vec<String>,
}

impl fmt::Display for MonthRangeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

impl std::error::Error for MonthRangeError {}

impl MonthSpan {
    /// The range a request asks for: both months given, from ≤ to, at most
    /// [`MAX_MONTHS`]; neither given: the [`DEFAULT_MONTHS`] ending with `current`.
    /// `field` is the range's path in the request (`months`).
    pub fn parse(
        field: &str,
        range: Option<&MonthRange>,
        current: Month,
    ) -> Result<MonthSpan, MonthRangeError> {
        let error = |name: &str, reason: String, kind, value: String, allowed: Vec<String>| {
            MonthRangeError {
                field: if name.is_empty() {
                    field.to_owned()
                } else {
                    format!("{field}.{name}")
                },
                reason,
                kind,
                value,
                allowed,
            }
        };
        let (from, to) = range.map_or(("", ""), |r| (r.from_month.trim(), r.to_month.trim()));
        if from.is_empty() && to.is_empty() {
            return Ok(MonthSpan {
                from: current.plus(1 - i64::from(DEFAULT_MONTHS)),
                to: current,
            });
        }
        let month = |name: &str, text: &str| {
            if text.is_empty() {
                let other = if name == "from_month" {
                    "to_month"
                } else {
                    "from_month"
                };
                return Err(error(
                    name,
                    format!(
                        "must be set when {field}.{other} is (or leave both empty for the last {DEFAULT_MONTHS} months)"
                    ),
                    RefusalKind::Missing,
                    String::new(),
                    Vec::new(),
                ));
            }
            Month::parse(text).ok_or_else(|| {
                error(
                    name,
                    format!("{text:?} is not a month (YYYY-MM)"),
                    RefusalKind::NotAMonth,
                    text.chars().take(40).collect(),
                    Vec::new(),
                )
            })
        };
        let from_month = month("from_month", from)?;
        let to_month = month("to_month", to)?;
        if to_month < from_month {
            return Err(error(
                "to_month",
                format!("{to_month} is before {field}.from_month {from_month}"),
                RefusalKind::Before,
                to_month.to_string(),
                vec![from_month.to_string()],
            ));
        }
        let count = from_month.span_to(to_month);
        if count > i64::from(MAX_MONTHS) {
            return Err(error(
                "",
                format!("{from_month} to {to_month} is {count} months; at most {MAX_MONTHS}"),
                RefusalKind::TooManyMonths,
                count.to_string(),
                vec![MAX_MONTHS.to_string()],
            ));
        }
        Ok(MonthSpan {
            from: from_month,
            to: to_month,
        })
    }

    /// Every month of the range, oldest first.
    pub fn months(&self) -> impl Iterator<Item = Month> + use<> {
        let from = *self;
        (0..from.from.span_to(from.to)).map(move |offset| from.from.plus(offset))
    }

    /// Whether `month` is in the range.
    pub fn contains(&self, month: Month) -> bool {
        self.from <= month && month <= self.to
    }

    /// The range as it goes on the wire, both months set.
    pub fn to_wire(&self) -> MonthRange {
        MonthRange {
            from_month: self.from.to_string(),
            to_month: self.to.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn range(from: &str, to: &str) -> MonthRange {
        MonthRange {
            from_month: from.into(),
            to_month: to.into(),
        }
    }

    #[test]
    fn months_read_and_print_as_year_and_month() {
        let march = Month::parse("2026-03").unwrap();
        assert_eq!(march.to_string(), "2026-03");
        assert_eq!(march.plus(10).to_string(), "2027-01");
        assert_eq!(march.plus(-3).to_string(), "2025-12");
        for bad in [
            "2026-13",
            "2026-00",
            "2026-3",
            "26-03",
            "2026/03",
            "2026-03-01",
            "",
        ] {
            assert_eq!(Month::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn an_empty_range_is_the_last_twelve_months() {
        let now = Month::parse("2026-11").unwrap();
        let span = MonthSpan::parse("months", None, now).unwrap();
        assert_eq!(span.from.to_string(), "2025-12");
        assert_eq!(span.to, now);
        assert_eq!(span.months().count(), 12);
    }

    #[test]
    fn a_bad_range_names_its_field() {
        let now = Month::parse("2026-11").unwrap();
        let refuse = |from: &str, to: &str| {
            MonthSpan::parse("months", Some(&range(from, to)), now)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            refuse("2026-13", "2026-12"),
            "months.from_month: \"2026-13\" is not a month (YYYY-MM)"
        );
        assert_eq!(
            refuse("2026-03", "2026-01"),
            "months.to_month: 2026-01 is before months.from_month 2026-03"
        );
        assert!(
            refuse("2016-01", "2026-01").starts_with("months: 2016-01 to 2026-01 is 121 months")
        );
        assert!(refuse("2026-01", "").starts_with("months.to_month: must be set"));
        let backwards =
            MonthSpan::parse("months", Some(&range("2026-03", "2026-01")), now).unwrap_err();
        assert_eq!(
            (backwards.kind, backwards.value.as_str(), backwards.allowed),
            (RefusalKind::Before, "2026-01", vec!["2026-03".to_owned()])
        );
        let ten_years =
            MonthSpan::parse("months", Some(&range("2016-02", "2026-01")), now).unwrap();
        assert_eq!(ten_years.months().count(), 120);
    }
}
