//! The request flow, sans I/O: a host feeds it an HTTP request and the outcomes of the calls
//! it asks for, and it says what to do next. Table lifecycle choreography (catalog, then table
//! object, and back), routing by table id, and multi-table fan-out live here, once.
//!
//! ```ignore
//! let (mut flow, mut action) = Flow::start(&front, request, now_ms, entropy);
//! loop {
//!     action = match action {
//!         Action::Call(call) => flow.step(&front, host.call(call).await),
//!         Action::Respond(response) => return response,
//!     };
//! }
//! ```
//!
//! - [`directory`]: the cache of which incarnation a name stands for;
//! - [`route`]: one command to one table by name (resolve, call, re-resolve once if the
//!   cached incarnation is gone);
//! - [`lifecycle`]: CreateTable and DeleteTable;
//! - [`batch`]: BatchGetItem / BatchWriteItem fan-out; [`list_streams`]: ListStreams.

pub mod auth;
pub mod auth_cache;
pub mod backup;
pub mod batch;
pub mod directory;
pub mod failpoint;
pub mod front;
pub mod lifecycle;
pub mod list_streams;
pub mod management;
pub mod request;
pub mod route;
pub mod transact;
pub mod transfer;
mod unexpected;

use serde_json::json;

pub use directory::Directory;
pub use front::FrontEnd;
pub use request::HttpRequest;

use crate::api::catalog::{CatalogCommand, CatalogReply};
use crate::api::ids::{request_id, TableId};
use crate::api::object::{Address, Call, Command, Outcome, Reply};
use crate::api::streams::{invalid_iterator, stream_not_found};
use crate::api::time::parse_label;
use crate::config::Config;
use crate::error::{ApiError, Error};
use crate::wire::decode::{self, table_not_found, Request};
use crate::wire::render;
use crate::wire::response::{self, HttpResponse, Route};
use crate::wire::target::Op;

pub use crate::wire::http::MAX_REQUEST_BYTES;

pub fn too_large_error() -> ApiError {
    crate::wire::http::too_large()
}

/// The answer to a body longer than [`MAX_REQUEST_BYTES`].
pub fn request_too_large(now_ms: i64, entropy: u64) -> HttpResponse {
    let r = response::error(&too_large_error(), &request_id(now_ms, entropy));
    crate::wire::http::Negotiated::default().finish(r)
}

/// What a host does next for a request.
#[derive(Debug)]
pub enum Action {
    /// Deliver the call and feed its outcome with [`Flow::step`].
    Call(Call),
    /// Deliver every call, concurrently, and feed their outcomes, in this order, with
    /// [`Flow::step_all`].
    Fanout(Vec<Call>),
    /// Send the response: the request is done.
    Respond(HttpResponse),
    /// Send the response, then deliver the call; its outcome goes nowhere (the engine's
    /// recovery covers a call that is lost).
    RespondThen(HttpResponse, Call),
}

enum Stage {
    Done,
    Single(Box<route::Routed>),
    Create(Box<lifecycle::Create>),
    Delete(lifecycle::Delete),
    Batch(Box<batch::Fanout>),
    ListTables,
    ListStreams(Box<list_streams::ListStreams>),
    TransactWrite(Box<transact::WriteFlow>),
    TransactGet(Box<transact::ReadFlow>),
    CreateBackup(Box<backup::CreateBackup>),
    /// DescribeBackup, DeleteBackup, ListBackups: the catalog's answer.
    BackupCatalog,
    Restore(Box<backup::Restore>),
    Export(Box<transfer::Export>),
    Import(Box<transfer::Import>),
    /// DescribeExport, ListExports, DescribeImport, ListImports: the catalog's answer.
    TransferCatalog,
    /// The caller's access key is being looked up.
    Authenticating(Box<auth::Pending>),
    /// Tables' partition key names are being asked for (`dynamodb:LeadingKeys`).
    HashKeys(Box<Authorizing>),
    Management(Box<management::Management>),
}

/// A verified, decoded request waiting for the partition key names of its tables.
pub struct Authorizing {
    caller: std::sync::Arc<auth_cache::Caller>,
    op: Op,
    body: serde_json::Value,
    request: Request,
    missing: Vec<String>,
    asking: route::Routed,
}

