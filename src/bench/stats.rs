//! `passage bench stats`: the central statistics across many regions. Starts
//! `regions` real nodes (each on its own SQLite file, with `members` members,
//! opportunities, reviews, buddy pairs and placements written straight into its
//! database, then its kept figures counted from them as the migration counts a
//! database that has rows) and a gateway routing to all of them, then times
//! `GlobalStatsService.GetGlobalStats` through the gateway: every region asked at
//! once, every table suppressed, every region reading its kept figures afresh.
//! `--backend postgres` gives each node (and the gateway) a database of its own on
//! PostgreSQL, with at most 80 connections in all (the server's default limit is
//! 100): a node's pool is 80 / regions, between 1 and 4. `--processes` runs each
//! as its own process ([`super::servers`]).

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, Utc};
use passage_node::NodeSettings;
use passage_node::store::entity::{
    buddy_pair, member, opportunity, opportunity_review, opportunity_review_round, organisation,
    placement,
};
use passage_proto::v1::{self, global_stats_service_client::GlobalStatsServiceClient};
use sea_orm::{DatabaseConnection, EntityTrait, IntoActiveModel};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use uuid::Uuid;

use super::quantile;
use super::servers::{Backend, Place, Processes, Role, Setup, free_address, with_databases};

/// What to measure.
#[derive(Debug, Clone)]
pub struct StatsBench {
    pub regions: usize,
    /// Members in each region.
    pub members: usize,
    /// Calls timed (after a few to warm up).
    pub calls: usize,
    /// The servers' database and processes.
    pub setup: Setup,
}

/// What was measured, and with which settings; prints itself as the command's
/// report.
#[derive(Debug, Clone)]
pub struct StatsFigures {
    pub bench: StatsBench,
    /// The first call after the regions started.
    pub first_call_ms: f64,
    pub startup_seconds: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub calls: usize,
    /// Published tables in each answer.
    pub tables: usize,
    /// Regions that answered in the call that had the fewest.
    pub regions_answered: usize,
    pub calls_with_a_region_missing: usize,
    /// The size of an answer, encoded.
    pub answer_bytes: usize,
}

impl fmt::Display for StatsFigures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let StatsBench {
            regions,
            members,
            setup,
            ..
        } = &self.bench;
        writeln!(
            f,
            "passage bench stats ({regions} regions, each a node on {} with {members} \
             members; one gateway asking every region at once; {})",
            setup.backend_name(),
            setup.processes_name()
        )?;
        writeln!(f, "  start-up: {:.1} s", self.startup_seconds)?;
        writeln!(f, "  first call: {:.1} ms", self.first_call_ms)?;
        writeln!(
            f,
            "  GetGlobalStats: p50 {:.1} ms, p99 {:.1} ms ({} calls, {} tables each, {} KiB; \
             every region reads the figures it keeps as it writes, nothing kept between calls)",
            self.p50_ms,
            self.p99_ms,
            self.calls,
            self.tables,
            self.answer_bytes / 1024
        )?;
        writeln!(
            f,
            "  regions answered: {} of {regions} in every call ({} calls with a region missing)",
            self.regions_answered, self.calls_with_a_region_missing
        )
    }
}

const ROLES: &[&str] = &[
    "newcomer",
    "newcomer",
    "newcomer",
    "local",
    "volunteer_coach",
];
const STATUSES: &[&str] = &[
    "asylum_seeker",
    "status_holder",
    "status_holder",
    "temporary_protection",
    "tolerated",
    "citizen_or_resident",
    "other",
];
const CIVIC: &[&str] = &["none", "in_progress", "completed", "exempt", "unspecified"];
const KINDS: &[&str] = &[
    "job",
    "internship",
    "taster_internship",
    "volunteer",
    "learn_work",
    "project",
];
const OPPORTUNITY_STATUSES: &[&str] = &["draft", "in_review", "published", "filled", "closed"];
const VERDICTS: &[&str] = &["approve", "approve", "request_changes", "reject"];
const PAIR_STATUSES: &[&str] = &["proposed", "active", "active", "declined", "ended"];
const PLACEMENT_KINDS: &[&str] = &["paid_job", "paid_job", "internship", "volunteering"];

