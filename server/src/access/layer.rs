//! The one tower layer that checks every call against the policy table on the
//! gateway and on every node, passes the admitted caller on, and writes the audit
//! trail. It never logs a token or a seal. A call that needs a caller has its
//! request body read first (up to a bound), so that the gateway's seal can bind it
//! and the node can check that binding.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http_body_util::BodyExt as _;

use super::policy::{Policy, authorise, policy};
use super::seal::{BodyDigest, body_digest};
use super::{AuditRecord, AuditSubject, Caller, code_name, now_ms};

/// The largest request body the layer reads unless told otherwise: the default
/// message limit and a mebibyte to spare, so that the service's own limit still
/// names itself for a message just past it.
pub const DEFAULT_MAX_BODY_BYTES: usize = 5 << 20;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// How a server learns who calls it, what region a call is for, and what it keeps
/// of each call: the gateway by bearer token, a node by the gateway's seal.
pub trait Gatekeeper: Clone + Send + Sync + 'static {
    /// The caller a call's headers identify; `Ok(None)` when they carry no
    /// credentials at all.
    fn identify(
        &self,
        headers: &http::HeaderMap,
        path: &str,
        body: &BodyDigest,
    ) -> BoxFuture<Result<Option<Caller>, tonic::Status>>;

    /// The region a call is for: the routed region on the gateway, the node's own
    /// region on a node; an error for a region the server does not know.
    fn region_of(&self, headers: &http::HeaderMap) -> Result<Option<String>, tonic::Status>;

    /// Prepares the headers of an admitted call for the service behind the layer
    /// (the gateway drops the token and seals the caller for the region's node).
    fn pass_on(
        &self,
        caller: Option<&Caller>,
        region: Option<&str>,
        path: &str,
        body: &BodyDigest,
        headers: &mut http::HeaderMap,
    );

    /// Whether calls of `path` are written to the audit log.
    fn audits(&self, path: &str) -> bool;

    /// Keeps one audited call.
    fn audit(&self, record: AuditRecord) -> BoxFuture<()>;
}

/// Puts a [`Gatekeeper`] in front of a server's services.
#[derive(Clone)]
pub struct AccessLayer<G> {
    gatekeeper: G,
    max_body_bytes: usize,
}

impl<G> AccessLayer<G> {
    pub fn new(gatekeeper: G) -> Self {
        AccessLayer {
            gatekeeper,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }

    /// Reads request bodies of at most `max_message_bytes` and a mebibyte more (the
    /// service refuses a message past its own limit, naming it).
    pub fn with_max_message_bytes(mut self, max_message_bytes: usize) -> Self {
        self.max_body_bytes = max_message_bytes.saturating_add(1 << 20);
        self
    }
}

impl<S, G: Clone> tower::Layer<S> for AccessLayer<G> {
    type Service = Guarded<S, G>;

    fn layer(&self, inner: S) -> Self::Service {
        Guarded {
            inner,
            gatekeeper: self.gatekeeper.clone(),
            max_body_bytes: self.max_body_bytes,
        }
    }
}

/// A service behind an [`AccessLayer`].
#[derive(Clone)]
pub struct Guarded<S, G> {
    inner: S,
    gatekeeper: G,
    max_body_bytes: usize,
}

/// Reads a request's whole body (at most `max` bytes): its digest, and the body
/// again for the service.
async fn read_body(
    body: tonic::body::Body,
    max: usize,
) -> Result<(BodyDigest, tonic::body::Body), tonic::Status> {
    let bytes = http_body_util::Limited::new(body, max)
        .collect()
        .await
        .map_err(|error| {
            if error.is::<http_body_util::LengthLimitError>() {
                tonic::Status::out_of_range(format!(
                    "the request is larger than this server reads ({max} bytes)"
                ))
            } else {
                tonic::Status::cancelled(format!("the request's body did not arrive: {error}"))
            }
        })?
        .to_bytes();
    let digest = body_digest(&bytes);
    Ok((
        digest,
        tonic::body::Body::new(http_body_util::Full::new(bytes)),
    ))
}

/// The gRPC status code an answer carries in its headers (a refusal, or a
/// handler's error); an answer without one succeeded so far.
fn outcome_of<B>(response: &http::Response<B>) -> String {
    let code = response
        .headers()
        .get("grpc-status")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<i32>().ok())
        .unwrap_or(0);
    code_name(tonic::Code::from(code)).to_owned()
}

impl<S, G, ResponseBody> tower::Service<http::Request<tonic::body::Body>> for Guarded<S, G>
where
    S: tower::Service<http::Request<tonic::body::Body>, Response = http::Response<ResponseBody>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    G: Gatekeeper,
    ResponseBody: Default + Send + 'static,
{
    type Response = http::Response<ResponseBody>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<tonic::body::Body>) -> Self::Future {
        // The ready service answers this call; a fresh clone waits for the next.
        let fresh = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, fresh);
        let gatekeeper = self.gatekeeper.clone();
        let max_body_bytes = self.max_body_bytes;
        Box::pin(async move {
            let at_ms = now_ms();
            let path = request.uri().path().to_owned();
            let method = path.trim_start_matches('/').to_owned();
            let Some(policy) = policy(&path) else {
                return Ok(tonic::Status::unimplemented(format!(
                    "{method} is not a method of this server"
                ))
                .into_http());
            };
            if matches!(
                policy,
                Policy::Open | Policy::RegionCertificate | Policy::SigningIn
            ) {
                let unread = body_digest(b"");
                gatekeeper.pass_on(None, None, &path, &unread, request.headers_mut());
                return inner.call(request).await;
            }
            let (parts, body) = request.into_parts();
            let (digest, body) = match read_body(body, max_body_bytes).await {
                Ok(read) => read,
                Err(refusal) => return Ok(refusal.into_http()),
            };
            let mut request = http::Request::from_parts(parts, body);
            let mut region = None;
            let checked = match gatekeeper.identify(request.headers(), &path, &digest).await {
                Ok(Some(caller)) => {
                    let verdict = gatekeeper.region_of(request.headers()).and_then(|routed| {
                        region = routed;
                        authorise(&caller, policy, &path, region.as_deref())
                    });
                    (Some(caller), verdict)
                }
                Ok(None) => (
                    None,
                    Err(tonic::Status::unauthenticated(
                        "authorization: no bearer token; send `authorization: Bearer <token>` \
                         (tokens are made with `passage admin token create`)",
                    )),
                ),
                Err(refusal) => (None, Err(refusal)),
            };
            let audited = gatekeeper.audits(&path);
            let (caller, verdict) = checked;
            if let Err(refusal) = verdict {
                if audited {
                    gatekeeper
                        .audit(AuditRecord {
                            at_ms,
                            caller,
                            method,
                            outcome: code_name(refusal.code()).to_owned(),
                            subject: None,
                        })
                        .await;
                }
                return Ok(refusal.into_http());
            }
            gatekeeper.pass_on(
                caller.as_ref(),
                region.as_deref(),
                &path,
                &digest,
                request.headers_mut(),
            );
            if let Some(caller) = &caller {
                request.extensions_mut().insert(caller.clone());
            }
            let response = inner.call(request).await?;
            if audited {
                let subject = response
                    .extensions()
                    .get::<AuditSubject>()
                    .map(|subject| subject.0.clone());
                gatekeeper
                    .audit(AuditRecord {
                        at_ms,
                        caller,
                        method,
                        outcome: outcome_of(&response),
                        subject,
                    })
                    .await;
            }
            Ok(response)
        })
    }
}
