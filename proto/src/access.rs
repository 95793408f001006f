//! Who may call what: the roles, the policy of every RPC, and the one tower layer
//! that enforces it on the gateway and on every node.
//!
//! A client presents a bearer token to the gateway. The gateway looks the token up
//! (see `passage_gateway::tokens`), checks the call against [`policy`], and passes
//! the caller on to the region's node as a *sealed identity*: two headers holding
//! the caller and an HMAC-SHA256 over the caller, the method and the time, made with
//! a key only the gateway and that region hold ([`CallerSeal`]). The node checks the
//! seal and the same policy again, so a client that reaches a node directly, or
//! copies a seal onto another method or region, is refused. Handlers read the
//! [`Caller`] from the request's extensions for what the policy cannot see, such as
//! whether a member asks for their own profile.
//!
//! Every call the layer lets through or refuses can be written to an audit trail
//! ([`Gatekeeper::audit`]); the layer never logs a token or a seal.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use hmac::{KeyInit, Mac};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// Header with the caller's identity, as the gateway passes it to a node.
pub const CALLER_HEADER: &str = "x-passage-caller";
/// Header with the gateway's seal over [`CALLER_HEADER`], the method and the time.
pub const SEAL_HEADER: &str = "x-passage-caller-seal";
/// How far a seal's time may lie from the node's clock.
pub const SEAL_WINDOW_MS: i64 = 60_000;

/// What a caller is, as a token says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// A member: their own profile and applications, in their region.
    Member,
    /// A chapter admin: one region's data and rules.
    ChapterAdmin,
    /// The central team: aggregate statistics only.
    CentralAnalyst,
    /// Runs the gateway and the region registry; reads no personal data.
    Operator,
    /// The gateway itself, asking a region for its counted figures. No token
    /// carries this role; only the gateway's seal does.
    Gateway,
}

impl Role {
    /// Every role a token can hold.
    pub const TOKEN_ROLES: [Role; 4] = [
        Role::Member,
        Role::ChapterAdmin,
        Role::CentralAnalyst,
        Role::Operator,
    ];

    /// The role's name in tokens, headers and the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::ChapterAdmin => "chapter_admin",
            Role::CentralAnalyst => "central_analyst",
            Role::Operator => "operator",
            Role::Gateway => "gateway",
        }
    }

    /// The role a name stands for.
    pub fn parse(name: &str) -> Option<Role> {
        [
            Role::Member,
            Role::ChapterAdmin,
            Role::CentralAnalyst,
            Role::Operator,
            Role::Gateway,
        ]
        .into_iter()
        .find(|role| role.as_str() == name)
    }

    /// Whether a token of this role belongs to one region (and must name it).
    pub fn is_regional(self) -> bool {
        matches!(self, Role::Member | Role::ChapterAdmin)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who is calling: the role, and for regional roles the region (and the member).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub role: Role,
    /// The region a member or chapter admin belongs to; for the gateway's own
    /// calls, the region it asks.
    pub region: Option<String>,
    /// The member a member token speaks for.
    pub member_id: Option<String>,
    /// The token's public id (never its secret), for the audit log.
    pub token_id: String,
}

impl Caller {
    /// How the audit log and error messages name the caller.
    pub fn describe(&self) -> String {
        match (&self.region, &self.member_id) {
            (Some(region), Some(member)) => {
                format!("{} {member} of region {region}", self.role)
            }
            (Some(region), None) => format!("{} of region {region}", self.role),
            _ => self.role.to_string(),
        }
    }

    /// Whether the caller may act for member `member_id`: a chapter admin for any
    /// member of their region, a member only for themself.
    pub fn may_act_for(&self, member_id: &str) -> Result<(), tonic::Status> {
        match self.role {
            Role::ChapterAdmin => Ok(()),
            Role::Member if self.member_id.as_deref() == Some(member_id) => Ok(()),
            Role::Member => Err(tonic::Status::permission_denied(
                "a member may only act on their own profile and applications",
            )),
            role => Err(tonic::Status::permission_denied(format!(
                "role {role} may not act for a member"
            ))),
        }
    }

    /// The caller of a request the access layer let through.
    pub fn of<T>(request: &tonic::Request<T>) -> Result<&Caller, tonic::Status> {
        request
            .extensions()
            .get::<Caller>()
            .ok_or_else(|| tonic::Status::unauthenticated("the call carries no checked caller"))
    }
}

