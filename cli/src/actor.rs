//! A table actor: one OS thread owning one table object and its SQLite connection.
//!
//! Requests queue on a channel; the actor takes everything queued at once and runs it as
//! one batch (group commit): one SQL transaction and one fsync for many writes, each still
//! its own log record, and no reply before the commit.

use std::sync::mpsc;
use std::thread;

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
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(m) => batch.push(m),
                Err(_) => break,
            }
        }
        let (requests, replies): (Vec<_>, Vec<_>) =
            batch.into_iter().map(|Msg::Request(r, tx)| (r, tx)).unzip();
        let results = table.execute(sql, requests, now_ms());
        for (reply, result) in replies.into_iter().zip(results) {
            let _ = reply.send(result);
        }
    }
}
