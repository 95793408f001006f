//! `passage bench match`: one member matched against a region's published
//! opportunities with the full Amsterdam rule set, end to end — a node on SQLite
//! holding the opportunities, a gRPC client calling `MatchService.MatchOpportunities`
//! — and the latency of each call, p50 and p99, with the rule evaluations it took.
//! `--backend postgres` puts the node's database on PostgreSQL; `--processes` runs
//! the node as its own `passage node` process ([`super::servers`]).

use std::fmt;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use passage_node::rules::file;
use passage_node::settings::{DatabaseSettings, NodeSettings, RegionSettings, RulesSettings};
use passage_node::store::entity::{opportunity, organisation};
use passage_proto::v1::{self, match_service_client::MatchServiceClient};
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, TransactionTrait};
use uuid::Uuid;

use super::quantile;
use super::servers::{Place, Processes, Role, Setup, free_address, run_in_place};
use crate::demo::SHIPPED_RULES;

/// What to measure.
#[derive(Debug, Clone)]
pub struct MatchBench {
    /// Published opportunities in the region.
    pub opportunities: usize,
    /// Calls timed (after a few to warm up).
    pub calls: usize,
    /// The node's database and process.
    pub setup: Setup,
}

/// What was measured, and with which settings; prints itself as the command's
/// report.
#[derive(Debug, Clone)]
pub struct MatchFigures {
    pub bench: MatchBench,
    pub rules: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub calls: usize,
    /// Decisions (opportunity × rule in force) each call stands for, per second.
    pub decisions_per_second: f64,
    /// CEL evaluations actually run, per second, measured in-process.
    pub evaluations_per_second: f64,
    pub evaluations_per_call: f64,
    /// Rule evaluations per second when every rule is evaluated for every pair.
    pub unmemoised_evaluations_per_second: f64,
    pub eligible: i32,
    /// The node's matching catalogue in memory (it is held whole, by design).
    pub catalogue_bytes: usize,
}

impl fmt::Display for MatchFigures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "passage bench match (one member against {} published \
             opportunities, Amsterdam's {} rules in force, {} node, gRPC, {})",
            self.bench.opportunities,
            self.rules,
            self.bench.setup.backend_name(),
            self.bench.setup.processes_name()
        )?;
        writeln!(
            f,
            "  latency: p50 {:.1} ms, p99 {:.1} ms ({} calls; {} opportunities eligible for the last)",
            self.p50_ms, self.p99_ms, self.calls, self.eligible
        )?;
        writeln!(
            f,
            "  rule evaluations: {:.0} CEL evaluations/s run, {:.0} per match \
             (rules are decided once per member and per kind of opportunity)",
            self.evaluations_per_second, self.evaluations_per_call
        )?;
        writeln!(
            f,
            "  rule evaluations without the memo: {:.0}/s (every rule in force, for each \
             member and opportunity pair)",
            self.unmemoised_evaluations_per_second
        )?;
        writeln!(
            f,
            "  decisions: {:.0} (opportunity × rule) decisions/s covered by a match",
            self.decisions_per_second
        )?;
        let mib = |bytes: f64| bytes / (1024.0 * 1024.0);
        writeln!(
            f,
            "  catalogue in memory: {:.1} MiB, {:.1} MiB per 100,000 opportunities",
            mib(self.catalogue_bytes as f64),
            mib(self.catalogue_bytes as f64 * 100_000.0 / self.bench.opportunities.max(1) as f64)
        )
    }
}

const SECTORS: &[&str] = &[
    "construction",
    "healthcare",
    "hospitality",
    "logistics",
    "education",
    "ict",
    "retail",
    "engineering",
    "cleaning",
    "agriculture",
    "manufacturing",
    "care",
    "finance",
    "culture",
    "public-sector",
];
const SKILLS: &[&str] = &[
    "welding",
    "metalwork",
    "driving",
    "forklift",
    "cooking",
    "baking",
    "nursing",
    "patient care",
    "teaching",
    "python",
    "java",
    "excel",
    "accounting",
    "sales",
    "customer service",
    "carpentry",
    "plumbing",
    "electrical",
    "painting",
    "cleaning",
    "gardening",
    "translation",
    "interpreting",
    "tailoring",
    "hairdressing",
    "childcare",
    "elderly care",
    "warehouse",
    "inventory",
    "autocad",
    "structural calculations",
    "project management",
    "marketing",
    "photography",
    "graphic design",
    "web design",
    "bookkeeping",
    "first aid",
    "barista",
    "waiting tables",
    "security",
    "logistics planning",
];
const LANGUAGES: &[&str] = &["nl", "en", "ar", "fa", "ti", "uk", "tr", "fr", "es", "de"];
const KINDS: &[&str] = &[
    "job",
    "internship",
    "taster_internship",
    "volunteer",
    "learn_work",
    "project",
];
const ORGANISATION_KINDS: &[&str] = &["employer", "ngo", "municipality", "education"];

