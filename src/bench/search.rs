//! `passage bench search`: a chapter admin searching a region of `members` members
//! (30,000 by default, Refugee Start Force's size) through the gateway over TLS,
//! as the console does — `MemberService.SearchMembers`, a first page of 20 —
//! closed loop: each of `concurrency` clients sends its next query when the
//! answer to the last one is in. The members are written straight into the
//! node's SQLite database with their search index entries, as the node writes
//! them; the queries are names, professions, skills, sectors and languages, in
//! several scripts and with and without accents. `--backend` and `--processes`
//! as for every bench ([`super::servers`]).

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use chrono::Utc;
use passage_node::store::entity::member;
use passage_node::store::search_index;
use passage_proto::v1::{self, member_service_client::MemberServiceClient};
use sea_orm::{EntityTrait, IntoActiveModel, TransactionTrait};
use uuid::Uuid;

use super::servers::{Place, REGION, Servers, Setup, in_one_region_place, one_region_plan};
use super::{Dice, quantile};
use crate::certs::{CertDir, ensure_demo_certs};

/// What to measure.
#[derive(Debug, Clone)]
pub struct SearchBench {
    /// Members of the region.
    pub members: usize,
    /// Calls timed (after a few to warm up).
    pub calls: usize,
    /// Clients calling at once, each waiting for its answer (closed loop).
    pub concurrency: usize,
    /// Where the servers run.
    pub setup: Setup,
}

/// What was measured; prints itself as the command's report.
#[derive(Debug, Clone)]
pub struct SearchFigures {
    pub bench: SearchBench,
    /// Writing the members and their index entries.
    pub seed_seconds: f64,
    /// Index entries written.
    pub index_entries: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub calls_per_second: f64,
    /// Hits per query, on average (all pages, not only the first).
    pub mean_hits: f64,
}

impl fmt::Display for SearchFigures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let SearchBench {
            members,
            calls,
            concurrency,
            setup,
        } = &self.bench;
        writeln!(
            f,
            "passage bench search ({members} members in one region, node on {}; \
             SearchMembers through the gateway over TLS, first page of 20; {})",
            setup.backend_name(),
            setup.processes_name()
        )?;
        writeln!(
            f,
            "  seeding: {:.1} s ({} index entries)",
            self.seed_seconds, self.index_entries
        )?;
        writeln!(
            f,
            "  SearchMembers: p50 {:.1} ms, p99 {:.1} ms ({calls} calls, {concurrency} \
             clients in a closed loop; {:.0} hits per query on average)",
            self.p50_ms, self.p99_ms, self.mean_hits
        )?;
        writeln!(f, "  throughput: {:.0} calls/s", self.calls_per_second)
    }
}

