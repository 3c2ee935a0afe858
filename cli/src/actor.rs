//! A table actor: one OS thread owning one table object and its SQLite connection.
//!
//! Requests queue on a channel; the actor takes everything queued at once and runs it as
//! one batch (group commit): one SQL transaction and one fsync for many writes, each still
//! its own log record, and no reply before the commit.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use extenddo_engine::{ApiError, Config, TableObject, TableRequest};
use serde_json::Value;
use tokio::sync::oneshot;

use crate::clock::now_ms;
use extenddo_log::sqlite::Sqlite;

/// Upper bound on one group commit, so a flood cannot delay the first reply indefinitely.
const MAX_BATCH: usize = 256;

type Reply = oneshot::Sender<Result<Value, ApiError>>;

enum Msg {
    Request(TableRequest, Reply),
}

#[derive(Clone)]
pub struct TableActor {
    tx: mpsc::Sender<Msg>,
}

impl TableActor {
    /// Starts the actor; `open` runs on the actor's thread.
    pub fn spawn(
        name: &str,
        cfg: Config,
        open: impl FnOnce() -> Result<Sqlite, ApiError> + Send + 'static,
    ) -> Result<TableActor, ApiError> {
        let (tx, rx) = mpsc::channel::<Msg>();
        let (ready_tx, ready_rx) = mpsc::channel::<Result<(), ApiError>>();
        thread::Builder::new()
            .name(format!("table-{name}"))
            .spawn(move || {
                let opened = open().and_then(|sql| {
                    let table = TableObject::open(&sql, cfg)?;
                    Ok((sql, table))
                });
                let (sql, mut table) = match opened {
                    Ok(v) => {
                        let _ = ready_tx.send(Ok(()));
                        v
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                run(&sql, &mut table, rx);
            })
            .map_err(ApiError::internal)?;
        ready_rx.recv().map_err(ApiError::internal)??;
        Ok(TableActor { tx })
    }

    pub async fn call(&self, request: TableRequest) -> Result<Value, ApiError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Msg::Request(request, reply))
            .map_err(|_| ApiError::internal("table actor stopped"))?;
        rx.await
            .map_err(|_| ApiError::internal("table actor stopped"))?
    }
}

fn run(sql: &Sqlite, table: &mut TableObject, rx: mpsc::Receiver<Msg>) {
    // Background work (index backfill, TTL sweeps, shard rollover) resumes right after
    // opening.
    let mut due = tick(sql, table);
    loop {
        let first = match due {
            None => match rx.recv() {
                Ok(m) => m,
                Err(_) => return,
            },
            Some(at) => {
                let wait = (at - now_ms()).max(0) as u64;
                match rx.recv_timeout(Duration::from_millis(wait)) {
                    Ok(m) => m,
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        due = tick(sql, table);
                        continue;
                    }
                    Err(mpsc::RecvTimeoutError::Disconnected) => return,
                }
            }
        };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(m) => batch.push(m),
                Err(_) => break,
            }
        }
        // Requests that arrived together are concurrent, so any order is a valid one: the
        // reads go first, in their own transaction, and are answered without waiting for the
        // writes' commit (and its fsync).
        let (reads, writes): (Vec<_>, Vec<_>) = batch
            .into_iter()
            .partition(|Msg::Request(r, _)| !r.op.is_write());
        for group in [reads, writes] {
            if group.is_empty() {
                continue;
            }
            let (requests, replies): (Vec<_>, Vec<_>) =
                group.into_iter().map(|Msg::Request(r, tx)| (r, tx)).unzip();
            let results = table.execute(sql, requests, now_ms());
            for (reply, result) in replies.into_iter().zip(results) {
                let _ = reply.send(result);
            }
        }
        // A request may have started background work (a new index, TTL) or moved it
        // earlier (an item written with an expiry time sooner than the next sweep). With
        // nothing enabled a tick is a few in-memory checks.
        due = tick(sql, table);
    }
}

/// Runs due background work; returns when to run it next.
fn tick(sql: &Sqlite, table: &mut TableObject) -> Option<i64> {
    match table.tick(sql, now_ms()) {
        Ok(next) => next,
        Err(e) => {
            tracing::error!("background work failed: {}", e.message.unwrap_or_default());
            // Try again later rather than spinning on a persistent failure.
            Some(now_ms() + 1000)
        }
    }
}
