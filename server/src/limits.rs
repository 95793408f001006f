//! The limits every Passage server puts in front of its gRPC calls, as one tower
//! layer, so that a flood of calls is answered — never a crash, never unbounded
//! memory:
//!
//! - at most `max_concurrent_calls` calls in flight; a call past that is shed at
//!   once with `UNAVAILABLE` ("overloaded, retry later") instead of queueing;
//! - at most `calls_per_second` per caller, with bursts up to `burst` (a token
//!   bucket per caller); past that `RESOURCE_EXHAUSTED`. The caller is the address
//!   it connects from (behind the gateway a node sees every client as the gateway,
//!   so a node's own limit is set higher than the gateway's); at most
//!   [`MAX_CALLERS`] callers are tracked, the idlest forgotten first;
//! - a call that has not produced its answer within `call_timeout_ms` ends with
//!   `DEADLINE_EXCEEDED`.
//!
//! Health checks and the long-lived federation `Sync` stream are not limited: an
//! overloaded server must still say it is alive, and the node's one stream is not
//! a client's call. (The largest message a server decodes is set on each service
//! with `max_decoding_message_size`, from `max_message_bytes`.)

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use serde::Deserialize;
use tokio::sync::Semaphore;

/// The most callers whose rate is tracked at once.
pub const MAX_CALLERS: usize = 10_000;

/// Paths that are never limited.
const UNLIMITED: [&str; 2] = [
    "/grpc.health.v1.Health/",
    "/passage.v1.FederationService/Sync",
];

/// The `[limits]` section of a node's or the gateway's settings. The defaults are
/// generous — a node sees every client as the gateway, and the demo seeds through
/// one client — so a deployment sets its own per-caller rate on the gateway
/// (`deploy/gateway.toml`).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitSettings {
    /// Calls in flight at once; more are shed with UNAVAILABLE.
    pub max_concurrent_calls: usize,
    /// Calls a second per caller, on average…
    pub calls_per_second: f64,
    /// …and in a burst.
    pub burst: f64,
    /// Longest a call may take to be answered.
    pub call_timeout_ms: u64,
    /// Largest request message a service decodes.
    pub max_message_bytes: usize,
}

impl Default for LimitSettings {
    fn default() -> Self {
        LimitSettings {
            max_concurrent_calls: 1_024,
            calls_per_second: 10_000.0,
            burst: 20_000.0,
            call_timeout_ms: 30_000,
            max_message_bytes: 4 * 1024 * 1024,
        }
    }
}

impl LimitSettings {
    /// Checks the ranges, naming the key as the settings file spells it.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let problem = |key: &str, reason: String| Err((format!("limits.{key}"), reason));
        if !(1..=100_000).contains(&self.max_concurrent_calls) {
            return problem(
                "max_concurrent_calls",
                format!(
                    "must be between 1 and 100000, got {}",
                    self.max_concurrent_calls
                ),
            );
        }
        if !(self.calls_per_second > 0.0 && self.calls_per_second <= 1_000_000.0) {
            return problem(
                "calls_per_second",
                format!(
                    "must be above 0 and at most 1000000, got {}",
                    self.calls_per_second
                ),
            );
        }
        if !(self.burst >= 1.0 && self.burst <= 10_000_000.0) {
            return problem(
                "burst",
                format!("must be between 1 and 10000000, got {}", self.burst),
            );
        }
        if !(100..=3_600_000).contains(&self.call_timeout_ms) {
            return problem(
                "call_timeout_ms",
                format!(
                    "must be between 100 and 3600000, got {}",
                    self.call_timeout_ms
                ),
            );
        }
        if !(1024..=256 * 1024 * 1024).contains(&self.max_message_bytes) {
            return problem(
                "max_message_bytes",
                format!(
                    "must be between 1024 and 268435456, got {}",
                    self.max_message_bytes
                ),
            );
        }
        Ok(())
    }
}

/// One caller's token bucket.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    refreshed: Instant,
}

/// The limits of one server, shared by every connection.
#[derive(Debug, Clone)]
pub struct Limits {
    settings: LimitSettings,
    in_flight: Arc<Semaphore>,
    buckets: Arc<Mutex<HashMap<String, Bucket>>>,
}