/// Who may call an RPC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Anyone, without a token: health checks and reflection (the API's shape,
    /// which is public).
    Open,
    /// A region's node over mTLS, checked by the sync hub against its certificate.
    RegionCertificate,
    /// Operators: the federation's sync state and log.
    Operator,
    /// The central team's aggregate statistics (central analysts and operators).
    Statistics,
    /// A region's counted figures: the gateway, or that region's chapter admin.
    RegionFigures,
    /// The chapter admin of the region the call is for.
    ChapterAdmin,
    /// The chapter admin of the region, or a member of it acting for themself
    /// (the handler checks that it is themself, with [`Caller::may_act_for`]).
    MemberSelf,
    /// Moving home: the chapter admin of the new region (the one the call is for),
    /// or a member asking that region to take them in — a member of the region they
    /// leave, so their token names that one (the handler checks it is themself and
    /// that the region is their home).
    MemberMoving,
}

impl Policy {
    /// Whether calls under this policy are about one region's data.
    pub fn is_regional(self) -> bool {
        matches!(
            self,
            Policy::RegionFigures
                | Policy::ChapterAdmin
                | Policy::MemberSelf
                | Policy::MemberMoving
        )
    }

    /// The roles the policy admits (regional roles only for their own region).
    pub fn admits(self, role: Role) -> bool {
        match self {
            Policy::Open => true,
            Policy::RegionCertificate => false,
            Policy::Operator => role == Role::Operator,
            Policy::Statistics => matches!(role, Role::CentralAnalyst | Role::Operator),
            Policy::RegionFigures => matches!(role, Role::Gateway | Role::ChapterAdmin),
            Policy::ChapterAdmin => role == Role::ChapterAdmin,
            Policy::MemberSelf | Policy::MemberMoving => {
                matches!(role, Role::ChapterAdmin | Role::Member)
            }
        }
    }
}

/// Methods a member may call for themself.
const MEMBER_SELF: [&str; 7] = [
    "/passage.v1.MemberService/GetMember",
    "/passage.v1.MemberService/UpdateMember",
    "/passage.v1.MatchService/MatchOpportunities",
    "/passage.v1.PlacementService/Apply",
    "/passage.v1.PlacementService/GetApplication",
    "/passage.v1.PlacementService/WithdrawApplication",
    "/passage.v1.PlacementService/ListApplications",
];

/// Services whose every method is one region's business: its chapter admin's.
const REGIONAL_SERVICES: [&str; 13] = [
    "passage.v1.MemberService",
    "passage.v1.MarketService",
    "passage.v1.ReviewService",
    "passage.v1.BuddyService",
    "passage.v1.RulesService",
    "passage.v1.MatchService",
    "passage.v1.GroupService",
    "passage.v1.EventService",
    "passage.v1.CoachingService",
    "passage.v1.ExpertPoolService",
    "passage.v1.CaseService",
    "passage.v1.PlacementService",
    "passage.v1.HelpdeskService",
];

/// The policy of the method at `path` (`/package.Service/Method`); `None` for a
/// path that names no method of Passage, which is refused.
pub fn policy(path: &str) -> Option<Policy> {
    let (service, method) = path.strip_prefix('/')?.split_once('/')?;
    if method.is_empty() || method.contains('/') {
        return None;
    }
    if MEMBER_SELF.contains(&path) {
        return Some(Policy::MemberSelf);
    }
    if path == "/passage.v1.MemberService/TransferMember" {
        return Some(Policy::MemberMoving);
    }
    match service {
        "grpc.health.v1.Health"
        | "grpc.reflection.v1.ServerReflection"
        | "grpc.reflection.v1alpha.ServerReflection" => Some(Policy::Open),
        "passage.v1.FederationService" => Some(Policy::RegionCertificate),
        "passage.v1.FederationAdminService" => Some(Policy::Operator),
        "passage.v1.GlobalStatsService" => Some(Policy::Statistics),
        "passage.v1.RegionStatsService" => Some(Policy::RegionFigures),
        "passage.v1.AuditService" => Some(Policy::ChapterAdmin),
        service if REGIONAL_SERVICES.contains(&service) => Some(Policy::ChapterAdmin),
        _ => None,
    }
}

/// Checks `caller` against the policy of `path`, for a call about `region` (the
/// region the gateway routes it to, or the node's own).
pub fn authorise(
    caller: &Caller,
    policy: Policy,
    path: &str,
    region: Option<&str>,
) -> Result<(), tonic::Status> {
    let method = path.trim_start_matches('/');
    if !policy.admits(caller.role) {
        return Err(tonic::Status::permission_denied(format!(
            "{} may not call {method}",
            caller.describe()
        )));
    }
    if policy.is_regional() {
        let Some(region) = region else {
            return Err(tonic::Status::invalid_argument(format!(
                "{}: missing; name the region the call is for",
                crate::REGION_METADATA_KEY
            )));
        };
        // A member asks another region to take them in: their token is their
        // present region's.
        let moving_in = policy == Policy::MemberMoving && caller.role == Role::Member;
        if !moving_in && caller.region.as_deref() != Some(region) {
            return Err(tonic::Status::permission_denied(format!(
                "{} may not call {method} in region {region}",
                caller.describe()
            )));
        }
    }
    Ok(())
}

