//! Every language has every text: a key one language has and another lacks would
//! show the English words (or the key itself) to someone who reads Arabic. A text
//! outside English that equals the English one is, but for names and codes, one
//! nobody translated.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::Path;

/// Texts that are the same in every language: names, and codes as they are typed.
const THE_SAME_EVERYWHERE: [&str; 5] = [
    "profile-languages-hint",
    "figures-total",
    "kind-project",
    "language-ti",
    "date-day",
];

fn messages(lang: &str) -> BTreeMap<String, String> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("locales")
        .join(lang);
    let mut messages = BTreeMap::new();
    for entry in std::fs::read_dir(&folder).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "ftl") {
            for line in std::fs::read_to_string(&path).unwrap().lines() {
                if line.starts_with('#') || line.starts_with(' ') || line.trim().is_empty() {
                    continue;
                }
                let (key, value) = line
                    .split_once(" = ")
                    .unwrap_or_else(|| panic!("{}: not `key = text`: {line}", path.display()));
                assert!(
                    messages.insert(key.to_owned(), value.to_owned()).is_none(),
                    "{}: {key} twice",
                    path.display()
                );
            }
        }
    }
    messages
}

#[test]
fn every_language_has_every_text_and_translates_it() {
    let english = messages("en");
    assert!(english.len() > 50, "only {} English texts", english.len());
    for lang in ["nl", "ar", "uk", "es"] {
        let other = messages(lang);
        let missing: Vec<&String> = english.keys().filter(|k| !other.contains_key(*k)).collect();
        let extra: Vec<&String> = other.keys().filter(|k| !english.contains_key(*k)).collect();
        assert!(missing.is_empty(), "{lang} lacks {missing:?}");
        assert!(
            extra.is_empty(),
            "{lang} has texts English lacks: {extra:?}"
        );
        let untranslated: Vec<&String> = english
            .iter()
            .filter(|(key, value)| {
                other[*key] == **value && !THE_SAME_EVERYWHERE.contains(&key.as_str())
            })
            .map(|(key, _)| key)
            .collect();
        assert!(
            untranslated.is_empty(),
            "{lang} left in English: {untranslated:?}"
        );
    }
}

#[test]
fn the_page_speaks_the_chosen_language() {
    use passage_web::i18n::{Lang, Text};
    assert_eq!(Text::new(Lang::Nl).t("sign-in-title"), "Inloggen");
    assert_eq!(Text::new(Lang::Ar).dir(), "rtl");
    assert_eq!(
        Text::new(Lang::Es).t1("home-welcome", "login", "lucia"),
        "Bienvenida o bienvenido, lucia"
    );
}
