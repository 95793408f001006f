//! Everything in `deploy/` agrees with itself: the container gateway routes to the
//! regions the compose file runs, on the ports their settings listen on; every
//! region's settings load with the environment compose gives them; the systemd units
//! and the Dockerfile point at files that exist; the Kubernetes manifests parse, carry
//! settings that load, and wire each region's Service, ports, probes, rules and
//! secrets to what those settings say.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::Path;

use passage::settings_file::load;
use passage_gateway::GatewaySettings;
use passage_node::NodeSettings;
use serde::Deserialize as _;
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

/// The files of `deploy/certs/` a compose service mounts, as its settings name them
/// (`certs/…`, under the image's working directory); each one by itself, under its
/// own name, read-only.
fn mounted_key_files(service: &Value) -> std::collections::BTreeSet<String> {
    let mut files = std::collections::BTreeSet::new();
    for volume in service["volumes"].as_sequence().into_iter().flatten() {
        let volume = text(volume);
        let parts: Vec<&str> = volume.split(':').collect();
        let [source, target, "ro"] = parts[..] else {
            panic!("{volume}: mount certificates and keys read-only, one file each");
        };
        let name = source
            .strip_prefix("./certs/")
            .unwrap_or_else(|| panic!("{volume}: not a file of deploy/certs"));
        assert!(
            !name.is_empty() && !name.contains('/'),
            "{volume}: one file, not a folder"
        );
        assert_ne!(name, "ca.key", "the CA's key never goes to a service");
        assert_eq!(target, format!("/var/lib/passage/certs/{name}"), "{volume}");
        files.insert(format!("certs/{name}"));
    }
    files
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
    let gateway_tls = gateway.tls.as_ref().unwrap();
    assert_eq!(
        mounted_key_files(gateway_service),
        [
            &gateway_tls.ca_file,
            &gateway_tls.cert_file,
            &gateway_tls.key_file,
            &gateway.auth.caller_key_file,
        ]
        .map(|path| path.display().to_string())
        .into(),
        "the gateway gets its own certificate and keys, and nothing else"
    );
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
            format!("https://{}:{}", region.slug, settings.server.listen.port()),
            "the gateway reaches {} where it listens, over mutual TLS",
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
        let tls = link.tls.as_ref().unwrap();
        assert_eq!(
            mounted_key_files(service),
            [
                &tls.ca_file,
                &tls.cert_file,
                &tls.key_file,
                &settings.auth.gateway_key_file,
            ]
            .map(|path| path.display().to_string())
            .into(),
            "{} gets its own certificate and keys, and nothing else",
            region.slug
        );
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

/// Every document of every manifest in deploy/kubernetes, with its file's name.
fn kubernetes() -> Vec<(String, Value)> {
    let mut files: Vec<_> = std::fs::read_dir(deploy("kubernetes"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    let mut documents = Vec::new();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.ends_with(".yaml"),
            "deploy/kubernetes/{name} is not a .yaml manifest"
        );
        let text = std::fs::read_to_string(&path).unwrap();
        for document in serde_yaml::Deserializer::from_str(&text) {
            let value = Value::deserialize(document)
                .unwrap_or_else(|e| panic!("deploy/kubernetes/{name} is not YAML: {e}"));
            documents.push((name.clone(), value));
        }
    }
    documents
}

/// The one object of `kind` named `name`.
fn object<'a>(documents: &'a [(String, Value)], kind: &str, name: &str) -> &'a Value {
    let found: Vec<&Value> = documents
        .iter()
        .map(|(_, doc)| doc)
        .filter(|doc| doc["kind"].as_str() == Some(kind))
        .filter(|doc| doc["metadata"]["name"].as_str() == Some(name))
        .collect();
    assert_eq!(found.len(), 1, "deploy/kubernetes holds one {kind} {name}");
    found[0]
}

/// A container's port named `name`.
fn container_port(container: &Value, name: &str) -> u64 {
    container["ports"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|port| port["name"].as_str() == Some(name))
        .and_then(|port| port["containerPort"].as_u64())
        .unwrap_or_else(|| panic!("{} has no port {name}", text(&container["name"])))
}

/// A Service's port named `name`.
fn service_port(service: &Value, name: &str) -> u64 {
    service["spec"]["ports"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|port| port["name"].as_str() == Some(name))
        .and_then(|port| port["port"].as_u64())
        .unwrap_or_else(|| {
            panic!(
                "Service {} has no port {name}",
                text(&service["metadata"]["name"])
            )
        })
}

