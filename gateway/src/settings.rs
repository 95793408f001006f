//! The gateway's settings, as read from `deploy/gateway.toml`, then the
//! `PASSAGE__…` environment, then command-line flags.

use std::net::SocketAddr;

use serde::Deserialize;

use crate::error::{Error, Result};

/// Everything the gateway needs to start.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewaySettings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    /// The regions the gateway routes to.
    #[serde(default)]
    pub regions: Vec<RegionEntry>,
    #[serde(default)]
    pub federation: FederationSettings,
    /// TLS for every connection to the gateway; nodes must present a region
    /// certificate signed by `ca_file` to sync. Without it the gateway speaks plaintext.
    #[serde(default)]
    pub tls: Option<TlsFiles>,
    /// How the central statistics are gathered and protected (`[stats]`).
    #[serde(default)]
    pub stats: StatsSettings,
    /// Calls in flight, calls per caller, time per call (`[limits]`).
    #[serde(default)]
    pub limits: passage_server::limits::LimitSettings,
    /// How callers are checked and passed on to the regions (`[auth]`).
    pub auth: AuthSettings,
    /// People's sign-in: sessions, and the lock after wrong passphrases (`[accounts]`).
    #[serde(default)]
    pub accounts: AccountSettings,
}

/// The `[accounts]` section; every key is optional.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AccountSettings {
    /// Wrong passphrases in a row that lock an account (1 to 100; default 5).
    pub max_failures: u32,
    /// Wrong passphrases from one client address, whatever the login, that lock
    /// the address (1 to 10,000; default 20).
    pub max_failures_per_address: u32,
    /// How long a lock lasts, in seconds (1 to 86,400; default 900).
    pub lock_seconds: u64,
    /// How long a session lasts unused, in hours; every use renews it (1 to 720;
    /// default 12).
    pub session_hours: u64,
    /// A wrong passphrase is answered after this many milliseconds times the wrong
    /// passphrases in a row so far (0 to 5,000; default 250; at most 5 seconds).
    pub failure_delay_ms: u64,
}

impl Default for AccountSettings {
    fn default() -> Self {
        AccountSettings {
            max_failures: 5,
            max_failures_per_address: 20,
            lock_seconds: 900,
            session_hours: 12,
            failure_delay_ms: 250,
        }
    }
}

impl AccountSettings {
    /// Checks the ranges, naming the key as the settings file spells it.
    pub fn validate(&self) -> Result<()> {
        let check = |field: &str, value: u64, range: std::ops::RangeInclusive<u64>| {
            if range.contains(&value) {
                Ok(())
            } else {
                Err(Error::Settings {
                    field: format!("accounts.{field}"),
                    reason: format!(
                        "must be between {} and {}, got {value}",
                        range.start(),
                        range.end()
                    ),
                })
            }
        };
        check("max_failures", self.max_failures.into(), 1..=100)?;
        check(
            "max_failures_per_address",
            self.max_failures_per_address.into(),
            1..=10_000,
        )?;
        check("lock_seconds", self.lock_seconds, 1..=86_400)?;
        check("session_hours", self.session_hours, 1..=720)?;
        check("failure_delay_ms", self.failure_delay_ms, 0..=5_000)
    }
}

/// The `[auth]` section: callers present bearer tokens (kept in the gateway's
/// database, made with `passage admin token create`); the gateway passes each
/// caller on to a region's node sealed with that region's key.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// The federation's caller key, 64 hexadecimal characters (`passage certs
    /// init` writes `caller.key`); each region's key is derived from it
    /// (`passage certs issue --region` writes `<region>.caller.key`).
    pub caller_key_file: std::path::PathBuf,
}

/// The `[stats]` section; every key is optional.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StatsSettings {
    /// How long the gateway waits for a region's figures before it uses the
    /// region's last good ones, in milliseconds (10 to 60,000; default 2,000).
    pub deadline_ms: u64,
    /// Counts from 1 to `threshold - 1` are suppressed (2 to 1,000; default 10).
    pub threshold: i64,
    /// 0: publish exact counts; 5: round every published count to a multiple of 5.
    pub rounding: i64,
}

