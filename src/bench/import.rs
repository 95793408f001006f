//! `passage bench import`: a chapter admin importing a members file of `members`
//! rows (30,000 by default, Refugee Start Force's size) through the gateway over
//! TLS, as `passage admin import members --apply` does — one
//! `SpreadsheetService.ImportRecords` call, one transaction — into a node on
//! SQLite; then the same file again, which must create nothing. The rows are
//! generated (names in several scripts, `|` lists, a third sharing their profile)
//! the same way on every run. `--backend` and `--processes` as for every bench
//! ([`super::servers`]).

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::time::Instant;

use passage_proto::v1::{self, spreadsheet_service_client::SpreadsheetServiceClient};

use super::Dice;
use super::search::{FIRST_NAMES, LANGUAGES, LAST_NAMES, PROFESSIONS, SECTORS, SKILLS};
use super::servers::{Place, REGION, Servers, Setup, in_one_region_place, one_region_plan};
use crate::certs::{CertDir, ensure_demo_certs};

/// What to measure.
#[derive(Debug, Clone)]
pub struct ImportBench {
    /// Member rows in the file.
    pub members: usize,
    /// Where the servers run.
    pub setup: Setup,
}

/// What was measured; prints itself as the command's report.
#[derive(Debug, Clone)]
pub struct ImportFigures {
    pub bench: ImportBench,
    /// The file's size.
    pub file_bytes: usize,
    /// The import with `apply`, from sending the file to the report.
    pub import_seconds: f64,
    /// The same file again (every row unchanged).
    pub again_seconds: f64,
}

impl fmt::Display for ImportFigures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let members = self.bench.members;
        writeln!(
            f,
            "passage bench import ({members} member rows, {:.1} MB of CSV; ImportRecords \
             through the gateway over TLS, node on {}; {})",
            self.file_bytes as f64 / 1e6,
            self.bench.setup.backend_name(),
            self.bench.setup.processes_name()
        )?;
        writeln!(
            f,
            "  import: {:.2} s in all, {:.0} rows/s",
            self.import_seconds,
            members as f64 / self.import_seconds.max(1e-9)
        )?;
        writeln!(
            f,
            "  again: {:.2} s, {:.0} rows/s, nothing created",
            self.again_seconds,
            members as f64 / self.again_seconds.max(1e-9)
        )
    }
}

/// The members file: `members` rows with a header, `;`-separated as a Dutch
/// spreadsheet writes it; every `sharing`th member shares her profile across
/// regions.
pub fn members_file(members: usize, sharing: usize) -> String {
    let mut dice = Dice(0x1234_5678_9abc_def1);
    let mut file = String::from(
        "external_id;display_name;profession;sectors;skills;languages;role;residence_status;\
         experience_years;available_hours_per_week;share_across_regions;joined_on\r\n",
    );
    for n in 0..members {
        let role = if n % 4 == 0 { "local" } else { "newcomer" };
        let status = if role == "local" {
            "citizen_or_resident"
        } else {
            dice.pick(&["status_holder", "asylum_seeker", "temporary_protection"])
        };
        let pick_some = |dice: &mut Dice, from: &[&str]| {
            let count = 1 + dice.roll() % 3;
            let mut picked: Vec<&str> = (0..count).map(|_| dice.pick(from)).collect();
            picked.sort_unstable();
            picked.dedup();
            picked.join("|")
        };
        let line = format!(
            "rsf-{n:06};{} {};{};{};{};{};{role};{status};{};{};{};2024-{:02}-{:02}\r\n",
            dice.pick(FIRST_NAMES),
            dice.pick(LAST_NAMES),
            dice.pick(PROFESSIONS),
            pick_some(&mut dice, SECTORS),
            pick_some(&mut dice, SKILLS),
            pick_some(&mut dice, LANGUAGES),
            dice.roll() % 30,
            dice.roll() % 40,
            if n % sharing.max(1) == 0 { "yes" } else { "no" },
            1 + dice.roll() % 12,
            1 + dice.roll() % 28,
        );
        file.push_str(&line);
    }
    file
}

/// Runs the benchmark and returns its figures.
pub async fn run(bench: &ImportBench) -> anyhow::Result<ImportFigures> {
    anyhow::ensure!(bench.members >= 1, "--members must be at least 1");
    let place = Place::new(&bench.setup, "import")?;
    in_one_region_place(place, async |dir, urls| run_in(bench, &dir, &urls).await).await
}

async fn run_in(
    bench: &ImportBench,
    dir: &Path,
    urls: &BTreeMap<String, String>,
) -> anyhow::Result<ImportFigures> {
    let file = members_file(bench.members, 3);
    let certs = CertDir(dir.join("certs"));
    ensure_demo_certs(&certs, &[REGION])?;
    let federation = Servers::start(
        one_region_plan(urls, &certs, Default::default()),
        &bench.setup,
        dir,
    )
    .await?;
    let mut client = SpreadsheetServiceClient::new(federation.gateway_channel().await?)
        .max_decoding_message_size(passage_proto::bounds::SYNC_MESSAGE_BYTES);
    eprintln!(
        "bench import: importing {} member rows into {REGION}",
        bench.members
    );
    let mut import = async |what: &str| -> anyhow::Result<(f64, v1::ImportReport)> {
        let request = crate::demo::in_region(
            REGION,
            v1::ImportRecordsRequest {
                kind: v1::ImportKind::Members as i32,
                file: file.clone().into_bytes(),
                apply: true,
            },
        )?;
        let started = Instant::now();
        let report = client.import_records(request).await?.into_inner();
        let seconds = started.elapsed().as_secs_f64();
        anyhow::ensure!(
            report.applied,
            "{what}: not applied; refused {:?}",
            report.refused.first()
        );
        Ok((seconds, report))
    };
    let (import_seconds, first) = import("the import").await?;
    let (again_seconds, second) = import("the second import").await?;
    federation.shutdown().await?;
    anyhow::ensure!(
        first.created.len() == bench.members,
        "the import created {} members of {}",
        first.created.len(),
        bench.members
    );
    anyhow::ensure!(
        second.created.is_empty() && second.unchanged as usize == bench.members,
        "the second import created {} and left {} unchanged",
        second.created.len(),
        second.unchanged
    );
    Ok(ImportFigures {
        bench: bench.clone(),
        file_bytes: file.len(),
        import_seconds,
        again_seconds,
    })
}
