//! Prometheus metrics of the gRPC calls a server answers, per method (the request
//! path, such as `/passage.v1.MemberService/GetMember`): one tower layer that the
//! node and the gateway both put in front of their tonic server.
//!
//! What is counted:
//! - `passage_grpc_requests_total`: every call, when it arrives (a long stream such
//!   as `Sync` counts while it is still open);
//! - `passage_grpc_errors_total`: every call that ended with a status other than
//!   OK, by its gRPC code. The status is the `grpc-status` header of a
//!   trailers-only response (how tonic answers most errors), else the
//!   `grpc-status` trailer at the end of the body (how every OK, and an error in
//!   the middle of a stream, is sent). A response body that is dropped before it
//!   ends (the client went away) counts as `CANCELLED`; one that ends without any
//!   status, or a service that fails outright, as `UNKNOWN`;
//! - `passage_grpc_request_duration_seconds`: a histogram of the time from the
//!   request's arrival to the end of its response (for a stream, how long it was
//!   open), for every ended call whatever its status.
//!
//! A server keeps at most [`MAX_METHODS`] distinct methods; calls to further paths
//! (a client probing unknown ones) are counted under `method="other"`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::task::{Context, Poll};
use std::time::Instant;

use http_body::{Body, Frame, SizeHint};

/// Upper bounds of the latency histogram's buckets, in seconds (1 ms to 5 s).
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// The most distinct method labels a server keeps.
pub const MAX_METHODS: usize = 500;

/// The canonical names of the gRPC status codes, by number.
const CODE_NAMES: [&str; 17] = [
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
];
const CANCELLED: usize = 1;
const UNKNOWN: usize = 2;

/// One method's figures, updated without a lock.
#[derive(Debug, Default)]
struct MethodFigures {
    requests: AtomicU64,
    /// Ended calls by status code (index: the code's number).
    ended: [AtomicU64; CODE_NAMES.len()],
    /// Ended calls per latency bucket (not cumulative; the last one is `+Inf`).
    buckets: [AtomicU64; LATENCY_BUCKETS.len() + 1],
    latency_micros: AtomicU64,
}

/// The call figures of one server, shared by its layer and its `/metrics` page.
#[derive(Debug, Clone, Default)]
pub struct CallMetrics {
    methods: Arc<RwLock<HashMap<String, Arc<MethodFigures>>>>,
}

impl CallMetrics {
    pub fn new() -> Self {
        Self::default()
    }

    /// The tower layer that counts every call into these figures.
    pub fn layer(&self) -> CallMetricsLayer {
        CallMetricsLayer {
            metrics: self.clone(),
        }
    }

    fn method(&self, path: &str) -> Arc<MethodFigures> {
        if let Some(figures) = self
            .methods
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(path)
        {
            return figures.clone();
        }
        let mut methods = self.methods.write().unwrap_or_else(PoisonError::into_inner);
        let key = if methods.len() < MAX_METHODS || methods.contains_key(path) {
            path
        } else {
            "other"
        };
        methods.entry(key.to_owned()).or_default().clone()
    }

    /// A call to `path` arrived; the returned record ends it.
    fn start(&self, path: &str) -> CallRecord {
        let figures = self.method(path);
        figures.requests.fetch_add(1, Ordering::Relaxed);
        CallRecord {
            figures: Some(figures),
            started: Instant::now(),
            code: None,
        }
    }

    /// The Prometheus text exposition of every method's figures, methods in order.
    pub fn render(&self) -> String {
        let methods: Vec<(String, Arc<MethodFigures>)> = {
            let methods = self.methods.read().unwrap_or_else(PoisonError::into_inner);
            let mut methods: Vec<_> = methods
                .iter()
                .map(|(path, figures)| (label_value(path), figures.clone()))
                .collect();
            methods.sort_by(|a, b| a.0.cmp(&b.0));
            methods
        };
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP passage_grpc_requests_total gRPC calls received, by method."
        );
        let _ = writeln!(out, "# TYPE passage_grpc_requests_total counter");
        for (method, figures) in &methods {
            let _ = writeln!(
                out,
                "passage_grpc_requests_total{{method=\"{method}\"}} {}",
                figures.requests.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "# HELP passage_grpc_errors_total gRPC calls that ended with a status other than OK, by method and code."
        );
        let _ = writeln!(out, "# TYPE passage_grpc_errors_total counter");
        for (method, figures) in &methods {
            for (code, name) in CODE_NAMES.iter().enumerate().skip(1) {
                let ended = figures.ended[code].load(Ordering::Relaxed);
                if ended > 0 {
                    let _ = writeln!(
                        out,
                        "passage_grpc_errors_total{{method=\"{method}\",code=\"{name}\"}} {ended}"
                    );
                }
            }
        }
        let name = "passage_grpc_request_duration_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} Time from a gRPC call's arrival to the end of its response, by method."
        );
        let _ = writeln!(out, "# TYPE {name} histogram");
        for (method, figures) in &methods {
            let micros = figures.latency_micros.load(Ordering::Relaxed);
            write_histogram(
                &mut out,
                name,
                &format!("method=\"{method}\""),
                &LATENCY_BUCKETS,
                &figures.buckets,
                micros as f64 / 1e6,
            );
        }
        out
    }
}