/// Writes the files of a ConfigMap into `dir`, as the pod sees them mounted.
fn mount_config_map(config_map: &Value, dir: &Path) {
    for (file, content) in config_map["data"].as_mapping().unwrap() {
        std::fs::write(dir.join(text(file)), content.as_str().unwrap()).unwrap();
    }
}

/// The keys of the Secret `name` in the template of the Secrets.
fn secret_files(documents: &[(String, Value)], name: &str) -> Vec<String> {
    object(documents, "Secret", name)["stringData"]
        .as_mapping()
        .unwrap()
        .keys()
        .map(text)
        .collect()
}

/// What a pod's one container runs, and the checks every Passage container passes:
/// the config it names is mounted from `config_map`, its certificates come from a
/// Secret at the image's working directory, and it runs as a non-root user on a
/// read-only root filesystem with resource requests and limits.
fn passage_container<'a>(pod: &'a Value, config_map: &str, secret: &str) -> &'a Value {
    let what = text(&pod["metadata"]["labels"]["app.kubernetes.io/name"]);
    let containers = pod["spec"]["containers"].as_sequence().unwrap();
    assert_eq!(containers.len(), 1, "{what}: one container");
    let container = &containers[0];
    assert!(
        text(&container["image"]).starts_with("passage"),
        "{what}: the image of deploy/Dockerfile"
    );
    let args: Vec<String> = container["args"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(text)
        .collect();
    assert_eq!(args[1], "--config", "{what}: {args:?}");
    let (folder, _) = args[2].rsplit_once('/').unwrap();
    let mounted = |path: &str| {
        let mount = container["volumeMounts"]
            .as_sequence()
            .unwrap()
            .iter()
            .find(|mount| mount["mountPath"].as_str() == Some(path))
            .unwrap_or_else(|| panic!("{what}: nothing mounted at {path}"));
        assert_eq!(
            mount["readOnly"].as_bool(),
            Some(true),
            "{what}: {path} is read-only"
        );
        let name = mount["name"].as_str().unwrap();
        pod["spec"]["volumes"]
            .as_sequence()
            .unwrap()
            .iter()
            .find(|volume| volume["name"].as_str() == Some(name))
            .unwrap()
            .clone()
    };
    assert_eq!(
        mounted(folder)["configMap"]["name"].as_str(),
        Some(config_map)
    );
    // The Dockerfile's WORKDIR: settings name certificates and keys as certs/….
    assert_eq!(
        mounted("/var/lib/passage/certs")["secret"]["secretName"].as_str(),
        Some(secret)
    );
    let security = &container["securityContext"];
    assert_eq!(
        security["runAsNonRoot"].as_bool(),
        Some(true),
        "{what}: runs as non-root"
    );
    assert_eq!(
        security["readOnlyRootFilesystem"].as_bool(),
        Some(true),
        "{what}: read-only root"
    );
    assert_eq!(
        security["allowPrivilegeEscalation"].as_bool(),
        Some(false),
        "{what}"
    );
    // The Dockerfile's `passage` user.
    assert_eq!(
        pod["spec"]["securityContext"]["runAsUser"].as_u64(),
        Some(10001),
        "{what}"
    );
    for bound in ["requests", "limits"] {
        for resource in ["cpu", "memory"] {
            assert!(
                !container["resources"][bound][resource].is_null(),
                "{what}: resources.{bound}.{resource}"
            );
        }
    }
    let database = container["env"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|env| env["name"].as_str() == Some("PASSAGE__DATABASE__URL"))
        .unwrap_or_else(|| panic!("{what}: the database URL comes from the environment"));
    assert_eq!(
        database["valueFrom"]["secretKeyRef"]["key"].as_str(),
        Some("url"),
        "{what}: from a Secret"
    );
    container
}

/// The file a settings path names inside the certificates' Secret, if it is there.
fn in_certs(path: &Path) -> String {
    path.strip_prefix("certs")
        .unwrap_or_else(|_| panic!("{} is not under certs/", path.display()))
        .to_string_lossy()
        .into_owned()
}

