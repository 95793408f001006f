//! What a region refused, in the page's language. A node's refusal of a field
//! of a known kind (too long, not a date, not one of …) carries a `RefusedLine`
//! in the status's details — as an import's refused lines do — with the field's
//! path, the kind, the refused value and what the kind allows; the page words it
//! from `import-refusal-<kind>` in the Fluent files. A refusal without a kind (a
//! rule of the domain, said in the region's words) stays in English.

use passage_proto::v1;
use prost::Message;

use crate::i18n::Text;

/// Why a value is refused, in the page's language, from the refusal's kind;
/// `None` when the region gave words only (an unspecified kind).
pub fn words(text: Text, line: &v1::RefusedLine) -> Option<String> {
    use v1::RefusalKind as K;
    let kind = K::try_from(line.kind).unwrap_or(K::Unspecified);
    if kind == K::Unspecified {
        return None;
    }
    let allowed = |index: usize| line.allowed.get(index).cloned().unwrap_or_default();
    Some(text.t_with(
        &key(kind),
        &[
            ("value", &line.value),
            ("first", &allowed(0)),
            ("second", &allowed(1)),
            ("allowed", &line.allowed.join(", ")),
        ],
    ))
}

/// The key of a kind's words: `REFUSAL_KIND_NOT_A_DATE` → `import-refusal-not-a-date`.
fn key(kind: v1::RefusalKind) -> String {
    format!(
        "import-refusal-{}",
        kind.as_str_name()
            .trim_start_matches("REFUSAL_KIND_")
            .to_ascii_lowercase()
            .replace('_', "-")
    )
}

/// The refused field of a status, when the region said which and of what kind.
pub fn detail(status: &tonic::Status) -> Option<v1::RefusedLine> {
    if status.details().is_empty() {
        return None;
    }
    v1::RefusedLine::decode(status.details()).ok()
}

/// Why the region refused, without the field's path before it (the page shows
/// it at its field): in the page's language when the refusal has a kind, else
/// the region's own words.
pub fn reason(text: Text, status: &tonic::Status) -> String {
    if let Some(worded) = detail(status).and_then(|line| words(text, &line)) {
        return worded;
    }
    status
        .message()
        .split_once(':')
        .map_or(status.message(), |(_, reason)| reason.trim())
        .to_owned()
}

/// Why the region refused, naming the field first (`display_name: …`), for a
/// message that is not shown at its field.
pub fn named(text: Text, status: &tonic::Status) -> String {
    match detail(status) {
        Some(line) => match words(text, &line) {
            Some(worded) if line.column.is_empty() => worded,
            Some(worded) => format!("{}: {worded}", line.column),
            None => status.message().to_owned(),
        },
        None => status.message().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    fn refused(kind: v1::RefusalKind, value: &str, allowed: &[&str]) -> tonic::Status {
        let line = v1::RefusedLine {
            column: "profile.display_name".into(),
            reason: "must be at most 100 characters".into(),
            kind: kind as i32,
            value: value.into(),
            allowed: allowed.iter().map(|a| a.to_string()).collect(),
            ..Default::default()
        };
        tonic::Status::with_details(
            tonic::Code::InvalidArgument,
            "profile.display_name: must be at most 100 characters",
            line.encode_to_vec().into(),
        )
    }

    #[test]
    fn a_refusal_of_a_known_kind_is_worded_in_the_pages_language() {
        let status = refused(v1::RefusalKind::TooLong, "Amira", &["100"]);
        let english = reason(Text::new(Lang::En), &status);
        let arabic = reason(Text::new(Lang::Ar), &status);
        assert!(english.contains("100"), "{english}");
        assert_ne!(english, arabic);
        assert!(!arabic.contains("must be"), "{arabic}");
        assert!(named(Text::new(Lang::Nl), &status).starts_with("profile.display_name: "));
    }

    #[test]
    fn every_kind_of_refusal_has_words_in_every_language() {
        let kinds = (1..=100).filter_map(|number| v1::RefusalKind::try_from(number).ok());
        for kind in kinds {
            let line = v1::RefusedLine {
                column: "comment".into(),
                kind: kind as i32,
                value: "x".into(),
                allowed: vec!["1".into(), "2".into()],
                ..Default::default()
            };
            for lang in Lang::ALL {
                let worded = words(Text::new(lang), &line).unwrap_or_default();
                assert!(
                    !worded.is_empty()
                        && !worded.contains("import-refusal")
                        && !worded.to_lowercase().contains("unknown"),
                    "{}: no words for {kind:?}: {worded}",
                    lang.code()
                );
            }
        }
    }

    #[test]
    fn a_date_before_the_one_it_must_follow_is_worded_with_both() {
        let status = refused(v1::RefusalKind::Before, "2026-01-31", &["2026-02-01"]);
        let dutch = reason(Text::new(Lang::Nl), &status);
        assert!(dutch.contains("ligt vóór"), "{dutch}");
        assert!(
            dutch.contains("2026-01-31") && dutch.contains("2026-02-01"),
            "{dutch}"
        );
        let arabic = reason(Text::new(Lang::Ar), &status);
        assert!(
            arabic.contains("2026-02-01") && arabic.contains("قبل"),
            "{arabic}"
        );
    }

    #[test]
    fn a_refusal_in_words_only_keeps_the_regions_words_without_the_path() {
        let status = tonic::Status::invalid_argument("comment: must say why");
        assert_eq!(reason(Text::new(Lang::Uk), &status), "must say why");
        assert_eq!(named(Text::new(Lang::Uk), &status), "comment: must say why");
    }
}
