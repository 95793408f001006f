//! How a node serves its port: over mutual TLS with its region's certificate when it
//! has one (`[gateway] tls`), answering only the gateway's certificate
//! ([`passage_server::peer`]); plaintext only on a loopback address, for a federation
//! on one machine (tests, `--insecure`), where [`NodeSettings::validate`] allows it.

use tonic::transport::{Certificate, Identity, ServerTlsConfig};

use crate::error::{Error, Result};
use crate::settings::{NodeSettings, TlsFiles};

/// The server side of the node's mutual TLS, if it has certificates: its region's
/// certificate, and the federation CA that every caller's certificate must chain to.
pub fn tls(settings: &NodeSettings) -> Result<Option<ServerTlsConfig>> {
    let Some(files) = settings.gateway.as_ref().and_then(|link| link.tls.as_ref()) else {
        return Ok(None);
    };
    Ok(Some(server_tls(files)?))
}

fn server_tls(files: &TlsFiles) -> Result<ServerTlsConfig> {
    let read = |field: &'static str, path: &std::path::Path| {
        std::fs::read(path)
            .map_err(|e| Error::invalid(field, format!("cannot read {}: {e}", path.display())))
    };
    let ca = read("gateway.tls.ca_file", &files.ca_file)?;
    let cert = read("gateway.tls.cert_file", &files.cert_file)?;
    let key = read("gateway.tls.key_file", &files.key_file)?;
    Ok(ServerTlsConfig::new()
        .identity(Identity::from_pem(cert, key))
        .client_ca_root(Certificate::from_pem(ca))
        .client_auth_optional(false))
}
