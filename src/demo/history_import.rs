//! The demo's history comes in as a chapter's would: the CSV files of
//! `history` are written to `<data>/history/<region>/` (kept there, so a person
//! can open them, and read again on the next run rather than made anew), then
//! imported through the gateway with the region's chapter admin's token, one
//! file after another, after the demo printed `ready`. Each file it takes is
//! printed as a progress line; a file refused is printed with its first refused
//! lines and ends that region's history (nothing of that file was written).

use std::path::{Path, PathBuf};

use anyhow::Context;
use passage_proto::v1::{self, coaching_service_client::CoachingServiceClient};
use tonic::transport::Channel;

use super::history::{self, HistoryFile};
use super::{in_region, spreadsheet};

/// How one region's history went.
#[derive(Debug, Clone, Default)]
pub struct RegionHistory {
    pub region: String,
    /// Files imported, of the region's.
    pub files: usize,
    /// Records created or updated, and records already there as they are.
    pub written: usize,
    pub unchanged: usize,
}

/// Each region's coaching programme for its imported cohorts: made in the
/// console first, as a chapter would.
fn programme_of(region: &str) -> (&'static str, &'static str) {
    match region {
        "washington-dc" => (
            "Career Pathways DC",
            "Six months of job coaching and interview practice, then a year of aftercare.",
        ),
        "miami" => (
            "Miami Works Coaching",
            "Weekly coaching towards a first job in Miami, in Haitian Creole, Spanish or Ukrainian.",
        ),
        _ => (
            "Werkfit Amsterdam",
            "Nine months of coaching towards work or study, with language practice on the job.",
        ),
    }
}

/// The history of every region in `regions`, `members` members each, one
/// region after another; `say` prints progress.
pub async fn import_all(
    channel: Channel,
    data_dir: PathBuf,
    regions: Vec<String>,
    members: usize,
    say: impl Fn(String) + Send + Sync,
) -> anyhow::Result<Vec<RegionHistory>> {
    let mut done = Vec::new();
    for region in regions {
        let started = std::time::Instant::now();
        let report = import_region(channel.clone(), &data_dir, &region, members, &say)
            .await
            .with_context(|| format!("importing {region}'s history"))?;
        say(format!(
            "history  {region}: {} files, {} records written, {} already there, in {:.1} s",
            report.files,
            report.written,
            report.unchanged,
            started.elapsed().as_secs_f64()
        ));
        done.push(report);
    }
    Ok(done)
}

async fn import_region(
    channel: Channel,
    data_dir: &Path,
    region: &str,
    members: usize,
    say: &(impl Fn(String) + Send + Sync),
) -> anyhow::Result<RegionHistory> {
    let programme = ensure_programme(channel.clone(), region).await?;
    let folder = data_dir.join("history").join(region);
    let files = files_in(&folder, region, members, &programme)?;
    let mut report = RegionHistory {
        region: region.to_owned(),
        ..Default::default()
    };
    let count = files.len();
    for (index, file) in files.into_iter().enumerate() {
        let path = folder.join(file.name);
        let answer = spreadsheet::import(
            channel.clone(),
            region,
            file.kind,
            &path.display().to_string(),
            file.csv,
        )
        .await?;
        report.files += 1;
        report.written += answer.created.len() + answer.updated.len();
        report.unchanged += answer.unchanged as usize;
        say(format!(
            "history  {region} {}/{count}: {} — {} records",
            index + 1,
            file.name,
            file.records
        ));
    }
    Ok(report)
}

/// The region's history files: those already in `folder` when a run before
/// wrote them, else made for today and written there.
fn files_in(
    folder: &Path,
    region: &str,
    members: usize,
    programme: &str,
) -> anyhow::Result<Vec<HistoryFile>> {
    if folder.join(history::FILES[0].1).exists() {
        return history::FILES
            .iter()
            .map(|&(kind, name)| {
                let path = folder.join(name);
                let csv =
                    std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
                let lines = csv.iter().filter(|byte| **byte == b'\n').count();
                Ok(HistoryFile {
                    kind,
                    name,
                    records: lines.saturating_sub(1),
                    csv,
                })
            })
            .collect();
    }
    let files = history::chapter(region, members, chrono::Utc::now().date_naive(), programme);
    std::fs::create_dir_all(folder).with_context(|| format!("creating {}", folder.display()))?;
    for file in &files {
        let path = folder.join(file.name);
        std::fs::write(&path, &file.csv).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(files)
}

/// The name of the region's coaching programme for its history, made if the
/// region has none of that name.
async fn ensure_programme(channel: Channel, region: &str) -> anyhow::Result<String> {
    let (name, description) = programme_of(region);
    let mut coaching = CoachingServiceClient::new(channel);
    let listed = coaching
        .list_programmes(in_region(
            region,
            v1::ListProgrammesRequest {
                page_size: 500,
                ..Default::default()
            },
        )?)
        .await?
        .into_inner()
        .programmes;
    if !listed.iter().any(|programme| programme.name == name) {
        coaching
            .create_programme(in_region(
                region,
                v1::CreateProgrammeRequest {
                    programme: Some(v1::CoachingProgramme {
                        name: name.into(),
                        description: description.into(),
                        mandatory_components: vec![v1::CoachingComponent::JobCoaching as i32],
                        aftercare_months: 6,
                        ..Default::default()
                    }),
                },
            )?)
            .await?;
    }
    Ok(name.to_owned())
}
