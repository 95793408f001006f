//! The sealed caller identity: how the gateway tells a region's node who is
//! calling — the caller and an HMAC-SHA256 over the caller, the method, the time, a
//! one-time nonce and a digest of the request's body, with a key only the gateway
//! and that region hold — and the key files it uses. A captured seal opens for no
//! other method, region or body, and (the node remembers the nonces it has seen
//! within the window) not a second time.

use hmac::{KeyInit, Mac};

use super::{Caller, Role};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// Header with the caller's identity, as the gateway passes it to a node.
pub const CALLER_HEADER: &str = "x-passage-caller";
/// Header with the gateway's seal over [`CALLER_HEADER`], the method and the time.
pub const SEAL_HEADER: &str = "x-passage-caller-seal";
/// How far a seal's time may lie from the node's clock.
pub const SEAL_WINDOW_MS: i64 = 60_000;
/// The key the gateway seals callers with for `region`, derived from the
/// federation's caller key: a region's key opens no other region's calls.
pub fn region_key(caller_key: &[u8], region: &str) -> Vec<u8> {
    let mut mac = match HmacSha256::new_from_slice(caller_key) {
        Ok(mac) => mac,
        // HMAC takes keys of any length.
        Err(_) => return Vec::new(),
    };
    mac.update(b"passage region caller key v1\n");
    mac.update(region.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// Reads a key file: 64 hexadecimal characters (32 bytes), with any surrounding
/// white space.
pub fn read_key_file(path: &std::path::Path) -> Result<Vec<u8>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let key = hex::decode(text.trim()).map_err(|_| {
        format!(
            "{} does not hold a key: expected 64 hexadecimal characters",
            path.display()
        )
    })?;
    if key.len() < 32 {
        return Err(format!(
            "{} holds a {}-byte key; at least 32 bytes (64 hexadecimal characters) are needed",
            path.display(),
            key.len()
        ));
    }
    Ok(key)
}

/// A new random 32-byte key, as a key file holds it (64 hexadecimal characters).
pub fn new_key_text() -> Result<String, String> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| format!("no randomness from the system: {e}"))?;
    Ok(hex::encode(key))
}

/// Seals and opens caller identities with one region's key.
#[derive(Clone)]
pub struct CallerSeal {
    key: Vec<u8>,
}

impl std::fmt::Debug for CallerSeal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CallerSeal(<key>)")
    }
}

impl CallerSeal {
    /// A seal with one region's key ([`region_key`]).
    pub fn new(region_key: Vec<u8>) -> Self {
        CallerSeal { key: region_key }
    }

    fn mac(&self, path: &str, identity: &str) -> Option<HmacSha256> {
        let mut mac = HmacSha256::new_from_slice(&self.key).ok()?;
        mac.update(b"passage caller v3\n");
        mac.update(path.as_bytes());
        mac.update(b"\n");
        mac.update(identity.as_bytes());
        Some(mac)
    }

    /// Puts `caller`, sealed for a call of `path` at `now_ms` whose request body has
    /// the digest `body` ([`body_digest`]), with a fresh nonce, into `headers`.
    pub fn seal(
        &self,
        caller: &Caller,
        path: &str,
        now_ms: i64,
        body: &BodyDigest,
        headers: &mut http::HeaderMap,
    ) {
        let mut nonce = [0u8; 16];
        if getrandom::fill(&mut nonce).is_err() {
            // Without randomness no seal is made; the node refuses the call.
            return;
        }
        let identity = format!(
            "{};{};{};{};{};{now_ms};{};{}",
            caller.role,
            caller.region.as_deref().unwrap_or_default(),
            caller.member_id.as_deref().unwrap_or_default(),
            caller.organisation_id.as_deref().unwrap_or_default(),
            caller.token_id,
            hex::encode(nonce),
            hex::encode(body.0),
        );
        let Some(mac) = self.mac(path, &identity) else {
            return;
        };
        let seal = hex::encode(mac.finalize().into_bytes());
        if let (Ok(identity), Ok(seal)) = (identity.parse(), seal.parse()) {
            headers.insert(CALLER_HEADER, identity);
            headers.insert(SEAL_HEADER, seal);
        }
    }

