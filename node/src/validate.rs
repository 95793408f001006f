//! Field checks shared by every request. Each names the field it rejects with its
//! path in the request (`member.profile.display_name`), so a client can point at it.

use chrono::NaiveDate;
use uuid::Uuid;

use passage_proto::v1::RefusalKind;

use crate::error::{Error, Refusal, Result};

/// The most characters of a refused value that its refusal quotes.
const QUOTED_CHARS: usize = 40;

/// A refused value as its refusal quotes it: in quotes, escaped, and cut short when
/// long — the refusal travels back in a response header, which most clients take
/// only up to 16 KiB.
pub fn quoted(value: &str) -> String {
    let length = value.chars().count();
    if length <= QUOTED_CHARS {
        return format!("{value:?}");
    }
    let start: String = value.chars().take(QUOTED_CHARS).collect();
    format!("{start:?}… ({length} characters)")
}

/// A required, trimmed text of 1 to `max` characters.
pub fn required_text(field: &str, value: &str, max: usize) -> Result<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(Error::refused(
            field,
            "must not be empty",
            Refusal::of(RefusalKind::Missing, "", []),
        ));
    }
    optional_text(field, trimmed, max)
}

/// An optional, trimmed text of at most `max` characters.
pub fn optional_text(field: &str, value: &str, max: usize) -> Result<String> {
    let trimmed = value.trim();
    let length = trimmed.chars().count();
    if length > max {
        return Err(Error::refused(
            field,
            format!("must be at most {max} characters, got {length}"),
            Refusal::of(RefusalKind::TooLong, trimmed, [max.to_string()]),
        ));
    }
    if trimmed.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Error::refused(
            field,
            "must not contain control characters",
            Refusal::of(RefusalKind::ControlCharacters, "", []),
        ));
    }
    Ok(trimmed.to_owned())
}

/// A lowercase slug such as a sector (`healthcare`, `it-and-data`).
pub fn slug(field: &str, value: &str) -> Result<String> {
    let value = value.trim();
    let ok = !value.is_empty()
        && value.len() <= 60
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !ok {
        return Err(Error::refused(
            field,
            format!(
                "{} is not a slug (lowercase letters, digits and '-', at most 60)",
                quoted(value)
            ),
            Refusal::of(RefusalKind::NotASlug, value, []),
        ));
    }
    Ok(value.to_owned())
}

/// A list of at most `max_items` entries, each checked by `item`, without duplicates.
pub fn list(
    field: &str,
    values: &[String],
    max_items: usize,
    item: impl Fn(&str, &str) -> Result<String>,
) -> Result<Vec<String>> {
    if values.len() > max_items {
        return Err(Error::refused(
            field,
            format!("at most {max_items} entries, got {}", values.len()),
            Refusal::of(RefusalKind::TooMany, "", [max_items.to_string()]),
        ));
    }
    let mut checked: Vec<String> = Vec::with_capacity(values.len());
    for (index, value) in values.iter().enumerate() {
        let value = item(&format!("{field}[{index}]"), value)?;
        if !checked.contains(&value) {
            checked.push(value);
        }
    }
    Ok(checked)
}

/// An ISO 639-1 (or 639-3 where there is no two-letter code) language code.
pub fn language(field: &str, value: &str) -> Result<String> {
    let value = value.trim();
    let ok = (2..=3).contains(&value.len()) && value.chars().all(|c| c.is_ascii_lowercase());
    if !ok {
        return Err(Error::refused(
            field,
            format!(
                "{} is not an ISO 639-1 language code such as \"nl\" or \"ar\"",
                quoted(value)
            ),
            Refusal::of(RefusalKind::NotALanguage, value, []),
        ));
    }
    Ok(value.to_owned())
}

/// A whole number within `range`.
pub fn in_range<T>(field: &str, value: T, range: std::ops::RangeInclusive<T>) -> Result<T>
where
    T: PartialOrd + std::fmt::Display + Copy,
{
    if !range.contains(&value) {
        return Err(Error::refused(
            field,
            format!(
                "must be between {} and {}, got {value}",
                range.start(),
                range.end()
            ),
            Refusal::of(
                RefusalKind::OutOfRange,
                &value.to_string(),
                [range.start().to_string(), range.end().to_string()],
            ),
        ));
    }
    Ok(value)
}

/// The officially assigned ISO 3166-1 alpha-2 codes, and `XK` (Kosovo), which is
/// user-assigned but what the EU and many national authorities use.
const COUNTRY_CODES: &str = "\
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ \
    BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ \
    CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ \
    DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR \
    GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY \
    HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP \
    KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY \
    MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ \
    NA NC NE NF NG NI NL NO NP NR NU NZ OM \
    PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW \
    SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ \
    TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ \
    VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW";

