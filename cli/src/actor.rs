//! An object actor: one OS thread owning one engine object and its SQLite connection.
//!
//! Commands queue on a channel; the actor takes everything queued at once and runs it as one
//! batch (group commit: one SQL transaction and one fsync for many writes, each still its own
//! log record, and no reply before the commit). The reads of a batch run first, in their own
//! transaction, and are answered without waiting for the writes' fsync. Between batches the
//! actor sleeps until the object's timeout; it carries out the object's effects: calls to
//! other objects and to the object store go out as tasks whose outcomes come back through
//! the queue, and `Retire`
//! deletes the object's storage before the batch's replies leave, after which the actor stops.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Weak};
use std::thread;
use std::time::Duration;

use extenddo_engine::{Address, Command, Config, Effect, EffectId, Error, Object, Outcome};
use extenddo_log::sqlite::Sqlite;
use tokio::sync::oneshot;

use crate::clock::now_ms;
use crate::host::Host;

/// Upper bound on one group commit, so a flood cannot delay the first reply indefinitely.
const MAX_BATCH: usize = 256;

pub const STOPPED: &str = "object actor stopped";

type Reply = oneshot::Sender<Outcome>;

enum Msg {
    Command(Command, Reply),
    Result(EffectId, Outcome),
}

#[derive(Clone)]
pub struct ObjectActor {
    tx: mpsc::Sender<Msg>,
    alive: Arc<AtomicBool>,
}

impl ObjectActor {
    /// Starts the actor; `open` runs on the actor's thread.
    pub fn spawn(
        address: Address,
        cfg: Config,
        open: Box<dyn FnOnce() -> Result<Sqlite, Error> + Send>,
        host: Weak<Host>,
        runtime: tokio::runtime::Handle,
    ) -> Result<ObjectActor, Error> {
        let (tx, rx) = mpsc::channel::<Msg>();
        let (ready_tx, ready_rx) = mpsc::channel::<Result<(), Error>>();
        let alive = Arc::new(AtomicBool::new(true));
        let actor = ObjectActor {
            tx: tx.clone(),
            alive: alive.clone(),
        };
        thread::Builder::new()
            .name(address.object_name())
            .spawn(move || {
                let opened = open().and_then(|sql| {
                    let obj = extenddo_engine::open_object(&address, &sql, cfg)?;
                    Ok((sql, obj))
                });
                let (sql, obj) = match opened {
                    Ok(v) => {
                        let _ = ready_tx.send(Ok(()));
                        v
                    }
                    Err(e) => {
                        alive.store(false, Ordering::SeqCst);
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                let mut run = Run {
                    address,
                    sql,
                    obj,
                    rx,
                    tx,
                    host,
                    runtime,
                };
                run.run();
                alive.store(false, Ordering::SeqCst);
            })
            .map_err(Error::host)?;
        ready_rx.recv().map_err(Error::host)??;
        Ok(actor)
    }

    pub fn alive(&self) -> bool {
        self.alive.load(Ordering::SeqCst)
    }

    /// Runs one command; `Err(command)` if the actor had already stopped.
    pub async fn call(&self, command: Command) -> Result<Outcome, Command> {
        let (reply, rx) = oneshot::channel();
        if let Err(mpsc::SendError(Msg::Command(c, _))) = self.tx.send(Msg::Command(command, reply))
        {
            return Err(c);
        }
        Ok(rx.await.unwrap_or_else(|_| Err(Error::host(STOPPED))))
    }
}

struct Run {
    address: Address,
    sql: Sqlite,
    obj: Box<dyn Object>,
    rx: mpsc::Receiver<Msg>,
    tx: mpsc::Sender<Msg>,
    host: Weak<Host>,
    runtime: tokio::runtime::Handle,
}

impl Run {
    fn run(&mut self) {
        loop {
            let first = match self.obj.poll_timeout() {
                None => match self.rx.recv() {
                    Ok(m) => m,
                    Err(_) => return,
                },
                Some(at) => {
                    let wait = at.saturating_sub(now_ms()).max(0) as u64;
                    match self.rx.recv_timeout(Duration::from_millis(wait)) {
                        Ok(m) => m,
                        Err(mpsc::RecvTimeoutError::Timeout) => {
                            self.obj.handle_timeout(&self.sql, now_ms());
                            if self.effects(Vec::new()) {
                                return;
                            }
                            continue;
                        }
                        Err(mpsc::RecvTimeoutError::Disconnected) => return,
                    }
                }
            };
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match self.rx.try_recv() {
                    Ok(m) => batch.push(m),
                    Err(_) => break,
                }
            }
            let mut commands = Vec::new();
            let mut results = false;
            for m in batch {
                match m {
                    Msg::Command(c, reply) => commands.push((c, reply)),
                    Msg::Result(id, outcome) => {
                        self.obj.handle_result(&self.sql, now_ms(), id, outcome);
                        results = true;
                    }
                }
            }
            // A result may have made the object ask for more (the next stage of an upload).
            if results && self.effects(Vec::new()) {
                for (_, r) in commands {
                    let _ = r.send(Err(Error::host(STOPPED)));
                }
                return;
            }
            // Requests that arrived together are concurrent, so any order is a valid one: the
            // reads go first and are answered without waiting for the writes' commit.
            let (commands, replies): (Vec<_>, Vec<_>) = commands.into_iter().unzip();
            let mut replies: Vec<Option<Reply>> = replies.into_iter().map(Some).collect();
            let (reads, writes) = extenddo_engine::split_reads(commands);
            let mut stop = false;
            for group in [reads, writes] {
                if group.is_empty() {
                    continue;
                }
                let (positions, commands): (Vec<usize>, Vec<Command>) = group.into_iter().unzip();
                let outcomes = self.obj.handle(&self.sql, now_ms(), commands);
                let answered: Vec<(Reply, Outcome)> = positions
                    .into_iter()
                    .zip(outcomes)
                    .filter_map(|(p, o)| replies[p].take().map(|r| (r, o)))
                    .collect();
                // Effects first: a retirement is done before its requester hears of it.
                stop |= self.effects(answered);
                if stop {
                    break;
                }
            }
            for r in replies.into_iter().flatten() {
                let _ = r.send(Err(Error::host(STOPPED)));
            }
            if stop {
                return;
            }
        }
    }

    /// Carries out the object's effects, then delivers `answered`. Returns whether the
    /// object retired (the actor stops).
    fn effects(&mut self, answered: Vec<(Reply, Outcome)>) -> bool {
        for d in self.obj.take_diagnostics() {
            tracing::error!("{}: {d}", self.address.object_name());
        }
        let mut retired = false;
        while let Some((id, effect)) = self.obj.poll_effect() {
            match effect {
                Effect::Retire => {
                    if let Some(host) = self.host.upgrade() {
                        host.retire(&self.address);
                    }
                    retired = true;
                }
                effect @ (Effect::Call(_) | Effect::Store(_)) => {
                    let (host, tx) = (self.host.clone(), self.tx.clone());
                    self.runtime.spawn(async move {
                        let outcome = match (host.upgrade(), effect) {
                            (None, _) => Err(Error::host("the host is shutting down")),
                            (Some(h), Effect::Call(call)) => h.call(call).await,
                            (Some(h), Effect::Store(request)) => h.store(request).await,
                            (Some(_), Effect::Retire) => Err(Error::bug("Retire is not a task")),
                        };
                        let _ = tx.send(Msg::Result(id, outcome));
                    });
                }
            }
        }
        for (reply, outcome) in answered {
            let _ = reply.send(outcome);
        }
        retired
    }
}
