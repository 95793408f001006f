//! What the pages of the community roles share — the review queue, the
//! superlocal's questions, the coach's cohorts: a member signed in (chapter staff
//! have the console for this), a day of the API (`YYYY-MM-DD`) in words, and the
//! region's reason for refusing a field. Whether the member holds the role is for
//! their home node to say: a page it refuses is a 403 page, as every refusal.

use axum::response::Response;
use passage_proto::v1;

use super::signed_in;
use super::when::day;
use crate::App;
use crate::i18n::Text;
use crate::visit::Visit;

/// The signed-in member and their texts; chapter staff are told these pages are
/// a member's.
pub async fn member(app: &App, visit: &Visit, here: &str) -> Result<(v1::Account, Text), Response> {
    let (account, text) = signed_in(app, visit, here).await?;
    if account.member_id.is_empty() {
        return Err(super::helpdesk::members_only(visit, text, here));
    }
    Ok((account, text))
}

/// A day as the API writes it (`2026-06-26`) in words; as given when it is not one.
pub fn day_in_words(text: Text, value: &str) -> String {
    match chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
    {
        Some(start) => day(
            text,
            Some(&prost_types::Timestamp {
                seconds: start.and_utc().timestamp(),
                nanos: 0,
            }),
        ),
        None => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn a_day_of_the_api_is_shown_in_words_in_the_pages_language() {
        let english = Text::new(Lang::En);
        assert_eq!(day_in_words(english, "2026-06-26"), "26 June 2026");
        assert_eq!(day_in_words(english, "not a day"), "not a day");
    }
}