impl Limits {
    pub fn new(settings: LimitSettings) -> Self {
        Limits {
            settings,
            in_flight: Arc::new(Semaphore::new(settings.max_concurrent_calls)),
            buckets: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    pub fn settings(&self) -> &LimitSettings {
        &self.settings
    }

    /// The layer to put in front of a tonic server.
    pub fn layer(&self) -> LimitsLayer {
        LimitsLayer {
            limits: self.clone(),
        }
    }

    /// Takes one token from `caller`'s bucket; false when it is empty.
    fn admit(&self, caller: &str, now: Instant) -> bool {
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() >= MAX_CALLERS && !buckets.contains_key(caller) {
            // Forget the idlest caller: a full bucket is what a new one gets anyway.
            if let Some(idlest) = buckets
                .iter()
                .min_by_key(|(_, bucket)| bucket.refreshed)
                .map(|(key, _)| key.clone())
            {
                buckets.remove(&idlest);
            }
        }
        let (rate, burst) = (self.settings.calls_per_second, self.settings.burst);
        let bucket = buckets.entry(caller.to_owned()).or_insert(Bucket {
            tokens: burst,
            refreshed: now,
        });
        let elapsed = now
            .saturating_duration_since(bucket.refreshed)
            .as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(burst);
        bucket.refreshed = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Who a call comes from, for its rate: the address it connects from. (A bearer
/// token is not used until tokens are checked: a client could send a new one with
/// every call and never run out.)
fn caller<B>(request: &http::Request<B>) -> String {
    let extensions = request.extensions();
    let address: Option<IpAddr> = extensions
        .get::<tonic::transport::server::TcpConnectInfo>()
        .and_then(|info| info.remote_addr())
        .or_else(|| {
            extensions
                    .get::<tonic::transport::server::TlsConnectInfo<
                        tonic::transport::server::TcpConnectInfo,
                    >>()
                    .and_then(|info| info.get_ref().remote_addr())
        })
        .map(|address| address.ip());
    match address {
        Some(ip) => format!("peer:{ip}"),
        None => "peer:unknown".to_owned(),
    }
}

/// Puts [`Limits`] in front of a service.
#[derive(Debug, Clone)]
pub struct LimitsLayer {
    limits: Limits,
}

impl<S> tower::Layer<S> for LimitsLayer {
    type Service = LimitedService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        LimitedService {
            inner,
            limits: self.limits.clone(),
        }
    }
}

/// A service behind [`Limits`].
#[derive(Debug, Clone)]
pub struct LimitedService<S> {
    inner: S,
    limits: Limits,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, RequestBody, ResponseBody> tower::Service<http::Request<RequestBody>> for LimitedService<S>
where
    S: tower::Service<http::Request<RequestBody>, Response = http::Response<ResponseBody>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    RequestBody: Send + 'static,
    ResponseBody: Default + Send + 'static,
{
    type Response = http::Response<ResponseBody>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<RequestBody>) -> Self::Future {
        // The ready service answers this call; a fresh clone waits for the next.
        let fresh = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, fresh);
        let path = request.uri().path();
        if UNLIMITED
            .iter()
            .any(|unlimited| path.starts_with(unlimited))
        {
            return Box::pin(inner.call(request));
        }
        let limits = self.limits.clone();
        let Ok(permit) = limits.in_flight.clone().try_acquire_owned() else {
            let status = tonic::Status::unavailable(format!(
                "overloaded: {} calls in flight already; retry later",
                limits.settings.max_concurrent_calls
            ));
            return Box::pin(async move { Ok(status.into_http()) });
        };
        if !limits.admit(&caller(&request), Instant::now()) {
            let status = tonic::Status::resource_exhausted(format!(
                "rate limit: at most {} calls a second per caller (bursts of {}); slow down",
                limits.settings.calls_per_second, limits.settings.burst
            ));
            return Box::pin(async move { Ok(status.into_http()) });
        }
        let timeout = Duration::from_millis(limits.settings.call_timeout_ms);
        Box::pin(async move {
            let _permit = permit;
            match tokio::time::timeout(timeout, inner.call(request)).await {
                Ok(answer) => answer,
                Err(_) => Ok(tonic::Status::deadline_exceeded(format!(
                    "the call took longer than {} ms",
                    timeout.as_millis()
                ))
                .into_http()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use tower::{Layer, Service, ServiceExt};

    /// A service that answers OK after `delay`.
    #[derive(Clone)]
    struct Slow {
        delay: Duration,
    }

    impl Service<http::Request<()>> for Slow {
        type Response = http::Response<String>;
        type Error = std::convert::Infallible;
        type Future = BoxFuture<Result<Self::Response, Self::Error>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, _: http::Request<()>) -> Self::Future {
            let delay = self.delay;
            Box::pin(async move {
                tokio::time::sleep(delay).await;
                Ok(http::Response::new("ok".to_owned()))
            })
        }
    }

    /// A call to `path` from the client at 10.0.0.`client`.
    fn call_to(path: &str, client: u8) -> http::Request<()> {
        let mut request = http::Request::builder().uri(path).body(()).unwrap();
        request
            .extensions_mut()
            .insert(tonic::transport::server::TcpConnectInfo {
                local_addr: None,
                remote_addr: Some(std::net::SocketAddr::from(([10, 0, 0, client], 40_000))),
            });
        request
    }

    fn code<B>(response: &http::Response<B>) -> Option<&str> {
        response
            .headers()
            .get("grpc-status")
            .and_then(|v| v.to_str().ok())
    }

    fn settings() -> LimitSettings {
        LimitSettings {
            max_concurrent_calls: 2,
            calls_per_second: 1.0,
            burst: 3.0,
            call_timeout_ms: 200,
            ..LimitSettings::default()
        }
    }

    #[tokio::test]
    async fn a_burst_past_the_rate_is_refused_per_caller_and_health_is_never_limited() {
        let service = Limits::new(settings()).layer().layer(Slow {
            delay: Duration::ZERO,
        });
        let path = "/passage.v1.MemberService/ListMembers";
        for _ in 0..3 {
            let answer = service.clone().oneshot(call_to(path, 1)).await.unwrap();
            assert_eq!(code(&answer), None, "within the burst");
        }
        let refused = service.clone().oneshot(call_to(path, 1)).await.unwrap();
        assert_eq!(code(&refused), Some("8"), "RESOURCE_EXHAUSTED");
        let mut with_a_token = call_to(path, 1);
        with_a_token.headers_mut().insert(
            "authorization",
            http::HeaderValue::from_static("Bearer made-up"),
        );
        let still = service.clone().oneshot(with_a_token).await.unwrap();
        assert_eq!(code(&still), Some("8"), "a made-up token is no new caller");
        // Another client has a bucket of its own.
        let other = service.clone().oneshot(call_to(path, 2)).await.unwrap();
        assert_eq!(code(&other), None);
        let health = service
            .clone()
            .oneshot(call_to("/grpc.health.v1.Health/Check", 1))
            .await
            .unwrap();
        assert_eq!(code(&health), None);
    }

    // The clock is paused: it moves only when every task waits, so all five calls
    // arrive before the first times out, however busy the machine is.
    #[tokio::test(start_paused = true)]
    async fn calls_past_the_concurrency_limit_are_shed_and_slow_calls_time_out() {
        let limits = Limits::new(LimitSettings {
            calls_per_second: 1000.0,
            burst: 1000.0,
            ..settings()
        });
        let service = limits.layer().layer(Slow {
            delay: Duration::from_millis(400),
        });
        let path = "/passage.v1.MatchService/MatchOpportunities";
        let mut calls = Vec::new();
        for n in 0..5 {
            calls.push(tokio::spawn(service.clone().oneshot(call_to(path, n))));
        }
        let mut codes = Vec::new();
        for call in calls {
            let answer = call.await.unwrap().unwrap();
            codes.push(code(&answer).map(str::to_owned));
        }
        let shed = codes.iter().filter(|c| c.as_deref() == Some("14")).count();
        let timed_out = codes.iter().filter(|c| c.as_deref() == Some("4")).count();
        assert_eq!(shed, 3, "UNAVAILABLE past 2 in flight: {codes:?}");
        assert_eq!(timed_out, 2, "DEADLINE_EXCEEDED after 200 ms: {codes:?}");
        // The permits came back: the server takes calls again.
        assert_eq!(limits.in_flight.available_permits(), 2);
    }

    #[test]
    fn settings_out_of_range_name_their_key() {
        let bad = LimitSettings {
            max_concurrent_calls: 0,
            ..LimitSettings::default()
        };
        assert_eq!(bad.validate().unwrap_err().0, "limits.max_concurrent_calls");
        let bad = LimitSettings {
            calls_per_second: f64::NAN,
            ..LimitSettings::default()
        };
        assert_eq!(bad.validate().unwrap_err().0, "limits.calls_per_second");
        assert!(LimitSettings::default().validate().is_ok());
    }
}
