//! A node's settings, as read from `deploy/regions/<region>.toml`, then the
//! `PASSAGE__…` environment, then command-line flags.

use std::net::SocketAddr;

use serde::Deserialize;

/// Everything a regional node needs to start.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSettings {
    pub region: RegionSettings,
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    /// The gateway this node syncs shared profiles with; none for a lone node.
    #[serde(default)]
    pub gateway: Option<GatewayLink>,
    /// The region's labour-market rules; without them no rule denies anything.
    #[serde(default)]
    pub rules: Option<RulesSettings>,
    /// Community review of new opportunities.
    #[serde(default)]
    pub review: crate::review_policy::ReviewPolicy,
    /// Calls in flight, calls per caller, time per call, message size (`[limits]`).
    #[serde(default)]
    pub limits: passage_server::limits::LimitSettings,
    /// How the node checks who calls it (`[auth]`).
    pub auth: AuthSettings,
    /// How the node sends its region's mail (`[mail]`).
    #[serde(default)]
    pub mail: MailSettings,
}

/// The `[mail]` section: the region's notification mail.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    /// `smtp://host:port` (plain; `?tls=required` for STARTTLS), or
    /// `smtps://host:port` (TLS); user and password may stand before the host.
    /// None: each mail is written as an `.eml` file to [`MailSettings::folder`].
    #[serde(default)]
    pub smtp_url: Option<String>,
    /// The sender of the region's mail.
    #[serde(default = "default_mail_from")]
    pub from: String,
    /// Where `.eml` files go without `smtp_url`; relative to the settings file's
    /// folder. None: `mail/` beside a SQLite database, else `mail/` in the
    /// working directory.
    #[serde(default)]
    pub folder: Option<std::path::PathBuf>,
    /// The web app's address; links in mail start with it.
    #[serde(default = "default_web_url")]
    pub web_url: String,
}

impl Default for MailSettings {
    fn default() -> Self {
        MailSettings {
            smtp_url: None,
            from: default_mail_from(),
            folder: None,
            web_url: default_web_url(),
        }
    }
}

impl std::fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The SMTP address may carry a password: never printed.
        f.debug_struct("MailSettings")
            .field("smtp_url", &self.smtp_url.as_ref().map(|_| "<set>"))
            .field("from", &self.from)
            .field("folder", &self.folder)
            .field("web_url", &self.web_url)
            .finish()
    }
}

fn default_mail_from() -> String {
    "Passage <passage@localhost>".into()
}

fn default_web_url() -> String {
    "http://127.0.0.1:8080".into()
}

impl MailSettings {
    /// The folder `.eml` files go to: the one set, else `mail/` beside the
    /// SQLite database at `database_url`, else `mail/`.
    pub fn folder_for(&self, database_url: &str) -> std::path::PathBuf {
        if let Some(folder) = &self.folder {
            return folder.clone();
        }
        let file = database_url
            .strip_prefix("sqlite://")
            .or_else(|| database_url.strip_prefix("sqlite:"))
            .map(|rest| rest.split('?').next().unwrap_or_default());
        match file.and_then(|file| std::path::Path::new(file).parent()) {
            Some(parent) => parent.join("mail"),
            None => std::path::PathBuf::from("mail"),
        }
    }
}

/// The `[auth]` section: the node takes calls only from the gateway, which seals
/// each caller with this region's key.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// This region's caller key, 64 hexadecimal characters (`passage certs issue
    /// --region <slug>` writes `<slug>.caller.key`, derived from the gateway's
    /// `caller.key`).
    pub gateway_key_file: std::path::PathBuf,
}

/// Where the region's labour-market rules are (docs/rules.md).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesSettings {
    /// The rules file; a relative path is taken from the settings file's folder
    /// (see [`NodeSettings::resolve_paths`]).
    pub file: std::path::PathBuf,
}