pub struct Flow {
    request_id: String,
    op: Op,
    now_ms: i64,
    stage: Stage,
    entropy: u64,
    /// The `Host` header, for DescribeEndpoints.
    host: Option<String>,
    /// The configuration as the caller's account sees it (ARNs), when it is not the
    /// host's default account.
    account_cfg: Option<std::sync::Arc<Config>>,
    /// What the response depends on in the request (compression, CORS, content type).
    negotiated: crate::wire::http::Negotiated,
}

impl Flow {
    pub fn start(
        front: &FrontEnd,
        req: HttpRequest<'_>,
        now_ms: i64,
        entropy: u64,
    ) -> (Flow, Action) {
        let mut flow = Flow {
            request_id: request_id(now_ms, entropy),
            op: Op::ListTables,
            now_ms,
            stage: Stage::Done,
            entropy,
            host: None,
            account_cfg: None,
            negotiated: crate::wire::http::Negotiated::of(req.headers, !req.runtime_encodes),
        };
        if crate::wire::http::is_preflight(req.method, req.headers) {
            let r = crate::wire::http::preflight(req.headers, &flow.request_id);
            return (flow, Action::Respond(r));
        }
        let action = match response::route(req.method, req.path) {
            Route::Health => Action::Respond(response::health(&front.cfg.region, &flow.request_id)),
            Route::Healthz => Action::Respond(management::healthz()),
            Route::Management => match management::Management::start(front, &req, now_ms) {
                (m, management::Next::Call(call)) => {
                    if let Some(m) = m {
                        flow.stage = Stage::Management(Box::new(m));
                    }
                    Action::Call(call)
                }
                (_, management::Next::Respond(r)) => Action::Respond(r),
            },
            Route::NotFound => Action::Respond(response::not_found(&flow.request_id)),
            Route::DynamoDb => match flow.begin(front, req, entropy) {
                Ok(a) => a,
                Err(e) => flow.fail(e),
            },
        };
        let action = flow.finish(action);
        (flow, action)
    }

    /// The response as it goes on the wire (`wire::http`).
    fn finish(&self, action: Action) -> Action {
        match action {
            Action::Respond(r) => Action::Respond(self.negotiated.finish(r)),
            Action::RespondThen(r, call) => Action::RespondThen(self.negotiated.finish(r), call),
            other => other,
        }
    }

    fn begin(
        &mut self,
        front: &FrontEnd,
        req: HttpRequest<'_>,
        _entropy: u64,
    ) -> Result<Action, ApiError> {
        if req.body.len() > MAX_REQUEST_BYTES {
            return Err(too_large_error());
        }
        self.host = req.host.map(str::to_owned);
        // The signature covers the body as sent; the request is its decompressed text.
        let text = crate::wire::http::request_body(req.headers, req.body, MAX_REQUEST_BYTES)?;
        if !front.cfg.auth.enforce {
            crate::wire::auth::check_signature_shape(req.authorization)?;
            self.op = Op::from_target(req.target)?;
            let body = decode::body(&text)?;
            let request = decode::decode(self.op, &body, self.now_ms)?;
            return Ok(self.dispatch(front, front.cfg.account_id.clone(), request));
        }
        let parsed = Op::from_target(req.target).and_then(|op| Ok((op, decode::body(&text)?)));
        let pending = auth::Pending::read(&front.cfg, &req, self.now_ms, parsed)?;
        match auth::cached(front, pending.key_id(), self.now_ms) {
            Some(caller) => self.authenticated(front, pending, Some(caller), None),
            None => {
                let call = pending.lookup();
                self.stage = Stage::Authenticating(Box::new(pending));
                Ok(Action::Call(call))
            }
        }
    }

    /// The caller is known: verify, decode, authorize, go.
    fn authenticated(
        &mut self,
        front: &FrontEnd,
        pending: auth::Pending,
        caller: Option<std::sync::Arc<auth_cache::Caller>>,
        outcome: Option<Outcome>,
    ) -> Result<Action, ApiError> {
        let caller = auth::verified(front, &pending, caller, outcome, self.now_ms)?;
        let (op, body) = pending.parsed?;
        self.op = op;
        let request = decode::decode(op, &body, self.now_ms)?;
        if caller.account != front.cfg.account_id {
            let mut cfg = front.cfg.clone();
            cfg.account_id = caller.account.clone();
            self.account_cfg = Some(std::sync::Arc::new(cfg));
        }
        let missing = auth::tables_needing_keys(front, &caller, op, &body, self.now_ms);
        self.authorize(
            front,
            Authorizing {
                caller,
                op,
                body,
                request,
                missing,
                asking: route::Routed::to(
                    TableId(String::new()),
                    crate::api::command::TableCommand::DescribeTable,
                    ApiError::validation(""),
                ),
            },
        )
    }