impl Default for StatsSettings {
    fn default() -> Self {
        StatsSettings {
            deadline_ms: 2_000,
            threshold: 10,
            rounding: 0,
        }
    }
}

impl StatsSettings {
    /// Checks the ranges, naming the key as the settings file spells it.
    pub fn validate(&self) -> Result<()> {
        let refuse = |field: &str, reason: String| {
            Err(Error::Settings {
                field: format!("stats.{field}"),
                reason,
            })
        };
        if !(10..=60_000).contains(&self.deadline_ms) {
            return refuse(
                "deadline_ms",
                format!("must be between 10 and 60000, got {}", self.deadline_ms),
            );
        }
        if !(2..=1_000).contains(&self.threshold) {
            return refuse(
                "threshold",
                format!("must be between 2 and 1000, got {}", self.threshold),
            );
        }
        if ![0, 5].contains(&self.rounding) {
            return refuse(
                "rounding",
                format!("must be 0 (exact) or 5, got {}", self.rounding),
            );
        }
        Ok(())
    }
}

/// PEM files for the gateway's TLS.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFiles {
    /// The federation CA that signs region certificates.
    pub ca_file: std::path::PathBuf,
    /// The gateway's certificate (`passage certs issue --gateway`).
    pub cert_file: std::path::PathBuf,
    pub key_file: std::path::PathBuf,
}

/// The PEM contents of [`TlsFiles`].
pub struct TlsPem {
    pub ca: Vec<u8>,
    pub cert: Vec<u8>,
    pub key: Vec<u8>,
}

impl TlsFiles {
    /// Reads the three files; a file that cannot be read is named by its key.
    pub fn read(&self) -> Result<TlsPem> {
        let read = |field: &str, path: &std::path::Path| {
            std::fs::read(path).map_err(|e| Error::Settings {
                field: format!("tls.{field}"),
                reason: format!("cannot read {}: {e}", path.display()),
            })
        };
        Ok(TlsPem {
            ca: read("ca_file", &self.ca_file)?,
            cert: read("cert_file", &self.cert_file)?,
            key: read("key_file", &self.key_file)?,
        })
    }
}

/// How nodes sync with the gateway.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FederationSettings {
    /// Accept plaintext sync streams whose region is taken from the node's hello
    /// instead of a client certificate. Only for a federation on one machine.
    #[serde(default)]
    pub insecure: bool,
    /// How far (milliseconds) a change's stamps may lie beyond the gateway's clock;
    /// a change stamped further ahead is refused by name. Five minutes unless set.
    #[serde(default = "default_max_clock_skew_ms")]
    pub max_clock_skew_ms: u64,
    /// Serial numbers of region certificates no longer trusted (hexadecimal, as
    /// `passage certs issue` prints them): their streams are refused and closed.
    #[serde(default)]
    pub revoked_serials: Vec<String>,
}

fn default_max_clock_skew_ms() -> u64 {
    passage_proto::hlc::DEFAULT_MAX_SKEW_MS
}

impl Default for FederationSettings {
    fn default() -> Self {
        FederationSettings {
            insecure: false,
            max_clock_skew_ms: default_max_clock_skew_ms(),
            revoked_serials: Vec::new(),
        }
    }
}

/// Where the gateway listens.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub listen: SocketAddr,
    /// Where to serve Prometheus metrics over HTTP (`/metrics`); none when unset.
    #[serde(default)]
    pub metrics_listen: Option<SocketAddr>,
    /// How long a routed call may take to reach a region's node.
    #[serde(default = "default_connect_timeout_ms")]
    pub connect_timeout_ms: u64,
}

fn default_connect_timeout_ms() -> u64 {
    2_000
}

/// The gateway's own database.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `sqlite://data/gateway.db?mode=rwc` or `postgres://user@host/db`.
    pub url: String,
    #[serde(default = "default_max_connections")]
    pub max_connections: u32,
    /// On SQLite, how much of the file each connection reads through a memory
    /// map, in MiB (0: none). Every connection's map counts in the gateway's
    /// resident memory: with the defaults, at most 8 × 32 MiB beside its own, however
    /// large the directory grows.
    #[serde(default = "default_sqlite_map_mib")]
    pub sqlite_map_mib: u64,
}

