//! `passage certs`: a federation's own certificate authority, and certificates for
//! the gateway and each region. A region's certificate names it (SAN DNS
//! `<region>.region.passage`), and that is the only place the gateway learns a
//! node's region from. Each certificate serves both ways: a node presents its
//! region's certificate to the gateway when it syncs and serves its own port with it;
//! the gateway serves with its certificate and presents it to each node it calls, and
//! a node answers no one else. The web app has a client certificate of its own
//! (`web.passage`): the gateway takes the browser's address for sign-in locks only
//! from a connection showing it.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use chrono::Datelike;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, date_time_ymd,
};

/// The name every node expects on the gateway's certificate.
pub const GATEWAY_NAME: &str = passage_proto::GATEWAY_TLS_NAME;

/// Files of one certificate and its key.
#[derive(Debug, Clone)]
pub struct CertFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Where `passage certs` keeps the CA and the issued certificates.
#[derive(Debug, Clone)]
pub struct CertDir(pub PathBuf);

impl CertDir {
    pub fn ca(&self) -> CertFiles {
        self.files("ca")
    }

    pub fn gateway(&self) -> CertFiles {
        self.files("gateway")
    }

    /// The web app's client certificate (`web.passage`).
    pub fn web(&self) -> CertFiles {
        self.files("web")
    }

    pub fn region(&self, region: &str) -> CertFiles {
        self.files(&format!("region-{region}"))
    }

    /// The federation's caller key, which the gateway seals callers with.
    pub fn caller_key(&self) -> PathBuf {
        self.0.join("caller.key")
    }

    /// A region's caller key, derived from [`CertDir::caller_key`]: its node
    /// opens the gateway's seals with it.
    pub fn region_caller_key(&self, region: &str) -> PathBuf {
        self.0.join(format!("{region}.caller.key"))
    }

    fn files(&self, name: &str) -> CertFiles {
        CertFiles {
            cert: self.0.join(format!("{name}.pem")),
            key: self.0.join(format!("{name}.key")),
        }
    }
}

fn ca_params() -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, "Passage federation CA");
    name.push(DnType::OrganizationName, "Passage");
    params.distinguished_name = name;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params
}

fn valid_for_years(params: &mut CertificateParams, years: i32) {
    let today = chrono::Utc::now().date_naive();
    let yesterday = today.pred_opt().unwrap_or(today);
    params.not_before = date_time_ymd(
        yesterday.year(),
        yesterday.month() as u8,
        yesterday.day() as u8,
    );
    params.not_after = date_time_ymd(
        today.year() + years,
        today.month() as u8,
        today.day().min(28) as u8,
    );
}

/// Writes a private key: the file is created readable by its owner only (mode
/// 0600) before a byte of the key is in it, never written first and narrowed
/// after; an existing file is narrowed before it is overwritten.
pub fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    #[cfg(unix)]
    {
        // `mode` applies only when the file is created.
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("narrowing {} to its owner", path.display()))?;
    }
    file.write_all(contents.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {}", path.display()))
}

/// Creates the federation's CA in `dir`; refuses to replace an existing one.
pub fn init(dir: &CertDir) -> anyhow::Result<CertFiles> {
    let files = dir.ca();
    if files.cert.exists() || files.key.exists() {
        bail!(
            "{} already holds a CA; remove it first to start a new federation",
            dir.0.display()
        );
    }
    std::fs::create_dir_all(&dir.0).with_context(|| format!("creating {}", dir.0.display()))?;
    let key = KeyPair::generate()?;
    let mut params = ca_params();
    valid_for_years(&mut params, 10);
    let cert = params.self_signed(&key)?;
    std::fs::write(&files.cert, cert.pem())?;
    write_private(&files.key, &key.serialize_pem())?;
    ensure_caller_key(dir)?;
    Ok(files)
}

/// Makes the federation's caller key unless it is there.
pub fn ensure_caller_key(dir: &CertDir) -> anyhow::Result<()> {
    let path = dir.caller_key();
    if !path.exists() {
        std::fs::create_dir_all(&dir.0).with_context(|| format!("creating {}", dir.0.display()))?;
        let key = passage_server::access::new_key_text().map_err(anyhow::Error::msg)?;
        write_private(&path, &format!("{key}\n"))?;
    }
    Ok(())
}

/// Writes region `region`'s caller key, derived from the federation's.
pub fn issue_region_caller_key(dir: &CertDir, region: &str) -> anyhow::Result<PathBuf> {
    let master = passage_server::access::read_key_file(&dir.caller_key())
        .map_err(anyhow::Error::msg)
        .context("the federation's caller key (run `passage certs init`)")?;
    let path = dir.region_caller_key(region);
    let key = passage_server::access::region_key(&master, region);
    write_private(&path, &format!("{}\n", hex_text(&key)))?;
    Ok(path)
}

