//! The Worker's fetch handler: `POST /` is the DynamoDB endpoint; `GET /` answers a short
//! health text. Each DynamoDB request runs one engine [`Flow`], whose catalog actions go to
//! the catalog object and whose table actions go to the table's own object.

use extenddo_engine::{Action, ApiError, Config, Flow, HttpRequest, CONTENT_TYPE};
use worker::{event, js_sys, Context, Env, Method, Request, Response};

use crate::host;
use crate::rpc::{self, CatalogCall, Reply, TableCall};

/// A guard against a flow that never finishes (an engine bug): far above the steps of any
/// real request (a batch over 100 tables takes about two per table).
const MAX_STEPS: usize = 1024;

#[event(start)]
fn start() {
    // A panic aborts the wasm instance (the shim then reinitialises it); at least say why.
    std::panic::set_hook(Box::new(|info| {
        worker::console_error!("extenddo-worker panic: {info}")
    }));
}

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let request_id = request_id();
    let (status, content_type, body) = match (req.method(), req.path().as_str()) {
        (Method::Post, "/") => {
            let r = dynamodb(&mut req, &env).await;
            (r.status, CONTENT_TYPE, r.body)
        }
        (Method::Get | Method::Head, "/") => (
            200,
            "text/plain; charset=utf-8",
            b"ExtendDO worker: ok\n".to_vec(),
        ),
        _ => (
            404,
            "text/plain; charset=utf-8",
            b"Not found: the DynamoDB endpoint is POST /\n".to_vec(),
        ),
    };
    let crc = crc32fast::hash(&body);
    Ok(Response::builder()
        .with_status(status)
        .with_header("Content-Type", content_type)?
        .with_header("x-amzn-RequestId", &request_id)?
        .with_header("x-amz-crc32", &crc.to_string())?
        .fixed(body))
}

async fn dynamodb(req: &mut Request, env: &Env) -> extenddo_engine::Response {
    let cfg = host::config(env);
    let body = match host::body(req).await {
        Ok(b) => b,
        Err(e) => return extenddo_engine::Response::error(&e),
    };
    let header = |name: &str| req.headers().get(name).ok().flatten();
    let (target, authorization, host) = (
        header("X-Amz-Target"),
        header("Authorization"),
        header("Host"),
    );
    let http = HttpRequest {
        target: target.as_deref(),
        authorization: authorization.as_deref(),
        host: host.as_deref(),
        body: &body,
    };
    let (mut flow, mut action) = Flow::start(&cfg, http, host::now_ms());
    for _ in 0..MAX_STEPS {
        action = match action {
            Action::Respond(response) => return response,
            Action::Catalog(request) => flow.step(catalog(env, CatalogCall { request }).await),
            Action::Table { table, request } => {
                flow.step(table_call(env, &cfg, &table, TableCall { request }).await)
            }
        };
    }
    match action {
        Action::Respond(response) => response,
        _ => extenddo_engine::Response::error(&ApiError::internal("request flow did not finish")),
    }
}

async fn catalog(env: &Env, call: CatalogCall) -> Reply {
    let body = rpc::encode(&call)?;
    host::call(env, rpc::CATALOG_BINDING, rpc::CATALOG_OBJECT, body).await
}

async fn table_call(env: &Env, cfg: &Config, table: &str, call: TableCall) -> Reply {
    let body = rpc::encode(&call)?;
    let name = rpc::table_object_name(&cfg.account_id, table);
    host::call(env, rpc::TABLE_BINDING, &name, body).await
}

/// 52 characters of [A-Z0-9], the shape of DynamoDB's request ids.
fn request_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    (0..52)
        .map(|_| {
            let i = (js_sys::Math::random() * ALPHABET.len() as f64) as usize;
            ALPHABET[i.min(ALPHABET.len() - 1)] as char
        })
        .collect()
}