/// Calls before the timed ones, to warm the connections and the database cache.
const WARM_UP: usize = 20;
pub(crate) const FIRST_NAMES: &[&str] = &[
    "Amira",
    "Olena",
    "Zoë",
    "Yusuf",
    "Mariam",
    "Ahmad",
    "Oksana",
    "Dawit",
    "Fatima",
    "Hassan",
    "Iryna",
    "José",
    "Nour",
    "Samir",
    "Tesfay",
    "Leyla",
    "Mehmet",
    "Aïcha",
    "Bohdan",
    "Reza",
    "Олена",
    "Андрій",
    "Наталія",
    "محمد",
    "فاطمة",
    "Chloé",
    "Rania",
    "Kateryna",
    "Omar",
    "Selam",
];
pub(crate) const LAST_NAMES: &[&str] = &[
    "Haddad",
    "Kovalenko",
    "Dubois",
    "Rahimi",
    "Tesfaye",
    "Shevchenko",
    "Al-Sayed",
    "Yılmaz",
    "Hosseini",
    "Bondarenko",
    "Mohammadi",
    "Ghebre",
    "Núñez",
    "Коваленко",
    "Шевченко",
    "حداد",
    "Ahmadi",
    "Melnyk",
    "Abdi",
    "Kaya",
    "Moreau",
    "Novak",
    "Haile",
    "Karimi",
    "Petrenko",
];
pub(crate) const PROFESSIONS: &[&str] = &[
    "civil engineer",
    "nurse",
    "welder",
    "electrician",
    "teacher",
    "cook",
    "driver",
    "accountant",
    "software developer",
    "pharmacist",
    "carpenter",
    "hairdresser",
    "tailor",
    "translator",
    "mechanic",
    "baker",
    "midwife",
    "architect",
    "plumber",
    "journalist",
];
pub(crate) const SKILLS: &[&str] = &[
    "welding",
    "AutoCAD",
    "patient care",
    "first aid",
    "forklift",
    "cooking",
    "Python",
    "bookkeeping",
    "Excel",
    "carpentry",
    "plumbing",
    "wiring",
    "interpreting",
    "sewing",
    "customer service",
    "barista",
    "childcare",
    "elderly care",
    "project management",
    "baking",
];
pub(crate) const SECTORS: &[&str] = &[
    "construction",
    "healthcare",
    "hospitality",
    "logistics",
    "education",
    "ict",
    "retail",
    "engineering",
    "care",
    "finance",
    "culture",
    "public-sector",
];
pub(crate) const LANGUAGES: &[&str] = &["nl", "en", "ar", "fa", "ti", "uk", "tr", "fr", "es", "de"];
const QUERIES: &[&str] = &[
    "Олена",
    "олена коваленко",
    "Zoë",
    "zoe dubois",
    "amira haddad",
    "HADDAD",
    "yusuf",
    "nurse",
    "civil engineer",
    "welding",
    "autocad",
    "patient care",
    "healthcare",
    "construction",
    "uk",
    "ar",
    "electrician wiring",
    "Aicha",
    "chloe moreau",
    "محمد",
    "python developer",
    "midwife nl",
    "bondarenko",
    "kaya",
    "first aid",
];

/// One to `most` different items of `from`, as a stored JSON array.
fn some(dice: &mut Dice, from: &[&str], most: u64) -> serde_json::Value {
    let count = 1 + dice.roll() % most;
    let picked: std::collections::BTreeSet<&str> = (0..count).map(|_| dice.pick(from)).collect();
    serde_json::json!(picked)
}

/// Runs the benchmark and returns its figures.
pub async fn run(bench: &SearchBench) -> anyhow::Result<SearchFigures> {
    anyhow::ensure!(bench.concurrency >= 1, "--concurrency must be at least 1");
    let place = Place::new(&bench.setup, "search")?;
    in_one_region_place(place, async |dir, urls| run_in(bench, &dir, &urls).await).await
}

async fn run_in(
    bench: &SearchBench,
    dir: &Path,
    urls: &BTreeMap<String, String>,
) -> anyhow::Result<SearchFigures> {
    eprintln!(
        "bench search: writing {} members in {REGION}",
        bench.members
    );
    let started = Instant::now();
    let index_entries = seed(&urls[REGION], bench.members).await?;
    let seed_seconds = started.elapsed().as_secs_f64();

    let certs = CertDir(dir.join("certs"));
    ensure_demo_certs(&certs, &[REGION])?;
    let federation = Servers::start(
        one_region_plan(urls, &certs, Default::default()),
        &bench.setup,
        dir,
    )
    .await?;
    let channel = federation.gateway_channel().await?;

    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let total = bench.calls + WARM_UP;
    let began = Instant::now();
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..bench.concurrency {
        let mut client = MemberServiceClient::new(channel.clone());
        let next = next.clone();
        clients.spawn(async move {
            let mut timed = Vec::new();
            loop {
                let call = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if call >= total {
                    return anyhow::Ok(timed);
                }
                let request = search(QUERIES[call % QUERIES.len()], String::new())?;
                let sent = Instant::now();
                client.search_members(request).await?;
                if call >= WARM_UP {
                    timed.push(sent.elapsed().as_secs_f64() * 1000.0);
                }
            }
        });
    }
    let mut latencies = Vec::with_capacity(bench.calls);
    while let Some(done) = clients.join_next().await {
        latencies.extend(done.context("search client")??);
    }
    let seconds = began.elapsed().as_secs_f64().max(1e-9);
    let mean_hits = mean_hits(MemberServiceClient::new(channel)).await?;
    federation.shutdown().await?;
    Ok(SearchFigures {
        bench: bench.clone(),
        seed_seconds,
        index_entries,
        p50_ms: quantile(&mut latencies, 0.5),
        p99_ms: quantile(&mut latencies, 0.99),
        calls_per_second: total as f64 / seconds,
        mean_hits,
    })
}

