//! The transaction coordinator object: the durable record of transactions over several
//! tables. One per shard (`api::coordinator::SHARDS`), each with its own log:
//!
//! - `TxIntent` — the transaction began, over these participant tables, with this
//!   ClientRequestToken (the token's idempotency record);
//! - `TxDecided` — its one outcome; the first decision logged stands;
//! - `TxCompleted` — every participant applied the outcome; the transaction is forgotten
//!   (its token is remembered for its window).
//!
//! The request flow drives a transaction through it. Recovery is the coordinator's own:
//! a transaction still undecided `tx_recovery_ms` after its intent is decided *abort*
//! (no participant commits without a decision, so that is always safe); a decided,
//! uncompleted one has its outcome sent to every participant again, then is completed.
//! A participant holding a prepared transaction asks with `Outcome`; a transaction the
//! coordinator does not know was completed or never began, so its answer is abort.

use std::collections::{HashMap, HashSet};

use extenddo_log::event::TxToken;
use extenddo_log::sql::in_transaction;
use extenddo_log::{Event, LogStore, Record, Sql};
use extenddo_projections::tx;

use crate::api::command::{TableCommand, TxResolve};
use crate::api::coordinator::{
    in_progress, mismatch, CoordinatorCommand, CoordinatorReply, TOKEN_WINDOW_MS,
};
use crate::api::ids::TableId;
use crate::api::object::{
    run_batch, Address, Call, Command, Effect, EffectId, Effects, Object, Outcome, Reply,
};
use crate::api::reply::TableReply;
use crate::config::Config;
use crate::error::Error;

/// After a failed recovery step, try again this much later.
const RETRY_MS: i64 = 1000;

pub struct CoordinatorObject {
    cfg: Config,
    next_lsn: u64,
    effects: Effects,
    /// Outcomes being sent during recovery: effect → (txid, participant).
    in_flight: HashMap<EffectId, (String, TableId)>,
    /// Transactions under recovery: txid → (outcome, participants still to confirm).
    recovering: HashMap<String, (bool, HashSet<TableId>)>,
    retry_at: Option<i64>,
    next_due: Option<i64>,
    diagnostics: Vec<String>,
}

impl CoordinatorObject {
    pub fn open(sql: &dyn Sql, cfg: Config) -> Result<CoordinatorObject, Error> {
        in_transaction(sql, || -> Result<(), Error> {
            LogStore::init(sql)?;
            tx::init(sql)?;
            Ok(())
        })?;
        let mut c = CoordinatorObject {
            cfg,
            next_lsn: LogStore::last_lsn(sql)? + 1,
            effects: Effects::default(),
            in_flight: HashMap::new(),
            recovering: HashMap::new(),
            retry_at: None,
            next_due: None,
            diagnostics: Vec::new(),
        };
        c.refresh_due(sql);
        Ok(c)
    }

    fn commit(&mut self, sql: &dyn Sql, now_ms: i64, event: Event) -> Result<(), Error> {
        debug_assert!(sql.in_transaction());
        let record = Record {
            lsn: self.next_lsn,
            ts_ms: now_ms,
            event,
        };
        LogStore::append(sql, record.lsn, record.ts_ms, &record.event)?;
        extenddo_projections::apply(sql, &mut None, &record)?;
        self.next_lsn += 1;
        Ok(())
    }

    fn run(
        &mut self,
        sql: &dyn Sql,
        now_ms: i64,
        c: CoordinatorCommand,
    ) -> Result<CoordinatorReply, Error> {
        match c {
            CoordinatorCommand::Begin {
                txid,
                token,
                participants,
            } => self.begin(sql, now_ms, txid, token, participants),
            CoordinatorCommand::Decide { txid, commit } => Ok(CoordinatorReply::Decided {
                commit: self.decide(sql, now_ms, &txid, commit)?,
            }),
            CoordinatorCommand::Complete { txid } => {
                if tx::coordinated(sql, &txid)?.is_some() {
                    self.commit(sql, now_ms, Event::TxCompleted { txid })?;
                }
                Ok(CoordinatorReply::Done)
            }
            CoordinatorCommand::Outcome { txid } => match tx::coordinated(sql, &txid)? {
                None => Ok(CoordinatorReply::Decided { commit: false }),
                Some((state, _, ts)) if state == "intent" => {
                    if now_ms - ts >= self.cfg.tx_recovery_ms {
                        Ok(CoordinatorReply::Decided {
                            commit: self.decide(sql, now_ms, &txid, false)?,
                        })
                    } else {
                        Ok(CoordinatorReply::Undecided)
                    }
                }
                Some((state, _, _)) => Ok(CoordinatorReply::Decided {
                    commit: state == "commit",
                }),
            },
        }
    }

