//! The gateway's errors, and the one place that decides which gRPC code each becomes.

use tonic::Status;

/// Everything a gateway call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A call without the metadata key that names its region.
    #[error("{key}: metadata key is required to route the call to a region")]
    MissingRegion { key: &'static str },
    /// A call for a region this gateway does not know.
    #[error("{key}: unknown region {region:?}; known regions: {known}")]
    UnknownRegion {
        key: &'static str,
        region: String,
        known: String,
    },
    /// The caller could not be identified (no certificate, no credential).
    #[error("{0}")]
    Unauthenticated(String),
    /// The caller is known but may not do this.
    #[error("{0}")]
    PermissionDenied(String),
    /// The gateway cannot answer now (its database, tokens); the caller may retry.
    #[error("{0}")]
    Unavailable(String),
    /// Something that cannot happen did; the detail is logged, never sent.
    #[error("{0}")]
    Internal(String),
    /// The region's node did not answer.
    #[error("region {region} is unavailable: {reason}")]
    RegionUnavailable { region: String, reason: String },
    /// A request field is not acceptable.
    #[error("{field}: {reason}")]
    InvalidField { field: &'static str, reason: String },
    /// A request field is not acceptable, at a path built from the request
    /// (`months.from_month`, `regions[1]`).
    #[error("{field}: {reason}")]
    InvalidPath { field: String, reason: String },
    /// What the request names does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The request cannot be carried out in the federation's present state.
    #[error("{0}")]
    Refused(String),
    /// Too many wrong passphrases: an account or a client address is locked for a while.
    #[error("{0}")]
    Locked(String),
    /// Another request for the same thing is under way.
    #[error("{0}")]
    InProgress(String),
    /// A region did not answer in time; the request may still complete.
    #[error("{0}")]
    Timeout(String),
    /// The gateway's settings are not usable.
    #[error("{field}: {reason}")]
    Settings { field: String, reason: String },
    /// The database failed; the detail is logged, never sent to the caller.
    #[error("database error: {0}")]
    Database(#[from] sea_orm::DbErr),
    /// Serving failed (binding, TLS, transport).
    #[error("transport error: {0}")]
    Transport(#[from] tonic::transport::Error),
}

impl From<Error> for Status {
    fn from(error: Error) -> Self {
        match error {
            Error::MissingRegion { .. } | Error::UnknownRegion { .. } => {
                Status::invalid_argument(error.to_string())
            }
            Error::InvalidField { .. } | Error::InvalidPath { .. } => {
                Status::invalid_argument(error.to_string())
            }
            Error::NotFound(_) => Status::not_found(error.to_string()),
            Error::Unauthenticated(message) => Status::unauthenticated(message),
            Error::PermissionDenied(message) => Status::permission_denied(message),
            Error::Unavailable(message) => Status::unavailable(message),
            Error::Internal(detail) => {
                tracing::error!(error = %detail, "internal error");
                Status::internal("internal error")
            }
            Error::Refused(_) => Status::failed_precondition(error.to_string()),
            Error::Locked(message) => Status::resource_exhausted(message),
            Error::InProgress(_) => Status::aborted(error.to_string()),
            Error::Timeout(_) => Status::deadline_exceeded(error.to_string()),
            Error::RegionUnavailable { .. } => Status::unavailable(error.to_string()),
            Error::Settings { .. } => Status::failed_precondition(error.to_string()),
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

/// Result of gateway operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;