/// The key the gateway seals callers with for `region`, derived from the
/// federation's caller key: a region's key opens no other region's calls.
pub fn region_key(caller_key: &[u8], region: &str) -> Vec<u8> {
    let mut mac = match HmacSha256::new_from_slice(caller_key) {
        Ok(mac) => mac,
        // HMAC takes keys of any length.
        Err(_) => return Vec::new(),
    };
    mac.update(b"passage region caller key v1\n");
    mac.update(region.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// Reads a key file: 64 hexadecimal characters (32 bytes), with any surrounding
/// white space.
pub fn read_key_file(path: &std::path::Path) -> Result<Vec<u8>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let key = hex::decode(text.trim()).map_err(|_| {
        format!(
            "{} does not hold a key: expected 64 hexadecimal characters",
            path.display()
        )
    })?;
    if key.len() < 32 {
        return Err(format!(
            "{} holds a {}-byte key; at least 32 bytes (64 hexadecimal characters) are needed",
            path.display(),
            key.len()
        ));
    }
    Ok(key)
}

/// A new random 32-byte key, as a key file holds it (64 hexadecimal characters).
pub fn new_key_text() -> Result<String, String> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| format!("no randomness from the system: {e}"))?;
    Ok(hex::encode(key))
}

/// Seals and opens caller identities with one region's key.
#[derive(Clone)]
pub struct CallerSeal {
    key: Vec<u8>,
}

impl std::fmt::Debug for CallerSeal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CallerSeal(<key>)")
    }
}

impl CallerSeal {
    /// A seal with one region's key ([`region_key`]).
    pub fn new(region_key: Vec<u8>) -> Self {
        CallerSeal { key: region_key }
    }

    fn mac(&self, path: &str, identity: &str) -> Option<HmacSha256> {
        let mut mac = HmacSha256::new_from_slice(&self.key).ok()?;
        mac.update(b"passage caller v1\n");
        mac.update(path.as_bytes());
        mac.update(b"\n");
        mac.update(identity.as_bytes());
        Some(mac)
    }

    /// Puts `caller`, sealed for a call of `path` at `now_ms`, into `headers`.
    pub fn seal(&self, caller: &Caller, path: &str, now_ms: i64, headers: &mut http::HeaderMap) {
        let identity = format!(
            "{};{};{};{};{now_ms}",
            caller.role,
            caller.region.as_deref().unwrap_or_default(),
            caller.member_id.as_deref().unwrap_or_default(),
            caller.token_id,
        );
        let Some(mac) = self.mac(path, &identity) else {
            return;
        };
        let seal = hex::encode(mac.finalize().into_bytes());
        if let (Ok(identity), Ok(seal)) = (identity.parse(), seal.parse()) {
            headers.insert(CALLER_HEADER, identity);
            headers.insert(SEAL_HEADER, seal);
        }
    }

    /// The caller sealed into `headers` for a call of `path`, if the seal holds and
    /// is recent; `Ok(None)` when the call carries no identity at all.
    pub fn open(
        &self,
        headers: &http::HeaderMap,
        path: &str,
        now_ms: i64,
    ) -> Result<Option<Caller>, tonic::Status> {
        let refused = |why: &str| tonic::Status::unauthenticated(format!("caller identity {why}"));
        let (Some(identity), Some(seal)) = (headers.get(CALLER_HEADER), headers.get(SEAL_HEADER))
        else {
            return Ok(None);
        };
        let identity = identity
            .to_str()
            .map_err(|_| refused("is not readable text"))?;
        let seal = seal
            .to_str()
            .ok()
            .and_then(|seal| hex::decode(seal).ok())
            .ok_or_else(|| refused("has an unreadable seal"))?;
        let mac = self
            .mac(path, identity)
            .ok_or_else(|| refused("cannot be checked"))?;
        mac.verify_slice(&seal)
            .map_err(|_| refused("has a seal this region's key did not make"))?;
        let fields: Vec<&str> = identity.split(';').collect();
        let [role, region, member, token, sealed_at] = fields[..] else {
            return Err(refused("has the wrong number of fields"));
        };
        let role = Role::parse(role).ok_or_else(|| refused("names no known role"))?;
        let sealed_at: i64 = sealed_at
            .parse()
            .map_err(|_| refused("has an unreadable time"))?;
        if (now_ms - sealed_at).abs() > SEAL_WINDOW_MS {
            return Err(refused(
                "is too old (or the clocks of gateway and node differ by more than a minute)",
            ));
        }
        let some = |text: &str| (!text.is_empty()).then(|| text.to_owned());
        Ok(Some(Caller {
            role,
            region: some(region),
            member_id: some(member),
            token_id: token.to_owned(),
        }))
    }
}

