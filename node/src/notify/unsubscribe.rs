//! The one-click unsubscribe token of a mail (RFC 8058): member id, kind and an
//! HMAC-SHA256 over both with a key derived from the region's caller key, so the
//! link works without signing in and names no one but the holder of the mail.

use hmac::{KeyInit, Mac};
use sha2::Sha256;
use uuid::Uuid;

use crate::error::{Error, Result};

type HmacSha256 = hmac::Hmac<Sha256>;

/// The key that signs unsubscribe links, ready to sign.
pub struct Key(HmacSha256);

impl Key {
    /// Derives the key from the region's caller key, so no other secret is kept.
    pub fn derive(region_key: &[u8]) -> Result<Self> {
        let invalid = |_| Error::invalid("auth.gateway_key_file", "cannot key an HMAC");
        let mut mac = HmacSha256::new_from_slice(region_key).map_err(invalid)?;
        mac.update(b"passage unsubscribe links v1");
        let derived = mac.finalize().into_bytes();
        Ok(Key(HmacSha256::new_from_slice(&derived).map_err(invalid)?))
    }

    fn mac(&self, member_id: Uuid, kind: &str) -> HmacSha256 {
        let mut mac = self.0.clone();
        mac.update(member_id.as_bytes());
        mac.update(kind.as_bytes());
        mac
    }

    /// The token for member `member_id` and kind `kind`.
    pub fn token(&self, member_id: Uuid, kind: &str) -> String {
        let signature = hex::encode(self.mac(member_id, kind).finalize().into_bytes());
        format!("{}.{kind}.{signature}", member_id.simple())
    }

    /// The member and kind a token names, if this key signed it.
    pub fn open(&self, token: &str) -> Result<(Uuid, crate::store::notifications::Kind)> {
        let refused = || Error::invalid("token", "is not an unsubscribe link of this region");
        let mut parts = token.trim().splitn(3, '.');
        let (Some(member), Some(kind), Some(signature)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(refused());
        };
        let member_id = Uuid::try_parse(member).map_err(|_| refused())?;
        let kind = crate::store::notifications::mail_kind(kind).ok_or_else(refused)?;
        let signature = hex::decode(signature).map_err(|_| refused())?;
        self.mac(member_id, kind.name)
            .verify_slice(&signature)
            .map_err(|_| refused())?;
        Ok((member_id, kind))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn a_token_opens_with_its_key_only_and_unchanged() {
        let key = Key::derive(b"amsterdam key").unwrap();
        let member = Uuid::now_v7();
        let token = key.token(member, "event_seat");
        let (opened, kind) = key.open(&token).unwrap();
        assert_eq!((opened, kind.name), (member, "event_seat"));
        let changed = token.replace("event_seat", "buddy_confirmed");
        assert!(key.open(&changed).is_err());
        assert!(Key::derive(b"miami key").unwrap().open(&token).is_err());
        assert!(key.open("nonsense").is_err());
    }
}
