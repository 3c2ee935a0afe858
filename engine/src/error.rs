//! DynamoDB-shaped errors. Every failure a client can see becomes an [`ApiError`] here, the
//! one place where internal typed errors are mapped to DynamoDB error types.

use extenddo_log::{LogError, NumberError, SqlError};
use extenddo_projections::ProjectionError;
use serde_json::{json, Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ErrorKind {
    Validation,
    Serialization,
    UnknownOperation,
    MissingAuthenticationToken,
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
        }
    }

    pub fn status(self) -> u16 {
        match self {
            ErrorKind::InternalServerError => 500,
            _ => 400,
        }
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ApiError {
    pub kind: ErrorKind,
    pub message: Option<String>,
    /// Extra top-level members of the error body (e.g. `Item` on a failed condition).
    #[serde(default)]
    pub extra: Map<String, Value>,
}

impl ApiError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> ApiError {
        ApiError {
            kind,
            message: Some(message.into()),
            extra: Map::new(),
        }
    }

    pub fn bare(kind: ErrorKind) -> ApiError {
        ApiError {
            kind,
            message: None,
            extra: Map::new(),
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

    pub fn not_found() -> ApiError {
        ApiError::new(ErrorKind::ResourceNotFound, "Requested resource not found")
    }

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

    pub fn body(&self) -> Value {
        let mut body = Map::new();
        body.insert("__type".into(), json!(self.kind.type_name()));
        if let Some(m) = &self.message {
            body.insert("message".into(), json!(m));
        }
        for (k, v) in &self.extra {
            body.insert(k.clone(), v.clone());
        }
        Value::Object(body)
    }
}

impl From<NumberError> for ApiError {
    fn from(e: NumberError) -> Self {
        ApiError::validation(e.to_string())
    }
}

impl From<SqlError> for ApiError {
    fn from(e: SqlError) -> Self {
        ApiError::internal(e)
    }
}

impl From<LogError> for ApiError {
    fn from(e: LogError) -> Self {
        ApiError::internal(e)
    }
}

impl From<ProjectionError> for ApiError {
    fn from(e: ProjectionError) -> Self {
        ApiError::internal(e)
    }
}

impl From<crate::expr::ExprError> for ApiError {
    fn from(e: crate::expr::ExprError) -> Self {
        ApiError::validation(e.to_string())
    }
}