/// The time now, in milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

/// One call, as the audit log keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// When the call came, in milliseconds since the Unix epoch.
    pub at_ms: i64,
    /// The caller, when it was identified.
    pub caller: Option<Caller>,
    /// `passage.v1.Service/Method`.
    pub method: String,
    /// The gRPC status code's name: `OK`, `PERMISSION_DENIED`, …
    pub outcome: String,
    /// What the call was about, when the handler named it (a member id, a case).
    pub subject: Option<String>,
}

/// The thing a handler names as what a call was about, in the response's
/// extensions, for the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditSubject(pub String);

/// Names `subject` as what the answered call was about.
pub fn with_subject<T>(
    mut response: tonic::Response<T>,
    subject: impl Into<String>,
) -> tonic::Response<T> {
    response
        .extensions_mut()
        .insert(AuditSubject(subject.into()));
    response
}

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

/// A status code's name as the gRPC specification spells it: `PERMISSION_DENIED`.
pub fn code_name(code: tonic::Code) -> &'static str {
    use tonic::Code;
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn amsterdam_admin() -> Caller {
        Caller {
            role: Role::ChapterAdmin,
            region: Some("amsterdam".into()),
            member_id: None,
            token_id: "0011223344556677".into(),
        }
    }

    #[test]
    fn a_sealed_caller_opens_only_for_its_method_region_and_minute() {
        let master = [7u8; 32];
        let amsterdam = CallerSeal::new(region_key(&master, "amsterdam"));
        let miami = CallerSeal::new(region_key(&master, "miami"));
        let path = "/passage.v1.CaseService/ListCases";
        let mut headers = http::HeaderMap::new();
        amsterdam.seal(&amsterdam_admin(), path, 1_000_000, &mut headers);

        let opened = amsterdam.open(&headers, path, 1_000_500).unwrap();
        assert_eq!(opened, Some(amsterdam_admin()));
        // Another region's key, another method, a late arrival: refused.
        assert!(miami.open(&headers, path, 1_000_500).is_err());
        assert!(
            amsterdam
                .open(
                    &headers,
                    "/passage.v1.MemberService/DeleteMember",
                    1_000_500
                )
                .is_err()
        );
        let late = amsterdam.open(&headers, path, 1_000_000 + SEAL_WINDOW_MS + 1);
        assert_eq!(late.unwrap_err().code(), tonic::Code::Unauthenticated);
        // A caller who edits the identity (a member posing as a chapter admin).
        let forged = headers
            .get(CALLER_HEADER)
            .unwrap()
            .to_str()
            .unwrap()
            .replace("chapter_admin", "operator");
        headers.insert(CALLER_HEADER, forged.parse().unwrap());
        assert!(amsterdam.open(&headers, path, 1_000_500).is_err());
        // No identity at all is not an error here: the layer asks for a token.
        assert_eq!(
            amsterdam
                .open(&http::HeaderMap::new(), path, 1_000_500)
                .unwrap(),
            None
        );
    }

    #[test]
    fn every_service_has_a_policy_and_unknown_paths_have_none() {
        use prost::Message;
        let files = prost_types::FileDescriptorSet::decode(crate::FILE_DESCRIPTOR_SET)
            .expect("descriptors");
        for file in &files.file {
            for service in &file.service {
                for method in &service.method {
                    let path = format!("/{}.{}/{}", file.package(), service.name(), method.name());
                    assert!(policy(&path).is_some(), "{path} has no policy");
                }
            }
        }
        assert_eq!(policy("/passage.v1.Unknown/Method"), None);
        assert_eq!(policy("/passage.v1.MemberService/"), None);
        assert_eq!(policy("no-slash"), None);
    }

    #[test]
    fn a_chapter_admin_is_held_to_their_region() {
        let admin = amsterdam_admin();
        let path = "/passage.v1.CaseService/ListCases";
        assert!(authorise(&admin, Policy::ChapterAdmin, path, Some("amsterdam")).is_ok());
        let elsewhere = authorise(&admin, Policy::ChapterAdmin, path, Some("miami")).unwrap_err();
        assert_eq!(elsewhere.code(), tonic::Code::PermissionDenied);
        assert!(elsewhere.message().contains("region miami"));
        let stats = authorise(&admin, Policy::Statistics, "/x.Y/Z", None).unwrap_err();
        assert_eq!(stats.code(), tonic::Code::PermissionDenied);
    }
}