fn default_max_connections() -> u32 {
    8
}

/// [`DatabaseSettings::sqlite_map_mib`] when the settings do not say.
pub const DEFAULT_SQLITE_MAP_MIB: u64 = 32;

fn default_sqlite_map_mib() -> u64 {
    DEFAULT_SQLITE_MAP_MIB
}

/// One region in the registry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionEntry {
    /// Short slug, such as `amsterdam`.
    pub slug: String,
    /// Name shown to people.
    pub name: String,
    /// The region node's gRPC endpoint, such as `https://127.0.0.1:24051` (https
    /// with [tls]: the gateway calls it over mutual TLS with its own certificate).
    pub endpoint: String,
}

impl GatewaySettings {
    /// [`validate`](Self::validate) as (key, reason), for settings loaders.
    pub fn check(&self) -> std::result::Result<(), (String, String)> {
        self.validate().map_err(|error| match error {
            Error::Settings { field, reason } => (field, reason),
            other => (String::new(), other.to_string()),
        })
    }

    /// Checks what serde cannot: slugs, endpoints, duplicates.
    pub fn validate(&self) -> Result<()> {
        self.stats.validate()?;
        self.accounts.validate()?;
        self.limits
            .validate()
            .map_err(|(field, reason)| Error::Settings { field, reason })?;
        let mut seen = std::collections::HashSet::new();
        for (index, region) in self.regions.iter().enumerate() {
            let field = |name: &str| format!("regions[{index}].{name}");
            if !passage_proto::is_region_slug(&region.slug) {
                return Err(Error::Settings {
                    field: field("slug"),
                    reason: format!(
                        "{:?} is not a region slug (lowercase letters, digits and '-')",
                        region.slug
                    ),
                });
            }
            if !seen.insert(region.slug.as_str()) {
                return Err(Error::Settings {
                    field: field("slug"),
                    reason: format!("region {:?} is listed twice", region.slug),
                });
            }
            if region.endpoint.parse::<http::Uri>().is_err()
                || !(region.endpoint.starts_with("http://")
                    || region.endpoint.starts_with("https://"))
            {
                return Err(Error::Settings {
                    field: field("endpoint"),
                    reason: format!(
                        "{:?} is not an endpoint such as https://127.0.0.1:24051",
                        region.endpoint
                    ),
                });
            }
            // With certificates the gateway calls every node over mutual TLS; without
            // them it has no certificate to show, so it speaks plaintext.
            let scheme = if self.tls.is_some() {
                "https://"
            } else {
                "http://"
            };
            if !region.endpoint.starts_with(scheme) {
                return Err(Error::Settings {
                    field: field("endpoint"),
                    reason: if self.tls.is_some() {
                        format!(
                            "{:?} must start with https://: the gateway calls nodes over \
                             mutual TLS with its certificate ([tls]), and nodes answer nothing else",
                            region.endpoint
                        )
                    } else {
                        format!(
                            "{:?} must start with http:// without [tls]: the gateway has no \
                             certificate to show a node",
                            region.endpoint
                        )
                    },
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn account_settings_default_and_refuse_out_of_range_by_key() {
        let defaults = AccountSettings::default();
        assert_eq!(
            (
                defaults.max_failures,
                defaults.lock_seconds,
                defaults.session_hours
            ),
            (5, 900, 12)
        );
        defaults.validate().unwrap();
        let refused = AccountSettings {
            lock_seconds: 0,
            ..Default::default()
        }
        .validate()
        .unwrap_err()
        .to_string();
        assert!(refused.starts_with("accounts.lock_seconds:"), "{refused}");
        let partial: AccountSettings = serde_json::from_str(r#"{"lock_seconds": 3}"#).unwrap();
        assert_eq!((partial.lock_seconds, partial.max_failures), (3, 5));
    }
}