    fn begin(
        &mut self,
        sql: &dyn Sql,
        now_ms: i64,
        txid: String,
        token: Option<TxToken>,
        participants: Vec<TableId>,
    ) -> Result<CoordinatorReply, Error> {
        if let Some((state, _, _)) = tx::coordinated(sql, &txid)? {
            // The same Begin delivered again.
            return Ok(match state.as_str() {
                "intent" => CoordinatorReply::Begun,
                s => CoordinatorReply::Decided {
                    commit: s == "commit",
                },
            });
        }
        if let Some(t) = &token {
            if let Some((request, earlier, ts)) = tx::token(sql, &t.token)? {
                if ts > now_ms - TOKEN_WINDOW_MS {
                    if request != t.request {
                        return Err(mismatch().into());
                    }
                    return match tx::coordinated(sql, &earlier)? {
                        Some((state, _, _)) if state == "intent" => Err(in_progress().into()),
                        // Committed (an aborted transaction does not keep its token).
                        _ => Ok(CoordinatorReply::Duplicate),
                    };
                }
            }
        }
        self.commit(
            sql,
            now_ms,
            Event::TxIntent {
                txid,
                token,
                participants: participants.into_iter().map(|p| p.0).collect(),
            },
        )?;
        Ok(CoordinatorReply::Begun)
    }

    /// Logs the decision unless one stands; returns the one that stands. A transaction
    /// that is not known any more was completed, or never began: abort.
    fn decide(
        &mut self,
        sql: &dyn Sql,
        now_ms: i64,
        txid: &str,
        commit: bool,
    ) -> Result<bool, Error> {
        match tx::coordinated(sql, txid)? {
            Some((state, _, _)) if state == "intent" => {
                self.commit(
                    sql,
                    now_ms,
                    Event::TxDecided {
                        txid: txid.to_owned(),
                        commit,
                    },
                )?;
                Ok(commit)
            }
            Some((state, _, _)) => Ok(state == "commit"),
            None => Ok(false),
        }
    }

    /// When the oldest unfinished transaction not under recovery is due for it.
    fn refresh_due(&mut self, sql: &dyn Sql) {
        match tx::unfinished(sql) {
            Ok(list) => {
                self.next_due = list
                    .iter()
                    .filter(|u| !self.recovering.contains_key(&u.txid))
                    .map(|u| u.ts + self.cfg.tx_recovery_ms)
                    .min();
            }
            Err(e) => {
                self.diagnostics.push(format!("reading transactions: {e}"));
                self.next_due = None;
            }
        }
    }

    /// Drives every overdue transaction to its outcome.
    fn recover(&mut self, sql: &dyn Sql, now_ms: i64) -> Result<(), Error> {
        let due: Vec<_> = tx::unfinished(sql)?
            .into_iter()
            .filter(|u| {
                !self.recovering.contains_key(&u.txid) && u.ts + self.cfg.tx_recovery_ms <= now_ms
            })
            .collect();
        for tx::Unfinished {
            txid,
            state,
            participants,
            ..
        } in due
        {
            let commit = if state == "intent" {
                in_transaction(sql, || self.decide(sql, now_ms, &txid, false))?
            } else {
                state == "commit"
            };
            let parts: HashSet<TableId> = participants.into_iter().map(TableId).collect();
            if parts.is_empty() {
                in_transaction(sql, || {
                    self.commit(sql, now_ms, Event::TxCompleted { txid: txid.clone() })
                })?;
                continue;
            }
            for p in &parts {
                let eid = self.effects.push(Effect::Call(Call {
                    to: Address::Table(p.clone()),
                    command: Command::Table(TableCommand::TxResolve(TxResolve {
                        txid: txid.clone(),
                        commit,
                    })),
                }));
                self.in_flight.insert(eid, (txid.clone(), p.clone()));
            }
            self.recovering.insert(txid, (commit, parts));
        }
        Ok(())
    }

