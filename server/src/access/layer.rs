//! The one tower layer that checks every call against the policy table on the
//! gateway and on every node, passes the admitted caller on, and writes the audit
//! trail. It never logs a token or a seal.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::policy::{Policy, authorise, policy};
use super::{AuditRecord, AuditSubject, Caller, code_name, now_ms};

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
}

impl<G> AccessLayer<G> {
    pub fn new(gatekeeper: G) -> Self {
        AccessLayer { gatekeeper }
    }
}

impl<S, G: Clone> tower::Layer<S> for AccessLayer<G> {
    type Service = Guarded<S, G>;

    fn layer(&self, inner: S) -> Self::Service {
        Guarded {
            inner,
            gatekeeper: self.gatekeeper.clone(),
        }
    }
}

/// A service behind an [`AccessLayer`].
#[derive(Clone)]
pub struct Guarded<S, G> {
    inner: S,
    gatekeeper: G,
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

impl<S, G, RequestBody, ResponseBody> tower::Service<http::Request<RequestBody>> for Guarded<S, G>
where
    S: tower::Service<http::Request<RequestBody>, Response = http::Response<ResponseBody>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    G: Gatekeeper,
    RequestBody: Send + 'static,
    ResponseBody: Default + Send + 'static,
{
    type Response = http::Response<ResponseBody>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<RequestBody>) -> Self::Future {
        // The ready service answers this call; a fresh clone waits for the next.
        let fresh = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, fresh);
        let gatekeeper = self.gatekeeper.clone();
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
            if matches!(policy, Policy::Open | Policy::RegionCertificate) {
                gatekeeper.pass_on(None, None, &path, request.headers_mut());
                return inner.call(request).await;
            }
            let mut region = None;
            let checked = match gatekeeper.identify(request.headers(), &path).await {
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