fn hex_text(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn issuer(dir: &CertDir) -> anyhow::Result<Issuer<'static, KeyPair>> {
    let files = dir.ca();
    let key_pem = std::fs::read_to_string(&files.key).with_context(|| {
        format!(
            "reading the CA key {} (run `passage certs init`)",
            files.key.display()
        )
    })?;
    Ok(Issuer::new(ca_params(), KeyPair::from_pem(&key_pem)?))
}

fn issue(
    dir: &CertDir,
    files: CertFiles,
    names: Vec<String>,
    common_name: &str,
    usage: Vec<ExtendedKeyUsagePurpose>,
) -> anyhow::Result<CertFiles> {
    let issuer = issuer(dir)?;
    let key = KeyPair::generate()?;
    let mut params = CertificateParams::new(names)?;
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params.extended_key_usages = usage;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    valid_for_years(&mut params, 1);
    let cert = params.signed_by(&key, &issuer)?;
    std::fs::write(&files.cert, cert.pem())?;
    write_private(&files.key, &key.serialize_pem())?;
    Ok(files)
}

/// Issues the certificate a region's node presents to the gateway.
pub fn issue_region(dir: &CertDir, region: &str) -> anyhow::Result<CertFiles> {
    if !passage_proto::is_region_slug(region) {
        bail!("--region: {region:?} is not a region slug (lowercase letters, digits and '-')");
    }
    let files = issue(
        dir,
        dir.region(region),
        vec![passage_proto::region_tls_name(region)],
        region,
        BOTH_WAYS.to_vec(),
    )?;
    issue_region_caller_key(dir, region)?;
    Ok(files)
}

/// Issues the gateway's server certificate, valid for `gateway.passage`, localhost
/// and the extra `hosts` (names or IP addresses) it is reached by.
pub fn issue_gateway(dir: &CertDir, hosts: &[String]) -> anyhow::Result<CertFiles> {
    let mut names = vec![
        GATEWAY_NAME.to_owned(),
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
    ];
    names.extend(hosts.iter().cloned());
    issue(dir, dir.gateway(), names, GATEWAY_NAME, BOTH_WAYS.to_vec())
}

/// Issues the web app's client certificate (SAN `web.passage`, client auth only):
/// the gateway trusts the browser's address the web app passes
/// (`x-passage-client-address`) only from a connection showing it.
pub fn issue_web(dir: &CertDir) -> anyhow::Result<CertFiles> {
    issue(
        dir,
        dir.web(),
        vec![passage_proto::WEB_TLS_NAME.to_owned()],
        passage_proto::WEB_TLS_NAME,
        vec![ExtendedKeyUsagePurpose::ClientAuth],
    )
}

/// What every federation certificate is for: serving a port and calling one.
const BOTH_WAYS: [ExtendedKeyUsagePurpose; 2] = [
    ExtendedKeyUsagePurpose::ServerAuth,
    ExtendedKeyUsagePurpose::ClientAuth,
];

/// Whether the certificate in `path` may both serve and call (older demo
/// certificates were for one side only and are issued again).
fn serves_both_ways(path: &Path) -> bool {
    let Ok(pem) = std::fs::read(path) else {
        return false;
    };
    let Ok((_, pem)) = x509_parser::pem::parse_x509_pem(&pem) else {
        return false;
    };
    let Ok(certificate) = pem.parse_x509() else {
        return false;
    };
    matches!(
        certificate.extended_key_usage(),
        Ok(Some(usage)) if usage.value.server_auth && usage.value.client_auth
    )
}

/// Makes the CA and every certificate the demo needs, unless they are there already.
pub fn ensure_demo_certs(dir: &CertDir, regions: &[&str]) -> anyhow::Result<()> {
    if !dir.ca().cert.exists() {
        init(dir)?;
    }
    ensure_caller_key(dir)?;
    if !serves_both_ways(&dir.gateway().cert) {
        issue_gateway(dir, &[])?;
    }
    if !dir.web().cert.exists() || !dir.web().key.exists() {
        issue_web(dir)?;
    }
    for region in regions {
        if !serves_both_ways(&dir.region(region).cert) {
            issue_region(dir, region)?;
        }
        if !dir.region_caller_key(region).exists() {
            issue_region_caller_key(dir, region)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_key_file_is_only_ever_readable_by_its_owner() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let fresh = dir.path().join("fresh.key");
        write_private(&fresh, "secret\n").unwrap();
        let mode = std::fs::metadata(&fresh).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(std::fs::read_to_string(&fresh).unwrap(), "secret\n");

        // A key file someone left world-readable is narrowed before it is rewritten.
        let loose = dir.path().join("loose.key");
        std::fs::write(&loose, "old").unwrap();
        std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_private(&loose, "new secret\n").unwrap();
        let mode = std::fs::metadata(&loose).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(std::fs::read_to_string(&loose).unwrap(), "new secret\n");
    }
}
