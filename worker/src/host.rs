//! What the Worker and the Durable Objects share: the clock, entropy, configuration from the
//! environment, and calls into Durable Objects.

use extenddo_engine::{Call, Config, Error, Outcome, Reply};
use worker::{js_sys, Env, Method, Request, RequestInit, Stub};

use crate::rpc;

/// Milliseconds since the epoch (`std::time::SystemTime::now` panics on this target).
pub fn now_ms() -> i64 {
    worker::Date::now().as_millis() as i64
}

/// 64 bits from the runtime's random source.
pub fn entropy() -> u64 {
    let word = || (js_sys::Math::random() * 4_294_967_296.0) as u64;
    (word() << 32) | word()
}

/// 32 bytes from the runtime's cryptographically secure source (`crypto.getRandomValues`);
/// `None` if it failed (secrets and salts are never made from anything weaker).
pub fn secure_random() -> Option<[u8; 32]> {
    let mut b = [0u8; 32];
    getrandom::getrandom(&mut b).ok().map(|_| b)
}

/// The engine configuration from the wrangler vars (see `config`).
pub fn config(env: &Env) -> Config {
    // Secrets (`wrangler secret put`) and vars are both string bindings.
    crate::config::from_vars(|name| {
        env.secret(name)
            .ok()
            .or_else(|| env.var(name).ok())
            .map(|v| v.to_string())
    })
}

fn stub(env: &Env, binding: &str, name: &str) -> Result<Stub, Error> {
    let ns = env
        .durable_object(binding)
        .map_err(|e| Error::host(format!("durable object binding {binding}: {e}")))?;
    let id = ns
        .id_from_name(name)
        .map_err(|e| Error::host(format!("durable object id: {e}")))?;
    id.get_stub()
        .map_err(|e| Error::host(format!("durable object stub: {e}")))
}

/// Delivers one call to the object it names and reads its outcome.
pub async fn call(env: &Env, call: Call) -> Outcome {
    if call.to == extenddo_engine::Address::Store {
        return match call.command {
            extenddo_engine::Command::Store(request) => store(env, request).await,
            _ => Err(Error::bug(
                "a command for the object store that is not a request",
            )),
        };
    }
    let (binding, name) = rpc::locate(&call.to);
    let body = rpc::encode_call(&call.to, call.command)?;
    let stub = stub(env, binding, &name)?;
    let mut init = RequestInit::new();
    let array = js_sys::Uint8Array::from(body.as_slice());
    init.with_method(Method::Post).with_body(Some(array.into()));
    let req = Request::new_with_init(rpc::CALL_URL, &init)
        .map_err(|e| Error::host(format!("building a call: {e}")))?;
    let mut resp = stub
        .fetch_with_request(req)
        .await
        .map_err(|e| Error::host(format!("calling {name}: {e}")))?;
    let status = resp.status_code();
    let bytes = resp
        .bytes()
        .await
        .map_err(|e| Error::host(format!("reading the reply of {name}: {e}")))?;
    rpc::decode_reply(status, &bytes)
}

/// The R2 bucket binding the object store lives in.
pub const BUCKET_BINDING: &str = "BUCKET";

/// Carries out an object's request to the object store (R2).
pub async fn store(env: &Env, request: extenddo_engine::api::store::StoreRequest) -> Outcome {
    use extenddo_engine::api::store::{StoreReply, StoreRequest};
    let r2 = |e: worker::Error| Error::host(format!("R2: {e}"));
    let bucket = env.bucket(BUCKET_BINDING).map_err(r2)?;
    let reply = match request {
        StoreRequest::Put { key, bytes } => {
            bucket.put(key, bytes).execute().await.map_err(r2)?;
            StoreReply::Stored
        }
        StoreRequest::Get { key } => match bucket.get(key).execute().await.map_err(r2)? {
            None => StoreReply::Got(None),
            Some(obj) => match obj.body() {
                Some(body) => StoreReply::Got(Some(body.bytes().await.map_err(r2)?)),
                None => StoreReply::Got(Some(Vec::new())),
            },
        },
        StoreRequest::List { prefix } => {
            let mut out = Vec::new();
            let mut cursor: Option<String> = None;
            loop {
                let mut list = bucket.list().prefix(prefix.clone());
                if let Some(c) = cursor.take() {
                    list = list.cursor(c);
                }
                let page = list.execute().await.map_err(r2)?;
                out.extend(page.objects().iter().map(|o| (o.key(), o.size())));
                match (page.truncated(), page.cursor()) {
                    (true, Some(c)) => cursor = Some(c),
                    _ => break,
                }
            }
            out.sort();
            StoreReply::Listed(out)
        }
        StoreRequest::Delete { key } => {
            bucket.delete(key).await.map_err(r2)?;
            StoreReply::Deleted
        }
    };
    Ok(Reply::Store(reply))
}
