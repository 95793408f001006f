//! Tokens for the demo, the benchmarks and the end-to-end tests: an operator, a
//! central analyst and a chapter admin for each region, made fresh (random) once
//! per process and given to every federation the process starts
//! ([`crate::federation::FederationPlan::demo_credentials`]). A real gateway never
//! holds them: its tokens are made with `passage admin token create`.

use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock, PoisonError};

use passage_server::access::Role;

/// The demo's tokens.
#[derive(Debug, Default)]
pub struct DemoCredentials {
    operator: String,
    central_analyst: String,
    chapter_admins: Mutex<BTreeMap<String, String>>,
}

fn new_token() -> anyhow::Result<String> {
    let secret = passage_server::access::new_key_text().map_err(anyhow::Error::msg)?;
    let id = passage_server::access::new_key_text().map_err(anyhow::Error::msg)?;
    Ok(format!("psg_{}_{secret}", &id[..16]))
}

/// This process's demo tokens.
pub fn demo() -> &'static DemoCredentials {
    static CREDENTIALS: OnceLock<DemoCredentials> = OnceLock::new();
    CREDENTIALS.get_or_init(|| DemoCredentials {
        operator: new_token().unwrap_or_default(),
        central_analyst: new_token().unwrap_or_default(),
        chapter_admins: Mutex::default(),
    })
}

impl DemoCredentials {
    /// The operator's token.
    pub fn operator(&self) -> &str {
        &self.operator
    }

    /// The central analyst's token.
    pub fn central_analyst(&self) -> &str {
        &self.central_analyst
    }

    /// The chapter admin token of `region` (made on first use).
    pub fn chapter_admin(&self, region: &str) -> String {
        let mut admins = self
            .chapter_admins
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        admins
            .entry(region.to_owned())
            .or_insert_with(|| new_token().unwrap_or_default())
            .clone()
    }

    /// Every token a federation of `regions` is given, with its role and region.
    pub fn grants(&self, regions: &[String]) -> Vec<(String, Role, Option<String>)> {
        let mut grants = vec![
            (self.operator.clone(), Role::Operator, None),
            (self.central_analyst.clone(), Role::CentralAnalyst, None),
        ];
        for region in regions {
            grants.push((
                self.chapter_admin(region),
                Role::ChapterAdmin,
                Some(region.clone()),
            ));
        }
        grants
    }
}

/// Adds `authorization: Bearer <token>` to `request`.
pub fn bearer<T>(mut request: tonic::Request<T>, token: &str) -> anyhow::Result<tonic::Request<T>> {
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse()?);
    Ok(request)
}

/// `message` as the demo's operator sends it.
pub fn as_operator<T>(message: T) -> anyhow::Result<tonic::Request<T>> {
    bearer(tonic::Request::new(message), demo().operator())
}

/// `message` as the demo's central analyst sends it.
pub fn as_analyst<T>(message: T) -> anyhow::Result<tonic::Request<T>> {
    bearer(tonic::Request::new(message), demo().central_analyst())
}

/// Calls straight to a region's node, sealed as the gateway would seal them, for
/// benchmarks that measure a node alone. Writes the region's key file.
pub struct SealedChapterAdmin {
    seal: passage_server::access::CallerSeal,
    caller: passage_server::access::Caller,
}

impl SealedChapterAdmin {
    /// A chapter admin of `region`, with a fresh key written to `key_file` for the
    /// node's `[auth] gateway_key_file`.
    pub fn new(region: &str, key_file: &std::path::Path) -> anyhow::Result<Self> {
        let key = passage_server::access::new_key_text().map_err(anyhow::Error::msg)?;
        std::fs::write(key_file, format!("{key}\n"))?;
        let key = passage_server::access::read_key_file(key_file).map_err(anyhow::Error::msg)?;
        Ok(SealedChapterAdmin {
            seal: passage_server::access::CallerSeal::new(key),
            caller: passage_server::access::Caller {
                role: Role::ChapterAdmin,
                region: Some(region.to_owned()),
                member_id: None,
                organisation_id: None,
                token_id: "bench".into(),
            },
        })
    }

    /// A chapter admin of `region`, sealed with the key in `key_file` (the one the
    /// region's node reads).
    pub fn from_key_file(region: &str, key_file: &std::path::Path) -> anyhow::Result<Self> {
        let key = passage_server::access::read_key_file(key_file).map_err(anyhow::Error::msg)?;
        Ok(SealedChapterAdmin {
            seal: passage_server::access::CallerSeal::new(key),
            caller: passage_server::access::Caller {
                role: Role::ChapterAdmin,
                region: Some(region.to_owned()),
                member_id: None,
                organisation_id: None,
                token_id: "test".into(),
            },
        })
    }

