//! `passage bench notify`: notification mail under load (issue 16 point 8). One
//! region's node on SQLite, behind the gateway over TLS, sends its mail to an SMTP
//! receiver in this process (`smtp_receiver`, the one the tests use). A hundred
//! members have asked `--changes` helpdesk questions (untimed); then superlocals'
//! answers arrive, `--clients` at a time, each answer a change that tells its
//! asker — in her inbox and, when she gave an address, by mail.
//!
//! Each run is timed twice: the changes (the answers, from the first sent to the
//! last acknowledged), and the mail (from the first answer sent until the
//! receiver has accepted every mail). Runs alternate between mail on (every asker
//! gave an address) and mail off (none did: the inbox only), `--runs` of each,
//! in the order on, off, off, on, on, off, …;
//! the medians are printed, with the ratio of the changes' time with mail on to
//! that with mail off.
//!
//! `--backend` and `--processes` as for every bench ([`super::servers`]).

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::time::{Duration, Instant};

use passage_proto::v1::{
    self, helpdesk_service_client::HelpdeskServiceClient,
    member_service_client::MemberServiceClient,
    notification_service_client::NotificationServiceClient,
};
use tonic::transport::Channel;

use super::quantile;
use super::servers::{Place, REGION, Servers, Setup, in_one_region_place, one_region_plan};
use super::smtp_receiver::SmtpReceiver;
use crate::certs::{CertDir, ensure_demo_certs};
use crate::demo::in_region;
/// The members who ask; the changes are spread over them.
const ASKERS: usize = 100;
/// How long the mail of one run may take before the run fails.
const MAIL_DEADLINE: Duration = Duration::from_secs(300);

/// What to measure.
#[derive(Debug, Clone)]
pub struct NotifyBench {
    /// Changes (answered questions) per run, each one notification.
    pub changes: usize,
    /// Answers in flight at once.
    pub clients: usize,
    /// Runs with mail on, and as many with mail off.
    pub runs: usize,
    /// Where the servers run.
    pub setup: Setup,
}

/// One run's figures.
#[derive(Debug, Clone, Copy)]
pub struct Run {
    pub mail: bool,
    /// From the first answer sent to the last acknowledged.
    pub changes_seconds: f64,
    /// From the first answer sent until every mail was accepted (mail on only).
    pub mail_seconds: Option<f64>,
    /// The CPU this process used over the same time (every server in it, the
    /// receiver and the clients); None when the servers run as their own
    /// processes.
    pub cpu_seconds: Option<f64>,
}

/// What was measured; prints itself as the command's report.
#[derive(Debug, Clone)]
pub struct NotifyFigures {
    pub bench: NotifyBench,
    pub runs: Vec<Run>,
}

impl NotifyFigures {
    fn median(&self, mail: bool, of: impl Fn(&Run) -> Option<f64>) -> f64 {
        let mut values: Vec<f64> = self
            .runs
            .iter()
            .filter(|run| run.mail == mail)
            .filter_map(of)
            .collect();
        quantile(&mut values, 0.5)
    }

    /// The median time of the changes, with mail on and off.
    pub fn changes_medians(&self) -> (f64, f64) {
        (
            self.median(true, |run| Some(run.changes_seconds)),
            self.median(false, |run| Some(run.changes_seconds)),
        )
    }

    /// The median time until every mail was accepted.
    pub fn mail_median(&self) -> f64 {
        self.median(true, |run| run.mail_seconds)
    }
}

