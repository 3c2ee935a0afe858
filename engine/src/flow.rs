//! The request flow, sans I/O: a host feeds it the HTTP request and the results of the
//! actions it asks for, and it says what to do next. This keeps table lifecycle choreography
//! (catalog, then table object, and back) and multi-table fan-out out of the hosts.
//!
//! ```ignore
//! let (mut flow, mut action) = Flow::start(&cfg, HttpRequest { target, authorization, body, host }, now);
//! loop {
//!     action = match action {
//!         Action::Catalog(req) => flow.step(host.catalog(req)),
//!         Action::Table { table, request } => flow.step(host.table(&table, request)),
//!         Action::Respond(response) => return response,
//!     };
//! }
//! ```

use std::collections::VecDeque;

use serde_json::{json, Map, Value};

use crate::batch;
use crate::catalog::CatalogRequest;
use crate::config::Config;
use crate::error::ApiError;
use crate::op::{Op, TableRequest};
use crate::table_def;
use crate::wire::{Constraints, Params};

#[derive(Debug)]
pub enum Action {
    Catalog(CatalogRequest),
    Table {
        table: String,
        request: TableRequest,
    },
    Respond(Response),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

pub const CONTENT_TYPE: &str = "application/x-amz-json-1.0";

/// The largest request body DynamoDB reads (BatchWriteItem's 16 MB). Hosts may stop reading
/// a body once it is longer and answer [`request_too_large`].
pub const MAX_REQUEST_BYTES: usize = 16 * 1024 * 1024;

pub fn request_too_large() -> ApiError {
    ApiError::validation("Request size exceeded the maximum allowed size of 16 MB")
}

impl Response {
    pub fn ok(v: &Value) -> Response {
        Response {
            status: 200,
            body: serde_json::to_vec(v).unwrap_or_else(|_| b"{}".to_vec()),
        }
    }

    pub fn error(e: &ApiError) -> Response {
        Response {
            status: e.status(),
            body: serde_json::to_vec(&e.body()).unwrap_or_default(),
        }
    }

    pub fn from_result(r: Result<Value, ApiError>) -> Response {
        match r {
            Ok(v) => Response::ok(&v),
            Err(e) => Response::error(&e),
        }
    }
}

/// The parts of an HTTP request the engine reads.
#[derive(Debug, Clone, Copy, Default)]
pub struct HttpRequest<'a> {
    /// The `X-Amz-Target` header.
    pub target: Option<&'a str>,
    /// The `Authorization` header.
    pub authorization: Option<&'a str>,
    /// The `Host` header (DescribeEndpoints answers with it).
    pub host: Option<&'a str>,
    pub body: &'a [u8],
}

/// A multi-table request in progress: the per-table requests still to send and what the
/// answered ones returned.
struct Fanout {
    kind: batch::Kind,
    /// Requests still to run, in order. For a multi-table write, the dry runs come first.
    pending: VecDeque<(String, TableRequest)>,
    /// The table of the request in flight.
    current: Option<(String, bool)>,
    merged: batch::Merged,
}

enum Stage {
    /// One action; its result is the response.
    Single,
    /// CreateTable: the name is reserved; now create the table object.
    CreateRegistered {
        table: String,
        request: TableRequest,
    },
    /// CreateTable: the table object answered.
    CreateDone {
        table: String,
    },
    /// CreateTable failed after the reservation; the reservation is being released.
    CreateReleased {
        error: ApiError,
    },
    /// DeleteTable: the table object logged the deletion; now unregister.
    DeleteDone {
        table: String,
    },
    DeleteUnregistered {
        description: Value,
    },
    Batch(Fanout),
    /// ListStreams over the catalog's tables (or one table).
    ListStreams(crate::streams::ListStreams),
    Done,
}

pub struct Flow {
    stage: Stage,
}

impl Flow {
    pub fn start(cfg: &Config, req: HttpRequest<'_>, now_ms: i64) -> (Flow, Action) {
        let mut flow = Flow {
            stage: Stage::Single,
        };
        let action = match flow.begin(cfg, req, now_ms) {
            Ok(a) => a,
            Err(e) => flow.respond(Err(e)),
        };
        (flow, action)
    }

