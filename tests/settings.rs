//! A chapter admin's settings files: the shipped ones load, and a mistake is
//! reported with the file, the line and the key to fix.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use passage::settings_file::load;
use passage_gateway::GatewaySettings;
use passage_node::NodeSettings;

fn no_environment() -> HashMap<String, String> {
    HashMap::new()
}

fn load_node(path: &Path, environment: &HashMap<String, String>) -> Result<NodeSettings, String> {
    load(path, environment, &[], NodeSettings::validate).map_err(|e| e.to_string())
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

const GOOD_NODE: &str = r#"[region]
slug = "amsterdam"
name = "Amsterdam"
country = "NL"

[server]
listen = "127.0.0.1:24051"

[database]
url = "sqlite://data/amsterdam.db?mode=rwc"

[auth]
gateway_key_file = "certs/amsterdam.caller.key"
"#;

#[test]
fn every_shipped_region_and_the_gateway_load_and_agree_on_ports() {
    let mut node_endpoints = HashMap::new();
    let mut gateway_links = Vec::new();
    for entry in std::fs::read_dir("deploy/regions").unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if name.ends_with(".rules.toml") {
            // A region's labour-market rules, next to its settings.
            let rules = passage_node::rules::active::load_checked(
                &path,
                name.trim_end_matches(".rules.toml"),
            )
            .unwrap();
            assert!(!rules.rules.is_empty());
            continue;
        }
        if path.extension().is_some_and(|e| e == "toml") {
            let mut settings = load_node(&path, &no_environment()).unwrap();
            settings.resolve_paths(&path);
            let rules = settings.rules.as_ref().expect("every region has its rules");
            assert!(rules.file.exists(), "{}", rules.file.display());
            let stem = path.file_stem().unwrap().to_str().unwrap().to_owned();
            assert_eq!(settings.region.slug, stem, "file named after its region");
            let link = settings.gateway.as_ref().expect("every region syncs");
            let tls = link.tls.as_ref().expect("over mTLS");
            assert!(tls.cert_file.ends_with(format!("region-{stem}.pem")));
            gateway_links.push(link.endpoint.clone());
            node_endpoints.insert(stem, format!("https://{}", settings.server.listen));
        }
    }
    let gateway: GatewaySettings = load(
        Path::new("deploy/gateway.toml"),
        &no_environment(),
        &[],
        GatewaySettings::check,
    )
    .unwrap();
    assert_eq!(gateway.regions.len(), node_endpoints.len());
    assert!(gateway.tls.is_some(), "the gateway speaks TLS");
    let gateway_endpoint = format!("https://{}", gateway.server.listen);
    assert!(
        gateway_links.iter().all(|link| *link == gateway_endpoint),
        "{gateway_links:?}"
    );
    for region in &gateway.regions {
        assert_eq!(
            Some(&region.endpoint),
            node_endpoints.get(&region.slug),
            "gateway and {} agree on the endpoint",
            region.slug
        );
    }
}

#[test]
fn the_environment_overrides_the_file_and_flags_override_both() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "amsterdam.toml", GOOD_NODE);
    let environment = HashMap::from([
        (
            "PASSAGE__DATABASE__URL".to_owned(),
            "postgres://passage@db/amsterdam".to_owned(),
        ),
        (
            "PASSAGE__SERVER__LISTEN".to_owned(),
            "127.0.0.1:6000".to_owned(),
        ),
        ("UNRELATED".to_owned(), "ignored".to_owned()),
    ]);
    let settings: NodeSettings = load(
        &path,
        &environment,
        &[("server.listen", "127.0.0.1:7000".to_owned())],
        NodeSettings::validate,
    )
    .unwrap();
    assert_eq!(settings.database.url, "postgres://passage@db/amsterdam");
    assert_eq!(settings.server.listen.port(), 7000);
}

/// A node without a region certificate would answer anyone in plaintext: it may
/// only listen on this machine's loopback address.
#[test]
fn a_node_without_certificates_listens_on_loopback_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "amsterdam.toml", GOOD_NODE);
    let error = load::<NodeSettings>(
        &path,
        &no_environment(),
        &[("server.listen", "0.0.0.0:7000".to_owned())],
        NodeSettings::validate,
    )
    .unwrap_err();
    assert_eq!(error.key.as_deref(), Some("server.listen"), "{error:?}");
    assert!(error.message.contains("mutual TLS"), "{error:?}");
}

#[test]
fn a_bad_value_names_the_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        &dir,
        "amsterdam.toml",
        &GOOD_NODE.replace("127.0.0.1:24051", "localhost-port-fifty"),
    );
    let error = load_node(&path, &no_environment()).unwrap_err();
    assert!(error.contains("amsterdam.toml:7"), "{error}");
    assert!(error.contains("server.listen"), "{error}");
}

#[test]
fn a_missing_key_a_typo_and_a_bad_slug_are_each_named() {
    let dir = tempfile::tempdir().unwrap();
    let missing = write(
        &dir,
        "missing.toml",
        &GOOD_NODE.replace("url = ", "# url = "),
    );
    let error = load_node(&missing, &no_environment()).unwrap_err();
    assert!(error.contains("missing.toml"), "{error}");
    assert!(error.contains("url"), "{error}");

    let typo = write(&dir, "typo.toml", &GOOD_NODE.replace("listen =", "lisen ="));
    let error = load_node(&typo, &no_environment()).unwrap_err();
    assert!(error.contains("lisen"), "{error}");

    let slug = write(
        &dir,
        "slug.toml",
        &GOOD_NODE.replace("\"amsterdam\"", "\"Amsterdam Noord\""),
    );
    let error = load_node(&slug, &no_environment()).unwrap_err();
    assert!(error.contains("slug.toml:2"), "{error}");
    assert!(error.contains("region.slug"), "{error}");
}

#[test]
fn a_gateway_listing_a_region_twice_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("deploy/gateway.toml")
        .unwrap()
        .replace("slug = \"miami\"", "slug = \"amsterdam\"");
    let path = write(&dir, "gateway.toml", &text);
    let error = load::<GatewaySettings>(&path, &no_environment(), &[], GatewaySettings::check)
        .unwrap_err()
        .to_string();
    assert!(error.contains("regions[2].slug"), "{error}");
    assert!(error.contains("listed twice"), "{error}");
}
