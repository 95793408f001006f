//! Dates as people read them: "4 December 2026", "4 грудня 2026 р.", "4 de
//! diciembre de 2026" — the day, the month's name and the year in the page's
//! language (the order and the words from the Fluent files, `date-day` and
//! `month-1` … `month-12`). Times are shown as days: a question asked or a pair
//! proposed is a matter of days, not minutes.

use crate::i18n::Text;

/// The day of a Unix time, in the page's language.
pub fn day(text: Text, time: Option<&prost_types::Timestamp>) -> String {
    let Some(time) = time else {
        return String::new();
    };
    let (year, month, day) = civil(time.seconds);
    text.tn(
        "date-day",
        &[
            ("day", &day.to_string()),
            ("month", &text.t(&format!("month-{month}"))),
            ("year", &year.to_string()),
        ],
    )
}

/// Year, month (1–12) and day of a Unix time (Howard Hinnant's algorithm).
fn civil(seconds: i64) -> (i64, i64, i64) {
    let z = seconds.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    fn at(seconds: i64) -> Option<prost_types::Timestamp> {
        Some(prost_types::Timestamp { seconds, nanos: 0 })
    }

    #[test]
    fn a_day_reads_in_each_language() {
        let december = at(1_796_342_400);
        assert_eq!(
            day(Text::new(Lang::En), december.as_ref()),
            "4 December 2026"
        );
        assert_eq!(
            day(Text::new(Lang::Nl), december.as_ref()),
            "4 december 2026"
        );
        assert_eq!(
            day(Text::new(Lang::Es), december.as_ref()),
            "4 de diciembre de 2026"
        );
        assert_eq!(
            day(Text::new(Lang::Uk), december.as_ref()),
            "4 грудня 2026 р."
        );
        assert_eq!(
            day(Text::new(Lang::En), at(951_782_400).as_ref()),
            "29 February 2000"
        );
        assert_eq!(day(Text::new(Lang::En), None), "");
    }
}