    /// A participant confirmed (or could not be reached).
    fn settle(
        &mut self,
        sql: &dyn Sql,
        now_ms: i64,
        txid: String,
        table: TableId,
        result: Outcome,
    ) {
        let applied = matches!(
            result,
            Ok(Reply::Table(TableReply::TxResolved)) | Err(Error::Gone)
        );
        if !applied {
            // Try the whole transaction again later.
            self.diagnostics.push(format!(
                "{txid}: participant {table} did not apply the outcome: {result:?}"
            ));
            self.recovering.remove(&txid);
            self.in_flight.retain(|_, (t, _)| *t != txid);
            self.retry_at = Some(now_ms + RETRY_MS);
            return;
        }
        let done = match self.recovering.get_mut(&txid) {
            Some((_, left)) => {
                left.remove(&table);
                left.is_empty()
            }
            None => false,
        };
        if done {
            self.recovering.remove(&txid);
            let r = in_transaction(sql, || -> Result<(), Error> {
                if tx::coordinated(sql, &txid)?.is_some() {
                    self.commit(sql, now_ms, Event::TxCompleted { txid: txid.clone() })?;
                }
                Ok(())
            });
            if let Err(e) = r {
                self.diagnostics.push(format!("completing {txid}: {e}"));
                self.retry_at = Some(now_ms + RETRY_MS);
            }
        }
    }

    /// After a rollback the in-memory LSN may be ahead of the storage.
    fn reload(&mut self, sql: &dyn Sql) {
        match LogStore::last_lsn(sql) {
            Ok(l) => self.next_lsn = l + 1,
            Err(e) => self.diagnostics.push(format!("reloading: {e}")),
        }
    }
}

impl Object for CoordinatorObject {
    fn handle(&mut self, sql: &dyn Sql, now_ms: i64, commands: Vec<Command>) -> Vec<Outcome> {
        let n = commands.len();
        let outcome = run_batch(sql, commands, |cmd| match cmd {
            Command::Coordinator(c) => self.run(sql, now_ms, c).map(Reply::Coordinator),
            _ => Err(Error::bug(
                "a table or catalog command sent to a coordinator",
            )),
        });
        let results = match outcome {
            Ok(r) => r,
            Err(e) => {
                self.reload(sql);
                return vec![Err(e); n];
            }
        };
        self.refresh_due(sql);
        results
    }

    fn handle_timeout(&mut self, sql: &dyn Sql, now_ms: i64) {
        self.retry_at = None;
        if let Err(e) = self.recover(sql, now_ms) {
            self.diagnostics.push(format!("transaction recovery: {e}"));
            self.reload(sql);
            self.retry_at = Some(now_ms + RETRY_MS);
        }
        self.refresh_due(sql);
    }

    fn handle_result(&mut self, sql: &dyn Sql, now_ms: i64, id: EffectId, result: Outcome) {
        match self.in_flight.remove(&id) {
            Some((txid, table)) => self.settle(sql, now_ms, txid, table, result),
            None => self
                .diagnostics
                .push(format!("a result for unknown effect {id:?}")),
        }
        self.refresh_due(sql);
    }

    fn poll_timeout(&self) -> Option<i64> {
        [self.next_due, self.retry_at].into_iter().flatten().min()
    }

    fn poll_effect(&mut self) -> Option<(EffectId, Effect)> {
        self.effects.pop()
    }

    fn take_diagnostics(&mut self) -> Vec<String> {
        std::mem::take(&mut self.diagnostics)
    }
}
