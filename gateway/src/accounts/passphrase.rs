//! Passphrases: the rules a new one must meet, and argon2id hashes of them (the
//! `argon2` crate's recommended parameters; the comparison in verifying is the
//! crate's, in constant time).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::error::{Error, Result};

/// The shortest passphrase taken, in characters.
pub const MIN_CHARS: usize = 12;
/// The longest passphrase taken, in characters (hashing is not free).
pub const MAX_CHARS: usize = 256;

/// Common passwords, refused at any length (one a line, lowercase; `#` comments).
const COMMON: &str = include_str!("common_passwords.txt");

fn common() -> impl Iterator<Item = &'static str> {
    COMMON
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
}

/// Whether `passphrase` is a common password, one repeated, or one with digits
/// and signs stuck on its end ("Password2026!").
fn is_common(passphrase: &str) -> bool {
    let normalised: String = passphrase
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    let core =
        normalised.trim_end_matches(|c: char| c.is_ascii_digit() || c.is_ascii_punctuation());
    let mut chars = normalised.chars();
    let first = chars.next();
    if chars.all(|c| Some(c) == first) {
        return true;
    }
    common().any(|word| {
        normalised == word
            || (core.chars().count() >= 4 && core == word)
            || (normalised.len().is_multiple_of(word.len())
                && normalised.len() > word.len()
                && normalised
                    .as_bytes()
                    .chunks(word.len())
                    .all(|chunk| chunk == word.as_bytes()))
    })
}

/// Checks a new passphrase for `login`; the error names the field `passphrase`.
pub fn check_new(passphrase: &str, login: &str) -> Result<()> {
    let refuse = |reason: String| {
        Err(Error::InvalidField {
            field: "passphrase",
            reason,
        })
    };
    let chars = passphrase.chars().count();
    if chars < MIN_CHARS {
        return refuse(format!(
            "must be at least {MIN_CHARS} characters long, this one has {chars}; \
             a few words in a row make a good one"
        ));
    }
    if chars > MAX_CHARS {
        return refuse(format!("must be at most {MAX_CHARS} characters long"));
    }
    if is_common(passphrase) {
        return refuse(
            "is one of the most common passwords, which are tried first; choose another".into(),
        );
    }
    if passphrase.trim().eq_ignore_ascii_case(login.trim()) {
        return refuse("must not be the login".into());
    }
    Ok(())
}

/// The argon2id hash of `passphrase`, as a PHC string with its own random salt.
pub fn hash(passphrase: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| Error::Internal(format!("no randomness: {e}")))?;
    let salt = SaltString::encode_b64(&salt)
        .map_err(|e| Error::Internal(format!("passphrase salt: {e}")))?;
    Ok(Argon2::default()
        .hash_password(passphrase.as_bytes(), &salt)
        .map_err(|e| Error::Internal(format!("passphrase hash: {e}")))?
        .to_string())
}

/// A hash of no one's passphrase, verified against when the login is unknown so
/// that the answer takes as long as for a known one.
fn decoy() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash("no account has this passphrase").unwrap_or_default())
}

/// Whether `passphrase` matches `stored` (none: no passphrase was ever chosen, or
/// no such account; the work is done all the same).
pub fn verify(passphrase: &str, stored: Option<&str>) -> bool {
    let (stored, real) = match stored {
        Some(stored) => (stored, true),
        None => (decoy(), false),
    };
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let matches = Argon2::default()
        .verify_password(passphrase.as_bytes(), &parsed)
        .is_ok();
    matches && real
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn short_and_common_passphrases_are_refused_by_name() {
        let short = check_new("too short", "amira").unwrap_err().to_string();
        assert!(
            short.starts_with("passphrase: must be at least 12"),
            "{short}"
        );
        for common in [
            "password1234",
            "Password2026!",
            "qwertyuiopasdfgh",
            "monkeymonkeymonkey",
            "aaaaaaaaaaaaaaa",
        ] {
            let refused = check_new(common, "amira").unwrap_err().to_string();
            assert!(refused.contains("common"), "{common}: {refused}");
        }
        assert!(check_new("amira.haddad@example.org", "amira.haddad@example.org").is_err());
        check_new("tulips by the canal in spring", "amira").unwrap();
    }

    #[test]
    fn a_hash_verifies_its_passphrase_only() {
        let stored = hash("tulips by the canal in spring").unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("tulips by the canal in spring", Some(&stored)));
        assert!(!verify("tulips by the canal in autumn", Some(&stored)));
        assert!(!verify("no account has this passphrase", None));
    }
}