/// Writes one histogram's series with `labels` (not empty): its cumulative
/// buckets from the per-bucket counts `buckets` (one per bound in `bounds`,
/// then `+Inf`), its sum in seconds and its count.
pub(crate) fn write_histogram(
    out: &mut String,
    name: &str,
    labels: &str,
    bounds: &[f64],
    buckets: &[AtomicU64],
    sum_seconds: f64,
) {
    let mut cumulative = 0;
    for (index, bound) in bounds.iter().enumerate() {
        cumulative += buckets[index].load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{bound}\"}} {cumulative}");
    }
    cumulative += buckets[bounds.len()].load(Ordering::Relaxed);
    let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {cumulative}");
    let _ = writeln!(out, "{name}_sum{{{labels}}} {sum_seconds}");
    let _ = writeln!(out, "{name}_count{{{labels}}} {cumulative}");
}

/// One call in flight: recorded once, when its response ends or is dropped.
#[derive(Debug)]
struct CallRecord {
    figures: Option<Arc<MethodFigures>>,
    started: Instant,
    /// The status, once a header or trailer has told it.
    code: Option<usize>,
}

impl CallRecord {
    /// Takes the status from a `grpc-status` header or trailer, if there is one.
    fn read_status(&mut self, headers: &http::HeaderMap) {
        if let Some(code) = headers
            .get("grpc-status")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<usize>().ok())
        {
            self.code = Some(if code < CODE_NAMES.len() {
                code
            } else {
                UNKNOWN
            });
        }
    }

    fn finish(&mut self, otherwise: usize) {
        let Some(figures) = self.figures.take() else {
            return;
        };
        let code = self.code.unwrap_or(otherwise);
        figures.ended[code].fetch_add(1, Ordering::Relaxed);
        let elapsed = self.started.elapsed();
        let seconds = elapsed.as_secs_f64();
        let bucket = LATENCY_BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(LATENCY_BUCKETS.len());
        figures.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        figures.latency_micros.fetch_add(
            u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }
}

impl Drop for CallRecord {
    fn drop(&mut self) {
        self.finish(CANCELLED);
    }
}

/// Counts every call through the service it wraps ([`CallMetrics::layer`]).
#[derive(Debug, Clone)]
pub struct CallMetricsLayer {
    metrics: CallMetrics,
}

impl<S> tower::Layer<S> for CallMetricsLayer {
    type Service = CallMetricsService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CallMetricsService {
            inner,
            metrics: self.metrics.clone(),
        }
    }
}

/// A service whose calls are counted.
#[derive(Debug, Clone)]
pub struct CallMetricsService<S> {
    inner: S,
    metrics: CallMetrics,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, RequestBody, ResponseBody> tower::Service<http::Request<RequestBody>>
    for CallMetricsService<S>
where
    S: tower::Service<http::Request<RequestBody>, Response = http::Response<ResponseBody>>,
    S::Future: Send + 'static,
{
    type Response = http::Response<MeteredBody<ResponseBody>>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<RequestBody>) -> Self::Future {
        let mut record = self.metrics.start(request.uri().path());
        let response = self.inner.call(request);
        Box::pin(async move {
            match response.await {
                Ok(response) => {
                    record.read_status(response.headers());
                    Ok(response.map(|body| MeteredBody { body, record }))
                }
                Err(error) => {
                    record.finish(UNKNOWN);
                    Err(error)
                }
            }
        })
    }
}

pin_project_lite::pin_project! {
    /// A response body that records its call when it ends, reading the status from
    /// its trailers.
    #[derive(Debug)]
    pub struct MeteredBody<B> {
        #[pin]
        body: B,
        record: CallRecord,
    }
}

impl<B: Body> Body for MeteredBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        let polled = this.body.poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(trailers) = frame.trailers_ref() {
                    this.record.read_status(trailers);
                    this.record.finish(UNKNOWN);
                }
            }
            Poll::Ready(Some(Err(_))) => this.record.finish(UNKNOWN),
            Poll::Ready(None) => this.record.finish(UNKNOWN),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// `text` as a Prometheus label value: backslash, double quote and line feed
