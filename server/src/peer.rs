//! The peer a node answers: a node serves its port over mutual TLS, and every
//! certificate the federation's CA signed gets through the handshake — the gateway's
//! and every region's. This layer lets through only calls whose client certificate
//! names the gateway (`gateway.passage`), so another region's node, holding a
//! certificate of the same CA, cannot call a node directly. Health checks are open to
//! every federation certificate, so a probe can use the node's own.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};

/// Calls every federation certificate may make: the gRPC health check.
const OPEN_TO_THE_FEDERATION: &str = "/grpc.health.v1.Health/";

/// The DNS names on the leaf certificate a call's connection presented, if it came
/// over TLS with a client certificate.
pub fn peer_names<B>(request: &http::Request<B>) -> Option<Vec<String>> {
    let info = request
        .extensions()
        .get::<TlsConnectInfo<TcpConnectInfo>>()?;
    let certificates = info.peer_certs()?;
    certificate_names(certificates.first()?.as_ref())
}

/// The DNS names of a DER certificate's subject alternative names, if it reads.
pub fn certificate_names(der: &[u8]) -> Option<Vec<String>> {
    let (_, certificate) = x509_parser::parse_x509_certificate(der).ok()?;
    let names = certificate.subject_alternative_name().ok()??;
    Some(
        names
            .value
            .general_names
            .iter()
            .filter_map(|name| match name {
                x509_parser::extensions::GeneralName::DNSName(dns) => Some((*dns).to_owned()),
                _ => None,
            })
            .collect(),
    )
}

/// Answers only calls whose client certificate carries `name` (health checks from
/// any certificate).
#[derive(Debug, Clone)]
pub struct PeerNameLayer {
    name: &'static str,
}

impl PeerNameLayer {
    /// Lets through calls from a certificate naming `name`.
    pub fn new(name: &'static str) -> Self {
        PeerNameLayer { name }
    }
}

impl<S> tower::Layer<S> for PeerNameLayer {
    type Service = PeerNamed<S>;

    fn layer(&self, inner: S) -> Self::Service {
        PeerNamed {
            inner,
            name: self.name,
        }
    }
}

/// A service behind [`PeerNameLayer`].
#[derive(Debug, Clone)]
pub struct PeerNamed<S> {
    inner: S,
    name: &'static str,
}

impl<S> PeerNamed<S> {
    /// Why a call may not pass, if it may not.
    fn refusal<B>(&self, request: &http::Request<B>) -> Option<tonic::Status> {
        if request.uri().path().starts_with(OPEN_TO_THE_FEDERATION) {
            return None;
        }
        match peer_names(request) {
            Some(names) if names.iter().any(|n| n == self.name) => None,
            Some(names) => Some(tonic::Status::permission_denied(format!(
                "this node answers only the gateway (a certificate naming {}); \
                 this connection's certificate names {}",
                self.name,
                if names.is_empty() {
                    "nothing".to_owned()
                } else {
                    names.join(", ")
                }
            ))),
            None => Some(tonic::Status::unauthenticated(format!(
                "this node answers only the gateway, over mutual TLS with a certificate \
                 naming {}",
                self.name
            ))),
        }
    }
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, RequestBody, ResponseBody> tower::Service<http::Request<RequestBody>> for PeerNamed<S>
where
    S: tower::Service<http::Request<RequestBody>, Response = http::Response<ResponseBody>>,
    S::Future: Send + 'static,
    ResponseBody: Default + Send + 'static,
{
    type Response = http::Response<ResponseBody>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<RequestBody>) -> Self::Future {
        match self.refusal(&request) {
            Some(status) => Box::pin(async move { Ok(status.into_http()) }),
            None => Box::pin(self.inner.call(request)),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn a_call_without_a_certificate_is_refused_but_a_health_check_is_not() {
        let layer = PeerNamed {
            inner: (),
            name: "gateway.passage",
        };
        let call = http::Request::builder()
            .uri("/passage.v1.MemberService/GetMember")
            .body(())
            .unwrap();
        let refusal = layer.refusal(&call).expect("refused");
        assert_eq!(refusal.code(), tonic::Code::Unauthenticated);
        assert!(refusal.message().contains("gateway.passage"));
        let health = http::Request::builder()
            .uri("/grpc.health.v1.Health/Check")
            .body(())
            .unwrap();
        assert!(layer.refusal(&health).is_none());
    }
}