    /// Asks for the next missing partition key name, or decides.
    fn authorize(&mut self, front: &FrontEnd, mut a: Authorizing) -> Result<Action, ApiError> {
        if let Some(name) = a.missing.pop() {
            let mut r = route::Routed::new(
                a.caller.account.clone(),
                name.clone(),
                None,
                crate::api::command::TableCommand::DescribeTable,
                table_not_found(Op::DescribeTable, &name),
            );
            a.missing.push(name);
            return match r.first(&front.directory) {
                route::Next::Call(call) => {
                    a.asking = r;
                    self.stage = Stage::HashKeys(Box::new(a));
                    Ok(Action::Call(call))
                }
                route::Next::Done(_) => {
                    a.missing.pop();
                    self.authorize(front, a)
                }
            };
        }
        let stream = match &a.request {
            Request::Records(c) => Some(c.iterator.stream_arn.as_str()),
            _ => None,
        };
        auth::authorize(front, &a.caller, a.op, &a.body, stream, self.now_ms)?;
        let account = a.caller.account.clone();
        Ok(self.dispatch(front, account, a.request))
    }

    fn dispatch(&mut self, front: &FrontEnd, account: String, mut request: Request) -> Action {
        // Buckets of other accounts than the host's own live apart.
        if account != front.cfg.account_id {
            match &mut request {
                Request::Export(r) => {
                    r.target.root = Some(crate::api::transfer::account_bucket_root(
                        &account,
                        &r.target.bucket,
                    ))
                }
                Request::Import(r) => {
                    r.source.root = Some(crate::api::transfer::account_bucket_root(
                        &account,
                        &r.source.bucket,
                    ))
                }
                _ => {}
            }
        }
        // The configuration this request runs with (its caller's account in ARNs).
        let account_cfg = self.account_cfg.clone();
        let cfg: &Config = account_cfg.as_deref().unwrap_or(&front.cfg);
        let entropy = self.entropy;
        match request {
            Request::Table { name, command } => {
                let not_found = table_not_found(self.op, &name);
                self.single(
                    front,
                    route::Routed::new(account, name, None, command, not_found),
                )
            }
            Request::Stream {
                table,
                label,
                command,
            } => {
                let arn = match &command {
                    crate::api::command::TableCommand::DescribeStream(c) => c.arn.clone(),
                    crate::api::command::TableCommand::GetShardIterator(c) => c.arn.clone(),
                    _ => String::new(),
                };
                // The incarnation that existed when the stream was created.
                let at = parse_label(&label).or(Some(i64::MAX));
                let r = route::Routed::new(account, table, at, command, stream_not_found(&arn));
                self.single(front, r)
            }
            Request::Tags { resource, command } => {
                if resource.region != cfg.region {
                    return self.fail(crate::api::tags::invalid_table_arn(&resource.arn));
                }
                if resource.account != account {
                    return self.fail(crate::api::tags::foreign_account());
                }
                let not_found = crate::api::tags::resource_not_found(&resource.arn);
                self.single(
                    front,
                    route::Routed::new(account, resource.table, None, command, not_found),
                )
            }
            Request::Records(c) => {
                if !TableId::is_well_formed(&c.iterator.table_id) {
                    return self.fail(invalid_iterator());
                }
                let id = TableId(c.iterator.table_id.clone());
                let not_found = stream_not_found(&c.iterator.stream_arn);
                let command = crate::api::command::TableCommand::GetRecords(c);
                let r = route::Routed::to(id, command, not_found);
                self.single(front, r)
            }
            Request::CreateTable(mut create) => {
                create.schema.id =
                    TableId::mint(&account, &create.schema.name, self.now_ms, entropy).0;
                let (c, call) = lifecycle::Create::start(account, create);
                self.stage = Stage::Create(Box::new(c));
                Action::Call(call)
            }
            Request::DeleteTable { name } => {
                let (d, call) = lifecycle::Delete::start(account, name);
                self.stage = Stage::Delete(d);
                Action::Call(call)
            }
            Request::ListTables { start, limit } => {
                self.stage = Stage::ListTables;
                Action::Call(Call {
                    to: Address::Catalog,
                    command: Command::Catalog(CatalogCommand::List {
                        account,
                        start,
                        limit,
                    }),
                })
            }
            Request::BatchGet(shares) => {
                let mut f = batch::Fanout::get(account, shares);
                let next = f.next(&front.directory);
                self.after_batch(f, next)
            }
            Request::BatchWrite(shares) => {
                let mut f = batch::Fanout::write(account, shares);
                let next = f.next(&front.directory);
                self.after_batch(f, next)
            }
            Request::TransactWrite(w) => {
                let (f, next) = transact::WriteFlow::start(
                    account,
                    self.request_id.clone(),
                    *w,
                    &front.directory,
                );
                self.after_transact(Stage::TransactWrite(Box::new(f)), next)
            }
            Request::TransactGet(g) => {
                let (f, next) = transact::ReadFlow::start(account, *g, &front.directory);
                self.after_transact(Stage::TransactGet(Box::new(f)), next)
            }
            Request::ListStreams {
                table,
                limit,
                after,
            } => {
                let (l, next) =
                    list_streams::ListStreams::start(cfg.clone(), account, table, limit, after);
                self.after_list(l, next)
            }
            Request::CreateBackup { table, backup } => {
                let (c, next) = backup::CreateBackup::start(
                    cfg,
                    account,
                    table,
                    backup,
                    self.now_ms,
                    entropy,
                    &front.directory,
                );
                self.after_backup(Stage::CreateBackup(Box::new(c)), next)
            }
            r @ (Request::DescribeBackup { .. }
            | Request::DeleteBackup { .. }
            | Request::ListBackups(_)) => match backup::catalog_call(account, &r) {
                Some(call) => {
                    self.stage = Stage::BackupCatalog;
                    Action::Call(call)
                }
                None => self.fail(Error::bug("not a catalog backup request").into_api()),
            },
            Request::Restore(r) => {
                let (rf, next) =
                    backup::Restore::start(account, *r, self.now_ms, entropy, &front.directory);
                self.after_backup(Stage::Restore(Box::new(rf)), next)
            }
            Request::Export(r) => {
                let (e, next) = transfer::Export::start(
                    cfg,
                    account,
                    *r,
                    self.now_ms,
                    entropy,
                    &front.directory,
                );
                self.after_backup(Stage::Export(Box::new(e)), next)
            }
            Request::Import(r) => {
                let (i, next) = transfer::Import::start(cfg, account, *r, self.now_ms, entropy);
                self.after_backup(Stage::Import(Box::new(i)), next)
            }
            r @ (Request::DescribeExport { .. }
            | Request::ListExports { .. }
            | Request::DescribeImport { .. }
            | Request::ListImports { .. }) => match transfer::catalog_call(account, &r) {
                Some(call) => {
                    self.stage = Stage::TransferCatalog;
                    Action::Call(call)
                }
                None => self.fail(Error::bug("not a catalog transfer request").into_api()),
            },
            Request::DescribeLimits => self.respond(&json!({
                "AccountMaxReadCapacityUnits": 80000,
                "AccountMaxWriteCapacityUnits": 80000,
                "TableMaxReadCapacityUnits": 40000,
                "TableMaxWriteCapacityUnits": 40000,
            })),
            Request::DescribeEndpoints => {
                let address = self
                    .host
                    .clone()
                    .unwrap_or_else(|| format!("dynamodb.{}.amazonaws.com", cfg.region));
                self.respond(&json!({
                    "Endpoints": [{ "Address": address, "CachePeriodInMinutes": 1440 }]
                }))
            }
        }
    }