/// An optional country as an ISO 3166-1 alpha-2 code (`SY`, `er`), returned upper
/// case; empty stays empty.
pub fn optional_country(field: &str, value: &str) -> Result<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Ok(String::new());
    }
    let code = trimmed.to_ascii_uppercase();
    let known = code.len() == 2
        && code.bytes().all(|b| b.is_ascii_uppercase())
        && COUNTRY_CODES
            .split_ascii_whitespace()
            .any(|known| known == code);
    if !known {
        return Err(Error::refused(
            field,
            format!(
                "must be an ISO 3166-1 alpha-2 code such as SY, got {}",
                quoted(trimmed)
            ),
            Refusal::of(RefusalKind::NotACountry, trimmed, []),
        ));
    }
    Ok(code)
}

/// An optional `YYYY-MM-DD` date.
pub fn optional_date(field: &str, value: &str) -> Result<Option<NaiveDate>> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| {
            Error::refused(
                field,
                format!("{} is not a date of the form YYYY-MM-DD", quoted(value)),
                Refusal::of(RefusalKind::NotADate, value, []),
            )
        })
}

/// A UUID the caller must send.
pub fn id(field: &str, value: &str) -> Result<Uuid> {
    if value.trim().is_empty() {
        return Err(Error::missing(field, "must not be empty"));
    }
    Uuid::try_parse(value.trim()).map_err(|_| {
        Error::refused(
            field,
            format!("{} is not a UUID", quoted(value)),
            Refusal::of(RefusalKind::NotAUuid, value.trim(), []),
        )
    })
}

/// An optional web address.
pub fn optional_url(field: &str, value: &str) -> Result<String> {
    let value = optional_text(field, value, 300)?;
    let has_scheme = value.starts_with("https://") || value.starts_with("http://");
    if !value.is_empty() && !has_scheme {
        return Err(Error::refused(
            field,
            "must start with https:// or http://",
            Refusal::of(RefusalKind::NotAWebAddress, &value, []),
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_country_is_a_known_two_letter_code_stored_upper_case() {
        assert_eq!(optional_country("n", "SY").unwrap(), "SY");
        assert_eq!(optional_country("n", " er ").unwrap(), "ER");
        assert_eq!(optional_country("n", "xk").unwrap(), "XK");
        assert_eq!(optional_country("n", "").unwrap(), "");
        let codes: std::collections::BTreeSet<&str> =
            COUNTRY_CODES.split_ascii_whitespace().collect();
        assert_eq!(codes.len(), 250, "249 assigned codes and XK, each once");
        assert_eq!(COUNTRY_CODES.split_ascii_whitespace().count(), 250);
        for bad in ["Syria", "SYR", "S", "QQ", "ZZ", "É1", "S\u{0}"] {
            let error = optional_country("member.regional.nationality", bad).unwrap_err();
            assert_eq!(
                error.to_string(),
                format!(
                    "member.regional.nationality: must be an ISO 3166-1 alpha-2 code such as SY, got {bad:?}"
                )
            );
        }
    }

    #[test]
    fn an_id_is_refused_as_missing_or_as_not_a_uuid() {
        let Err(Error::InvalidArgument { refusal, .. }) = id("member_id", " ") else {
            panic!("an empty id is refused")
        };
        assert_eq!(refusal.kind, RefusalKind::Missing);
        let Err(Error::InvalidArgument { refusal, .. }) = id("member_id", " amira ") else {
            panic!("a name is not an id")
        };
        assert_eq!(
            (refusal.kind, refusal.value.as_str()),
            (RefusalKind::NotAUuid, "amira")
        );
    }

    #[test]
    fn a_refusal_quotes_a_long_value_only_in_part() {
        let sent = "0190c3a4-".repeat(2000);
        let error = id("member_id", &sent).unwrap_err().to_string();
        assert_eq!(
            error,
            "member_id: \"0190c3a4-0190c3a4-0190c3a4-0190c3a4-0190\"… (18000 characters) is not a UUID"
        );
        assert_eq!(quoted("nl\u{0}"), "\"nl\\0\"");
    }

    #[test]
    fn a_range_check_names_the_bounds_for_wide_numbers_too() {
        assert_eq!(in_range("w", 1471_i64, 0..=10_000_000).unwrap(), 1471);
        let error = in_range("w", 10_000_001_i64, 0..=10_000_000).unwrap_err();
        assert_eq!(
            error.to_string(),
            "w: must be between 0 and 10000000, got 10000001"
        );
    }
}
