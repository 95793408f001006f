//! The words of notifications, in the person's language: the same Fluent files
//! as the web app (`web/locales/<lang>/mail.ftl`), so the inbox and the mail say
//! the same. A language the web app does not speak reads as English.

use fluent_templates::{LanguageIdentifier, Loader};

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "../web/locales",
        fallback_language: "en",
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// The texts of one language.
pub struct Texts {
    lang: LanguageIdentifier,
    /// Whether the language is written right to left.
    pub rtl: bool,
    /// Its code, for the mail's `Content-Language` and `lang`.
    pub code: &'static str,
}

impl Texts {
    /// The texts of `language` (en, nl, ar, uk, es); English for any other.
    pub fn of(language: &str) -> Self {
        let code = crate::store::notifications::LANGUAGES
            .iter()
            .copied()
            .find(|known| *known == language)
            .unwrap_or(crate::store::notifications::LANGUAGES[0]);
        let lang = code
            .parse()
            .unwrap_or_else(|_| fluent_templates::langid!("en"));
        Texts {
            lang,
            rtl: code == "ar",
            code,
        }
    }

    /// The text for `key`.
    pub fn t(&self, key: &str) -> String {
        LOCALES.lookup(&self.lang, key)
    }

    /// The title of notifications of kind `kind`.
    pub fn title(&self, kind: &str) -> String {
        self.t(&format!("notification-{kind}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_title_in_every_language() {
        for language in crate::store::notifications::LANGUAGES {
            let texts = Texts::of(language);
            for kind in crate::store::notifications::KINDS
                .iter()
                .chain(crate::store::notifications::ORGANISATION_KINDS.iter())
                .chain(crate::store::notifications::CHAPTER_KINDS.iter())
                .chain([crate::store::notifications::INVITATION].iter())
            {
                let key = format!("notification-{}", kind.name);
                assert!(
                    LOCALES.try_lookup(&texts.lang, &key).is_some(),
                    "{language} has no {key}"
                );
            }
            for key in [
                "mail-greeting",
                "mail-open",
                "mail-open-button",
                "mail-why",
                "mail-invitation-why",
                "mail-unsubscribe",
                "mail-unsubscribe-button",
                "mail-digest-intro",
                "mail-digest-inbox",
                "mail-digest-inbox-button",
                "notification-digest-daily",
                "notification-digest-weekly",
            ] {
                assert!(
                    LOCALES.try_lookup(&texts.lang, key).is_some(),
                    "{language} has no {key}"
                );
            }
        }
    }
}