impl fmt::Display for NotifyFigures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let NotifyBench {
            changes,
            clients,
            runs,
            ref setup,
        } = self.bench;
        writeln!(
            f,
            "passage bench notify ({changes} answered helpdesk questions per run, each a \
             notification, {clients} at a time through the gateway over TLS; node on {}; \
             mail over SMTP to a receiver on 127.0.0.1; {runs} runs with mail on and {runs} \
             off, in the order on, off, off, on, …; {})",
            setup.backend_name(),
            setup.processes_name()
        )?;
        for (n, run) in self.runs.iter().enumerate() {
            write!(
                f,
                "  run {:>2} mail {:<3}: changes {:.2} s ({:.0}/s)",
                n + 1,
                if run.mail { "on" } else { "off" },
                run.changes_seconds,
                changes as f64 / run.changes_seconds.max(1e-9)
            )?;
            if let Some(seconds) = run.mail_seconds {
                write!(
                    f,
                    ", every mail accepted after {seconds:.2} s ({:.0} mails/s)",
                    changes as f64 / seconds.max(1e-9)
                )?;
            }
            match run.cpu_seconds {
                // Per change, from the first answer to the last mail accepted
                // (or answer, with mail off).
                Some(cpu) => writeln!(
                    f,
                    "; CPU {cpu:.2} s, {:.2} ms a change",
                    cpu * 1000.0 / changes as f64
                )?,
                None => writeln!(f)?,
            }
        }
        let (on, off) = self.changes_medians();
        let mail = self.mail_median();
        writeln!(
            f,
            "  median: {changes} mails accepted in {mail:.2} s (target ≤ 10 s: {})",
            if mail <= 10.0 { "met" } else { "missed" }
        )?;
        writeln!(
            f,
            "  median: changes {on:.2} s with mail, {off:.2} s without; ratio {:.3} \
             (target ≤ 1.10: {})",
            on / off,
            if on / off <= 1.10 { "met" } else { "missed" }
        )?;
        if self.runs.iter().all(|run| run.cpu_seconds.is_some()) {
            let per_change =
                |mail| self.median(mail, |run| run.cpu_seconds) * 1000.0 / changes as f64;
            writeln!(
                f,
                "  median: CPU {:.2} ms a change with its mail, {:.2} ms without",
                per_change(true),
                per_change(false)
            )?;
        }
        Ok(())
    }
}

/// Runs the benchmark and returns its figures.
pub async fn run(bench: &NotifyBench) -> anyhow::Result<NotifyFigures> {
    anyhow::ensure!(bench.changes >= 1, "--changes must be at least 1");
    anyhow::ensure!(bench.clients >= 1, "--clients must be at least 1");
    anyhow::ensure!(bench.runs >= 1, "--runs must be at least 1");
    let place = Place::new(&bench.setup, "notify")?;
    in_one_region_place(place, async |dir, urls| run_in(bench, &dir, &urls).await).await
}

