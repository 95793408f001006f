//! The bearer secrets of accounts: sessions (`pss_<id>_<secret>`) and invitation
//! codes (`psi_<id>_<secret>`). The id (16 hexadecimal characters) names the row;
//! the secret (32 random bytes, 64 hexadecimal characters) is shown once and
//! stored only as its SHA-256, compared in constant time (a secret this long
//! needs no slow hash).

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::{Error, Result};

/// Prefix of an invitation code.
pub const INVITATION_PREFIX: &str = "psi_";

/// A credential just made, or as presented.
pub struct Credential {
    pub id: String,
    pub secret: String,
}

impl Credential {
    /// A new random credential.
    pub fn new() -> Result<Self> {
        Ok(Credential {
            id: random_hex(8)?,
            secret: random_hex(32)?,
        })
    }

    /// Reads `<prefix><16 hex>_<64 hex>`; `None` for anything else.
    pub fn parse(presented: &str, prefix: &str) -> Option<Self> {
        let (id, secret) = presented.trim().strip_prefix(prefix)?.split_once('_')?;
        let hex = |text: &str, len: usize| {
            text.len() == len && text.bytes().all(|b| b.is_ascii_hexdigit())
        };
        (hex(id, 16) && hex(secret, 64)).then(|| Credential {
            id: id.to_ascii_lowercase(),
            secret: secret.to_ascii_lowercase(),
        })
    }

    /// The text its holder keeps: `<prefix><id>_<secret>`.
    pub fn text(&self, prefix: &str) -> String {
        format!("{prefix}{}_{}", self.id, self.secret)
    }

    /// What the database keeps of the secret.
    pub fn hash(&self) -> String {
        hex::encode(Sha256::digest(self.secret.as_bytes()))
    }

    /// Whether the secret is the one `stored` is the hash of (constant time).
    pub fn matches(&self, stored: &str) -> bool {
        bool::from(self.hash().as_bytes().ct_eq(stored.as_bytes()))
    }
}

fn random_hex(bytes: usize) -> Result<String> {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer).map_err(|e| Error::Internal(format!("no randomness: {e}")))?;
    Ok(hex::encode(buffer))
}
