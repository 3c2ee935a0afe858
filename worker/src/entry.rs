//! The Worker's fetch handler: every request runs one engine [`Flow`], whose calls go to the
//! Durable Object they name; the response is written as the engine built it.

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
async fn fetch(mut req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let front = front(&env);
    let body = req.bytes().await.unwrap_or_default();
    let method = req.method().to_string();
    let path = req.path();
    let header = |name: &str| req.headers().get(name).ok().flatten();
    let (target, authorization, host_header) = (
        header("X-Amz-Target"),
        header("Authorization"),
        header("Host"),
    );
    let http = HttpRequest {
        method: &method,
        path: &path,
        target: target.as_deref(),
        authorization: authorization.as_deref(),
        host: host_header.as_deref(),
        body: &body,
    };
    let response = run(&front, &env, http).await;
    let mut out = Response::builder().with_status(response.status);
    for (name, value) in &response.headers {
        out = out.with_header(name, value)?;
    }
    Ok(out.fixed(response.body))
}

async fn run(front: &FrontEnd, env: &Env, req: HttpRequest<'_>) -> HttpResponse {
    let (mut flow, mut action) = Flow::start(front, req, host::now_ms(), host::entropy());
    for _ in 0..MAX_STEPS {
        action = match action {
            Action::Respond(response) => return response,
            Action::Call(call) => {
                let outcome = host::call(env, call).await;
                flow.step(front, outcome)
            }
        };
    }
    match action {
        Action::Respond(response) => response,
        Action::Call(_) => {
            let outcome = Err(Error::bug("the request flow did not finish"));
            match flow.step(front, outcome) {
                Action::Respond(r) => r,
                Action::Call(_) => extenddo_engine::request_too_large(host::now_ms(), 0),
            }
        }
    }
}
