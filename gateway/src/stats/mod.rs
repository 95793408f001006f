//! Central statistics: `passage.v1.GlobalStatsService`. The gateway asks every
//! region's node for its exact aggregates (`RegionStatsService`, over the gateway's
//! own channel to the node, never forwarded to clients), totals them, and publishes
//! only suppressed tables (`suppression`). A region that does not answer in time is
//! marked, and its last good figures stand in for it, so a call never fails whole.
//!
//! [`Statistician`] is the one handle: the gRPC service and the dashboard's HTTP
//! side both call [`Statistician::global`], and [`stats_json`] is the JSON both
//! `passage admin stats --json` and `/api/stats` show.

pub mod fanout;
mod flow_network;
mod json;
pub mod publish;
pub mod suppression;

pub use json::stats_json;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{Datelike, Utc};
use passage_proto::months::{Month, MonthSpan};
use passage_proto::v1::{self, global_stats_service_server::GlobalStatsService};
use passage_server::access::{self, Caller, Gatekeeper};
use tonic::{Request, Response, Status};

use crate::access::TokenGate;
use crate::error::{Error, Result};
use crate::route::{RegionRoute, RegionRouter};
use crate::settings::StatsSettings;

/// How many month ranges the gateway keeps each region's last good figures for.
const RANGES_KEPT_PER_REGION: usize = 16;

/// A region's answer for a range of months, shared by the calls that use it.
type LastGood = (MonthSpan, Arc<v1::RegionStats>);

/// Gathers, totals and suppresses the regions' figures. Cheap to clone: clones
/// share the router, the settings and the last good figures.
#[derive(Clone)]
pub struct Statistician {
    inner: Arc<Inner>,
}

struct Inner {
    router: RegionRouter,
    settings: StatsSettings,
    /// Who may read the figures over HTTP: checked as the gRPC calls are.
    gate: TokenGate,
    /// Per region, its latest answer for each month range asked lately, newest last.
    last_good: Mutex<HashMap<String, Vec<LastGood>>>,
}

