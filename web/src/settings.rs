//! The web app's settings, as read from `deploy/web.toml`, then the `PASSAGE__…`
//! environment, then command-line flags.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;

/// Everything the web app needs to start.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebSettings {
    pub server: ServerSettings,
    /// The gateway, the only thing the web app talks to.
    pub gateway: GatewayLink,
    /// How the browser's cookies are set.
    #[serde(default)]
    pub cookies: CookieSettings,
}

/// Where the web app listens.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub listen: SocketAddr,
}

/// How the web app reaches the gateway.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayLink {
    /// Such as `https://127.0.0.1:24050`.
    pub endpoint: String,
    /// The federation CA that signed the gateway's certificate (https only).
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// The web app's own certificate (`passage certs issue --web`): with it, the
    /// gateway takes the browser's address from the web app, so sign-ins are
    /// slowed per real address.
    #[serde(default)]
    pub cert_file: Option<PathBuf>,
    #[serde(default)]
    pub key_file: Option<PathBuf>,
}

/// The `[cookies]` section.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CookieSettings {
    /// Mark cookies `Secure` (the web app is reached over https, behind a proxy
    /// that ends TLS). Off only for a web app on this machine (the demo).
    pub secure: bool,
}

impl WebSettings {
    /// Checks what serde cannot, as (key, reason).
    pub fn validate(&self) -> Result<(), (String, String)> {
        let endpoint = &self.gateway.endpoint;
        if endpoint.parse::<http::Uri>().is_err()
            || !(endpoint.starts_with("http://") || endpoint.starts_with("https://"))
        {
            return Err((
                "gateway.endpoint".into(),
                format!("{endpoint:?} is not an endpoint such as https://127.0.0.1:24050"),
            ));
        }
        if endpoint.starts_with("https://") && self.gateway.ca_file.is_none() {
            return Err((
                "gateway.ca_file".into(),
                "must name the federation CA to trust the gateway over https".into(),
            ));
        }
        if self.gateway.cert_file.is_some() != self.gateway.key_file.is_some() {
            return Err((
                "gateway.key_file".into(),
                "cert_file and key_file go together".into(),
            ));
        }
        if !self.cookies.secure && !self.server.listen.ip().is_loopback() {
            return Err((
                "cookies.secure".into(),
                format!(
                    "must be true when listening on {} (beyond this machine): sessions \
                     travel only over https",
                    self.server.listen
                ),
            ));
        }
        Ok(())
    }
}
