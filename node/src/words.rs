//! Cutting text into words for the node's own search indexes (the knowledge base,
//! members, opportunities): a word is a run of letters or digits in any script,
//! anything else separates words, and a word is folded so that the same word
//! written differently is stored once. The indexes are the node's own tables, so
//! search works the same on SQLite and PostgreSQL: no database function folds or
//! compares text.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::canonical_combining_class;

/// Longer "words" (a pasted link, a long number) are not indexed.
pub const MAX_WORD_CHARS: usize = 64;

/// How a word is folded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Folding {
    /// Lower case; Arabic vowel signs, the tatweel and decomposed accents left
    /// out. Precomposed letters keep their accents (the knowledge base, whose
    /// stop words are written with them).
    Case,
    /// Unicode case folding with accents ignored: compatibility decomposition
    /// (NFKD), every mark that sits on a letter left out (canonical combining
    /// class not 0: accents, Arabic and Hebrew vowel signs), lower case with
    /// `ß` as `ss` and the final sigma as `σ`. "Zoë", "ZOË" and "zoe" fold to
    /// "zoe", "Олена" and "ОЛЕНА" to "олена", "Straße" to "strasse".
    CaseAndAccents,
}

/// Marks that sit on a letter without changing the word (Arabic vowel signs and
/// the tatweel, combining accents of decomposed text): left out, not split on.
fn is_ignored_mark(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}' | '\u{0640}' | '\u{064B}'..='\u{065F}' | '\u{0670}')
}

/// The words of `text`, folded, in order, repeats kept; words longer than
/// [`MAX_WORD_CHARS`] left out.
pub fn words(text: &str, folding: Folding) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut flush = |word: &mut String| {
        if !word.is_empty() {
            let done = std::mem::take(word);
            if done.chars().count() <= MAX_WORD_CHARS {
                words.push(done);
            }
        }
    };
    match folding {
        Folding::Case => {
            for c in text.chars() {
                if is_ignored_mark(c) {
                    continue;
                }
                if c.is_alphanumeric() {
                    word.extend(c.to_lowercase());
                } else {
                    flush(&mut word);
                }
            }
        }
        Folding::CaseAndAccents => {
            for c in text.nfkd() {
                if is_ignored_mark(c) || canonical_combining_class(c) != 0 {
                    continue;
                }
                if c.is_alphanumeric() {
                    for lower in c.to_lowercase() {
                        match lower {
                            'ß' => word.push_str("ss"),
                            'ς' => word.push('σ'),
                            lower if canonical_combining_class(lower) != 0 => {}
                            lower => word.push(lower),
                        }
                    }
                } else {
                    flush(&mut word);
                }
            }
        }
    }
    flush(&mut word);
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folded(text: &str) -> Vec<String> {
        words(text, Folding::CaseAndAccents)
    }

    #[test]
    fn case_and_accents_fold_away_in_every_script() {
        assert_eq!(folded("Zoë ZOË zoe Zoe\u{0308}"), ["zoe"; 4]);
        assert_eq!(folded("Олена ОЛЕНА олена"), ["олена"; 3]);
        assert_eq!(folded("Straße STRASSE"), ["strasse"; 2]);
        assert_eq!(folded("ΟΔΥΣΣΕΑΣ Οδυσσέας"), ["οδυσσεασ"; 2]);
        assert_eq!(folded("İstanbul Çağlar"), ["istanbul", "caglar"]);
        assert_eq!(folded("أسجّل"), ["اسجل"]);
        assert_eq!(folded("ﬁle Ｗｅｌｄｅｒ"), ["file", "welder"]);
    }

    #[test]
    fn words_split_on_anything_but_letters_and_digits() {
        assert_eq!(
            folded("Kovalenko, Olena (civil-engineer) B2"),
            ["kovalenko", "olena", "civil", "engineer", "b2"]
        );
        let long = "x".repeat(MAX_WORD_CHARS + 1);
        assert_eq!(folded(&format!("short {long}")), ["short"]);
    }

    #[test]
    fn case_folding_alone_keeps_precomposed_accents() {
        assert_eq!(words("Cómo ZOË", Folding::Case), ["cómo", "zoë"]);
    }
}