#[test]
fn every_kubernetes_manifest_parses_and_the_secrets_stay_out_of_them() {
    let documents = kubernetes();
    let mut applied: Vec<String> = Vec::new();
    for (file, document) in &documents {
        let kind = document["kind"]
            .as_str()
            .unwrap_or_else(|| panic!("{file}: a document without kind"));
        if kind == "Kustomization" {
            applied = document["resources"]
                .as_sequence()
                .unwrap()
                .iter()
                .map(text)
                .collect();
            continue;
        }
        assert!(
            document["apiVersion"].as_str().is_some(),
            "{file}: {kind} without apiVersion"
        );
        let name = text(&document["metadata"]["name"]);
        if kind != "Namespace" {
            assert_eq!(
                document["metadata"]["namespace"].as_str(),
                Some("passage"),
                "{file}: {kind} {name}"
            );
        }
        if kind == "Secret" {
            assert_eq!(
                file, "secrets.template.yaml",
                "Secret {name} sits in {file}"
            );
            for (key, value) in document["stringData"].as_mapping().unwrap() {
                // A database owner's name is no secret; its password is.
                if text(key) == "username" {
                    continue;
                }
                assert!(
                    text(value).starts_with("placeholder:"),
                    "Secret {name}: {} holds a placeholder, never a real key",
                    text(key)
                );
            }
        }
    }
    let mut files: Vec<String> = documents.iter().map(|(file, _)| file.clone()).collect();
    files.dedup();
    for file in &files {
        let expected = !matches!(
            file.as_str(),
            "kustomization.yaml" | "secrets.template.yaml"
        );
        assert_eq!(
            applied.contains(file),
            expected,
            "kustomization.yaml and {file}"
        );
    }
}