    /// What `headers` seal for a call of `path` whose body has the digest `body`,
    /// if the seal holds and is recent; `Ok(None)` when the call carries no
    /// identity at all. Whether the nonce was seen before is for the caller to
    /// check ([`Sealed::nonce`]).
    pub fn open(
        &self,
        headers: &http::HeaderMap,
        path: &str,
        now_ms: i64,
        body: &BodyDigest,
    ) -> Result<Option<Sealed>, tonic::Status> {
        let refused = |why: &str| tonic::Status::unauthenticated(format!("caller identity {why}"));
        let (Some(identity), Some(seal)) = (headers.get(CALLER_HEADER), headers.get(SEAL_HEADER))
        else {
            return Ok(None);
        };
        let identity = identity
            .to_str()
            .map_err(|_| refused("is not readable text"))?;
        let seal = seal
            .to_str()
            .ok()
            .and_then(|seal| hex::decode(seal).ok())
            .ok_or_else(|| refused("has an unreadable seal"))?;
        let mac = self
            .mac(path, identity)
            .ok_or_else(|| refused("cannot be checked"))?;
        mac.verify_slice(&seal)
            .map_err(|_| refused("has a seal this region's key did not make"))?;
        let fields: Vec<&str> = identity.split(';').collect();
        let [
            role,
            region,
            member,
            organisation,
            token,
            sealed_at,
            nonce,
            digest,
        ] = fields[..]
        else {
            return Err(refused("has the wrong number of fields"));
        };
        let role = Role::parse(role).ok_or_else(|| refused("names no known role"))?;
        let sealed_at: i64 = sealed_at
            .parse()
            .map_err(|_| refused("has an unreadable time"))?;
        if (now_ms - sealed_at).abs() > SEAL_WINDOW_MS {
            return Err(refused(
                "is too old (or the clocks of gateway and node differ by more than a minute)",
            ));
        }
        if digest != hex::encode(body.0) {
            return Err(refused("was sealed for another request body"));
        }
        if nonce.len() != 32 {
            return Err(refused("has no one-time nonce"));
        }
        let some = |text: &str| (!text.is_empty()).then(|| text.to_owned());
        Ok(Some(Sealed {
            caller: Caller {
                role,
                region: some(region),
                member_id: some(member),
                organisation_id: some(organisation),
                token_id: token.to_owned(),
            },
            nonce: nonce.to_owned(),
            sealed_at_ms: sealed_at,
        }))
    }
}

/// A seal that opened: the caller, and what makes it single-use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub caller: Caller,
    /// The one-time nonce (32 hexadecimal characters).
    pub nonce: String,
    /// When the gateway sealed it, in milliseconds since the Unix epoch.
    pub sealed_at_ms: i64,
}

/// The SHA-256 digest of a request's body as it travels (the gRPC frames).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyDigest(pub [u8; 32]);

/// The digest of a request body.
pub fn body_digest(body: &[u8]) -> BodyDigest {
    use sha2::Digest as _;
    BodyDigest(sha2::Sha256::digest(body).into())
}

/// The body of a unary gRPC call carrying `message`, uncompressed: a zero flag
/// byte, the length in four bytes, the encoded message — what tonic sends.
pub fn unary_body(message: &impl prost::Message) -> Vec<u8> {
    let encoded = message.encode_to_vec();
    let mut body = Vec::with_capacity(encoded.len() + 5);
    body.push(0);
    body.extend_from_slice(
        &u32::try_from(encoded.len())
            .unwrap_or(u32::MAX)
            .to_be_bytes(),
    );
    body.extend_from_slice(&encoded);
    body
}

/// Remembers the nonces of the seals a node opened within the window, so that no
/// seal opens twice; and refuses seals made before the node started, whose nonces
/// it cannot know.
#[derive(Debug)]
pub struct SeenNonces {
    started_ms: i64,
    seen: std::sync::Mutex<NonceMemory>,
}

