//! What the Worker and the Durable Objects share: the clock, configuration from the
//! environment, calls into Durable Objects, and the HTTP answers they produce.

use extenddo_engine::{ApiError, Config};
use worker::{Env, Method, Request, RequestInit, Response, Stub};

use crate::rpc::{self, Reply};

/// Milliseconds since the epoch (`std::time::SystemTime::now` panics on this target).
pub fn now_ms() -> i64 {
    worker::Date::now().as_millis() as i64
}

/// The engine configuration from the wrangler vars (`REGION`, `ACCOUNT_ID`).
pub fn config(env: &Env) -> Config {
    let var = |name: &str| env.var(name).ok().map(|v| v.to_string());
    crate::config::from_vars(
        var(crate::config::VAR_REGION),
        var(crate::config::VAR_ACCOUNT_ID),
    )
}

/// A host failure, as the client sees it (HTTP 500, DynamoDB's InternalServerError).
pub fn host_error(context: &str, e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(format!("{context}: {e}"))
}

fn stub(env: &Env, binding: &str, name: &str) -> Result<Stub, ApiError> {
    let ns = env
        .durable_object(binding)
        .map_err(|e| host_error("durable object binding", e))?;
    let id = ns
        .id_from_name(name)
        .map_err(|e| host_error("durable object id", e))?;
    id.get_stub()
        .map_err(|e| host_error("durable object stub", e))
}

/// POSTs one JSON call to the object `name` of `binding` and reads its [`Reply`].
pub async fn call(env: &Env, binding: &str, name: &str, body: String) -> Reply {
    let stub = stub(env, binding, name)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_body(Some(body.into()));
    let req = Request::new_with_init(rpc::CALL_URL, &init)
        .map_err(|e| host_error("building a call", e))?;
    let mut resp = stub
        .fetch_with_request(req)
        .await
        .map_err(|e| host_error(&format!("calling durable object {binding}({name})"), e))?;
    let status = resp.status_code();
    let bytes = resp
        .bytes()
        .await
        .map_err(|e| host_error("reading a durable object reply", e))?;
    rpc::decode_reply(status, &bytes)
}

/// A Durable Object's answer to a call: always 200 with the encoded [`Reply`].
pub fn reply_response(reply: &Reply) -> worker::Result<Response> {
    Ok(Response::builder()
        .with_status(200)
        .with_header("Content-Type", "application/json")?
        .fixed(rpc::encode_reply(reply).into_bytes()))
}

/// Reads a request body; a failure becomes an internal error.
pub async fn body(req: &mut Request) -> Result<Vec<u8>, ApiError> {
    req.bytes()
        .await
        .map_err(|e| host_error("reading the request body", e))
}