    fn begin(
        &mut self,
        cfg: &Config,
        req: HttpRequest<'_>,
        now_ms: i64,
    ) -> Result<Action, ApiError> {
        crate::auth::check_signature_shape(req.authorization)?;
        if req.body.len() > MAX_REQUEST_BYTES {
            return Err(request_too_large());
        }
        let op = Op::from_target(req.target)?;
        let body: Value = if req.body.iter().all(u8::is_ascii_whitespace) {
            Value::Object(Map::new())
        } else {
            serde_json::from_slice(req.body).map_err(|_| {
                ApiError::serialization("Start of structure or map found where not expected.")
            })?
        };
        let p = Params::new(&body)?;
        match op {
            Op::ListTables => list_tables(&p),
            Op::DescribeLimits => Ok(self.respond(Ok(json!({
                "AccountMaxReadCapacityUnits": 80000,
                "AccountMaxWriteCapacityUnits": 80000,
                "TableMaxReadCapacityUnits": 40000,
                "TableMaxWriteCapacityUnits": 40000,
            })))),
            Op::DescribeEndpoints => {
                let address = req
                    .host
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("dynamodb.{}.amazonaws.com", cfg.region));
                Ok(self.respond(Ok(json!({
                    "Endpoints": [{ "Address": address, "CachePeriodInMinutes": 1440 }]
                }))))
            }
            Op::CreateTable => {
                let name = p.str("TableName")?.unwrap_or_default().to_owned();
                let id = table_def::table_id(&name, now_ms);
                // Validate before reserving the name, so a bad request leaves no trace.
                table_def::parse_create_table(&p, id.clone(), now_ms)?;
                let mut request = TableRequest::new(op, body.clone());
                request.table_id = Some(id.clone());
                self.stage = Stage::CreateRegistered {
                    table: name.clone(),
                    request,
                };
                Ok(Action::Catalog(CatalogRequest::Register { name, id }))
            }
            Op::DeleteTable => {
                let table = table_def::table_name(&p)?;
                self.stage = Stage::DeleteDone {
                    table: table.clone(),
                };
                Ok(Action::Table {
                    table,
                    request: TableRequest::new(op, body),
                })
            }
            Op::BatchGetItem | Op::BatchWriteItem => {
                let (kind, pending) = batch::split(op, &p)?;
                let mut fanout = Fanout {
                    kind,
                    pending,
                    current: None,
                    merged: batch::Merged::default(),
                };
                let action = fanout.next();
                self.stage = Stage::Batch(fanout);
                Ok(action)
            }
            Op::ListStreams => {
                let (list, next) = crate::streams::ListStreams::start(&p)?;
                self.stage = Stage::ListStreams(list);
                Ok(self.list_next(next))
            }
            Op::DescribeStream | Op::GetShardIterator | Op::GetRecords => Ok(Action::Table {
                table: crate::streams::route(op, &p)?,
                request: TableRequest::new(op, body),
            }),
            Op::BatchGetTable | Op::BatchWriteTable => {
                Err(ApiError::bare(crate::ErrorKind::UnknownOperation))
            }
            _ => {
                let table = table_def::table_name(&p)?;
                Ok(Action::Table {
                    table,
                    request: TableRequest::new(op, body),
                })
            }
        }
    }

    fn list_next(&mut self, next: crate::streams::ListNext) -> Action {
        match next {
            crate::streams::ListNext::Act(action) => action,
            crate::streams::ListNext::Done(r) => self.respond(r),
        }
    }

    fn respond(&mut self, r: Result<Value, ApiError>) -> Action {
        self.stage = Stage::Done;
        Action::Respond(Response::from_result(r))
    }

    /// Feeds the result of the last action; returns the next one.
    pub fn step(&mut self, result: Result<Value, ApiError>) -> Action {
        match std::mem::replace(&mut self.stage, Stage::Done) {
            Stage::Single | Stage::Done => self.respond(result),
            Stage::CreateRegistered { table, request } => match result {
                Ok(_) => {
                    self.stage = Stage::CreateDone {
                        table: table.clone(),
                    };
                    Action::Table { table, request }
                }
                Err(e) => self.respond(Err(e)),
            },
            Stage::CreateDone { table } => match result {
                Ok(v) => self.respond(Ok(v)),
                Err(error) => {
                    self.stage = Stage::CreateReleased { error };
                    Action::Catalog(CatalogRequest::Unregister { name: table })
                }
            },
            Stage::CreateReleased { error } => self.respond(Err(error)),
            Stage::DeleteDone { table } => match result {
                Ok(description) => {
                    self.stage = Stage::DeleteUnregistered { description };
                    Action::Catalog(CatalogRequest::Unregister { name: table })
                }
                Err(e) => self.respond(Err(e)),
            },
            Stage::DeleteUnregistered { description } => match result {
                Ok(_) => self.respond(Ok(description)),
                Err(e) => self.respond(Err(e)),
            },
            Stage::ListStreams(mut list) => {
                let next = list.step(result);
                self.stage = Stage::ListStreams(list);
                self.list_next(next)
            }
            Stage::Batch(mut fanout) => match result {
                Err(e) => self.respond(Err(e)),
                Ok(v) => {
                    if let Some((table, false)) = fanout.current.take() {
                        fanout.merged.add(fanout.kind, &table, v);
                    }
                    if fanout.pending.is_empty() {
                        let out = fanout.merged.finish(fanout.kind);
                        return self.respond(Ok(out));
                    }
                    let action = fanout.next();
                    self.stage = Stage::Batch(fanout);
                    action
                }
            },
        }
    }

    /// True once the flow has produced its response.
    pub fn is_done(&self) -> bool {
        matches!(self.stage, Stage::Done)
    }
}

impl Fanout {
    fn next(&mut self) -> Action {
        match self.pending.pop_front() {
            Some((table, mut request)) => {
                if self.kind == batch::Kind::Get {
                    request.budget = Some(self.merged.remaining_bytes());
                }
                self.current = Some((table.clone(), request.dry_run));
                Action::Table { table, request }
            }
            None => Action::Respond(Response::ok(&json!({}))),
        }
    }
}

fn list_tables(p: &Params) -> Result<Action, ApiError> {
    let start = p.str("ExclusiveStartTableName")?;
    let limit = p.int("Limit")?;
    let mut c = Constraints::default();
    if let Some(s) = start {
        table_def::check_table_name(&mut c, Some(s), "exclusiveStartTableName");
    }
    if let Some(l) = limit {
        if l < 1 {
            c.fail(
                Some(&l.to_string()),
                "limit",
                "Member must have value greater than or equal to 1",
            );
        } else if l > 100 {
            c.fail(
                Some(&l.to_string()),
                "limit",
                "Member must have value less than or equal to 100",
            );
        }
    }
    c.check()?;
    let start = start.map(str::to_owned);
    Ok(Action::Catalog(CatalogRequest::List {
        start,
        limit: limit.unwrap_or(100) as usize,
    }))
}
