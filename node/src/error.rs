//! The node's errors, and the one place that decides which gRPC code each becomes.
//! A refused field of a known kind also carries a `RefusedLine` in the status's
//! details (`grpc-status-details-bin`), which clients word in their reader's
//! language.

use tonic::Status;

/// Everything a node call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request names a field whose value is not acceptable.
    #[error("{field}: {reason}")]
    InvalidArgument {
        field: String,
        reason: String,
        /// Why, for a client to word in its reader's language (an import's
        /// refused lines carry it).
        refusal: Refusal,
    },
    /// The thing asked for does not exist in this region.
    #[error("{kind} {id} not found")]
    NotFound { kind: &'static str, id: String },
    /// The request is valid but the thing is not in a state that allows it.
    #[error("{0}")]
    FailedPrecondition(String),
    /// What the request would create exists already (a second review by the same
    /// reviewer in one round).
    #[error("{0}")]
    AlreadyExists(String),
    /// The caller is known but may not do this.
    #[error("{0}")]
    PermissionDenied(String),
    /// The caller could not be identified.
    #[error("{0}")]
    Unauthenticated(String),
    /// The node cannot answer now (shutting down, overloaded); the caller may retry.
    #[error("{0}")]
    Unavailable(String),
    /// Something that cannot happen did; the detail is logged, never sent.
    #[error("{0}")]
    Internal(String),
    /// The gateway answered a federation request (such as a move) with an error;
    /// its code and message pass through.
    #[error("gateway: {}", .0.message())]
    Gateway(Status),
    /// The region's rules file cannot be used (start-up, reload): the rules
    /// error's own message, which names the file, line and rule.
    #[error("{0}")]
    Rules(String),
    /// The database failed; the detail is logged, never sent to the caller.
    #[error("database error: {0}")]
    Database(#[from] sea_orm::DbErr),
    /// Serving failed (binding, TLS, transport).
    #[error("transport error: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// The kind of a refused value, the value, and what its kind allows (a limit, the
/// names of an enum's values): `RefusedLine.kind`, `value` and `allowed`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Refusal {
    pub kind: passage_proto::v1::RefusalKind,
    pub value: String,
    pub allowed: Vec<String>,
}

impl Refusal {
    /// A refusal of `kind` about `value`, its kind allowing `allowed`.
    pub fn of(
        kind: passage_proto::v1::RefusalKind,
        value: &str,
        allowed: impl IntoIterator<Item = String>,
    ) -> Self {
        Refusal {
            kind,
            value: value.chars().take(40).collect(),
            allowed: allowed.into_iter().collect(),
        }
    }
}

impl Error {
    /// A validation error for `field`, said in English only.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidArgument {
            field: field.into(),
            reason: reason.into(),
            refusal: Refusal::default(),
        }
    }

    /// A validation error for `field` of a known kind, which a client can word in
    /// its reader's language.
    pub fn refused(field: impl Into<String>, reason: impl Into<String>, refusal: Refusal) -> Self {
        Error::InvalidArgument {
            field: field.into(),
            reason: reason.into(),
            refusal,
        }
    }

    /// `kind` with this `id` does not exist.
    pub fn not_found(kind: &'static str, id: impl ToString) -> Self {
        Error::NotFound {
            kind,
            id: id.to_string(),
        }
    }
}

impl From<Error> for Status {
    fn from(error: Error) -> Self {
        match error {
            Error::InvalidArgument {
                ref field,
                ref reason,
                ref refusal,
            } if refusal.kind != passage_proto::v1::RefusalKind::Unspecified => {
                // The refusal's kind travels in the status's details, so a client
                // words it in its reader's language (the web app's forms).
                let detail = passage_proto::v1::RefusedLine {
                    line: 0,
                    column: field.clone(),
                    reason: reason.clone(),
                    kind: refusal.kind as i32,
                    value: refusal.value.clone(),
                    allowed: refusal.allowed.clone(),
                };
                Status::with_details(
                    tonic::Code::InvalidArgument,
                    error.to_string(),
                    tonic::codegen::Bytes::from(prost::Message::encode_to_vec(&detail)),
                )
            }
            Error::InvalidArgument { .. } => Status::invalid_argument(error.to_string()),
            Error::NotFound { .. } => Status::not_found(error.to_string()),
            Error::FailedPrecondition(message) => Status::failed_precondition(message),
            Error::Rules(message) => Status::failed_precondition(message),
            Error::AlreadyExists(message) => Status::already_exists(message),
            Error::PermissionDenied(message) => Status::permission_denied(message),
            Error::Unauthenticated(message) => Status::unauthenticated(message),
            Error::Unavailable(message) => Status::unavailable(message),
            Error::Internal(detail) => {
                tracing::error!(error = %detail, "internal error");
                Status::internal("internal error")
            }
            Error::Gateway(ref status) => Status::new(status.code(), error.to_string()),
            Error::Database(db_error) => {
                tracing::error!(error = %db_error, "database error");
                Status::internal("internal storage error")
            }
            Error::Transport(transport_error) => {
                tracing::error!(error = %transport_error, "transport error");
                Status::internal("internal transport error")
            }
        }
    }
}

/// Result of node operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;
