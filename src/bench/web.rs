//! `passage bench web`: members using the web app as a person does. The demo's
//! federation starts (three regions, the gateway and the web app, with mutual TLS
//! between them, filled as `passage demo` fills them); members of
//! its regions are invited and accept with a passphrase, each gets a session; then
//! `--clients` closed-loop clients, each one signed-in member on their own
//! keep-alive connection, open their profile and their matches in turn for
//! `--seconds`. Each page is timed from the request going out to the last byte of
//! the answer in — the web app's calls through the gateway to the member's home
//! node included — and p50 and p99 are printed, per page and together.
//!
//! `--backend` and `--processes` as for every bench ([`super::servers`]); with
//! `--processes` the web app is its own `passage web` process too.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use passage_proto::v1::{
    self, account_service_client::AccountServiceClient, member_service_client::MemberServiceClient,
};
use tonic::transport::Channel;

use super::quantile;
use super::servers::{Place, Role, Servers, Setup, federation_plan, with_databases};
use crate::certs::{CertDir, ensure_demo_certs};
use crate::demo::{REGIONS, in_region};

/// What to measure.
#[derive(Debug, Clone)]
pub struct WebBench {
    /// Signed-in members, each a closed-loop client.
    pub clients: usize,
    /// How long the clients run, after a warm-up of a second.
    pub seconds: u64,
    /// Where the servers run.
    pub setup: Setup,
}

/// The pages each client opens in turn.
const PAGES: [&str; 2] = ["/profile", "/matches"];

/// What was measured.
#[derive(Debug, Clone)]
pub struct WebFigures {
    pub bench: WebBench,
    pub pages: usize,
    pub pages_per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// p50 and p99 of each page of [`PAGES`].
    pub by_page: Vec<(&'static str, f64, f64)>,
    /// Pages that did not answer 200.
    pub failed: usize,
}

impl fmt::Display for WebFigures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "passage bench web ({} signed-in members, closed loop, each opening their profile \
             and matches for {} s; web app → gateway → home node, mutual TLS, {}, {})",
            self.bench.clients,
            self.bench.seconds,
            self.bench.setup.backend_name(),
            self.bench.setup.processes_name()
        )?;
        writeln!(
            f,
            "  pages: {} in {} s, {:.0} pages/s, {} not answered 200",
            self.pages, self.bench.seconds, self.pages_per_second, self.failed
        )?;
        writeln!(
            f,
            "  request in to last byte out: p50 {:.1} ms, p99 {:.1} ms",
            self.p50_ms, self.p99_ms
        )?;
        for (page, p50, p99) in &self.by_page {
            writeln!(f, "  {page}: p50 {p50:.1} ms, p99 {p99:.1} ms")?;
        }
        Ok(())
    }
}

/// Runs the bench.
pub async fn run(bench: &WebBench) -> anyhow::Result<WebFigures> {
    if bench.clients == 0 || bench.seconds == 0 {
        bail!("--clients and --seconds must be at least 1");
    }
    let place = Place::new(&bench.setup, "web")?;
    let servers = std::iter::once("gateway").chain(REGIONS.iter().map(|(slug, _, _)| *slug));
    with_databases(place, servers.map(str::to_owned), |dir, urls| {
        run_in(bench, dir, urls)
    })
    .await
}

/// The web app in front of the federation: a task of this process, or its own.
enum WebApp {
    Task(crate::demo::WebTask),
    Process,
}

async fn run_in(
    bench: &WebBench,
    dir: PathBuf,
    urls: BTreeMap<String, String>,
) -> anyhow::Result<WebFigures> {
    let certs = CertDir(dir.join("certs"));
    let slugs: Vec<&str> = REGIONS.iter().map(|(slug, _, _)| *slug).collect();
    ensure_demo_certs(&certs, &slugs)?;
    let localhost = SocketAddr::from(([127, 0, 0, 1], 0));
    let mut plan = federation_plan(REGIONS.iter().copied(), &urls, &certs);
    for region in &mut plan.regions {
        region.rules_file = Some(crate::demo::shipped_rules_in(&dir, &region.slug)?);
        region.mail = passage_node::settings::MailSettings {
            folder: Some(dir.join("mail")),
            ..Default::default()
        };
    }
    let mut servers = Servers::start(plan, &bench.setup, &dir)
        .await
        .context("starting the demo federation")?;
    let gateway = servers.gateway_channel().await?;
    crate::demo::fill(gateway.clone(), &dir)
        .await
        .context("filling the demo federation")?;
    let gateway_endpoint = servers.gateway_endpoint();
    let (web, app) = match &mut servers {
        Servers::InProcess(_) => {
            let task = crate::demo::start_web(
                &gateway_endpoint,
                &certs,
                crate::demo::listener(localhost).await?,
            )?;
            (task.0, WebApp::Task(task))
        }
        Servers::Processes(federation) => {
            let address = super::servers::free_address()?;
            let settings = crate::demo::web_settings(&gateway_endpoint, &certs, address);
            federation.start_beside(
                "web",
                Role::Web,
                &serde_json::json!({
                    "server": {"listen": address.to_string()},
                    "gateway": {
                        "endpoint": settings.gateway.endpoint,
                        "ca_file": settings.gateway.ca_file,
                        "cert_file": settings.gateway.cert_file,
                        "key_file": settings.gateway.key_file,
                    },
                }),
            )?;
            federation.wait_listening("web", address).await?;
            (address, WebApp::Process)
        }
    };
    let outcome = measure(bench, &gateway, web).await;
    if let WebApp::Task((_, stop, task)) = app {
        let _ = stop.send(());
        let _ = task.await;
    }
    servers.shutdown().await?;
    outcome
}

