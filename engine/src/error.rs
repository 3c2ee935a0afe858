//! Errors, in two kinds and one mapping between them.
//!
//! - [`ApiError`] is what a DynamoDB client sees: an error type, a message and, for a failed
//!   condition, the item it saw. It is plain data; `wire::response` renders it.
//! - [`Error`] is what the engine's objects return internally: a client error, "this object
//!   does not hold that table" ([`Error::Gone`]), or a failure of storage, of the host, or of
//!   an invariant. Whether a group commit rolls back is decided by the variant
//!   ([`Error::rolls_back`]), never by a message.
//!
//! [`Error::into_api`] is the one place where internal errors become DynamoDB errors.

use extenddo_log::{Item, LogError, NumberError, SqlError};
use extenddo_projections::ProjectionError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErrorKind {
    Validation,
    Serialization,
    UnknownOperation,
    MissingAuthenticationToken,
    /// The `Authorization` header lacks a part SigV4 requires.
    IncompleteSignature,
    /// No such access key (or its session token is wrong).
    UnrecognizedClient,
    /// The signature does not match, or the request is too far from now.
    InvalidSignature,
    /// The caller's policies do not allow the action on the resource.
    AccessDenied,
    ResourceNotFound,
    ResourceInUse,
    ConditionalCheckFailed,
    LimitExceeded,
    RequestLimitExceeded,
    InternalServerError,
    /// DynamoDB Streams: a shard iterator older than 15 minutes.
    ExpiredIterator,
    /// DynamoDB Streams: a position before the stream's 24-hour retention horizon.
    TrimmedDataAccess,
    /// A transaction was cancelled; `ApiError::cancellation_reasons` says why, per action.
    TransactionCanceled,
    /// A plain write to an item that an ongoing transaction holds.
    TransactionConflict,
    /// A ClientRequestToken reused with a different request within its window.
    IdempotentParameterMismatch,
    /// A ClientRequestToken whose first request has not finished yet.
    TransactionInProgress,
    /// Backups and point-in-time recovery: no such source table.
    TableNotFound,
    BackupNotFound,
    /// A restore's target name is taken.
    TableAlreadyExists,
    /// The backup is being created or deleted.
    BackupInUse,
    /// The table is being created, deleted or restored.
    TableInUse,
    ContinuousBackupsUnavailable,
    PointInTimeRecoveryUnavailable,
    InvalidRestoreTime,
    ExportNotFound,
    InvalidExportTime,
    ExportConflict,
    ImportNotFound,
    ImportConflict,
    /// A request body over the 16 MB limit (HTTP 413, as DynamoDB's front end answers it).
    RequestTooLarge,
}