impl Statistician {
    /// `gate` is the gateway's token gate, the one in front of its gRPC services:
    /// the dashboard checks its callers against it ([`Statistician::admit`]).
    pub fn new(router: RegionRouter, settings: StatsSettings, gate: TokenGate) -> Self {
        Statistician {
            inner: Arc::new(Inner {
                router,
                settings,
                gate,
                last_good: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The `[stats]` settings in force (threshold, rounding, deadline).
    pub fn settings(&self) -> &StatsSettings {
        &self.inner.settings
    }

    /// Whether the bearer token in `headers` may read the published statistics,
    /// checked exactly as a gRPC call to `GlobalStatsService` is: the token must be
    /// known, unexpired and unrevoked, and held by a central analyst or an
    /// operator. The refusal is `UNAUTHENTICATED` without a usable token and
    /// `PERMISSION_DENIED` for another role.
    pub async fn admit(&self, headers: &http::HeaderMap) -> std::result::Result<Caller, Status> {
        let path = "/passage.v1.GlobalStatsService/GetGlobalStats";
        let caller = self
            .inner
            .gate
            .identify(headers, path, &access::body_digest(b""))
            .await?
            .ok_or_else(|| {
                Status::from(crate::Error::Unauthenticated(
                    "authorization: sign in with `Authorization: Bearer <token>`, \
                     the token of a central analyst or an operator"
                        .into(),
                ))
            })?;
        let policy = access::policy(path).ok_or_else(|| {
            Status::from(crate::Error::Internal(
                "no access policy for the statistics".into(),
            ))
        })?;
        access::authorise(&caller, policy, path, None)?;
        Ok(caller)
    }

    /// The published statistics `request` asks for. Fails only on a bad request
    /// (`INVALID_ARGUMENT` naming the field: `months.from_month`, `regions[1]`);
    /// a region that fails or is late is marked in `GlobalStats.regions`.
    pub async fn global(&self, request: &v1::GetGlobalStatsRequest) -> Result<v1::GlobalStats> {
        let now = Utc::now();
        let current = Month::new(now.year(), now.month()).ok_or_else(|| {
            Error::Refused("the gateway's clock is outside years 1 to 9999".into())
        })?;
        let span = MonthSpan::parse("months", request.months.as_ref(), current).map_err(|e| {
            Error::InvalidPath {
                field: e.field,
                reason: e.reason,
            }
        })?;
        let routes = self.regions_asked(&request.regions)?;
        let deadline = Duration::from_millis(self.inner.settings.deadline_ms);
        let asked = std::time::Instant::now();
        let replies = fanout::ask_regions(routes, span, deadline).await;
        let answered_in = asked.elapsed();

        let mut answers = Vec::with_capacity(replies.len());
        let mut used: Vec<(String, Arc<v1::RegionStats>)> = Vec::with_capacity(replies.len());
        for reply in replies {
            match reply.figures {
                Ok(figures) => {
                    let figures = Arc::new(figures);
                    self.remember(&reply.region, span, &figures);
                    answers.push(v1::RegionAnswer {
                        region: reply.region.clone(),
                        answered: true,
                        reason: String::new(),
                        figures_time: figures.computed_time,
                        stale: false,
                    });
                    used.push((reply.region, figures));
                }
                Err(reason) => {
                    let last = self.recall(&reply.region, span);
                    answers.push(v1::RegionAnswer {
                        region: reply.region.clone(),
                        answered: false,
                        reason,
                        figures_time: last.as_ref().and_then(|f| f.computed_time),
                        stale: last.is_some(),
                    });
                    if let Some(figures) = last {
                        used.push((reply.region, figures));
                    }
                }
            }
        }
        let settings = &self.inner.settings;
        let (threshold, rounding) = (settings.threshold, settings.rounding);
        // Suppression is arithmetic that takes a while over many regions: off
        // the async workers, so the gateway's other calls go on meanwhile.
        let (tables, medians) = tokio::task::spawn_blocking(move || {
            let figures: Vec<publish::RegionFigures<'_>> = used
                .iter()
                .map(|(region, stats)| publish::RegionFigures { region, stats })
                .collect();
            (
                publish::tables(&figures, threshold, rounding),
                publish::medians(&figures, threshold),
            )
        })
        .await
        .map_err(|error| Error::Internal(format!("publishing the statistics: {error}")))?;
        tracing::debug!(
            regions = answers.len(),
            answered_ms = answered_in.as_secs_f64() * 1000.0,
            published_ms = (asked.elapsed() - answered_in).as_secs_f64() * 1000.0,
            "statistics gathered and suppressed"
        );
        Ok(v1::GlobalStats {
            tables,
            regions: answers,
            threshold: settings.threshold,
            rounding: settings.rounding,
            medians,
            months: Some(span.to_wire()),
            computed_time: Some(prost_types::Timestamp {
                seconds: now.timestamp(),
                nanos: now.timestamp_subsec_nanos() as i32,
            }),
        })
    }

    /// The routes of the regions asked for; every region when none is named.
    fn regions_asked(&self, named: &[String]) -> Result<Vec<RegionRoute>> {
        let router = &self.inner.router;
        if named.is_empty() {
            return Ok(router.regions().cloned().collect());
        }
        let mut routes: Vec<RegionRoute> = Vec::with_capacity(named.len());
        for (index, slug) in named.iter().enumerate() {
            let slug = slug.trim();
            let Some(route) = router.region(slug) else {
                let known: Vec<&str> = router.regions().map(|r| r.slug.as_str()).collect();
                return Err(Error::InvalidPath {
                    field: format!("regions[{index}]"),
                    reason: format!(
                        "unknown region {:?}; known regions: {}",
                        slug.chars().take(64).collect::<String>(),
                        known.join(", ")
                    ),
                });
            };
            if !routes.iter().any(|r| r.slug == route.slug) {
                routes.push(route.clone());
            }
        }
        Ok(routes)
    }

    fn remember(&self, region: &str, span: MonthSpan, figures: &Arc<v1::RegionStats>) {
        let Ok(mut last_good) = self.inner.last_good.lock() else {
            return;
        };
        let kept = last_good.entry(region.to_owned()).or_default();
        kept.retain(|(s, _)| *s != span);
        kept.push((span, Arc::clone(figures)));
        if kept.len() > RANGES_KEPT_PER_REGION {
            kept.remove(0);
        }
    }

    fn recall(&self, region: &str, span: MonthSpan) -> Option<Arc<v1::RegionStats>> {
        let last_good = self.inner.last_good.lock().ok()?;
        last_good
            .get(region)?
            .iter()
            .find(|(s, _)| *s == span)
            .map(|(_, figures)| Arc::clone(figures))
    }
}

#[tonic::async_trait]
impl GlobalStatsService for Statistician {
    async fn get_global_stats(
        &self,
        request: Request<v1::GetGlobalStatsRequest>,
    ) -> Result<Response<v1::GlobalStats>, Status> {
        Ok(Response::new(self.global(request.get_ref()).await?))
    }
}