/// A first page of 20 (or the page after `page_token`), as Amsterdam's chapter
/// admin asks it.
fn search(
    query: &str,
    page_token: String,
) -> anyhow::Result<tonic::Request<v1::SearchMembersRequest>> {
    crate::demo::in_region(
        REGION,
        v1::SearchMembersRequest {
            query: query.into(),
            page_size: 20,
            page_token,
        },
    )
}

/// Hits per query, every page counted, on average over the queries.
async fn mean_hits(
    mut client: MemberServiceClient<tonic::transport::Channel>,
) -> anyhow::Result<f64> {
    let mut hits = 0;
    for query in QUERIES {
        let mut page_token = String::new();
        loop {
            let page = client
                .search_members(search(query, page_token)?)
                .await?
                .into_inner();
            hits += page.matches.len();
            if page.next_page_token.is_empty() {
                break;
            }
            page_token = page.next_page_token;
        }
    }
    Ok(hits as f64 / QUERIES.len() as f64)
}

/// Writes `count` members straight into the region's database with their search
/// index entries, in transactions of 1,000; returns how many entries.
async fn seed(url: &str, count: usize) -> anyhow::Result<usize> {
    let db = passage_node::store::connect(url, 4).await?;
    let mut dice = Dice(0x9E37_79B9_7F4A_7C15);
    let now = Utc::now();
    let mut entries = 0;
    let mut made = 0;
    while made < count {
        let rows: Vec<member::Model> = (made..(made + 1_000).min(count))
            .map(|_| member::Model {
                id: Uuid::now_v7(),
                display_name: format!("{} {}", dice.pick(FIRST_NAMES), dice.pick(LAST_NAMES)),
                home_region: REGION.into(),
                profession: dice.pick(PROFESSIONS).into(),
                sectors: some(&mut dice, SECTORS, 2),
                skills: some(&mut dice, SKILLS, 4),
                languages: some(&mut dice, LANGUAGES, 3),
                education_level: "secondary".into(),
                experience_years: (dice.roll() % 20) as i32,
                available_hours_per_week: 8 + (dice.roll() % 8) as i32 * 4,
                share_across_regions: false,
                role: "newcomer".into(),
                residence_status: "status_holder".into(),
                asylum_application_date: None,
                permits: serde_json::json!([]),
                civic_integration: "in_progress".into(),
                nationality: String::new(),
                safe_country_national: false,
                in_reception_centre: false,
                asylum_clock_stopped_days: 0,
                buddy_capacity: 0,
                in_school_programme: false,
                identity_unclear: false,
                profile_stamps: "{}".into(),
                created_at: now,
                updated_at: now,
                external_id: None,
            })
            .collect();
        made += rows.len();
        entries += rows
            .iter()
            .map(|row| search_index::member_words(row).len())
            .sum::<usize>();
        let txn = db.begin().await?;
        for chunk in rows.chunks(200) {
            member::Entity::insert_many(
                chunk
                    .iter()
                    .cloned()
                    .map(IntoActiveModel::into_active_model),
            )
            .exec(&txn)
            .await?;
        }
        search_index::index_members(&txn, &rows).await?;
        txn.commit().await?;
    }
    db.close().await?;
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_figures_print_as_the_other_benches_do() {
        let figures = SearchFigures {
            bench: SearchBench {
                members: 30_000,
                calls: 2_000,
                concurrency: 1,
                setup: Setup::default(),
            },
            seed_seconds: 4.2,
            index_entries: 251_000,
            p50_ms: 3.1,
            p99_ms: 6.4,
            calls_per_second: 310.0,
            mean_hits: 1_234.0,
        };
        assert_eq!(
            figures.to_string(),
            "passage bench search (30000 members in one region, node on SQLite; \
             SearchMembers through the gateway over TLS, first page of 20; one process)\n  \
             seeding: 4.2 s (251000 index entries)\n  \
             SearchMembers: p50 3.1 ms, p99 6.4 ms (2000 calls, 1 clients in a closed loop; \
             1234 hits per query on average)\n  \
             throughput: 310 calls/s\n"
        );
    }
}