/// escaped, so a client's odd request path cannot break the exposition.
fn label_value(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            '"' => escaped.push_str("\\\""),
            '\n' => escaped.push_str("\\n"),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn ended(metrics: &CallMetrics, path: &str, status: Option<&str>, millis: u64) {
        let mut record = metrics.start(path);
        record.started = Instant::now()
            .checked_sub(std::time::Duration::from_millis(millis))
            .unwrap();
        let mut headers = http::HeaderMap::new();
        if let Some(status) = status {
            headers.insert("grpc-status", status.parse().unwrap());
        }
        record.read_status(&headers);
        record.finish(UNKNOWN);
    }

    #[test]
    fn renders_counters_and_a_cumulative_histogram_per_method() {
        let metrics = CallMetrics::new();
        let get = "/passage.v1.MemberService/GetMember";
        let create = "/passage.v1.MemberService/CreateMember";
        ended(&metrics, get, Some("0"), 3);
        ended(&metrics, get, Some("5"), 30);
        ended(&metrics, create, Some("3"), 700);
        ended(&metrics, create, None, 7000);
        drop(metrics.start(create));
        let _open = metrics.start(create);

        let text = metrics.render();
        let lines: Vec<&str> = text.lines().collect();
        for expected in [
            "# TYPE passage_grpc_requests_total counter",
            "passage_grpc_requests_total{method=\"/passage.v1.MemberService/GetMember\"} 2",
            "passage_grpc_requests_total{method=\"/passage.v1.MemberService/CreateMember\"} 4",
            "# TYPE passage_grpc_errors_total counter",
            "passage_grpc_errors_total{method=\"/passage.v1.MemberService/GetMember\",code=\"NOT_FOUND\"} 1",
            "passage_grpc_errors_total{method=\"/passage.v1.MemberService/CreateMember\",code=\"INVALID_ARGUMENT\"} 1",
            "passage_grpc_errors_total{method=\"/passage.v1.MemberService/CreateMember\",code=\"UNKNOWN\"} 1",
            "passage_grpc_errors_total{method=\"/passage.v1.MemberService/CreateMember\",code=\"CANCELLED\"} 1",
            "# TYPE passage_grpc_request_duration_seconds histogram",
            "passage_grpc_request_duration_seconds_bucket{method=\"/passage.v1.MemberService/GetMember\",le=\"0.001\"} 0",
            "passage_grpc_request_duration_seconds_bucket{method=\"/passage.v1.MemberService/GetMember\",le=\"0.005\"} 1",
            "passage_grpc_request_duration_seconds_bucket{method=\"/passage.v1.MemberService/GetMember\",le=\"0.025\"} 1",
            "passage_grpc_request_duration_seconds_bucket{method=\"/passage.v1.MemberService/GetMember\",le=\"0.05\"} 2",
            "passage_grpc_request_duration_seconds_bucket{method=\"/passage.v1.MemberService/GetMember\",le=\"+Inf\"} 2",
            "passage_grpc_request_duration_seconds_count{method=\"/passage.v1.MemberService/GetMember\"} 2",
            "passage_grpc_request_duration_seconds_bucket{method=\"/passage.v1.MemberService/CreateMember\",le=\"0.5\"} 1",
            "passage_grpc_request_duration_seconds_bucket{method=\"/passage.v1.MemberService/CreateMember\",le=\"1\"} 2",
            "passage_grpc_request_duration_seconds_bucket{method=\"/passage.v1.MemberService/CreateMember\",le=\"0.001\"} 1",
            "passage_grpc_request_duration_seconds_bucket{method=\"/passage.v1.MemberService/CreateMember\",le=\"+Inf\"} 3",
            "passage_grpc_request_duration_seconds_count{method=\"/passage.v1.MemberService/CreateMember\"} 3",
        ] {
            assert!(lines.contains(&expected), "missing {expected:?} in\n{text}");
        }
        assert!(!text.contains("code=\"OK\""), "OK is not an error:\n{text}");
        let sum = lines
            .iter()
            .find_map(|line| {
                line.strip_prefix("passage_grpc_request_duration_seconds_sum{method=\"/passage.v1.MemberService/GetMember\"} ")
            })
            .unwrap();
        let sum: f64 = sum.parse().unwrap();
        assert!((0.033..0.05).contains(&sum), "{sum}");
    }

    #[test]
    fn unknown_paths_beyond_the_limit_share_one_label() {
        let metrics = CallMetrics::new();
        for n in 0..MAX_METHODS + 3 {
            ended(&metrics, &format!("/probe/{n}"), Some("12"), 1);
        }
        let text = metrics.render();
        assert!(
            text.contains("passage_grpc_requests_total{method=\"other\"} 3"),
            "{text}"
        );
        assert!(!text.contains(&format!("/probe/{}\"", MAX_METHODS + 2)));
    }
}