async fn run_in(
    bench: &NotifyBench,
    dir: &Path,
    urls: &BTreeMap<String, String>,
) -> anyhow::Result<NotifyFigures> {
    let receiver = SmtpReceiver::start(0).await?;
    let certs = CertDir(dir.join("certs"));
    ensure_demo_certs(&certs, &[REGION])?;
    let mail = passage_node::settings::MailSettings {
        smtp_url: Some(receiver.url()),
        from: "Passage Amsterdam <passage@amsterdam.example>".into(),
        ..Default::default()
    };
    let federation = Servers::start(one_region_plan(urls, &certs, mail), &bench.setup, dir).await?;
    let channel = federation.gateway_channel().await?;
    let people = Helpdesk::open(channel.clone()).await?;
    let mut runs = Vec::new();
    for n in 0..bench.runs * 2 {
        // On, off, off, on, on, off…: each run's database holds the questions
        // of every run before it, and runs slow as it grows; in this order
        // neither kind of run is the earlier on the whole.
        let mail = matches!(n % 4, 0 | 3);
        eprintln!(
            "bench notify: run {} of {}, mail {}",
            n + 1,
            bench.runs * 2,
            if mail { "on" } else { "off" }
        );
        people.mail(&channel, mail).await?;
        let questions = people.ask(&channel, bench.changes).await?;
        eprintln!("bench notify: {} questions asked; answering", bench.changes);
        let accepted_before = receiver.accepted_count();
        let cpu_before = super::process_cpu_seconds();
        let started = Instant::now();
        answer_all(&channel, &people, questions, bench.clients).await?;
        let changes_seconds = started.elapsed().as_secs_f64();
        let mail_seconds = if mail {
            let expected = accepted_before + bench.changes;
            while receiver.accepted_count() < expected {
                anyhow::ensure!(
                    started.elapsed() < MAIL_DEADLINE,
                    "{} of {} mails accepted after {} s",
                    receiver.accepted_count() - accepted_before,
                    bench.changes,
                    MAIL_DEADLINE.as_secs()
                );
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            Some(started.elapsed().as_secs_f64())
        } else {
            None
        };
        let cpu_seconds = match (bench.setup.processes, cpu_before) {
            (false, Some(before)) => super::process_cpu_seconds().map(|after| after - before),
            _ => None,
        };
        runs.push(Run {
            mail,
            changes_seconds,
            mail_seconds,
            cpu_seconds,
        });
    }
    federation.shutdown().await?;
    let mails_on = bench.runs * bench.changes;
    anyhow::ensure!(
        receiver.accepted_count() == mails_on,
        "{} mails arrived, {mails_on} were caused",
        receiver.accepted_count()
    );
    Ok(NotifyFigures {
        bench: bench.clone(),
        runs,
    })
}

/// The askers and the superlocal who answers them.
struct Helpdesk {
    askers: Vec<String>,
    superlocal: String,
}

impl Helpdesk {
    async fn open(channel: Channel) -> anyhow::Result<Helpdesk> {
        let mut members = MemberServiceClient::new(channel.clone());
        let mut register = async |name: String, role: v1::MemberRole| -> anyhow::Result<String> {
            let residence_status = match role {
                v1::MemberRole::Local => v1::ResidenceStatus::CitizenOrResident,
                _ => v1::ResidenceStatus::StatusHolder,
            };
            let member = v1::Member {
                profile: Some(v1::SharedProfile {
                    display_name: name,
                    languages: vec!["en".into()],
                    ..Default::default()
                }),
                regional: Some(v1::RegionalRecord {
                    role: role as i32,
                    residence_status: residence_status as i32,
                    ..Default::default()
                }),
                ..Default::default()
            };
            Ok(members
                .create_member(in_region(
                    REGION,
                    v1::CreateMemberRequest {
                        member: Some(member),
                    },
                )?)
                .await?
                .into_inner()
                .id)
        };
        let mut askers = Vec::with_capacity(ASKERS);
        for n in 0..ASKERS {
            askers.push(register(format!("Asker {n}"), v1::MemberRole::Newcomer).await?);
        }
        let superlocal = register("Superlocal".into(), v1::MemberRole::Local).await?;
        HelpdeskServiceClient::new(channel)
            .register_answerer(in_region(
                REGION,
                v1::RegisterAnswererRequest {
                    member_id: superlocal.clone(),
                    languages: vec!["en".into()],
                },
            )?)
            .await?;
        Ok(Helpdesk { askers, superlocal })
    }

    /// Every asker gives an address (`on`) or takes hers away.
    async fn mail(&self, channel: &Channel, on: bool) -> anyhow::Result<()> {
        let mut notifications = NotificationServiceClient::new(channel.clone());
        for (n, asker) in self.askers.iter().enumerate() {
            notifications
                .update_notification_settings(in_region(
                    REGION,
                    v1::UpdateNotificationSettingsRequest {
                        settings: Some(v1::NotificationSettings {
                            member_id: asker.clone(),
                            email: if on {
                                format!("asker{n}@example.org")
                            } else {
                                String::new()
                            },
                            time_zone: "Europe/Amsterdam".into(),
                            language: "en".into(),
                            digest: v1::DigestFrequency::Immediate as i32,
                            ..Default::default()
                        }),
                    },
                )?)
                .await?;
        }
        Ok(())
    }

    /// `count` questions, spread over the askers: their ids.
    async fn ask(&self, channel: &Channel, count: usize) -> anyhow::Result<Vec<String>> {
        let mut helpdesk = HelpdeskServiceClient::new(channel.clone());
        let mut ids = Vec::with_capacity(count);
        for n in 0..count {
            ids.push(
                helpdesk
                    .ask_question(in_region(
                        REGION,
                        v1::AskQuestionRequest {
                            asker_member_id: self.askers[n % self.askers.len()].clone(),
                            language: "en".into(),
                            topic: "housing".into(),
                            text: format!("Question {n}: where do I register my address?"),
                        },
                    )?)
                    .await?
                    .into_inner()
                    .id,
            );
        }
        Ok(ids)
    }
}

/// Answers every question, `clients` answers in flight at once.
async fn answer_all(
    channel: &Channel,
    people: &Helpdesk,
    questions: Vec<String>,
    clients: usize,
) -> anyhow::Result<()> {
    let queue = std::sync::Arc::new(std::sync::Mutex::new(questions));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..clients {
        let queue = queue.clone();
        let mut helpdesk = HelpdeskServiceClient::new(channel.clone());
        let superlocal = people.superlocal.clone();
        tasks.spawn(async move {
            loop {
                let next = queue.lock().ok().and_then(|mut left| left.pop());
                let Some(id) = next else {
                    return anyhow::Ok(());
                };
                helpdesk
                    .answer_question(in_region(
                        REGION,
                        v1::AnswerQuestionRequest {
                            id,
                            answerer_member_id: superlocal.clone(),
                            answer: "At the town hall, with your rental contract.".into(),
                        },
                    )?)
                    .await?;
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    Ok(())
}