    fn single(&mut self, front: &FrontEnd, mut r: route::Routed) -> Action {
        match r.first(&front.directory) {
            route::Next::Call(call) => {
                self.stage = Stage::Single(Box::new(r));
                Action::Call(call)
            }
            route::Next::Done(Ok(_)) => {
                self.fail(Error::bug("a route done before its call").into_api())
            }
            route::Next::Done(Err(e)) => self.fail(e),
        }
    }

    fn after_batch(&mut self, f: batch::Fanout, next: batch::Next) -> Action {
        match next {
            batch::Next::Call(call) => {
                self.stage = Stage::Batch(Box::new(f));
                Action::Call(call)
            }
            batch::Next::Done(Ok(v)) => self.respond(&v),
            batch::Next::Done(Err(e)) => self.fail(e),
        }
    }

    fn after_list(&mut self, l: list_streams::ListStreams, next: list_streams::Next) -> Action {
        match next {
            list_streams::Next::Call(call) => {
                self.stage = Stage::ListStreams(Box::new(l));
                Action::Call(call)
            }
            list_streams::Next::Done(r) => match r {
                Ok(v) => self.respond(&v),
                Err(e) => self.fail(e),
            },
        }
    }

    fn after_transact(&mut self, stage: Stage, next: transact::Next) -> Action {
        match next {
            transact::Next::Call(call) => {
                self.stage = stage;
                Action::Call(call)
            }
            transact::Next::Fanout(calls) => {
                self.stage = stage;
                Action::Fanout(calls)
            }
            transact::Next::Done(Ok(v)) => self.respond(&v),
            transact::Next::Done(Err(e)) => self.fail(e),
            transact::Next::DoneThen(result, call) => {
                let response = match result {
                    Ok(v) => self.respond(&v),
                    Err(e) => self.fail(e),
                };
                match response {
                    Action::Respond(r) => Action::RespondThen(r, call),
                    other => other,
                }
            }
        }
    }