/// The nonces seen, and the order they were seen in (with when), to forget the
/// oldest once they are past the window.
type NonceMemory = (
    std::collections::HashSet<String>,
    std::collections::VecDeque<(i64, String)>,
);

impl SeenNonces {
    /// Nonces seen since `started_ms`.
    pub fn since(started_ms: i64) -> Self {
        SeenNonces {
            started_ms,
            seen: Default::default(),
        }
    }

    /// Takes note of `sealed`'s nonce at `now_ms`; refuses a seal made before the
    /// node started or whose nonce was seen.
    pub fn admit(&self, sealed: &Sealed, now_ms: i64) -> Result<(), tonic::Status> {
        let refused = |why: &str| tonic::Status::unauthenticated(format!("caller identity {why}"));
        if sealed.sealed_at_ms < self.started_ms {
            return Err(refused("was sealed before this node started"));
        }
        let mut guard = self
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (set, order) = &mut *guard;
        while order
            .front()
            .is_some_and(|(at, _)| *at < now_ms - 2 * SEAL_WINDOW_MS)
        {
            if let Some((_, old)) = order.pop_front() {
                set.remove(&old);
            }
        }
        if !set.insert(sealed.nonce.clone()) {
            return Err(refused("was used before: a seal opens once"));
        }
        order.push_back((now_ms, sealed.nonce.clone()));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn amsterdam_admin() -> Caller {
        Caller {
            role: Role::ChapterAdmin,
            region: Some("amsterdam".into()),
            member_id: None,
            organisation_id: None,
            token_id: "0011223344556677".into(),
        }
    }

    #[test]
    fn a_sealed_caller_opens_only_for_its_method_region_and_minute() {
        let master = [7u8; 32];
        let amsterdam = CallerSeal::new(region_key(&master, "amsterdam"));
        let miami = CallerSeal::new(region_key(&master, "miami"));
        let path = "/passage.v1.CaseService/ListCases";
        let mut headers = http::HeaderMap::new();
        let body = body_digest(b"a body");
        amsterdam.seal(&amsterdam_admin(), path, 1_000_000, &body, &mut headers);

        let opened = amsterdam
            .open(&headers, path, 1_000_500, &body)
            .unwrap()
            .unwrap();
        assert_eq!(opened.caller, amsterdam_admin());
        // Another body under the same seal: refused.
        let other = amsterdam
            .open(&headers, path, 1_000_500, &body_digest(b"another body"))
            .unwrap_err();
        assert!(
            other.message().contains("another request body"),
            "{other:?}"
        );
        // The same seal twice: the second time refused by the node's memory.
        let nonces = SeenNonces::since(999_000);
        assert!(nonces.admit(&opened, 1_000_500).is_ok());
        let replayed = nonces.admit(&opened, 1_000_600).unwrap_err();
        assert!(replayed.message().contains("used before"), "{replayed:?}");
        // A node started after the seal was made refuses it.
        let restarted = SeenNonces::since(1_000_100);
        assert!(restarted.admit(&opened, 1_000_500).is_err());
        // Another region's key, another method, a late arrival: refused.
        assert!(miami.open(&headers, path, 1_000_500, &body).is_err());
        assert!(
            amsterdam
                .open(
                    &headers,
                    "/passage.v1.MemberService/DeleteMember",
                    1_000_500,
                    &body
                )
                .is_err()
        );
        let late = amsterdam.open(&headers, path, 1_000_000 + SEAL_WINDOW_MS + 1, &body);
        assert_eq!(late.unwrap_err().code(), tonic::Code::Unauthenticated);
        // A caller who edits the identity (a member posing as a chapter admin).
        let forged = headers
            .get(CALLER_HEADER)
            .unwrap()
            .to_str()
            .unwrap()
            .replace("chapter_admin", "operator");
        headers.insert(CALLER_HEADER, forged.parse().unwrap());
        assert!(amsterdam.open(&headers, path, 1_000_500, &body).is_err());
        // No identity at all is not an error here: the layer asks for a token.
        assert_eq!(
            amsterdam
                .open(&http::HeaderMap::new(), path, 1_000_500, &body)
                .unwrap(),
            None
        );
    }
}