impl ErrorKind {
    /// The `__type` DynamoDB sends.
    pub fn type_name(self) -> &'static str {
        match self {
            ErrorKind::Validation => "com.amazon.coral.validate#ValidationException",
            ErrorKind::Serialization => "com.amazon.coral.service#SerializationException",
            ErrorKind::UnknownOperation => "com.amazon.coral.service#UnknownOperationException",
            ErrorKind::MissingAuthenticationToken => {
                "com.amazon.coral.service#MissingAuthenticationTokenException"
            }
            ErrorKind::IncompleteSignature => {
                "com.amazon.coral.service#IncompleteSignatureException"
            }
            ErrorKind::UnrecognizedClient => "com.amazon.coral.service#UnrecognizedClientException",
            ErrorKind::InvalidSignature => "com.amazon.coral.service#InvalidSignatureException",
            ErrorKind::AccessDenied => "com.amazon.coral.service#AccessDeniedException",
            ErrorKind::ResourceNotFound => {
                "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"
            }
            ErrorKind::ResourceInUse => "com.amazonaws.dynamodb.v20120810#ResourceInUseException",
            ErrorKind::ConditionalCheckFailed => {
                "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"
            }
            ErrorKind::LimitExceeded => "com.amazonaws.dynamodb.v20120810#LimitExceededException",
            ErrorKind::RequestLimitExceeded => {
                "com.amazonaws.dynamodb.v20120810#RequestLimitExceeded"
            }
            ErrorKind::InternalServerError => {
                "com.amazonaws.dynamodb.v20120810#InternalServerError"
            }
            ErrorKind::ExpiredIterator => {
                "com.amazonaws.dynamodb.v20120810#ExpiredIteratorException"
            }
            ErrorKind::TrimmedDataAccess => {
                "com.amazonaws.dynamodb.v20120810#TrimmedDataAccessException"
            }
            ErrorKind::TransactionCanceled => {
                "com.amazonaws.dynamodb.v20120810#TransactionCanceledException"
            }
            ErrorKind::TransactionConflict => {
                "com.amazonaws.dynamodb.v20120810#TransactionConflictException"
            }
            ErrorKind::IdempotentParameterMismatch => {
                "com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException"
            }
            ErrorKind::TransactionInProgress => {
                "com.amazonaws.dynamodb.v20120810#TransactionInProgressException"
            }
            ErrorKind::TableNotFound => "com.amazonaws.dynamodb.v20120810#TableNotFoundException",
            ErrorKind::BackupNotFound => "com.amazonaws.dynamodb.v20120810#BackupNotFoundException",
            ErrorKind::TableAlreadyExists => {
                "com.amazonaws.dynamodb.v20120810#TableAlreadyExistsException"
            }
            ErrorKind::BackupInUse => "com.amazonaws.dynamodb.v20120810#BackupInUseException",
            ErrorKind::TableInUse => "com.amazonaws.dynamodb.v20120810#TableInUseException",
            ErrorKind::ContinuousBackupsUnavailable => {
                "com.amazonaws.dynamodb.v20120810#ContinuousBackupsUnavailableException"
            }
            ErrorKind::PointInTimeRecoveryUnavailable => {
                "com.amazonaws.dynamodb.v20120810#PointInTimeRecoveryUnavailableException"
            }
            ErrorKind::InvalidRestoreTime => {
                "com.amazonaws.dynamodb.v20120810#InvalidRestoreTimeException"
            }
            ErrorKind::ExportNotFound => "com.amazonaws.dynamodb.v20120810#ExportNotFoundException",
            ErrorKind::InvalidExportTime => {
                "com.amazonaws.dynamodb.v20120810#InvalidExportTimeException"
            }
            ErrorKind::ExportConflict => "com.amazonaws.dynamodb.v20120810#ExportConflictException",
            ErrorKind::ImportNotFound => "com.amazonaws.dynamodb.v20120810#ImportNotFoundException",
            ErrorKind::ImportConflict => "com.amazonaws.dynamodb.v20120810#ImportConflictException",
            ErrorKind::RequestTooLarge => "com.amazon.coral.service#RequestEntityTooLargeException",
        }
    }

    pub fn status(self) -> u16 {
        match self {
            ErrorKind::InternalServerError => 500,
            ErrorKind::RequestTooLarge => 413,
            _ => 400,
        }
    }
}

/// A DynamoDB error as the client sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiError {
    pub kind: ErrorKind,
    pub message: Option<String>,
    /// The item a failed condition was evaluated against, when the request asked for it
    /// (`ReturnValuesOnConditionCheckFailure: ALL_OLD`).
    pub item: Option<Item>,
    /// TransactionCanceledException: one reason per action of the transaction, in order.
    pub cancellation_reasons: Option<Vec<CancellationReason>>,
}

/// Why one action of a cancelled transaction could not go ahead (`Code` `None` if it could).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CancellationReason {
    pub code: String,
    pub message: Option<String>,
    pub item: Option<Item>,
}

impl CancellationReason {
    pub fn none() -> CancellationReason {
        CancellationReason {
            code: "None".into(),
            message: None,
            item: None,
        }
    }

    pub fn is_none(&self) -> bool {
        self.code == "None"
    }
}

