//! ListStreams as a flow fan-out: with a TableName, one table object answers; without, the
//! catalog lists the tables (a page of 100 names at a time) and each table object answers
//! for its own streams. Streams come out ordered by (table name, stream label), which is
//! also the order `ExclusiveStartStreamArn` / `LastEvaluatedStreamArn` page through.
//! Nothing is kept in the catalog for streams.

use std::collections::VecDeque;

use serde_json::{json, Value};

use super::api::stream_not_found;
use super::parse_stream_arn;
use crate::catalog::CatalogRequest;
use crate::error::ApiError;
use crate::flow::Action;
use crate::op::{Op, TableRequest};
use crate::table_def;
use crate::wire::{Constraints, Params};

/// Table names asked of the catalog per page.
const CATALOG_PAGE: usize = 100;

enum Awaiting {
    Catalog,
    Table,
}

pub(crate) struct ListStreams {
    limit: usize,
    /// Only streams after this `(table, label)` (ExclusiveStartStreamArn).
    after: Option<(String, String)>,
    /// A TableName was given: only that table, and its errors are the answer's.
    single: bool,
    pending: VecDeque<String>,
    catalog_start: Option<String>,
    catalog_done: bool,
    collected: Vec<((String, String), Value)>,
    awaiting: Awaiting,
}

/// What the flow does next.
pub(crate) enum Next {
    Act(Action),
    Done(Result<Value, ApiError>),
}

impl ListStreams {
    pub(crate) fn start(p: &Params) -> Result<(ListStreams, Next), ApiError> {
        let table = p.str("TableName")?;
        let limit = p.int("Limit")?;
        let start = p.str("ExclusiveStartStreamArn")?;
        let mut c = Constraints::default();
        if table.is_some() {
            table_def::check_table_name(&mut c, table, "tableName");
        }
        match limit {
            Some(l) if l < 1 => c.fail(
                Some(&l.to_string()),
                "limit",
                "Member must have value greater than or equal to 1",
            ),
            Some(l) if l > 100 => c.fail(
                Some(&l.to_string()),
                "limit",
                "Member must have value less than or equal to 100",
            ),
            _ => {}
        }
        match start {
            Some(s) if s.len() < 37 => c.fail(
                Some(s),
                "exclusiveStartStreamArn",
                "Member must have length greater than or equal to 37",
            ),
            Some(s) if s.len() > 1024 => c.fail(
                Some(s),
                "exclusiveStartStreamArn",
                "Member must have length less than or equal to 1024",
            ),
            _ => {}
        }
        c.check()?;
        let after = start
            .map(|a| {
                parse_stream_arn(a)
                    .map(|(t, l)| (t.to_owned(), l.to_owned()))
                    .ok_or_else(|| stream_not_found(a))
            })
            .transpose()?;
        let mut l = ListStreams {
            limit: limit.unwrap_or(100) as usize,
            after,
            single: table.is_some(),
            pending: VecDeque::new(),
            catalog_start: None,
            catalog_done: false,
            collected: Vec::new(),
            awaiting: Awaiting::Table,
        };
        if let Some(t) = table {
            l.pending.push_back(t.to_owned());
            l.catalog_done = true;
        } else if let Some((t, _)) = &l.after {
            // The start table itself first, then the tables after it.
            l.pending.push_back(t.clone());
            l.catalog_start = Some(t.clone());
        }
        let next = l.next();
        Ok((l, next))
    }

    fn next(&mut self) -> Next {
        if self.collected.len() > self.limit {
            return self.finish();
        }
        if let Some(table) = self.pending.pop_front() {
            self.awaiting = Awaiting::Table;
            let request = TableRequest::new(Op::ListStreams, json!({ "TableName": table }));
            return Next::Act(Action::Table { table, request });
        }
        if !self.catalog_done {
            self.awaiting = Awaiting::Catalog;
            return Next::Act(Action::Catalog(CatalogRequest::List {
                start: self.catalog_start.clone(),
                limit: CATALOG_PAGE,
            }));
        }
        self.finish()
    }

    fn finish(&mut self) -> Next {
        let more = self.collected.len() > self.limit;
        self.collected.truncate(self.limit);
        let streams: Vec<Value> = self.collected.iter().map(|(_, v)| v.clone()).collect();
        let mut out = json!({ "Streams": streams });
        if more {
            if let Some((_, last)) = self.collected.last() {
                out["LastEvaluatedStreamArn"] = last["StreamArn"].clone();
            }
        }
        Next::Done(Ok(out))
    }

    /// Feeds the result of the last action.
    pub(crate) fn step(&mut self, result: Result<Value, ApiError>) -> Next {
        match self.awaiting {
            Awaiting::Catalog => match result {
                Err(e) => return Next::Done(Err(e)),
                Ok(v) => {
                    match v["LastEvaluatedTableName"].as_str() {
                        Some(n) => self.catalog_start = Some(n.to_owned()),
                        None => self.catalog_done = true,
                    }
                    let names = v["TableNames"].as_array().cloned().unwrap_or_default();
                    self.pending
                        .extend(names.iter().filter_map(|n| n.as_str().map(str::to_owned)));
                }
            },
            Awaiting::Table => match result {
                Err(e) if self.single => return Next::Done(Err(e)),
                // A table deleted since the catalog listed it has no streams to show.
                Err(_) => {}
                Ok(v) => {
                    for st in v["Streams"].as_array().into_iter().flatten() {
                        let key = (
                            st["TableName"].as_str().unwrap_or_default().to_owned(),
                            st["StreamLabel"].as_str().unwrap_or_default().to_owned(),
                        );
                        if self.after.as_ref().is_none_or(|a| key > *a) {
                            self.collected.push((key, st.clone()));
                        }
                    }
                }
            },
        }
        self.next()
    }
}
