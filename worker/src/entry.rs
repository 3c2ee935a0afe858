//! The Worker's fetch handler: every request runs one engine [`Flow`], whose calls go to the
//! Durable Object they name; the response is written as the engine built it.

use extenddo_engine::flow::failpoint::{self, Failpoint};
use extenddo_engine::{Action, Error, Flow, FrontEnd, HttpRequest, HttpResponse};
use worker::{event, Context, Env, Request, Response};

use crate::host;

/// A guard against a flow that never finishes (an engine bug): far above the steps of any
/// real request (a batch over 100 tables takes about three per table).
const MAX_STEPS: usize = 1024;

#[event(start)]
fn start() {
    // A panic aborts the wasm instance (the shim then reinitialises it); at least say why.
    std::panic::set_hook(Box::new(|info| {
        worker::console_error!("extenddo-worker panic: {info}")
    }));
}

thread_local! {
    /// The configuration and the name cache, kept while the isolate lives.
    static FRONT: std::cell::RefCell<Option<std::rc::Rc<FrontEnd>>> = const { std::cell::RefCell::new(None) };
}

fn front(env: &Env) -> std::rc::Rc<FrontEnd> {
    FRONT.with(|f| {
        f.borrow_mut()
            .get_or_insert_with(|| std::rc::Rc::new(FrontEnd::new(host::config(env))))
            .clone()
    })
}

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    let front = front(&env);
    // A body declared too long is refused before any of it is read; the engine refuses one
    // that turns out too long once read (chunked).
    let declared = req
        .headers()
        .get("Content-Length")
        .ok()
        .flatten()
        .and_then(|l| l.parse::<u64>().ok());
    if declared.is_some_and(|n| n > extenddo_engine::MAX_REQUEST_BYTES as u64) {
        return respond(extenddo_engine::request_too_large(
            host::now_ms(),
            host::entropy(),
        ));
    }
    let body = req.bytes().await.unwrap_or_default();
    let method = req.method().to_string();
    let path = req.path();
    let header = |name: &str| req.headers().get(name).ok().flatten();
    let (target, authorization, host_header) = (
        header("X-Amz-Target"),
        header("Authorization"),
        header("Host"),
    );
    let failpoint = header(failpoint::HEADER)
        .filter(|_| failpoints_enabled(&env))
        .and_then(|spec| Failpoint::parse(&spec));
    let all: Vec<(String, String)> = req.headers().entries().collect();
    let headers: Vec<(&str, &str)> = all.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let query = req
        .url()
        .ok()
        .and_then(|u| u.query().map(str::to_owned))
        .unwrap_or_default();
    let Some(random) = host::secure_random() else {
        return Response::error("no secure random source", 500);
    };
    let http = HttpRequest {
        method: &method,
        path: &path,
        target: target.as_deref(),
        authorization: authorization.as_deref(),
        host: host_header.as_deref(),
        query: &query,
        headers: &headers,
        random,
        body: &body,
        runtime_encodes: true,
    };
    let Some(response) = run(&front, &env, &ctx, http, failpoint).await else {
        return Response::error("failpoint: the request was dropped mid-flight", 500);
    };
    respond(response)
}

/// Writes the engine's response as it is: its body is already encoded (compressed when
/// its `Content-Encoding` says so), so the runtime must not encode it again.
fn respond(response: HttpResponse) -> worker::Result<Response> {
    let mut out = Response::builder()
        .with_status(response.status)
        .with_encode_body(worker::EncodeBody::Manual);
    for (name, value) in &response.headers {
        out = out.with_header(name, value)?;
    }
    Ok(out.fixed(response.body))
}

/// Test-only failpoints (`flow::failpoint`) are honoured when the Worker runs with the var
/// `EXTENDDO_FAILPOINTS=1` (the e2e suite passes `--var EXTENDDO_FAILPOINTS:1`).
fn failpoints_enabled(env: &Env) -> bool {
    env.var("EXTENDDO_FAILPOINTS")
        .is_ok_and(|v| v.to_string() == "1")
}

/// Runs a request's flow to its response; `None` when a failpoint dropped it mid-flight,
/// leaving whatever its calls did so far for the objects' recovery.
async fn run(
    front: &FrontEnd,
    env: &Env,
    ctx: &Context,
    req: HttpRequest<'_>,
    mut failpoint: Option<Failpoint>,
) -> Option<HttpResponse> {
    let (mut flow, mut action) = Flow::start(front, req, host::now_ms(), host::entropy());
    for _ in 0..MAX_STEPS {
        action = match action {
            Action::Respond(response) => return Some(response),
            Action::RespondThen(response, call) => {
                if failpoint.is_some() {
                    // Failpoints are about durable steps: the call goes first.
                    let _ = call_with_failpoint(env, call, &mut failpoint).await?;
                } else {
                    let env = env.clone();
                    ctx.wait_until(async move {
                        let _ = host::call(&env, call).await;
                    });
                }
                return Some(response);
            }
            Action::Call(call) => {
                let outcome = call_with_failpoint(env, call, &mut failpoint).await?;
                flow.step(front, outcome)
            }
            Action::Fanout(calls) => {
                let outcomes = if failpoint.is_some() {
                    // One at a time, so that `after:STEP:N` names one durable state.
                    let mut outs = Vec::with_capacity(calls.len());
                    for call in calls {
                        outs.push(call_with_failpoint(env, call, &mut failpoint).await?);
                    }
                    outs
                } else {
                    futures_util::future::join_all(calls.into_iter().map(|c| host::call(env, c)))
                        .await
                };
                flow.step_all(front, outcomes)
            }
        };
    }
    Some(match action {
        Action::Respond(response) | Action::RespondThen(response, _) => response,
        Action::Call(_) | Action::Fanout(_) => {
            let outcome = Err(Error::bug("the request flow did not finish"));
            match flow.step(front, outcome) {
                Action::Respond(r) | Action::RespondThen(r, _) => r,
                Action::Call(_) | Action::Fanout(_) => {
                    extenddo_engine::request_too_large(host::now_ms(), 0)
                }
            }
        }
    })
}

/// Delivers a call; `None` if the request's failpoint drops the request before or after it.
async fn call_with_failpoint(
    env: &Env,
    call: extenddo_engine::Call,
    failpoint: &mut Option<Failpoint>,
) -> Option<extenddo_engine::Outcome> {
    if failpoint.as_mut().is_some_and(|f| f.before(&call)) {
        return None;
    }
    let probe = failpoint.as_ref().map(|_| call.clone());
    let outcome = host::call(env, call).await;
    if let (Some(call), Some(f)) = (probe, failpoint.as_ref()) {
        if f.after(&call) {
            return None;
        }
    }
    Some(outcome)
}