async fn measure(
    bench: &WebBench,
    gateway: &Channel,
    web: SocketAddr,
) -> anyhow::Result<WebFigures> {
    let sessions = sign_in_members(gateway, bench.clients).await?;
    let deadline_warm = Instant::now() + Duration::from_secs(1);
    let deadline = deadline_warm + Duration::from_secs(bench.seconds);
    let mut clients = tokio::task::JoinSet::new();
    for (index, session) in sessions.into_iter().enumerate() {
        clients.spawn(client(web, session, index, deadline_warm, deadline));
    }
    let mut timings: Vec<Vec<f64>> = vec![Vec::new(); PAGES.len()];
    let mut failed = 0;
    while let Some(done) = clients.join_next().await {
        let (times, not_ok) = done.context("a client stopped")??;
        for (page, mut taken) in times.into_iter().enumerate() {
            timings[page].append(&mut taken);
        }
        failed += not_ok;
    }
    let mut all: Vec<f64> = timings.iter().flatten().copied().collect();
    let pages = all.len();
    let by_page = PAGES
        .iter()
        .zip(timings.iter_mut())
        .map(|(page, taken)| (*page, quantile(taken, 0.5), quantile(taken, 0.99)))
        .collect();
    Ok(WebFigures {
        bench: bench.clone(),
        pages,
        pages_per_second: pages as f64 / bench.seconds as f64,
        p50_ms: quantile(&mut all, 0.5),
        p99_ms: quantile(&mut all, 0.99),
        by_page,
        failed,
    })
}

/// Invites `count` of the demo's members (the regions in turn) and accepts each
/// invitation: their sessions.
async fn sign_in_members(gateway: &Channel, count: usize) -> anyhow::Result<Vec<String>> {
    let mut members = MemberServiceClient::new(gateway.clone());
    let mut accounts = AccountServiceClient::new(gateway.clone());
    let mut by_region = Vec::new();
    for (slug, _, _) in REGIONS {
        let listed = members
            .list_members(in_region(
                slug,
                v1::ListMembersRequest {
                    page_size: 500,
                    ..Default::default()
                },
            )?)
            .await
            .with_context(|| format!("listing {slug}'s members"))?
            .into_inner()
            .members;
        by_region.push((slug, listed));
    }
    let available: usize = by_region.iter().map(|(_, listed)| listed.len()).sum();
    if available < count {
        bail!("--clients {count}: the demo has {available} members to sign in");
    }
    let mut sessions = Vec::with_capacity(count);
    let mut next = vec![0usize; by_region.len()];
    'inviting: loop {
        if by_region
            .iter()
            .zip(&next)
            .all(|((_, listed), next)| *next >= listed.len())
        {
            bail!(
                "--clients {count}: only {} of the demo's members could be signed in",
                sessions.len()
            );
        }
        for (index, (slug, listed)) in by_region.iter().enumerate() {
            if sessions.len() == count {
                break 'inviting;
            }
            let Some(member) = listed.get(next[index]) else {
                continue;
            };
            next[index] += 1;
            let login = format!("bench.{slug}.{}", next[index]);
            let invited = accounts
                .invite_account(in_region(
                    slug,
                    v1::InviteAccountRequest {
                        login: login.clone(),
                        kind: v1::AccountKind::Member as i32,
                        region: (*slug).to_owned(),
                        member_id: member.id.clone(),
                        language: "en".into(),
                        organisation_id: String::new(),
                    },
                )?)
                .await;
            let invitation = match invited {
                Ok(invitation) => invitation.into_inner(),
                // The demo's own member of the region has an account already.
                Err(status) if status.code() == tonic::Code::FailedPrecondition => continue,
                Err(status) => return Err(status).with_context(|| format!("inviting {login}")),
            };
            let signed_in = accounts
                .accept_invitation(v1::AcceptInvitationRequest {
                    invitation_code: invitation.invitation_code,
                    passphrase: format!("a bench passphrase for {login}"),
                })
                .await
                .with_context(|| format!("{login} accepting the invitation"))?
                .into_inner();
            sessions.push(signed_in.session);
        }
    }
    Ok(sessions)
}

/// One member's closed loop: their pages in turn on one keep-alive connection,
/// timed after the warm-up; the times per page, and how many did not answer 200.
async fn client(
    web: SocketAddr,
    session: String,
    index: usize,
    warm_until: Instant,
    until: Instant,
) -> anyhow::Result<(Vec<Vec<f64>>, usize)> {
    let stream = tokio::net::TcpStream::connect(web)
        .await
        .with_context(|| format!("connecting to the web app at {web}"))?;
    stream.set_nodelay(true)?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .context("HTTP/1.1 handshake with the web app")?;
    let driver = tokio::spawn(connection);
    let cookie = format!("passage_session={session}");
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); PAGES.len()];
    let mut failed = 0;
    let mut turn = index;
    loop {
        let now = Instant::now();
        if now >= until {
            break;
        }
        let page = turn % PAGES.len();
        turn += 1;
        let request = http::Request::get(PAGES[page])
            .header(http::header::HOST, web.to_string())
            .header(http::header::COOKIE, &cookie)
            .body(Empty::<Bytes>::new())?;
        sender.ready().await.context("the web app's connection")?;
        let started = Instant::now();
        let response = sender.send_request(request).await?;
        let ok = response.status() == http::StatusCode::OK;
        let body = response.into_body().collect().await?.to_bytes();
        let taken = started.elapsed().as_secs_f64() * 1e3;
        if started >= warm_until {
            times[page].push(taken);
            if !ok || body.is_empty() {
                failed += 1;
            }
        }
    }
    driver.abort();
    Ok((times, failed))
}