/// A small deterministic generator, so every run measures the same regions.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[(self.next() % from.len() as u64) as usize]
    }

    /// A time within the last `days` days.
    fn recent(&mut self, now: DateTime<Utc>, days: u64) -> DateTime<Utc> {
        now - chrono::Duration::seconds((self.next() % (days * 86_400)) as i64)
    }
}

struct Node {
    stop: oneshot::Sender<()>,
    task: JoinHandle<passage_node::Result<()>>,
}

fn slug(index: usize) -> String {
    format!("region-{index:02}")
}

/// Runs the benchmark and returns its figures.
pub async fn run(bench: &StatsBench) -> anyhow::Result<StatsFigures> {
    let started = Instant::now();
    let place = Place::new(&bench.setup, "stats")?;
    let servers = std::iter::once("gateway".to_owned()).chain((0..bench.regions).map(slug));
    with_databases(place, servers, async |dir, urls| {
        run_in(bench, &dir, &urls, started).await
    })
    .await
}

async fn run_in(
    bench: &StatsBench,
    dir: &std::path::Path,
    urls: &BTreeMap<String, String>,
    started: Instant,
) -> anyhow::Result<StatsFigures> {
    let localhost = SocketAddr::from(([127, 0, 0, 1], 0));
    let keys = crate::certs::CertDir(dir.join("keys"));
    std::fs::create_dir_all(&keys.0)?;
    crate::certs::ensure_caller_key(&keys)?;
    let pool = match bench.setup.backend {
        Backend::Sqlite => 4,
        Backend::Postgres => (80 / bench.regions.max(1)).clamp(1, 4) as u32,
    };
    let mut processes = if bench.setup.processes {
        Some(Processes::new(dir)?)
    } else {
        None
    };
    // Regions are seeded and started a few at a time: SQLite files, migrations and
    // seeding are disk-bound.
    let mut nodes = Vec::new();
    let mut endpoints = Vec::new();
    let mut preparing = tokio::task::JoinSet::new();
    for index in 0..bench.regions {
        let slug = slug(index);
        let url = urls
            .get(&slug)
            .context("every region has a database")?
            .clone();
        let members = bench.members;
        preparing.spawn(async move {
            let db = passage_node::store::connect(&url, pool).await?;
            seed(&db, members, index as u64 + 1).await?;
            // Written straight into the tables, the rows are counted as the
            // migration counts a database that has them.
            let approvals = passage_node::review_policy::ReviewPolicy::default();
            passage_node::service::count_again(&db, approvals.approvals_to_publish).await?;
            anyhow::Ok((slug, url, db))
        });
        if preparing.len() >= 4 {
            let (slug, url, db) = preparing.join_next().await.context("seeding")???;
            let server = Server { slug, url, pool };
            let node = start_node(server, db, &keys, &mut endpoints, processes.as_mut()).await?;
            nodes.extend(node);
        }
    }
    while let Some(prepared) = preparing.join_next().await {
        let (slug, url, db) = prepared??;
        let server = Server { slug, url, pool };
        let node = start_node(server, db, &keys, &mut endpoints, processes.as_mut()).await?;
        nodes.extend(node);
    }
    endpoints.sort();

    let gateway_url = urls.get("gateway").context("the gateway has a database")?;
    let (gateway_listener, gateway_address) = match &processes {
        Some(_) => (None, free_address()?),
        None => {
            let listener = TcpListener::bind(localhost).await?;
            let address = listener.local_addr()?;
            (Some(listener), address)
        }
    };
    // Built from the settings' own keys, as a settings file would give them, so
    // every section left out takes its defaults.
    let regions: Vec<serde_json::Value> = endpoints
        .iter()
        .map(|(slug, endpoint)| serde_json::json!({"slug": slug, "name": slug, "endpoint": endpoint}))
        .collect();
    let settings = serde_json::json!({
        "server": {"listen": gateway_address.to_string()},
        "database": {"url": gateway_url, "max_connections": 4},
        "regions": regions,
        "federation": {"insecure": true},
        "auth": {"caller_key_file": keys.caller_key()},
    });
    let slugs: Vec<String> = endpoints.iter().map(|(slug, _)| slug.clone()).collect();
    crate::federation::give_demo_tokens(gateway_url, &slugs).await?;
    let endpoint = tonic::transport::Endpoint::from_shared(format!("http://{gateway_address}"))?;
    let mut gateway = None;
    match (processes.as_mut(), gateway_listener) {
        (Some(processes), _) => {
            processes.write_settings("gateway", &settings)?;
            processes.start("gateway", Role::Gateway)?;
            processes
                .wait_serving("gateway", endpoint.clone(), Duration::from_secs(30))
                .await?;
        }
        (None, Some(listener)) => {
            let settings: passage_gateway::GatewaySettings = serde_json::from_value(settings)?;
            let (stop_gateway, gateway_stopped) = oneshot::channel::<()>();
            let task = tokio::spawn(passage_gateway::run_with_metrics(
                settings,
                listener,
                None,
                async {
                    let _ = gateway_stopped.await;
                },
            ));
            gateway = Some((stop_gateway, task));
            let deadline = Instant::now() + Duration::from_secs(30);
            while !crate::federation::is_serving(endpoint.clone()).await {
                anyhow::ensure!(Instant::now() < deadline, "the gateway did not start");
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
        }
        (None, None) => anyhow::bail!("the gateway has no listener"),
    }
    // Started means serving the statistics: the gateway has opened its channel
    // to every region.
    let channel = endpoint.connect().await?;
    let deadline = Instant::now() + Duration::from_secs(30);
    let service = v1::global_stats_service_server::SERVICE_NAME;
    while !crate::federation::service_is_serving(channel.clone(), service).await {
        anyhow::ensure!(
            Instant::now() < deadline,
            "the gateway did not reach its regions"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let startup_seconds = started.elapsed().as_secs_f64();

    let mut client = GlobalStatsServiceClient::new(channel);
    let request = v1::GetGlobalStatsRequest::default();
    let ask = || crate::credentials::as_analyst(request.clone());
    // Every call, the first one included, has each region read the figures it
    // keeps as it writes: nothing is kept between calls.
    let began = Instant::now();
    client.get_global_stats(ask()?).await?;
    let first_call_ms = began.elapsed().as_secs_f64() * 1000.0;
    for _ in 0..4 {
        client.get_global_stats(ask()?).await?;
    }
    let mut latencies = Vec::with_capacity(bench.calls);
    let mut fewest_answered = usize::MAX;
    let mut calls_with_a_region_missing = 0;
    let mut tables = 0;
    let mut answer_bytes = 0;
    for _ in 0..bench.calls {
        let began = Instant::now();
        let stats = client.get_global_stats(ask()?).await?.into_inner();
        latencies.push(began.elapsed().as_secs_f64() * 1000.0);
        let answered = stats.regions.iter().filter(|r| r.answered).count();
        fewest_answered = fewest_answered.min(answered);
        if answered < bench.regions {
            calls_with_a_region_missing += 1;
        }
        tables = stats.tables.len();
        answer_bytes = prost::Message::encoded_len(&stats);
    }

    if let Some((stop_gateway, task)) = gateway {
        let _ = stop_gateway.send(());
        task.await??;
    }
    for node in nodes {
        let _ = node.stop.send(());
        node.task.await??;
    }
    if let Some(processes) = processes.as_mut() {
        processes.stop_all(&["gateway"]).await?;
    }
    Ok(StatsFigures {
        bench: bench.clone(),
        startup_seconds,
        first_call_ms,
        p50_ms: quantile(&mut latencies, 0.5),
        p99_ms: quantile(&mut latencies, 0.99),
        calls: bench.calls,
        tables,
        regions_answered: fewest_answered,
        calls_with_a_region_missing,
        answer_bytes,
    })
}

/// A region's node to start: its slug, database and pool size.
struct Server {
    slug: String,
    url: String,
    pool: u32,
}

/// Starts a region's node, in this process (returned) or as a child of `processes`.
async fn start_node(
    server: Server,
    db: DatabaseConnection,
    keys: &crate::certs::CertDir,
    endpoints: &mut Vec<(String, String)>,
    processes: Option<&mut Processes>,
) -> anyhow::Result<Option<Node>> {
    let Server { slug, url, pool } = server;
    let key_file = crate::certs::issue_region_caller_key(keys, &slug)?;
    let listener = match processes {
        Some(_) => None,
        None => Some(TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?),
    };
    let address = match &listener {
        Some(listener) => listener.local_addr()?,
        None => free_address()?,
    };
    endpoints.push((slug.clone(), format!("http://{address}")));
    let settings = serde_json::json!({
        "region": {"slug": slug, "name": slug, "country": "NL"},
        "server": {"listen": address.to_string()},
        "database": {"url": url, "max_connections": pool},
        "auth": {"gateway_key_file": key_file},
    });
    match (processes, listener) {
        (Some(processes), _) => {
            db.close().await?;
            processes.write_settings(&slug, &settings)?;
            processes.start(&slug, Role::Node)?;
            let endpoint = tonic::transport::Endpoint::from_shared(format!("http://{address}"))?;
            processes
                .wait_serving(&slug, endpoint, Duration::from_secs(30))
                .await?;
            Ok(None)
        }
        (None, Some(listener)) => {
            let settings: NodeSettings = serde_json::from_value(settings)?;
            let (stop, stopped) = oneshot::channel::<()>();
            let task = tokio::spawn(passage_node::serve(settings, db, listener, async {
                let _ = stopped.await;
            }));
            Ok(Some(Node { stop, task }))
        }
        (None, None) => anyhow::bail!("region {slug} has no listener"),
    }
}

/// Writes a region's members (joined over the last year), an organisation's
/// opportunities, their reviews and buddy pairs straight into its database.
async fn seed(db: &DatabaseConnection, members: usize, seed: u64) -> anyhow::Result<()> {
    let mut dice = Dice(0x9E37_79B9_7F4A_7C15 ^ seed.wrapping_mul(0x2545_F491_4F6C_DD1D));
    let now = Utc::now();
    let rows: Vec<member::Model> = (0..members)
        .map(|index| {
            let created = dice.recent(now, 365);
            member::Model {
                id: Uuid::now_v7(),
                display_name: format!("Member {index}"),
                home_region: String::new(),
                profession: "nurse".into(),
                sectors: serde_json::json!(["healthcare"]),
                skills: serde_json::json!([]),
                languages: serde_json::json!(["en"]),
                education_level: "secondary".into(),
                experience_years: 3,
                available_hours_per_week: 24,
                share_across_regions: false,
                role: dice.pick(ROLES).into(),
                residence_status: dice.pick(STATUSES).into(),
                asylum_application_date: None,
                permits: serde_json::json!([]),
                civic_integration: dice.pick(CIVIC).into(),
                nationality: String::new(),
                safe_country_national: false,
                in_reception_centre: false,
                asylum_clock_stopped_days: 0,
                buddy_capacity: 0,
                in_school_programme: false,
                identity_unclear: false,
                profile_stamps: "{}".into(),
                created_at: created,
                updated_at: created,
                external_id: None,
            }
        })
        .collect();
    let ids: Vec<Uuid> = rows.iter().map(|m| m.id).collect();
    for chunk in rows.chunks(500) {
        member::Entity::insert_many(
            chunk
                .iter()
                .cloned()
                .map(IntoActiveModel::into_active_model),
        )
        .exec(db)
        .await?;
    }
    let organisation_id = Uuid::now_v7();
    organisation::Entity::insert(
        organisation::Model {
            id: organisation_id,
            name: "Bench employer".into(),
            kind: "employer".into(),
            sector: "healthcare".into(),
            location: String::new(),
            website: String::new(),
            headcount: 0,
            created_at: now,
            updated_at: now,
            external_id: None,
        }
        .into_active_model(),
    )
    .exec(db)
    .await?;
    let opportunities: Vec<opportunity::Model> = (0..members / 5)
        .map(|index| {
            let created = dice.recent(now, 365);
            opportunity::Model {
                id: Uuid::now_v7(),
                organisation_id,
                title: format!("Opportunity {index}"),
                description: String::new(),
                kind: dice.pick(KINDS).into(),
                sector: "healthcare".into(),
                skills: serde_json::json!([]),
                languages: serde_json::json!(["en"]),
                hours_per_week: 24,
                paid: true,
                location: String::new(),
                status: dice.pick(OPPORTUNITY_STATUSES).into(),
                self_employment: false,
                hourly_wage_cents: 0,
                created_at: created,
                updated_at: created,
                external_id: None,
            }
        })
        .collect();
    let mut rounds = Vec::new();
    let mut reviews = Vec::new();
    for opportunity in &opportunities {
        let submitted = opportunity.created_at + chrono::Duration::hours(1);
        rounds.push(opportunity_review_round::Model {
            opportunity_id: opportunity.id,
            round: 1,
            submitted_at: submitted,
        });
        let first_reviewer = dice.next() as usize;
        for n in 0..3u64 {
            reviews.push(opportunity_review::Model {
                id: Uuid::now_v7(),
                opportunity_id: opportunity.id,
                reviewer_member_id: ids[(first_reviewer + n as usize) % ids.len()],
                verdict: dice.pick(VERDICTS).into(),
                comment: String::new(),
                round: 1,
                created_at: submitted + chrono::Duration::hours((n * 7 + dice.next() % 48) as i64),
                external_id: None,
            });
        }
    }
    let pairs: Vec<buddy_pair::Model> = (0..members / 10)
        .map(|index| buddy_pair::Model {
            id: Uuid::now_v7(),
            newcomer_member_id: ids[index * 2],
            local_member_id: ids[index * 2 + 1],
            status: dice.pick(PAIR_STATUSES).into(),
            reasons: serde_json::json!(["shared language: en"]),
            end_reason: String::new(),
            created_at: now,
            updated_at: now,
            external_id: None,
        })
        .collect();
    for chunk in opportunities.chunks(500) {
        opportunity::Entity::insert_many(
            chunk
                .iter()
                .cloned()
                .map(IntoActiveModel::into_active_model),
        )
        .exec(db)
        .await?;
    }
    for chunk in rounds.chunks(500) {
        opportunity_review_round::Entity::insert_many(
            chunk
                .iter()
                .cloned()
                .map(IntoActiveModel::into_active_model),
        )
        .exec(db)
        .await?;
    }
    for chunk in reviews.chunks(500) {
        opportunity_review::Entity::insert_many(
            chunk
                .iter()
                .cloned()
                .map(IntoActiveModel::into_active_model),
        )
        .exec(db)
        .await?;
    }
    // A placement for one member in ten, started over the last year and a half,
    // half of them ended since.
    let placements: Vec<placement::Model> = (0..members / 10)
        .map(|index| {
            let start = (now - chrono::Duration::days((dice.next() % 540) as i64)).date_naive();
            let lasted = (now.date_naive() - start).num_days().max(0) as u64;
            let end = dice
                .next()
                .is_multiple_of(2)
                .then(|| start + chrono::Days::new(dice.next() % (lasted + 1)));
            placement::Model {
                id: Uuid::now_v7(),
                application_id: Uuid::now_v7(),
                member_id: ids[index * 3 % ids.len()],
                opportunity_id: opportunities[index % opportunities.len().max(1)].id,
                organisation_id,
                kind: dice.pick(PLACEMENT_KINDS).into(),
                start_date: start,
                end_date: end,
                end_reason: if end.is_some() {
                    "completed".into()
                } else {
                    String::new()
                },
                end_note: String::new(),
                created_at: now,
                updated_at: now,
                external_id: None,
            }
        })
        .collect();
    for chunk in placements.chunks(500) {
        placement::Entity::insert_many(
            chunk
                .iter()
                .cloned()
                .map(IntoActiveModel::into_active_model),
        )
        .exec(db)
        .await?;
    }
    for chunk in pairs.chunks(500) {
        buddy_pair::Entity::insert_many(
            chunk
                .iter()
                .cloned()
                .map(IntoActiveModel::into_active_model),
        )
        .exec(db)
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_figures_print_as_the_readme_shows_them() {
        let figures = StatsFigures {
            bench: StatsBench {
                regions: 50,
                members: 300,
                calls: 200,
                setup: Setup::default(),
            },
            first_call_ms: 181.9,
            startup_seconds: 2.6,
            p50_ms: 16.0,
            p99_ms: 21.5,
            calls: 200,
            tables: 59,
            regions_answered: 50,
            calls_with_a_region_missing: 0,
            answer_bytes: 1_234_567,
        };
        assert_eq!(
            figures.to_string(),
            "passage bench stats (50 regions, each a node on SQLite with 300 members; one \
             gateway asking every region at once; one process)\n  \
             start-up: 2.6 s\n  \
             first call: 181.9 ms\n  \
             GetGlobalStats: p50 16.0 ms, p99 21.5 ms (200 calls, 59 tables each, 1205 KiB; \
             every region reads the figures it keeps as it writes, nothing kept between calls)\n  \
             regions answered: 50 of 50 in every call (0 calls with a region missing)\n"
        );
    }
}
