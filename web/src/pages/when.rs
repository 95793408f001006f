//! Times as a person reads them, in the page's language: "Tuesday, 15 December
//! 2026, 14:00 to 16:00 (UTC)", the weekday and month named in that language.
//! Passage keeps no time zone for a region yet, so a time is given in UTC and
//! says so.

use crate::i18n::Text;

/// A moment's calendar date and clock time in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    pub year: i64,
    /// 1 to 12.
    pub month: i64,
    pub day: i64,
    /// 1 (Monday) to 7 (Sunday).
    pub weekday: i64,
    pub hour: i64,
    pub minute: i64,
}

impl Civil {
    /// The date and time of a Unix time, in UTC.
    pub fn of(seconds: i64) -> Civil {
        use chrono::{Datelike, Timelike};
        let at = chrono::DateTime::from_timestamp(seconds, 0).unwrap_or_default();
        Civil {
            year: i64::from(at.year()),
            month: i64::from(at.month()),
            day: i64::from(at.day()),
            weekday: i64::from(at.weekday().number_from_monday()),
            hour: i64::from(at.hour()),
            minute: i64::from(at.minute()),
        }
    }

    fn same_day(&self, other: &Civil) -> bool {
        (self.year, self.month, self.day) == (other.year, other.month, other.day)
    }

    /// "Tuesday, 15 December 2026", in the page's language.
    pub fn date(&self, text: Text) -> String {
        text.t_with(
            "when-date",
            &[
                ("weekday", &text.t(&format!("weekday-{}", self.weekday))),
                ("day", &self.day.to_string()),
                ("month", &text.t(&format!("month-{}", self.month))),
                ("year", &self.year.to_string()),
            ],
        )
    }

    /// "Tuesday, 15 December 2026, 14:00".
    pub fn date_time(&self, text: Text) -> String {
        text.t_with(
            "when-date-time",
            &[("date", &self.date(text)), ("time", &self.clock())],
        )
    }

    /// "14:00".
    pub fn clock(&self) -> String {
        format!("{:02}:{:02}", self.hour, self.minute)
    }
}

/// When something from `start` to `end` (Unix times) takes place, in words.
pub fn span(text: Text, start: i64, end: i64) -> String {
    let (from, until) = (Civil::of(start), Civil::of(end));
    if from.same_day(&until) {
        text.t_with(
            "when-same-day",
            &[
                ("date", &from.date(text)),
                ("from", &from.clock()),
                ("until", &until.clock()),
            ],
        )
    } else {
        text.t_with(
            "when-days",
            &[
                ("from", &from.date_time(text)),
                ("until", &until.date_time(text)),
            ],
        )
    }
}

/// The day of a moment, in words ("4 December 2026"): a question asked or a pair
/// proposed is a matter of days, not minutes. Empty for none.
pub fn day(text: Text, time: Option<&prost_types::Timestamp>) -> String {
    let Some(time) = time else {
        return String::new();
    };
    let at = Civil::of(time.seconds);
    text.t_with(
        "date-day",
        &[
            ("day", &at.day.to_string()),
            ("month", &text.t(&format!("month-{}", at.month))),
            ("year", &at.year.to_string()),
        ],
    )
}

/// When something starting at `start` (a Unix time) begins, in words.
pub fn moment(text: Text, start: i64) -> String {
    let at = Civil::of(start);
    text.t_with(
        "when-at",
        &[("date", &at.date(text)), ("time", &at.clock())],
    )
}

/// A language of an event or group: its code (for the page's `lang`) and its own
/// name.
pub struct LanguageName {
    pub code: String,
    pub name: String,
}

/// The languages of `codes`, each by its own name.
pub fn languages(codes: &[String]) -> Vec<LanguageName> {
    codes
        .iter()
        .map(|code| LanguageName {
            code: code.trim().to_ascii_lowercase(),
            name: language_name(code),
        })
        .collect()
}

/// What separates the items of a list in the page's language.
pub fn list_separator(text: Text) -> &'static str {
    match text.code() {
        "ar" => "، ",
        _ => ", ",
    }
}

/// A language of an event or group by its own name ("العربية" for `ar`), so that
/// everyone finds theirs whatever language the page is in; the code when Passage
/// does not know it.
pub fn language_name(code: &str) -> String {
    let name = match code.trim().to_ascii_lowercase().as_str() {
        "ar" => "العربية",
        "de" => "Deutsch",
        "en" => "English",
        "es" => "Español",
        "fa" => "فارسی",
        "fr" => "Français",
        "ku" => "Kurdî",
        "nl" => "Nederlands",
        "ps" => "پښتو",
        "ru" => "Русский",
        "so" => "Soomaali",
        "ti" => "ትግርኛ",
        "tr" => "Türkçe",
        "uk" => "Українська",
        _ => return code.trim().to_owned(),
    };
    name.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn a_unix_time_is_read_as_its_date_weekday_and_time() {
        let epoch = Civil::of(0);
        assert_eq!((epoch.year, epoch.month, epoch.day), (1970, 1, 1));
        let leap = Civil::of(951_782_400);
        assert_eq!((leap.year, leap.month, leap.day), (2000, 2, 29));
        assert_eq!(epoch.weekday, 4, "a Thursday");
        // Friday 4 December 2026, 18:07 UTC.
        let now = Civil::of(1_796_342_400 + 18 * 3_600 + 7 * 60);
        assert_eq!(
            (now.year, now.month, now.day, now.weekday),
            (2026, 12, 4, 5)
        );
        assert_eq!(now.clock(), "18:07");
        let leap = Civil::of(951_782_400);
        assert_eq!((leap.month, leap.day, leap.weekday), (2, 29, 2));
    }

    #[test]
    fn a_span_reads_in_the_page_s_language() {
        let start = 1_796_342_400 + 14 * 3_600;
        let end = start + 2 * 3_600;
        assert_eq!(
            span(Text::new(Lang::En), start, end),
            "Friday, 4 December 2026, 14:00 to 16:00 (UTC)"
        );
        assert_eq!(
            span(Text::new(Lang::Nl), start, end),
            "vrijdag 4 december 2026, 14:00 tot 16:00 (UTC-tijd)"
        );
        assert!(span(Text::new(Lang::Es), start, start + 86_400).contains("sábado"));
        assert_eq!(language_name("ar"), "العربية");
        assert_eq!(language_name("xx"), "xx");
    }
}
