//! BatchGetItem and BatchWriteItem across tables: one command per table object, sent one
//! after another, and their answers merged. A write touching several tables first dry-runs
//! every table, so that a bad table or key anywhere rejects the whole batch before anything
//! is written.

use std::collections::VecDeque;

use serde_json::{json, Map, Value};

use crate::api::command::{BatchWrite, TableCommand};
use crate::api::object::{Call, Outcome};
use crate::api::reply::TableReply;
use crate::error::{ApiError, Error};
use crate::flow::directory::Directory;
use crate::flow::route::{self, Routed};
use crate::wire::decode::{table_not_found, GetShare, MAX_GET_RESPONSE_BYTES};
use crate::wire::render;
use crate::wire::target::Op;
use crate::wire::value::encode_item;

pub(crate) enum Next {
    Call(Call),
    Done(Result<Value, ApiError>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Get,
    Write,
}

struct Pending {
    share: usize,
    table: String,
    command: TableCommand,
    dry_run: bool,
}

pub(crate) struct Fanout {
    kind: Kind,
    account: String,
    pending: VecDeque<Pending>,
    /// The share in flight: its index, whether it is a dry run, and its route.
    current: Option<(usize, bool, Routed)>,
    /// Per share: the table, and (gets) the keys as sent and the read options, to hand
    /// unprocessed keys back.
    tables: Vec<String>,
    get_echo: Vec<(Vec<Value>, Map<String, Value>)>,
    responses: Map<String, Value>,
    unprocessed: Map<String, Value>,
    metrics: Map<String, Value>,
    capacity: Vec<Value>,
    asked_capacity: bool,
    bytes: u64,
}

impl Fanout {
    fn new(kind: Kind, account: String) -> Fanout {
        Fanout {
            kind,
            account,
            pending: VecDeque::new(),
            current: None,
            tables: Vec::new(),
            get_echo: Vec::new(),
            responses: Map::new(),
            unprocessed: Map::new(),
            metrics: Map::new(),
            capacity: Vec::new(),
            asked_capacity: false,
            bytes: 0,
        }
    }

    pub(crate) fn get(account: String, shares: Vec<GetShare>) -> Fanout {
        let mut f = Fanout::new(Kind::Get, account);
        for (i, s) in shares.into_iter().enumerate() {
            f.tables.push(s.table.clone());
            f.get_echo.push((s.raw_keys, s.retry_options));
            f.pending.push_back(Pending {
                share: i,
                table: s.table,
                command: TableCommand::BatchGet(Box::new(s.command)),
                dry_run: false,
            });
        }
        f
    }

    pub(crate) fn write(account: String, shares: Vec<(String, BatchWrite)>) -> Fanout {
        let mut f = Fanout::new(Kind::Write, account);
        let several = shares.len() > 1;
        for (i, (table, w)) in shares.iter().enumerate() {
            f.tables.push(table.clone());
            if several {
                let mut dry = w.clone();
                dry.dry_run = true;
                f.pending.push_back(Pending {
                    share: i,
                    table: table.clone(),
                    command: TableCommand::BatchWrite(Box::new(dry)),
                    dry_run: true,
                });
            }
        }
        for (i, (table, w)) in shares.into_iter().enumerate() {
            f.pending.push_back(Pending {
                share: i,
                table,
                command: TableCommand::BatchWrite(Box::new(w)),
                dry_run: false,
            });
        }
        f
    }

    /// Sends the next share, or finishes.
    pub(crate) fn next(&mut self, dir: &Directory) -> Next {
        let Some(mut p) = self.pending.pop_front() else {
            return Next::Done(Ok(self.finish()));
        };
        if let TableCommand::BatchGet(g) = &mut p.command {
            g.budget = MAX_GET_RESPONSE_BYTES.saturating_sub(self.bytes);
        }
        let op = match self.kind {
            Kind::Get => Op::BatchGetItem,
            Kind::Write => Op::BatchWriteItem,
        };
        let not_found = table_not_found(op, &p.table);
        let mut r = Routed::new(self.account.clone(), p.table, None, p.command, not_found);
        match r.first(dir) {
            route::Next::Call(call) => {
                self.current = Some((p.share, p.dry_run, r));
                Next::Call(call)
            }
            route::Next::Done(Ok(reply)) => self.merge(dir, p.share, p.dry_run, reply),
            route::Next::Done(Err(e)) => Next::Done(Err(e)),
        }
    }

    pub(crate) fn step(&mut self, dir: &Directory, outcome: Outcome) -> Next {
        let Some((share, dry_run, mut r)) = self.current.take() else {
            return Next::Done(Err(
                Error::bug("a batch step with nothing in flight").into_api()
            ));
        };
        match r.step(dir, outcome) {
            route::Next::Call(call) => {
                self.current = Some((share, dry_run, r));
                Next::Call(call)
            }
            route::Next::Done(Ok(reply)) => self.merge(dir, share, dry_run, reply),
            route::Next::Done(Err(e)) => Next::Done(Err(e)),
        }
    }

    fn merge(&mut self, dir: &Directory, share: usize, dry_run: bool, reply: TableReply) -> Next {
        let table = self.tables.get(share).cloned().unwrap_or_default();
        match (self.kind, reply) {
            (Kind::Write, TableReply::Checked) if dry_run => {}
            (Kind::Write, TableReply::BatchWrite(w)) => {
                if let Some(c) = &w.consumed {
                    self.asked_capacity = true;
                    self.capacity.push(render::consumed(c));
                }
                if !w.metrics.is_empty() {
                    let m: Vec<Value> = w.metrics.iter().map(render::metrics).collect();
                    self.metrics.insert(table, Value::Array(m));
                }
            }
            (Kind::Get, TableReply::BatchGet(g)) => {
                if let Some(c) = &g.consumed {
                    self.asked_capacity = true;
                    self.capacity.push(render::consumed(c));
                }
                self.responses.insert(
                    table.clone(),
                    Value::Array(g.items.iter().map(encode_item).collect()),
                );
                self.bytes += g.bytes;
                if !g.unprocessed.is_empty() {
                    // The retry carries the table's read options with the keys, as AWS
                    // returns them.
                    let (raw_keys, options) = self.get_echo.get(share).cloned().unwrap_or_default();
                    let mut again = Map::new();
                    let keys: Vec<Value> = g
                        .unprocessed
                        .iter()
                        .filter_map(|&i| raw_keys.get(i).cloned())
                        .collect();
                    again.insert("Keys".into(), Value::Array(keys));
                    again.extend(options);
                    self.unprocessed.insert(table, Value::Object(again));
                }
            }
            (_, other) => {
                return Next::Done(Err(Error::bug(format!(
                    "a batch share was answered with {other:?}"
                ))
                .into_api()))
            }
        }
        self.next(dir)
    }

    fn finish(&mut self) -> Value {
        let mut out = Map::new();
        match self.kind {
            Kind::Get => {
                out.insert(
                    "Responses".into(),
                    Value::Object(std::mem::take(&mut self.responses)),
                );
                out.insert(
                    "UnprocessedKeys".into(),
                    Value::Object(std::mem::take(&mut self.unprocessed)),
                );
            }
            Kind::Write => {
                out.insert("UnprocessedItems".into(), json!({}));
                if !self.metrics.is_empty() {
                    out.insert(
                        "ItemCollectionMetrics".into(),
                        Value::Object(std::mem::take(&mut self.metrics)),
                    );
                }
            }
        }
        if self.asked_capacity {
            out.insert(
                "ConsumedCapacity".into(),
                Value::Array(std::mem::take(&mut self.capacity)),
            );
        }
        Value::Object(out)
    }
}
