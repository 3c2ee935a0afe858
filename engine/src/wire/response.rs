//! The one HTTP response builder: the same status, headers and body on both hosts.

use serde_json::{json, Map, Value};

use crate::error::ApiError;
use crate::wire::value::encode_item;

pub const CONTENT_TYPE: &str = "application/x-amz-json-1.0";

/// An HTTP response for the host to write as it is.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A DynamoDB error body: `__type`, `message` and, for a failed condition, `Item`.
pub fn error_body(e: &ApiError) -> Value {
    let mut body = Map::new();
    body.insert("__type".into(), json!(e.kind.type_name()));
    if let Some(m) = &e.message {
        body.insert("message".into(), json!(m));
    }
    if let Some(item) = &e.item {
        body.insert("Item".into(), encode_item(item));
    }
    if let Some(reasons) = &e.cancellation_reasons {
        let list: Vec<Value> = reasons
            .iter()
            .map(|r| {
                let mut m = Map::new();
                m.insert("Code".into(), json!(r.code));
                if let Some(msg) = &r.message {
                    m.insert("Message".into(), json!(msg));
                }
                if let Some(item) = &r.item {
                    m.insert("Item".into(), encode_item(item));
                }
                Value::Object(m)
            })
            .collect();
        body.insert("CancellationReasons".into(), Value::Array(list));
    }
    Value::Object(body)
}

/// A DynamoDB JSON response: `Content-Type`, `x-amzn-RequestId`, and `x-amz-crc32` (the
/// CRC32 of the body as sent, which the SDKs check).
pub fn dynamodb(status: u16, body: Vec<u8>, request_id: &str) -> HttpResponse {
    let crc = crc32fast::hash(&body);
    HttpResponse {
        status,
        headers: vec![
            ("Content-Type", CONTENT_TYPE.to_owned()),
            ("x-amzn-RequestId", request_id.to_owned()),
            ("x-amz-crc32", crc.to_string()),
        ],
        body,
    }
}

pub fn ok(v: &Value, request_id: &str) -> HttpResponse {
    let body = serde_json::to_vec(v).unwrap_or_else(|_| b"{}".to_vec());
    dynamodb(200, body, request_id)
}

pub fn error(e: &ApiError, request_id: &str) -> HttpResponse {
    // DynamoDB answers an over-long body with a bare 413.
    if e.kind == crate::error::ErrorKind::RequestTooLarge {
        return dynamodb(413, Vec::new(), request_id);
    }
    let body = serde_json::to_vec(&error_body(e)).unwrap_or_default();
    dynamodb(e.status(), body, request_id)
}

/// `GET /`: DynamoDB's health text (with its trailing space), naming the region's endpoint.
pub fn health(region: &str, request_id: &str) -> HttpResponse {
    let body = format!("healthy: dynamodb.{region}.amazonaws.com ").into_bytes();
    HttpResponse {
        status: 200,
        headers: vec![
            ("Content-Type", "text/plain; charset=utf-8".to_owned()),
            ("x-amzn-RequestId", request_id.to_owned()),
            ("x-amz-crc32", crc32fast::hash(&body).to_string()),
        ],
        body,
    }
}

/// Anything but `GET /` and `POST /`.
pub fn not_found(request_id: &str) -> HttpResponse {
    HttpResponse {
        status: 404,
        headers: vec![
            ("Content-Type", "text/plain; charset=utf-8".to_owned()),
            ("x-amzn-RequestId", request_id.to_owned()),
        ],
        body: b"Not found: the DynamoDB endpoint is POST /\n".to_vec(),
    }
}

/// What a request is, by method and path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `POST` (any path, as the SDKs only ever post to `/`): a DynamoDB request.
    DynamoDb,
    /// `GET /` or `HEAD /`: the health text.
    Health,
    /// `GET /healthz`: liveness for load balancers and scripts.
    Healthz,
    /// `/management/…`: the management API.
    Management,
    NotFound,
}

pub fn route(method: &str, path: &str) -> Route {
    match (method, path) {
        (_, p) if p == "/management" || p.starts_with("/management/") => Route::Management,
        ("GET" | "HEAD", "/healthz") => Route::Healthz,
        ("POST", _) => Route::DynamoDb,
        ("GET" | "HEAD", "/") => Route::Health,
        _ => Route::NotFound,
    }
}