/// How the node reaches the gateway.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayLink {
    /// Such as `https://127.0.0.1:24050`.
    pub endpoint: String,
    /// The node's region certificate for mTLS, both to sync with the gateway and to
    /// serve its own port (answering only the gateway's certificate); plaintext
    /// without it, only on a loopback address and against a gateway started with
    /// `--insecure`.
    #[serde(default)]
    pub tls: Option<TlsFiles>,
    /// How far (milliseconds) a stamp that arrives from the gateway may lie beyond
    /// this node's clock; an entry stamped further ahead is refused. Five minutes
    /// unless set.
    #[serde(default = "default_max_clock_skew_ms")]
    pub max_clock_skew_ms: u64,
}

fn default_max_clock_skew_ms() -> u64 {
    passage_proto::hlc::DEFAULT_MAX_SKEW_MS
}

/// PEM files for the node's side of mTLS.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFiles {
    /// The federation CA that signed the gateway's certificate.
    pub ca_file: std::path::PathBuf,
    /// This region's certificate (`passage certs issue --region <slug>`).
    pub cert_file: std::path::PathBuf,
    pub key_file: std::path::PathBuf,
}

/// Which region this node serves.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionSettings {
    /// Short slug, such as `amsterdam` or `washington-dc`.
    pub slug: String,
    /// Name shown to people, such as `Washington DC`.
    pub name: String,
    /// ISO 3166-1 alpha-2 country code, which selects the labour-market rules.
    pub country: String,
}

/// Where the node listens.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub listen: SocketAddr,
    /// Where the node serves Prometheus metrics over HTTP (`/metrics`: its calls,
    /// its outbox backlog and its sync cursor); none: it does not.
    #[serde(default)]
    pub metrics_listen: Option<SocketAddr>,
}

/// The node's own database.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `sqlite://data/amsterdam.db?mode=rwc` or `postgres://user@host/db`.
    pub url: String,
    /// Pool size; SQLite files are best served by a small pool.
    #[serde(default = "default_max_connections")]
    pub max_connections: u32,
}

fn default_max_connections() -> u32 {
    8
}

impl NodeSettings {
    /// Takes a relative rules file path from the folder of the settings file it was
    /// written in, so `file = "amsterdam.rules.toml"` works from any directory.
    pub fn resolve_paths(&mut self, settings_file: &std::path::Path) {
        if let Some(rules) = &mut self.rules
            && rules.file.is_relative()
            && let Some(folder) = settings_file.parent()
        {
            rules.file = folder.join(&rules.file);
        }
        if let Some(mail_folder) = &mut self.mail.folder
            && mail_folder.is_relative()
            && let Some(folder) = settings_file.parent()
        {
            *mail_folder = folder.join(&*mail_folder);
        }
    }

    /// Checks what serde cannot: the slug's shape.
    pub fn validate(&self) -> Result<(), (String, String)> {
        if !passage_proto::is_region_slug(&self.region.slug) {
            return Err((
                "region.slug".into(),
                format!(
                    "{:?} is not a region slug (lowercase letters, digits and '-')",
                    self.region.slug
                ),
            ));
        }
        if self.region.country.len() != 2
            || !self.region.country.chars().all(|c| c.is_ascii_uppercase())
        {
            return Err((
                "region.country".into(),
                format!(
                    "{:?} is not an ISO 3166-1 alpha-2 code such as NL or US",
                    self.region.country
                ),
            ));
        }
        let over_tls = self.gateway.as_ref().is_some_and(|link| link.tls.is_some());
        if !over_tls && !self.server.listen.ip().is_loopback() {
            return Err((
                "server.listen".into(),
                format!(
                    "{} is not a loopback address, and a node serves anything else only over \
                     mutual TLS: give [gateway] tls (ca_file, cert_file, key_file: the \
                     region's certificate from `passage certs issue --region {}`)",
                    self.server.listen, self.region.slug
                ),
            ));
        }
        self.review.validate()?;
        self.limits.validate()
    }
}
