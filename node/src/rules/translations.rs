//! A rule's explanation in other languages: the `[rule.translations]` table of a
//! rules file maps a language code (`nl`, `es`, `de`, `ar`, `uk`, `ht`, …) to the
//! rule's reason, condition or message in that language. The rule's own text is the
//! English one; a language the rule lacks falls back to it, and says so.

use std::collections::BTreeMap;

/// The explanation of a rule in other languages, by language code.
pub type Translations = BTreeMap<String, String>;

/// Whether `code` is a language code a translation may use: an ISO 639 code of 2 or
/// 3 lower-case letters other than `en` (the rule's own text is English).
pub fn is_language_code(code: &str) -> bool {
    (2..=3).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_lowercase()) && code != "en"
}

/// Checks a rule's translations: every code a language code, every text non-empty.
/// The mistake names the code at fault.
pub fn check(translations: &Translations) -> Result<(), String> {
    for (code, text) in translations {
        if !is_language_code(code) {
            return Err(format!(
                "translations.{code}: not a language code (2 or 3 lower-case letters, not en: the rule's own text is English)"
            ));
        }
        if text.trim().is_empty() {
            return Err(format!("translations.{code}: the text is empty"));
        }
    }
    Ok(())
}

/// A rule's explanation as a person reads it in one language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explained {
    pub text: String,
    /// The language the text is in: the one asked for, or `en` when the rule has
    /// no text in it.
    pub language: String,
    /// The rule has no text in the language asked for, so the English is given.
    pub fell_back: bool,
}

/// `english` in `language` when `translations` has it, else the English, saying so.
pub fn explain(english: &str, translations: &Translations, language: &str) -> Explained {
    match translations.get(language) {
        Some(text) => Explained {
            text: text.trim().to_owned(),
            language: language.to_owned(),
            fell_back: false,
        },
        None => Explained {
            text: english.to_owned(),
            language: "en".to_owned(),
            fell_back: language != "en",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_language_falls_back_to_english_and_says_so() {
        let translations = Translations::from([("nl".to_owned(), "Niet toegestaan.".to_owned())]);
        let dutch = explain("Not allowed.", &translations, "nl");
        assert_eq!(dutch.text, "Niet toegestaan.");
        assert!(!dutch.fell_back);
        let arabic = explain("Not allowed.", &translations, "ar");
        assert_eq!(
            (arabic.text.as_str(), arabic.language.as_str()),
            ("Not allowed.", "en")
        );
        assert!(arabic.fell_back);
        assert!(!explain("Not allowed.", &translations, "en").fell_back);
    }

    #[test]
    fn codes_are_short_lower_case_and_not_english() {
        for good in ["nl", "es", "de", "ar", "uk", "ht", "prs"] {
            assert!(is_language_code(good), "{good}");
        }
        for bad in ["en", "NL", "n", "dutch", "pt-BR", ""] {
            assert!(!is_language_code(bad), "{bad}");
        }
        let empty = Translations::from([("nl".to_owned(), " ".to_owned())]);
        assert!(check(&empty).unwrap_err().starts_with("translations.nl"));
    }
}
