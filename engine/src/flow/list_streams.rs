//! ListStreams as a flow fan-out: the catalog lists table incarnations (current and deleted,
//! whose streams stay readable for a day) a page at a time, and each table object answers for
//! its own streams. Streams come out ordered by (table name, stream label), which is also the
//! order `ExclusiveStartStreamArn` / `LastEvaluatedStreamArn` page through. Nothing is kept
//! in the catalog for streams.

use std::collections::VecDeque;

use serde_json::{json, Value};

use crate::api::catalog::{CatalogCommand, CatalogReply, Incarnation};
use crate::api::command::TableCommand;
use crate::api::object::{Address, Call, Command, Outcome, Reply};
use crate::api::reply::TableReply;
use crate::config::Config;
use crate::error::{ApiError, Error};
use crate::wire::render;

/// Incarnations asked of the catalog per page.
const CATALOG_PAGE: usize = 100;

pub(crate) enum Next {
    Call(Call),
    Done(Result<Value, ApiError>),
}

enum Awaiting {
    Catalog,
    Table,
}

pub(crate) struct ListStreams {
    cfg: Config,
    account: String,
    limit: usize,
    /// Only streams after this `(table, label)` (ExclusiveStartStreamArn).
    after: Option<(String, String)>,
    /// A TableName was given: only that table's incarnations.
    only: Option<String>,
    found_only: bool,
    pending: VecDeque<Incarnation>,
    catalog_after: Option<(String, i64)>,
    catalog_done: bool,
    collected: Vec<(String, String)>,
    awaiting: Awaiting,
}

impl ListStreams {
    pub(crate) fn start(
        cfg: Config,
        account: String,
        table: Option<String>,
        limit: usize,
        after: Option<(String, String)>,
    ) -> (ListStreams, Next) {
        // The catalog's listing starts at the first incarnation of the start (or only) table.
        let from = table
            .clone()
            .or_else(|| after.as_ref().map(|(t, _)| t.clone()))
            .map(|t| (t, i64::MIN));
        let mut l = ListStreams {
            cfg,
            account,
            limit,
            after,
            only: table,
            found_only: false,
            pending: VecDeque::new(),
            catalog_after: from,
            catalog_done: false,
            collected: Vec::new(),
            awaiting: Awaiting::Catalog,
        };
        let next = l.next();
        (l, next)
    }

    fn next(&mut self) -> Next {
        if self.collected.len() > self.limit {
            return self.finish();
        }
        if let Some(inc) = self.pending.pop_front() {
            self.awaiting = Awaiting::Table;
            return Next::Call(Call {
                to: Address::Table(inc.id),
                command: Command::Table(TableCommand::ListStreams),
            });
        }
        if !self.catalog_done {
            self.awaiting = Awaiting::Catalog;
            return Next::Call(Call {
                to: Address::Catalog,
                command: Command::Catalog(CatalogCommand::ListIncarnations {
                    account: self.account.clone(),
                    after: self.catalog_after.clone(),
                    limit: CATALOG_PAGE,
                }),
            });
        }
        self.finish()
    }

    fn finish(&mut self) -> Next {
        if let (Some(name), false) = (&self.only, self.found_only) {
            return Next::Done(Err(ApiError::table_not_found(name)));
        }
        let more = self.collected.len() > self.limit;
        self.collected.truncate(self.limit);
        let streams: Vec<Value> = self
            .collected
            .iter()
            .map(|(t, l)| render::stream_summary(&self.cfg, t, l))
            .collect();
        let mut out = json!({ "Streams": streams });
        if more {
            if let Some(last) = streams_last(&out) {
                out["LastEvaluatedStreamArn"] = last;
            }
        }
        Next::Done(Ok(out))
    }

    /// Feeds the outcome of the last call.
    pub(crate) fn step(&mut self, outcome: Outcome) -> Next {
        match self.awaiting {
            Awaiting::Catalog => match outcome {
                Ok(Reply::Catalog(CatalogReply::Incarnations(list))) => {
                    if list.len() < CATALOG_PAGE {
                        self.catalog_done = true;
                    }
                    if let Some(last) = list.last() {
                        self.catalog_after = Some((last.name.clone(), last.created_ms));
                    }
                    for inc in list {
                        match &self.only {
                            Some(name) if *name != inc.name => self.catalog_done = true,
                            _ => self.pending.push_back(inc),
                        }
                    }
                    self.next()
                }
                Ok(other) => Next::Done(Err(Error::bug(format!(
                    "ListIncarnations answered {other:?}"
                ))
                .into_api())),
                Err(e) => Next::Done(Err(e.into_api())),
            },
            Awaiting::Table => match outcome {
                Ok(Reply::Table(TableReply::Streams(list))) => {
                    self.found_only = true;
                    for key in list {
                        if self.after.as_ref().is_none_or(|a| key > *a) {
                            self.collected.push(key);
                        }
                    }
                    self.next()
                }
                // A table retired since the catalog listed it has no streams to show.
                Err(Error::Gone) => self.next(),
                Ok(other) => Next::Done(Err(Error::bug(format!(
                    "a table answered ListStreams with {other:?}"
                ))
                .into_api())),
                Err(e) => Next::Done(Err(e.into_api())),
            },
        }
    }
}

fn streams_last(out: &Value) -> Option<Value> {
    out["Streams"]
        .as_array()
        .and_then(|a| a.last())
        .map(|s| s["StreamArn"].clone())
}
