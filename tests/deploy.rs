//! Everything in `deploy/` agrees with itself: the container gateway routes to the
//! regions the compose file runs, on the ports their settings listen on; every
//! region's settings load with the environment compose gives them; the systemd units
//! and the Dockerfile point at files that exist.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::Path;

use passage::settings_file::load;
use passage_gateway::GatewaySettings;
use passage_node::NodeSettings;
use serde_yaml::Value;

fn deploy(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("deploy")
        .join(path)
}

fn compose() -> Value {
    serde_yaml::from_str(&std::fs::read_to_string(deploy("compose.yaml")).unwrap()).unwrap()
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => serde_yaml::to_string(other).unwrap().trim().to_owned(),
    }
}

/// The environment compose gives a service, as a map.
fn environment(service: &Value) -> HashMap<String, String> {
    service["environment"]
        .as_mapping()
        .map(|map| {
            map.iter()
                .map(|(k, v)| (text(k), text(v)))
                .collect::<HashMap<_, _>>()
        })
        .unwrap_or_default()
}

/// The file a service's `--config` names, inside the image, mapped to the repository.
fn config_of(service: &Value) -> std::path::PathBuf {
    let command: Vec<String> = service["command"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(text)
        .collect();
    let at = command.iter().position(|a| a == "--config").unwrap();
    let in_image = &command[at + 1];
    let relative = in_image
        .strip_prefix("/etc/passage/")
        .unwrap_or_else(|| panic!("{in_image} is not under /etc/passage/"));
    deploy(relative)
}

#[test]
fn the_compose_federation_agrees_with_the_settings_it_runs() {
    let compose = compose();
    let services = compose["services"].as_mapping().unwrap();
    let gateway_service = &compose["services"]["gateway"];
    let gateway: GatewaySettings = load(
        &config_of(gateway_service),
        &environment(gateway_service),
        &[],
        GatewaySettings::check,
    )
    .unwrap();
    assert!(gateway.tls.is_some(), "clients reach the gateway over TLS");
    assert!(
        text(&gateway_service["ports"][0])
            .starts_with(&format!("{}:", gateway.server.listen.port()))
    );
    for region in &gateway.regions {
        let service = services
            .get(Value::String(region.slug.clone()))
            .unwrap_or_else(|| panic!("compose runs no service {}", region.slug));
        let env = environment(service);
        let settings: NodeSettings =
            load(&config_of(service), &env, &[], NodeSettings::validate).unwrap();
        assert_eq!(settings.region.slug, region.slug);
        assert_eq!(
            region.endpoint,
            format!("http://{}:{}", region.slug, settings.server.listen.port()),
            "the gateway reaches {} where it listens",
            region.slug
        );
        assert!(
            settings.server.listen.ip().is_unspecified(),
            "listens beyond the container"
        );
        let link = settings.gateway.as_ref().unwrap();
        assert_eq!(
            link.endpoint,
            format!("https://gateway:{}", gateway.server.listen.port())
        );
        assert!(link.tls.is_some(), "syncs over mTLS");
        assert!(settings.database.url.starts_with("postgres://"));
        let database = format!("{}-db", region.slug);
        assert!(
            settings.database.url.contains(&format!("@{database}/")),
            "{} uses its own database",
            region.slug
        );
        assert!(services.contains_key(Value::String(database)));
        let mut rules = settings.clone();
        rules.resolve_paths(&config_of(service));
        assert!(rules.rules.unwrap().file.exists());
    }
}

#[test]
fn the_systemd_units_and_the_dockerfile_name_what_exists() {
    let node = std::fs::read_to_string(deploy("systemd/passage-node@.service")).unwrap();
    assert!(
        node.contains(
            "ExecStart=/usr/local/bin/passage node --config /etc/passage/regions/%i.toml"
        )
    );
    assert!(
        node.contains("ExecReload=/bin/kill -HUP $MAINPID"),
        "reload = rules reload"
    );
    let gateway = std::fs::read_to_string(deploy("systemd/passage-gateway.service")).unwrap();
    assert!(
        gateway.contains(
            "ExecStart=/usr/local/bin/passage gateway --config /etc/passage/gateway.toml"
        )
    );
    let dockerfile = std::fs::read_to_string(deploy("Dockerfile")).unwrap();
    for copied in ["deploy/regions/", "deploy/container/"] {
        assert!(dockerfile.contains(&format!("COPY {copied}")), "{copied}");
        assert!(Path::new(env!("CARGO_MANIFEST_DIR")).join(copied).is_dir());
    }
    assert!(deploy("RUNBOOK.md").exists());
}