    /// `message` for the method at `path` (a unary call), sealed for its body.
    pub fn request<T: prost::Message>(&self, path: &str, message: T) -> tonic::Request<T> {
        let body =
            passage_server::access::body_digest(&passage_server::access::unary_body(&message));
        let mut headers = http::HeaderMap::new();
        self.seal.seal(
            &self.caller,
            path,
            passage_server::access::now_ms(),
            &body,
            &mut headers,
        );
        tonic::Request::from_parts(
            tonic::metadata::MetadataMap::from_headers(headers),
            Default::default(),
            message,
        )
    }
}

/// A channel to a region's node whose every call is sealed as a chapter admin's
/// (the way the gateway passes one on), for tests and benchmarks that call nodes
/// directly; or, made with [`SealedChannel::as_is`], a channel whose calls go as
/// they are (to the gateway, with their bearer token).
#[derive(Clone)]
pub struct SealedChannel {
    channel: tonic::transport::Channel,
    admin: Option<std::sync::Arc<SealedChapterAdmin>>,
}

impl SealedChannel {
    pub fn new(channel: tonic::transport::Channel, admin: SealedChapterAdmin) -> Self {
        SealedChannel {
            channel,
            admin: Some(std::sync::Arc::new(admin)),
        }
    }

    /// Calls go on `channel` unsealed.
    pub fn as_is(channel: tonic::transport::Channel) -> Self {
        SealedChannel {
            channel,
            admin: None,
        }
    }
}

impl tower::Service<http::Request<tonic::body::Body>> for SealedChannel {
    type Response = http::Response<tonic::body::Body>;
    type Error = tonic::transport::Error;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>,
    >;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        tower::Service::poll_ready(&mut self.channel, cx)
    }

    fn call(&mut self, request: http::Request<tonic::body::Body>) -> Self::Future {
        let Some(admin) = self.admin.clone() else {
            return Box::pin(tower::Service::call(&mut self.channel, request));
        };
        // The seal binds the body: read it first (a unary call's is small). The
        // channel that was polled ready answers; a fresh clone waits for the next.
        let fresh = self.channel.clone();
        let mut channel = std::mem::replace(&mut self.channel, fresh);
        Box::pin(async move {
            use http_body_util::BodyExt as _;
            let (mut parts, body) = request.into_parts();
            // A body that cannot be read goes on empty and unsealed: the node
            // refuses it for want of a caller, rather than acting on an empty request.
            let bytes = match body.collect().await {
                Ok(collected) => {
                    let bytes = collected.to_bytes();
                    admin.seal.seal(
                        &admin.caller,
                        parts.uri.path(),
                        passage_server::access::now_ms(),
                        &passage_server::access::body_digest(&bytes),
                        &mut parts.headers,
                    );
                    bytes
                }
                Err(_) => bytes::Bytes::new(),
            };
            let request = http::Request::from_parts(
                parts,
                tonic::body::Body::new(http_body_util::Full::new(bytes)),
            );
            tower::Service::call(&mut channel, request).await
        })
    }
}

/// Writes the demo's tokens to `path` as shell variables (`AMSTERDAM_TOKEN=…`,
/// `OPERATOR_TOKEN`, `ANALYST_TOKEN`, and `PASSAGE_TOKEN` for `passage admin`), with
/// where the gateway answers (`gateway`, such as `https://127.0.0.1:24050`: as
/// `PASSAGE_GATEWAY` for `passage admin` and as `G`, host and port, for grpcurl),
/// readable by its owner only, for `. data/tokens.env` before calling the demo.
pub fn write_demo_token_file(
    path: &std::path::Path,
    gateway: &str,
    regions: &[&str],
) -> anyhow::Result<()> {
    use std::io::Write as _;
    let demo = demo();
    let mut text =
        String::from("# The demo's tokens (new each time the demo starts; valid for a week).\n");
    text += &format!("export PASSAGE_GATEWAY={gateway}\n");
    let address = gateway
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    text += &format!("export G={address}\n");
    text += &format!("export OPERATOR_TOKEN={}\n", demo.operator());
    text += &format!("export ANALYST_TOKEN={}\n", demo.central_analyst());
    text += &format!("export PASSAGE_TOKEN={}\n", demo.operator());
    for region in regions {
        let name = region.to_uppercase().replace('-', "_");
        text += &format!("export {name}_TOKEN={}\n", demo.chapter_admin(region));
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    Ok(())
}
