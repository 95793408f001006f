//! Who may call what: the roles, the policy of every RPC, and the one tower layer
//! that enforces it on the gateway and on every node.
//!
//! A client presents a bearer token to the gateway. The gateway looks the token up
//! (see `passage_gateway::tokens`), checks the call against [`policy`], and passes
//! the caller on to the region's node as a *sealed identity*: two headers holding
//! the caller and an HMAC-SHA256 over the caller, the method, the time, a nonce and
//! the request body's digest, made with a key only the gateway and that region hold
//! ([`CallerSeal`]). The node checks the seal, that its nonce is new, and the same
//! policy again, so a client that reaches a node directly, or copies a seal onto
//! another method, region or body, or replays it, is refused. Handlers read the
//! [`Caller`] from the request's extensions for what the policy cannot see, such as
//! whether a member asks for their own profile.
//!
//! Every call the layer lets through or refuses can be written to an audit trail
//! ([`Gatekeeper::audit`]); the layer never logs a token or a seal.
//!
//! The parts: [`policy`] (who may call which RPC), [`seal`] (the gateway's sealed
//! caller identity for a region's node) and [`layer`] (the tower layer that checks
//! every call and writes the audit trail).

pub mod layer;
pub mod policy;
pub mod seal;

pub use layer::{AccessLayer, DEFAULT_MAX_BODY_BYTES, Gatekeeper, Guarded};
pub use policy::{Policy, authorise, policy};
pub use seal::{
    BodyDigest, CALLER_HEADER, CallerSeal, SEAL_HEADER, SEAL_WINDOW_MS, Sealed, SeenNonces,
    body_digest, new_key_text, read_key_file, region_key, unary_body,
};

/// What a caller is, as a token says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// A member: their own profile, applications, registrations and groups, in
    /// their region.
    Member,
    /// A chapter admin: one region's data and rules.
    ChapterAdmin,
    /// An organisation's contact: their organisation's opportunities, the
    /// applications to them, the members matching them and its fair
    /// presentations, in the organisation's region. Never a residence status, a
    /// permit or what the rules conclude about a person.
    Organisation,
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
    pub const TOKEN_ROLES: [Role; 5] = [
        Role::Member,
        Role::ChapterAdmin,
        Role::Organisation,
        Role::CentralAnalyst,
        Role::Operator,
    ];

    /// The role's name in tokens, headers and the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::ChapterAdmin => "chapter_admin",
            Role::Organisation => "organisation",
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
            Role::Organisation,
            Role::CentralAnalyst,
            Role::Operator,
            Role::Gateway,
        ]
        .into_iter()
        .find(|role| role.as_str() == name)
    }

    /// Whether a token of this role belongs to one region (and must name it).
    pub fn is_regional(self) -> bool {
        matches!(self, Role::Member | Role::ChapterAdmin | Role::Organisation)
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
    /// The organisation an organisation token speaks for (an organisation of
    /// `region`).
    pub organisation_id: Option<String>,
    /// The token's public id (never its secret), for the audit log.
    pub token_id: String,
}

impl Caller {
    /// How the audit log and error messages name the caller.
    pub fn describe(&self) -> String {
        match (
            &self.region,
            self.member_id.as_ref().or(self.organisation_id.as_ref()),
        ) {
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
                "a member may only act for themself: their own profile, applications, event registrations, groups, questions, buddy pairs and records",
            )),
            role => Err(tonic::Status::permission_denied(format!(
                "role {role} may not act for a member"
            ))),
        }
    }

    /// Whether the caller may act for organisation `organisation_id`: a chapter
    /// admin for any organisation of their region, an organisation's contact only
    /// for their own. The one place the node holds an organisation to its own
    /// opportunities, applications and fair presentations.
    pub fn may_act_for_organisation(&self, organisation_id: &str) -> Result<(), tonic::Status> {
        match self.role {
            Role::ChapterAdmin => Ok(()),
            Role::Organisation if self.organisation_id.as_deref() == Some(organisation_id) => {
                Ok(())
            }
            Role::Organisation => Err(tonic::Status::permission_denied(
                "an organisation may only act for itself: its own opportunities, the applications to them and its fair presentations",
            )),
            role => Err(tonic::Status::permission_denied(format!(
                "role {role} may not act for an organisation"
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