#[test]
fn the_kubernetes_federation_agrees_with_the_settings_it_runs() {
    let documents = kubernetes();
    let dir = tempfile::tempdir().unwrap();
    let no_environment = HashMap::new();

    // The gateway: three replicas, its settings from its ConfigMap.
    let deployment = object(&documents, "Deployment", "gateway");
    assert_eq!(deployment["spec"]["replicas"].as_u64(), Some(3));
    let pod = &deployment["spec"]["template"];
    let container = passage_container(pod, "gateway-config", "gateway-certs");
    let gateway_dir = dir.path().join("gateway");
    std::fs::create_dir(&gateway_dir).unwrap();
    mount_config_map(
        object(&documents, "ConfigMap", "gateway-config"),
        &gateway_dir,
    );
    let gateway: GatewaySettings = load(
        &gateway_dir.join("gateway.toml"),
        &no_environment,
        &[],
        GatewaySettings::check,
    )
    .unwrap();
    let grpc = u64::from(gateway.server.listen.port());
    assert!(
        gateway.server.listen.ip().is_unspecified(),
        "listens beyond the pod"
    );
    assert_eq!(container_port(container, "grpc"), grpc);
    assert_eq!(
        container_port(container, "metrics"),
        u64::from(gateway.server.metrics_listen.unwrap().port())
    );
    let service = object(&documents, "Service", "gateway");
    assert_eq!(service_port(service, "grpc"), 24050);
    assert_eq!(service_port(service, "metrics"), 24060);
    for probe in ["startupProbe", "readinessProbe", "livenessProbe"] {
        let command: Vec<String> = container[probe]["exec"]["command"]
            .as_sequence()
            .unwrap_or_else(|| panic!("gateway: no {probe}"))
            .iter()
            .map(text)
            .collect();
        assert_eq!(command[..2], ["passage", "health"], "gateway {probe}");
        assert!(
            command.contains(&format!("https://127.0.0.1:{grpc}")),
            "the gateway's {probe} asks its gRPC port over TLS: {command:?}"
        );
    }
    let tls = gateway
        .tls
        .as_ref()
        .expect("clients reach the gateway over TLS");
    let gateway_secret = secret_files(&documents, "gateway-certs");
    for path in [
        &tls.ca_file,
        &tls.cert_file,
        &tls.key_file,
        &gateway.auth.caller_key_file,
    ] {
        assert!(
            gateway_secret.contains(&in_certs(path)),
            "gateway-certs holds {}",
            path.display()
        );
    }
    assert!(gateway.database.url.contains("@gateway-db-rw/"));
    database_cluster(&documents, "gateway", "passage-gateway");

    // Every region the gateway routes to: its Service, node and database.
    assert_eq!(gateway.regions.len(), 3);
    for region in &gateway.regions {
        let slug = &region.slug;
        let (host, port) = region
            .endpoint
            .strip_prefix("https://")
            .and_then(|rest| rest.split_once(':'))
            .unwrap_or_else(|| {
                panic!(
                    "{slug}: endpoint {} is not https://service:port",
                    region.endpoint
                )
            });
        let port: u64 = port.parse().unwrap();
        let service = object(&documents, "Service", host);
        assert_eq!(
            service["spec"]["clusterIP"].as_str(),
            Some("None"),
            "{host} is headless"
        );
        assert_eq!(
            service_port(service, "grpc"),
            port,
            "Service {host} serves the endpoint's port"
        );
        let node = object(&documents, "StatefulSet", slug);
        assert_eq!(
            node["spec"]["serviceName"].as_str(),
            Some(host),
            "{slug} is reached by {host}"
        );
        assert_eq!(
            node["spec"]["replicas"].as_u64(),
            Some(1),
            "one node per region"
        );
        let pod = &node["spec"]["template"];
        assert_eq!(
            service["spec"]["selector"], pod["metadata"]["labels"],
            "Service {host} selects the {slug} node"
        );
        let container = passage_container(pod, &format!("{slug}-config"), &format!("{slug}-certs"));
        assert_eq!(container_port(container, "grpc"), port);
        for probe in ["startupProbe", "readinessProbe", "livenessProbe"] {
            let command: Vec<String> = container[probe]["exec"]["command"]
                .as_sequence()
                .unwrap_or_else(|| panic!("{slug}: no {probe} command"))
                .iter()
                .map(text)
                .collect();
            assert_eq!(command[..2], ["passage", "health"], "{slug} {probe}");
            assert!(
                command.contains(&format!("https://127.0.0.1:{port}"))
                    && command.contains(slug)
                    && command.contains(&format!("certs/region-{slug}.pem")),
                "{slug}: {probe} asks the gRPC port over mutual TLS with the node's own certificate: {command:?}"
            );
        }

        let region_dir = dir.path().join(slug);
        std::fs::create_dir(&region_dir).unwrap();
        mount_config_map(
            object(&documents, "ConfigMap", &format!("{slug}-config")),
            &region_dir,
        );
        let config = region_dir.join("node.toml");
        let mut settings: NodeSettings =
            load(&config, &no_environment, &[], NodeSettings::validate).unwrap();
        assert_eq!(&settings.region.slug, slug);
        assert_eq!(
            u64::from(settings.server.listen.port()),
            port,
            "{slug} listens where the gateway calls"
        );
        assert!(
            settings.server.listen.ip().is_unspecified(),
            "{slug} listens beyond the pod"
        );
        assert_eq!(
            container_port(container, "metrics"),
            u64::from(settings.server.metrics_listen.unwrap().port())
        );
        let link = settings.gateway.as_ref().unwrap();
        assert_eq!(link.endpoint, format!("https://gateway:{grpc}"));
        let link_tls = link.tls.as_ref().expect("syncs over mTLS");
        let region_secret = secret_files(&documents, &format!("{slug}-certs"));
        for path in [
            &link_tls.ca_file,
            &link_tls.cert_file,
            &link_tls.key_file,
            &settings.auth.gateway_key_file,
        ] {
            assert!(
                region_secret.contains(&in_certs(path)),
                "{slug}-certs holds {}",
                path.display()
            );
        }
        settings.resolve_paths(&config);
        let rules = settings.rules.unwrap().file;
        assert_eq!(
            std::fs::read_to_string(&rules).unwrap(),
            std::fs::read_to_string(deploy(&format!("regions/{slug}.rules.toml"))).unwrap(),
            "{slug} runs the rules shipped in deploy/regions"
        );
        assert!(
            settings.database.url.contains(&format!("@{slug}-db-rw/")),
            "{slug} uses its own database cluster's primary"
        );
        database_cluster(&documents, slug, "passage-node");
    }
}