    fn after_backup(&mut self, stage: Stage, next: backup::Next) -> Action {
        match next {
            backup::Next::Call(call) => {
                self.stage = stage;
                Action::Call(call)
            }
            backup::Next::Done(Ok(v)) => self.respond(&v),
            backup::Next::Done(Err(e)) => self.fail(e),
        }
    }

    fn respond(&mut self, v: &serde_json::Value) -> Action {
        self.stage = Stage::Done;
        Action::Respond(response::ok(v, &self.request_id))
    }

    fn fail(&mut self, e: ApiError) -> Action {
        self.stage = Stage::Done;
        Action::Respond(response::error(&e, &self.request_id))
    }

    /// Feeds the outcome of the last call; returns the next action.
    pub fn step(&mut self, front: &FrontEnd, outcome: Outcome) -> Action {
        let action = self.next(front, outcome);
        self.finish(action)
    }

    fn next(&mut self, front: &FrontEnd, outcome: Outcome) -> Action {
        // The configuration this request runs with (its caller's account in ARNs).
        let account_cfg = self.account_cfg.clone();
        let cfg: &Config = account_cfg.as_deref().unwrap_or(&front.cfg);
        match std::mem::replace(&mut self.stage, Stage::Done) {
            Stage::Done => self.fail(Error::bug("a step after the response").into_api()),
            Stage::Authenticating(pending) => {
                match self.authenticated(front, *pending, None, Some(outcome)) {
                    Ok(a) => a,
                    Err(e) => self.fail(e),
                }
            }
            Stage::HashKeys(mut a) => {
                let name = a.missing.pop().unwrap_or_default();
                if let route::Next::Call(call) = a
                    .asking
                    .step(&front.directory, outcome)
                    .and_then_described(|d| {
                        auth::remember_key_names(
                            front,
                            &a.caller.account,
                            &name,
                            &d.schema,
                            self.now_ms,
                        )
                    })
                {
                    a.missing.push(name);
                    self.stage = Stage::HashKeys(a);
                    return Action::Call(call);
                }
                match self.authorize(front, *a) {
                    Ok(x) => x,
                    Err(e) => self.fail(e),
                }
            }
            Stage::Management(mut m) => match m.step(front, outcome, self.now_ms) {
                management::Next::Call(call) => {
                    self.stage = Stage::Management(m);
                    Action::Call(call)
                }
                management::Next::Respond(r) => Action::Respond(r),
            },
            Stage::Single(mut r) => match r.step(&front.directory, outcome) {
                route::Next::Call(call) => {
                    self.stage = Stage::Single(r);
                    Action::Call(call)
                }
                route::Next::Done(Ok(reply)) => match render::reply(cfg, self.op, &reply) {
                    Ok(v) => self.respond(&v),
                    Err(e) => self.fail(e.into_api()),
                },
                route::Next::Done(Err(e)) => self.fail(e),
            },
            Stage::Create(mut c) => match c.step(&front.directory, outcome) {
                lifecycle::Next::Call(call) => {
                    self.stage = Stage::Create(c);
                    Action::Call(call)
                }
                lifecycle::Next::Done(Ok(reply)) => match render::reply(cfg, self.op, &reply) {
                    Ok(v) => self.respond(&v),
                    Err(e) => self.fail(e.into_api()),
                },
                lifecycle::Next::Done(Err(e)) => self.fail(e),
            },
            Stage::Delete(mut d) => match d.step(&front.directory, cfg, self.now_ms, outcome) {
                lifecycle::Next::Call(call) => {
                    self.stage = Stage::Delete(d);
                    Action::Call(call)
                }
                lifecycle::Next::Done(Ok(reply)) => match render::reply(cfg, self.op, &reply) {
                    Ok(v) => self.respond(&v),
                    Err(e) => self.fail(e.into_api()),
                },
                lifecycle::Next::Done(Err(e)) => self.fail(e),
            },
            Stage::TransactWrite(mut f) => {
                let next = f.step(&front.directory, outcome);
                self.after_transact(Stage::TransactWrite(f), next)
            }
            Stage::TransactGet(mut f) => {
                let next = f.step(&front.directory, outcome);
                self.after_transact(Stage::TransactGet(f), next)
            }
            Stage::Batch(mut f) => {
                let next = f.step(&front.directory, outcome);
                self.after_batch(*f, next)
            }
            Stage::ListTables => match outcome {
                Ok(Reply::Catalog(CatalogReply::Tables {
                    names,
                    last_evaluated,
                })) => {
                    let mut v = json!({ "TableNames": names });
                    if let Some(last) = last_evaluated {
                        v["LastEvaluatedTableName"] = json!(last);
                    }
                    self.respond(&v)
                }
                Ok(other) => self.fail(Error::bug(format!("ListTables got {other:?}")).into_api()),
                Err(e) => self.fail(e.into_api()),
            },
            Stage::ListStreams(mut l) => {
                let next = l.step(outcome);
                self.after_list(*l, next)
            }
            Stage::CreateBackup(mut c) => {
                let next = c.step(&front.directory, outcome);
                self.after_backup(Stage::CreateBackup(c), next)
            }
            Stage::BackupCatalog => match backup::catalog_answer(outcome) {
                Ok(v) => self.respond(&v),
                Err(e) => self.fail(e),
            },
            Stage::Restore(mut r) => {
                let next = r.step(cfg, &front.directory, outcome);
                self.after_backup(Stage::Restore(r), next)
            }
            Stage::Export(mut e) => {
                let next = e.step(&front.directory, outcome);
                self.after_backup(Stage::Export(e), next)
            }
            Stage::Import(mut i) => {
                let next = i.step(cfg, &front.directory, outcome);
                self.after_backup(Stage::Import(i), next)
            }
            Stage::TransferCatalog => match transfer::catalog_answer(cfg, outcome) {
                Ok(v) => self.respond(&v),
                Err(e) => self.fail(e),
            },
        }
    }

    /// Feeds the outcomes of the calls of the last [`Action::Fanout`], in order.
    pub fn step_all(&mut self, front: &FrontEnd, outcomes: Vec<Outcome>) -> Action {
        let action = self.next_all(front, outcomes);
        self.finish(action)
    }

    fn next_all(&mut self, front: &FrontEnd, outcomes: Vec<Outcome>) -> Action {
        match std::mem::replace(&mut self.stage, Stage::Done) {
            Stage::TransactWrite(mut f) => {
                let next = f.step_all(&front.directory, outcomes);
                self.after_transact(Stage::TransactWrite(f), next)
            }
            Stage::TransactGet(mut f) => {
                let next = f.step_all(&front.directory, outcomes);
                self.after_transact(Stage::TransactGet(f), next)
            }
            _ => self.fail(Error::bug("outcomes of calls this request did not make").into_api()),
        }
    }

    /// True once the flow has produced its response.
    pub fn is_done(&self) -> bool {
        matches!(self.stage, Stage::Done)
    }
}