/// A small deterministic generator, so every run measures the same catalogue.
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
}

/// Runs the benchmark and returns its figures.
pub async fn run(bench: &MatchBench) -> anyhow::Result<MatchFigures> {
    let mut place = Place::new(&bench.setup, "match")?;
    let url = match place.database("amsterdam").await {
        Ok(url) => url,
        Err(error) => return place.clean_up(Err(error)).await,
    };
    let dir = place.dir.clone();
    run_in_place(place, run_in(bench, &dir, url)).await
}

async fn run_in(
    bench: &MatchBench,
    dir: &std::path::Path,
    url: String,
) -> anyhow::Result<MatchFigures> {
    let (_, amsterdam) = SHIPPED_RULES
        .iter()
        .find(|(region, _)| *region == "amsterdam")
        .context("Amsterdam's rules ship with passage")?;
    let rules_file = dir.join("amsterdam.rules.toml");
    std::fs::write(&rules_file, amsterdam)?;
    let db = passage_node::store::connect(&url, 4).await?;
    eprintln!(
        "bench match: publishing {} opportunities in amsterdam",
        bench.opportunities
    );
    fill_market(&db, bench.opportunities).await?;

    let admin = crate::credentials::SealedChapterAdmin::new(
        "amsterdam",
        &dir.join("amsterdam.caller.key"),
    )?;
    let mut node = if bench.setup.processes {
        let address = free_address()?;
        db.close().await?;
        let mut processes = Processes::new(dir)?;
        processes.write_settings(
            "amsterdam",
            &serde_json::json!({
                "region": {"slug": "amsterdam", "name": "Amsterdam", "country": "NL"},
                "server": {"listen": address.to_string()},
                "database": {"url": url, "max_connections": 4},
                "rules": {"file": rules_file},
                "auth": {"gateway_key_file": dir.join("amsterdam.caller.key")},
            }),
        )?;
        processes.start("amsterdam", Role::Node)?;
        let endpoint = tonic::transport::Endpoint::from_shared(format!("http://{address}"))?;
        processes
            .wait_serving("amsterdam", endpoint, Duration::from_secs(60))
            .await?;
        Node::Process(processes, address)
    } else {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let address = listener.local_addr()?;
        let settings = NodeSettings {
            region: RegionSettings {
                slug: "amsterdam".into(),
                name: "Amsterdam".into(),
                country: "NL".into(),
            },
            server: passage_node::settings::ServerSettings {
                listen: address,
                metrics_listen: None,
            },
            database: DatabaseSettings {
                url: url.clone(),
                max_connections: 4,
            },
            gateway: None,
            rules: Some(RulesSettings {
                file: rules_file.clone(),
            }),
            review: Default::default(),
            limits: Default::default(),
            auth: passage_node::settings::AuthSettings {
                gateway_key_file: dir.join("amsterdam.caller.key"),
            },
            mail: Default::default(),
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(passage_node::serve(settings, db, listener, async {
            let _ = stopped.await;
        }));
        Node::Task(stop, task, address)
    };
    let address = match &node {
        Node::Process(_, address) | Node::Task(_, _, address) => *address,
    };
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{address}"))?
        .tcp_nodelay(true)
        .connect_timeout(Duration::from_secs(5));
    let channel = loop {
        match channel.connect().await {
            Ok(channel) => break channel,
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    };

    // An asylum seeker eight months into the procedure, a status holder in civic
    // integration and a Ukrainian under temporary protection: different rules fire.
    let mut members =
        passage_proto::v1::member_service_client::MemberServiceClient::new(channel.clone());
    let mut ids = Vec::new();
    for (name, status, civic) in [
        (
            "Yusuf Rahimi",
            v1::ResidenceStatus::AsylumSeeker,
            v1::CivicIntegration::None,
        ),
        (
            "Amira Haddad",
            v1::ResidenceStatus::StatusHolder,
            v1::CivicIntegration::InProgress,
        ),
        (
            "Olena Kovalenko",
            v1::ResidenceStatus::TemporaryProtection,
            v1::CivicIntegration::Exempt,
        ),
    ] {
        let member = members
            .create_member(admin.request(
                "/passage.v1.MemberService/CreateMember",
                v1::CreateMemberRequest {
                    member: Some(v1::Member {
                        profile: Some(v1::SharedProfile {
                            display_name: name.into(),
                            profession: "welder".into(),
                            sectors: vec!["construction".into(), "manufacturing".into()],
                            skills: vec!["welding".into(), "metalwork".into(), "autocad".into()],
                            languages: vec!["en".into(), "nl".into(), "ar".into()],
                            available_hours_per_week: 32,
                            ..Default::default()
                        }),
                        regional: Some(v1::RegionalRecord {
                            role: v1::MemberRole::Newcomer as i32,
                            residence_status: status as i32,
                            asylum_application_date: "2026-03-10".into(),
                            civic_integration: civic as i32,
                            nationality: "UA".into(),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }),
                },
            ))
            .await?
            .into_inner();
        ids.push(member.id);
    }

    // The same decisions, in-process, to count the CEL evaluations they take.
    let rules = file::load(&rules_file)?;
    let today = Utc::now().date_naive();
    let in_force = rules.rules.iter().filter(|r| r.in_force(today)).count();

    let mut client = MatchServiceClient::new(channel);
    let mut latencies = Vec::with_capacity(bench.calls);
    let mut eligible = 0;
    for call in 0..bench.calls + 10 {
        let member_id = ids[call % ids.len()].clone();
        let started = Instant::now();
        let found = client
            .match_opportunities(admin.request(
                "/passage.v1.MatchService/MatchOpportunities",
                v1::MatchOpportunitiesRequest {
                    member_id,
                    page_size: 20,
                    date: String::new(),
                },
            ))
            .await?
            .into_inner();
        let elapsed = started.elapsed().as_secs_f64() * 1000.0;
        if found.considered as usize != bench.opportunities {
            anyhow::bail!(
                "the node considered {} opportunities, not {}",
                found.considered,
                bench.opportunities
            );
        }
        eligible = found.eligible;
        if call >= 10 {
            latencies.push(elapsed);
        }
    }
    match &mut node {
        Node::Process(processes, _) => processes.stop_all(&[]).await?,
        Node::Task(..) => {}
    }
    if let Node::Task(stop, task, _) = node {
        let _ = stop.send(());
        task.await??;
    }

    let evaluations = count_evaluations(&url, &rules, today).await?;
    let mean_ms = latencies.iter().sum::<f64>() / latencies.len().max(1) as f64;
    Ok(MatchFigures {
        bench: bench.clone(),
        rules: in_force,
        p50_ms: quantile(&mut latencies, 0.50),
        p99_ms: quantile(&mut latencies, 0.99),
        calls: bench.calls,
        decisions_per_second: (bench.opportunities * in_force) as f64 / (mean_ms / 1000.0),
        evaluations_per_second: evaluations.0,
        evaluations_per_call: evaluations.1,
        unmemoised_evaluations_per_second: evaluations.2,
        eligible,
        catalogue_bytes: evaluations.3,
    })
}

/// The node under measurement: a task of this process, or a child process.
enum Node {
    Task(
        tokio::sync::oneshot::Sender<()>,
        tokio::task::JoinHandle<passage_node::Result<()>>,
        std::net::SocketAddr,
    ),
    Process(Processes, std::net::SocketAddr),
}

/// CEL evaluations per second and per match, for the three members, in-process;
/// and rule evaluations per second without the memo.
async fn count_evaluations(
    url: &str,
    rules: &passage_node::rules::RuleSet,
    today: chrono::NaiveDate,
) -> anyhow::Result<(f64, f64, f64, usize)> {
    let db = passage_node::store::connect(url, 1).await?;
    let catalogue = passage_node::matching::Catalogue::load(&db).await?;
    let members = passage_node::store::entity::member::Entity::find()
        .all(&db)
        .await?;
    let listing = catalogue.read();
    let started = Instant::now();
    let mut evaluations = 0;
    for member in &members {
        let facts = passage_node::rules::MemberFacts::from_row(member);
        let found = passage_node::matching::opportunities_for(rules, &listing, &facts, today, 20)?;
        evaluations += found.evaluations;
    }
    let seconds = started.elapsed().as_secs_f64().max(1e-9);
    let per_match = evaluations as f64 / members.len().max(1) as f64;
    // Without the memo: every rule in force, evaluated for each (member,
    // opportunity) pair of a sample.
    let sample: Vec<_> = listing
        .opportunities
        .iter()
        .take(2_000)
        .map(|listed| listing.facts.facts(&listed.facts))
        .collect();
    let in_force = rules.rules.iter().filter(|r| r.in_force(today)).count();
    let started = Instant::now();
    let mut pairs = 0;
    for member in &members {
        let facts = passage_node::rules::MemberFacts::from_row(member);
        for opportunity in &sample {
            rules.evaluate(&facts, opportunity, today)?;
            pairs += 1;
        }
    }
    let full_seconds = started.elapsed().as_secs_f64().max(1e-9);
    Ok((
        evaluations as f64 / seconds,
        per_match,
        (pairs * in_force) as f64 / full_seconds,
        listing.approximate_bytes(),
    ))
}

/// Organisations of every kind and `count` published opportunities, written
/// straight to the node's database in a few transactions.
async fn fill_market(db: &sea_orm::DatabaseConnection, count: usize) -> anyhow::Result<()> {
    let mut dice = Dice(0x9E37_79B9_7F4A_7C15);
    let now = Utc::now();
    let organisations: Vec<organisation::Model> = (0..400)
        .map(|n| organisation::Model {
            id: Uuid::now_v7(),
            name: format!("Organisation {n}"),
            kind: ORGANISATION_KINDS[n % ORGANISATION_KINDS.len()].into(),
            sector: dice.pick(SECTORS).into(),
            location: "Amsterdam".into(),
            website: String::new(),
            headcount: 0,
            created_at: now,
            updated_at: now,
            external_id: None,
        })
        .collect();
    let txn = db.begin().await?;
    for organisation in &organisations {
        organisation
            .clone()
            .into_active_model()
            .insert(&txn)
            .await?;
    }
    txn.commit().await?;
    let wages = [
        0_i64, 1_471, 1_500, 1_550, 1_600, 1_750, 1_900, 2_200, 2_500,
    ];
    let mut made = 0;
    while made < count {
        let txn = db.begin().await?;
        let chunk: Vec<opportunity::ActiveModel> = (made..(made + 500).min(count))
            .map(|_| {
                let organisation = &organisations[(dice.next() % 400) as usize];
                let kind = dice.pick(KINDS);
                let paid = matches!(kind, "job" | "learn_work") || dice.next().is_multiple_of(3);
                let skills: Vec<String> = (0..1 + dice.next() % 4)
                    .map(|_| dice.pick(SKILLS).to_owned())
                    .collect();
                let languages: Vec<String> = (0..1 + dice.next() % 2)
                    .map(|_| dice.pick(LANGUAGES).to_owned())
                    .collect();
                opportunity::Model {
                    id: Uuid::now_v7(),
                    organisation_id: organisation.id,
                    title: format!("{kind} in {}", organisation.sector),
                    description: String::new(),
                    kind: kind.into(),
                    sector: dice.pick(SECTORS).into(),
                    skills: passage_node::convert::json_strings(&skills),
                    languages: passage_node::convert::json_strings(&languages),
                    hours_per_week: 4 + (dice.next() % 9) as i32 * 4,
                    paid,
                    location: "Amsterdam".into(),
                    status: "published".into(),
                    self_employment: kind == "project" && dice.next().is_multiple_of(4),
                    hourly_wage_cents: if paid {
                        wages[1 + (dice.next() % (wages.len() as u64 - 1)) as usize]
                    } else {
                        0
                    },
                    created_at: now,
                    updated_at: now,
                    external_id: None,
                }
                .into_active_model()
            })
            .collect();
        made += chunk.len();
        for rows in chunk.chunks(100) {
            opportunity::Entity::insert_many(rows.to_vec())
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_figures_print_as_the_readme_shows_them() {
        let figures = MatchFigures {
            bench: MatchBench {
                opportunities: 100_000,
                calls: 300,
                setup: Setup::default(),
            },
            rules: 15,
            p50_ms: 8.2,
            p99_ms: 9.1,
            calls: 300,
            decisions_per_second: 183_223_182.0,
            evaluations_per_second: 43_810.0,
            evaluations_per_call: 283.0,
            unmemoised_evaluations_per_second: 741_244.0,
            eligible: 95_850,
            catalogue_bytes: 12 * 1024 * 1024,
        };
        assert_eq!(
            figures.to_string(),
            "passage bench match (one member against 100000 published opportunities, \
             Amsterdam's 15 rules in force, SQLite node, gRPC, one process)\n  \
             latency: p50 8.2 ms, p99 9.1 ms (300 calls; 95850 opportunities eligible for the last)\n  \
             rule evaluations: 43810 CEL evaluations/s run, 283 per match (rules are decided \
             once per member and per kind of opportunity)\n  \
             rule evaluations without the memo: 741244/s (every rule in force, for each member \
             and opportunity pair)\n  \
             decisions: 183223182 (opportunity × rule) decisions/s covered by a match\n  \
             catalogue in memory: 12.0 MiB, 12.0 MiB per 100,000 opportunities\n"
        );
    }
}
