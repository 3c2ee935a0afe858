//! The messages between the Worker and its Durable Objects.
//!
//! The Worker POSTs one JSON call to a Durable Object ([`CatalogCall`] or [`TableCall`]) and
//! gets back one JSON [`Reply`] (`{"Ok": ...}` or `{"Err": ApiError}`) with HTTP 200. Any other
//! status, or a body that does not decode, is a host failure and becomes an
//! InternalServerError for the client; a DynamoDB client error always travels as `Err`.

use extenddo_engine::{ApiError, CatalogRequest, TableRequest};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Durable Object namespace binding of the catalog class (`CatalogObject`).
pub const CATALOG_BINDING: &str = "CATALOG";
/// Durable Object namespace binding of the table class (`TableObjectDo`).
pub const TABLE_BINDING: &str = "TABLE";
/// R2 bucket binding (declared for backups/exports; unused so far).
pub const BUCKET_BINDING: &str = "BUCKET";
/// Name of the one catalog object (`idFromName`).
pub const CATALOG_OBJECT: &str = "catalog";
/// URL of every call into a Durable Object; only the body matters.
pub const CALL_URL: &str = "https://extenddo.internal/call";

/// What a Durable Object answers: the engine's result, verbatim.
pub type Reply = Result<Value, ApiError>;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CatalogCall {
    pub request: CatalogRequest,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TableCall {
    pub request: TableRequest,
}

/// The name (for `idFromName`) of the table object holding `table` in `account_id`.
pub fn table_object_name(account_id: &str, table: &str) -> String {
    format!("{account_id}/{table}")
}

pub fn encode<T: Serialize>(msg: &T) -> Result<String, ApiError> {
    serde_json::to_string(msg).map_err(|e| ApiError::internal(format!("encoding a call: {e}")))
}

pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| ApiError::internal(format!("decoding a call: {e}")))
}

/// The body of a Durable Object's answer. Never fails: an unencodable result is itself
/// reported as an internal error.
pub fn encode_reply(reply: &Reply) -> String {
    serde_json::to_string(reply).unwrap_or_else(|e| {
        let fallback: Reply = Err(ApiError::internal(format!("encoding a reply: {e}")));
        serde_json::to_string(&fallback).unwrap_or_else(|_| "{}".to_owned())
    })
}

/// Reads a Durable Object's answer (HTTP status and body) back into the engine's result.
pub fn decode_reply(status: u16, body: &[u8]) -> Reply {
    if status != 200 {
        let text = String::from_utf8_lossy(&body[..body.len().min(300)]);
        return Err(ApiError::internal(format!(
            "durable object answered HTTP {status}: {text}"
        )));
    }
    match serde_json::from_slice::<Reply>(body) {
        Ok(reply) => reply,
        Err(e) => Err(ApiError::internal(format!(
            "decoding a durable object reply: {e}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use extenddo_engine::{ErrorKind, Op};
    use serde_json::json;

    #[test]
    fn replies_round_trip() {
        let ok: Reply = Ok(json!({"Item": {"pk": {"S": "a"}, "n": {"N": "1e125"}}}));
        assert_eq!(decode_reply(200, encode_reply(&ok).as_bytes()), ok);
        let mut e = ApiError::new(
            ErrorKind::ConditionalCheckFailed,
            "The conditional request failed",
        );
        e.extra.insert("Item".into(), json!({"pk": {"S": "a"}}));
        let err: Reply = Err(e);
        assert_eq!(decode_reply(200, encode_reply(&err).as_bytes()), err);
    }

    #[test]
    fn host_failures_are_internal_errors() {
        for (status, body) in [(500u16, &b"boom"[..]), (200, b"not json"), (200, b"{}")] {
            let e = decode_reply(status, body).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InternalServerError, "{status} {body:?}");
            assert_eq!(e.status(), 500);
        }
    }

    #[test]
    fn calls_round_trip() {
        let call = TableCall {
            request: TableRequest::new(Op::PutItem, json!({"TableName": "t"})),
        };
        let back: TableCall = decode(encode(&call).unwrap().as_bytes()).unwrap();
        assert_eq!(back.request.op, Op::PutItem);
        assert_eq!(back.request.body, call.request.body);
        let call = CatalogCall {
            request: CatalogRequest::List {
                start: None,
                limit: 100,
            },
        };
        let back: CatalogCall = decode(encode(&call).unwrap().as_bytes()).unwrap();
        assert!(matches!(
            back.request,
            CatalogRequest::List {
                start: None,
                limit: 100
            }
        ));
        assert!(decode::<TableCall>(b"[").is_err());
    }

    #[test]
    fn object_names() {
        assert_eq!(
            table_object_name("000000000000", "Music"),
            "000000000000/Music"
        );
    }
}