/// `owner`'s database, as CloudNativePG runs it (checked statically: no
/// Kubernetes or operator runs here): a Cluster `<owner>-db` of a primary and a
/// replica on different machines, kept on volumes, its database owned by the
/// Secret `<owner>-database` whose `url` names the primary's Service
/// `<owner>-db-rw`; every WAL segment archived through the Barman Cloud plugin to
/// the ObjectStore `<owner>-backups`, whose credentials Secret exists; a nightly
/// base backup; and a NetworkPolicy that lets in only `client` pods, the
/// cluster's own instances and the operator.
fn database_cluster(documents: &[(String, Value)], owner: &str, client: &str) {
    let name = format!("{owner}-db");
    let cluster = object(documents, "Cluster", &name);
    assert_eq!(
        cluster["apiVersion"].as_str(),
        Some("postgresql.cnpg.io/v1")
    );
    let spec = &cluster["spec"];
    assert!(
        spec["instances"].as_u64().unwrap_or(0) >= 2,
        "{name}: a primary and at least one replica"
    );
    assert_eq!(
        spec["affinity"]["podAntiAffinityType"].as_str(),
        Some("required"),
        "{name}: its instances on different machines"
    );
    assert!(
        spec["storage"]["size"].as_str().is_some(),
        "{name} keeps its data on a volume"
    );
    let initdb = &spec["bootstrap"]["initdb"];
    assert_eq!(initdb["database"].as_str(), Some("passage"));
    let owner_secret = format!("{owner}-database");
    assert_eq!(
        initdb["secret"]["name"].as_str(),
        Some(owner_secret.as_str())
    );
    let secret = object(documents, "Secret", &owner_secret);
    assert_eq!(secret["type"].as_str(), Some("kubernetes.io/basic-auth"));
    assert_eq!(
        secret["stringData"]["username"].as_str(),
        initdb["owner"].as_str()
    );
    assert!(
        text(&secret["stringData"]["url"]).contains(&format!("@{name}-rw/")),
        "{owner_secret}: the url names the primary's Service"
    );

    let plugins = spec["plugins"].as_sequence().unwrap();
    let archiver = plugins
        .iter()
        .find(|plugin| plugin["isWALArchiver"].as_bool() == Some(true))
        .unwrap_or_else(|| panic!("{name}: no WAL archiver"));
    assert_eq!(
        archiver["name"].as_str(),
        Some("barman-cloud.cloudnative-pg.io")
    );
    let store_name = text(&archiver["parameters"]["barmanObjectName"]);
    let store = object(documents, "ObjectStore", &store_name);
    let configuration = &store["spec"]["configuration"];
    assert!(text(&configuration["destinationPath"]).starts_with("s3://"));
    for key in ["accessKeyId", "secretAccessKey"] {
        let reference = &configuration["s3Credentials"][key];
        let keys = secret_files(documents, &text(&reference["name"]));
        assert!(
            keys.contains(&text(&reference["key"])),
            "{store_name}: {key} names a key of its Secret"
        );
    }
    assert!(store["spec"]["retentionPolicy"].as_str().is_some());

    let backups: Vec<&Value> = documents
        .iter()
        .map(|(_, doc)| doc)
        .filter(|doc| doc["kind"].as_str() == Some("ScheduledBackup"))
        .filter(|doc| doc["spec"]["cluster"]["name"].as_str() == Some(name.as_str()))
        .collect();
    assert_eq!(backups.len(), 1, "{name}: one scheduled base backup");
    assert_eq!(backups[0]["spec"]["method"].as_str(), Some("plugin"));
    assert_eq!(
        backups[0]["spec"]["pluginConfiguration"]["name"].as_str(),
        Some("barman-cloud.cloudnative-pg.io")
    );

    let policy = object(documents, "NetworkPolicy", &name);
    assert_eq!(
        policy["spec"]["podSelector"]["matchLabels"]["cnpg.io/cluster"].as_str(),
        Some(name.as_str()),
        "{name}: the policy covers the cluster's instances"
    );
    let admitted: Vec<String> = policy["spec"]["ingress"]
        .as_sequence()
        .unwrap()
        .iter()
        .flat_map(|rule| rule["from"].as_sequence().unwrap().clone())
        .map(|from| serde_yaml::to_string(&from).unwrap())
        .collect();
    assert!(
        admitted
            .iter()
            .any(|from| from.contains(&format!("app.kubernetes.io/name: {client}"))),
        "{name}: {client} may connect: {admitted:?}"
    );
    assert!(
        admitted
            .iter()
            .any(|from| from.contains("kubernetes.io/metadata.name: cnpg-system")),
        "{name}: the operator may reach its instances"
    );
}

/// What `docker build` sends from the repository never holds the demo's data or a
/// key or certificate made for a deployment.
#[test]
fn the_docker_build_context_leaves_data_and_keys_out() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let ignored = std::fs::read_to_string(root.join(".dockerignore")).unwrap();
    let patterns: Vec<&str> = ignored
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect();
    for needed in ["data/", "deploy/certs/", "**/*.key", "**/*.pem", "**/*.db"] {
        assert!(
            patterns.contains(&needed),
            ".dockerignore does not leave out {needed}"
        );
    }
    assert!(
        !patterns.iter().any(|p| p.starts_with('!')),
        ".dockerignore lets nothing back in"
    );
}