impl ApiError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> ApiError {
        ApiError {
            kind,
            message: Some(message.into()),
            item: None,
            cancellation_reasons: None,
        }
    }

    pub fn bare(kind: ErrorKind) -> ApiError {
        ApiError {
            kind,
            message: None,
            item: None,
            cancellation_reasons: None,
        }
    }

    pub fn validation(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorKind::Validation, message)
    }

    /// "One or more parameter values were invalid: …"
    pub fn invalid_param(detail: impl std::fmt::Display) -> ApiError {
        ApiError::validation(format!(
            "One or more parameter values were invalid: {detail}"
        ))
    }

    pub fn serialization(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorKind::Serialization, message)
    }

    /// What data-plane operations answer for a table that does not exist.
    pub fn not_found() -> ApiError {
        ApiError::new(ErrorKind::ResourceNotFound, "Requested resource not found")
    }

    /// What control-plane operations answer for a table that does not exist.
    pub fn table_not_found(table: &str) -> ApiError {
        ApiError::new(
            ErrorKind::ResourceNotFound,
            format!("Requested resource not found: Table: {table} not found"),
        )
    }

    pub fn internal(detail: impl std::fmt::Display) -> ApiError {
        ApiError::new(
            ErrorKind::InternalServerError,
            format!("Internal server error: {detail}"),
        )
    }

    pub fn status(&self) -> u16 {
        self.kind.status()
    }

    /// TransactionCanceledException with its reasons, one per action, worded as AWS words it:
    /// `Transaction cancelled, please refer cancellation reasons for specific reasons [A, B]`.
    pub fn transaction_canceled(reasons: Vec<CancellationReason>) -> ApiError {
        let codes: Vec<&str> = reasons.iter().map(|r| r.code.as_str()).collect();
        ApiError {
            kind: ErrorKind::TransactionCanceled,
            message: Some(format!(
                "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]",
                codes.join(", ")
            )),
            item: None,
            cancellation_reasons: Some(reasons),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = self.kind.type_name();
        let short = name.rsplit('#').next().unwrap_or(name);
        match &self.message {
            Some(m) => write!(f, "{short}: {m}"),
            None => f.write_str(short),
        }
    }
}

impl std::error::Error for ApiError {}

/// The engine's internal error.
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize, Deserialize)]
pub enum Error {
    /// The client's request is at fault; only that request fails.
    #[error("{0}")]
    Client(ApiError),
    /// The object asked holds no such table: it was never created there, or it was deleted
    /// (or retired) since. The request flow decides what the client hears.
    #[error("the table object holds no table")]
    Gone,
    /// The storage under an object failed (SQL, a damaged log); its transaction rolls back.
    #[error("storage: {0}")]
    Storage(String),
    /// The host could not deliver a call or run an effect.
    #[error("host: {0}")]
    Host(String),
    /// An invariant of the engine does not hold.
    #[error("bug: {0}")]
    Bug(String),
}

impl Error {
    pub fn bug(detail: impl std::fmt::Display) -> Error {
        Error::Bug(detail.to_string())
    }

    pub fn host(detail: impl std::fmt::Display) -> Error {
        Error::Host(detail.to_string())
    }

    /// Whether a group commit holding the failed request must roll back as a whole.
    pub fn rolls_back(&self) -> bool {
        match self {
            Error::Client(_) | Error::Gone => false,
            Error::Storage(_) | Error::Host(_) | Error::Bug(_) => true,
        }
    }

    /// The error the client sees. `Gone` is answered by the request flow before it gets
    /// here (with the not-found error of the operation); reaching this mapping with it means
    /// the flow lost track of a table.
    pub fn into_api(self) -> ApiError {
        match self {
            Error::Client(e) => e,
            Error::Gone => ApiError::not_found(),
            Error::Storage(e) => ApiError::internal(format!("storage: {e}")),
            Error::Host(e) => ApiError::internal(format!("host: {e}")),
            Error::Bug(e) => ApiError::internal(e),
        }
    }
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Error::Client(e)
    }
}

impl From<NumberError> for ApiError {
    fn from(e: NumberError) -> Self {
        ApiError::validation(e.to_string())
    }
}

impl From<NumberError> for Error {
    fn from(e: NumberError) -> Self {
        Error::Client(e.into())
    }
}

impl From<crate::expr::ExprError> for ApiError {
    fn from(e: crate::expr::ExprError) -> Self {
        ApiError::validation(e.to_string())
    }
}

impl From<crate::expr::ExprError> for Error {
    fn from(e: crate::expr::ExprError) -> Self {
        Error::Client(e.into())
    }
}

impl From<SqlError> for Error {
    fn from(e: SqlError) -> Self {
        Error::Storage(e.to_string())
    }
}

impl From<LogError> for Error {
    fn from(e: LogError) -> Self {
        Error::Storage(e.to_string())
    }
}

impl From<ProjectionError> for Error {
    fn from(e: ProjectionError) -> Self {
        match e {
            ProjectionError::Inconsistent { .. } => Error::Bug(e.to_string()),
            other => Error::Storage(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_failures_of_the_store_host_or_engine_roll_back() {
        assert!(!Error::Client(ApiError::validation("x")).rolls_back());
        assert!(!Error::Gone.rolls_back());
        for e in [
            Error::Storage("disk".into()),
            Error::Host("gone".into()),
            Error::Bug("oops".into()),
        ] {
            assert!(e.rolls_back(), "{e}");
            assert_eq!(e.into_api().kind, ErrorKind::InternalServerError);
        }
    }
}
