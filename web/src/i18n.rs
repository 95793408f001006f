//! The languages the web app speaks, from Project Fluent files under
//! `web/locales/<lang>/`: English, Dutch, Arabic (right to left), Ukrainian and
//! Spanish. A person's language comes from their choice on the page (a cookie),
//! then their account, then the browser's `Accept-Language`, then English.

use std::collections::HashMap;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader};

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // No Unicode isolation marks around arguments: they show as boxes in some
        // phone fonts, and the page sets the direction itself.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// A language the web app speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Nl,
    Ar,
    Uk,
    Es,
}

impl Lang {
    /// Every language, in the order the switcher shows them.
    pub const ALL: [Lang; 5] = [Lang::En, Lang::Nl, Lang::Ar, Lang::Uk, Lang::Es];

    /// The BCP 47 code, as in `<html lang>` and the locale folder.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Nl => "nl",
            Lang::Ar => "ar",
            Lang::Uk => "uk",
            Lang::Es => "es",
        }
    }

    /// The language's own name for itself, as the switcher shows it.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Nl => "Nederlands",
            Lang::Ar => "العربية",
            Lang::Uk => "Українська",
            Lang::Es => "Español",
        }
    }

    /// `rtl` for Arabic, `ltr` for the others.
    pub fn dir(self) -> &'static str {
        match self {
            Lang::Ar => "rtl",
            _ => "ltr",
        }
    }

    /// The language a code names (`ar`, `nl-BE`, `es-419`), if the app speaks it.
    pub fn from_code(code: &str) -> Option<Lang> {
        let primary = code.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        Lang::ALL.into_iter().find(|lang| lang.code() == primary)
    }

    /// The first language of an `Accept-Language` header the app speaks, by the
    /// weights the browser gave.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut offered: Vec<(f32, Lang)> = header
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.split(';');
                let lang = Lang::from_code(pieces.next()?)?;
                let weight = pieces
                    .find_map(|p| p.trim().strip_prefix("q=")?.parse::<f32>().ok())
                    .unwrap_or(1.0);
                Some((weight, lang))
            })
            .collect();
        offered.sort_by(|a, b| b.0.total_cmp(&a.0));
        offered.first().map(|(_, lang)| *lang)
    }

    fn id(self) -> LanguageIdentifier {
        // The five codes are valid identifiers.
        self.code()
            .parse()
            .unwrap_or_else(|_| LanguageIdentifier::default())
    }
}

/// The languages whose names the pages give (`language-<code>` in every locale):
/// those of the people Passage serves and of the places they live.
pub const NAMED_LANGUAGES: [&str; 16] = [
    "ar", "de", "en", "es", "fa", "fr", "ht", "ku", "nl", "ps", "pt", "ru", "so", "ti", "tr", "uk",
];

/// The texts of one language, for a page.
#[derive(Debug, Clone, Copy)]
pub struct Text {
    pub lang: Lang,
}

impl Text {
    pub fn new(lang: Lang) -> Self {
        Text { lang }
    }

    /// The text for `key`.
    pub fn t(&self, key: &str) -> String {
        LOCALES.lookup(&self.lang.id(), key)
    }

    /// The text for `key`, or `fallback` when the app has no words for it.
    pub fn t_or(&self, key: &str, fallback: &str) -> String {
        LOCALES
            .try_lookup(&self.lang.id(), key)
            .unwrap_or_else(|| fallback.to_owned())
    }

    /// The text for `key`, with one argument.
    pub fn t1(&self, key: &str, name: &str, value: &str) -> String {
        let mut args: HashMap<std::borrow::Cow<'static, str>, FluentValue<'_>> = HashMap::new();
        args.insert(name.to_owned().into(), FluentValue::from(value.to_owned()));
        LOCALES.lookup_with_args(&self.lang.id(), key, &args)
    }

    /// The text for `key`, with several arguments.
    pub fn t_with(&self, key: &str, values: &[(&str, &str)]) -> String {
        let mut args: HashMap<std::borrow::Cow<'static, str>, FluentValue<'_>> = HashMap::new();
        for (name, value) in values {
            args.insert(
                (*name).to_owned().into(),
                FluentValue::from((*value).to_owned()),
            );
        }
        LOCALES.lookup_with_args(&self.lang.id(), key, &args)
    }

    /// A language's name (ISO 639-1 code) in this page's language; the code itself
    /// for a language the app has no name for.
    pub fn language(&self, code: &str) -> String {
        let code = code.trim().to_ascii_lowercase();
        if NAMED_LANGUAGES.contains(&code.as_str()) {
            self.t(&format!("language-{code}"))
        } else {
            code
        }
    }

    pub fn code(&self) -> &'static str {
        self.lang.code()
    }

    pub fn dir(&self) -> &'static str {
        self.lang.dir()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn every_named_language_has_a_name_in_every_language() {
        for lang in Lang::ALL {
            let text = Text::new(lang);
            for code in NAMED_LANGUAGES {
                let name = text.language(code);
                assert!(
                    !name.is_empty() && name != code && !name.contains("language-"),
                    "{}: no name for {code}: {name}",
                    lang.code()
                );
            }
            assert_eq!(text.language("xx"), "xx", "an unnamed code stays a code");
        }
    }

    #[test]
    fn the_browser_s_preferred_language_is_chosen_by_weight() {
        assert_eq!(
            Lang::from_accept_language("de-DE,ar;q=0.8,en;q=0.5"),
            Some(Lang::Ar)
        );
        assert_eq!(
            Lang::from_accept_language("en;q=0.3, nl-BE;q=0.9"),
            Some(Lang::Nl)
        );
        assert_eq!(Lang::from_accept_language("de, fr"), None);
    }
}
