//! An object actor: one OS thread owning one engine object and its SQLite connection, for
//! as long as the object is open.
//!
//! Commands queue in a mailbox; the actor takes everything queued at once and runs it as one
//! batch (group commit: one SQL transaction and one fsync for many writes, each still its own
//! log record, and no reply before the commit). The reads of a batch run first, in their own
//! transaction, and are answered without waiting for the writes' fsync. Between batches the
//! actor sleeps until the object's timeout; it carries out the object's effects: calls to
//! other objects and to the object store go out as tasks whose outcomes come back through
//! the mailbox, and `Retire` deletes the object's storage before the batch's replies leave,
//! after which the actor stops.
//!
//! A table's actor also stops when its object is idle (see [`Closing`]): it checkpoints and
//! closes the SQLite file, which releases its thread and descriptors, and tells the host
//! when the object next wants to wake. Closing is race-free because the mailbox closes under
//! its own lock only while empty: a command that arrives later is handed back to the caller
//! (`Err(command)`), who opens the object again once the file is closed.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::thread;
use std::time::Duration;

use extenddo_engine::{Address, Command, Config, Effect, EffectId, Error, Object, Outcome};
use extenddo_log::sql::Sql;
use extenddo_log::sqlite::{Durability, Sqlite};
use tokio::sync::{oneshot, watch, OwnedSemaphorePermit};

use crate::checkpoint::{Checkpointer, Wal};
use crate::clock::now_ms;
use crate::host::Host;

/// Upper bound on one group commit, so a flood cannot delay the first reply indefinitely.
const MAX_BATCH: usize = 256;

/// An actor with nothing to do for this long hands its allocator cache back (ms).
const RELEASE_CACHE_AFTER_MS: i64 = 50;

pub const STOPPED: &str = "object actor stopped";

/// A command's answer, or the command handed back because the actor stopped first.
type Reply = oneshot::Sender<Result<Outcome, Command>>;

enum Msg {
    Command(Command, Reply),
    Result(EffectId, Outcome),
}

#[derive(Default)]
struct MailState {
    queue: VecDeque<Msg>,
    /// No message is taken any more: the actor is stopping or has stopped.
    closed: bool,
    /// The host needs the slot: close as soon as the object is quiescent.
    evict: bool,
}

#[derive(Default)]
struct Mailbox {
    state: Mutex<MailState>,
    wake: Condvar,
}

impl Mailbox {
    fn lock(&self) -> MutexGuard<'_, MailState> {
        // A panic on the actor thread aborts nothing else; the queue itself stays consistent.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues a message; hands it back if the mailbox is closed.
    fn push(&self, msg: Msg) -> Option<Msg> {
        let mut st = self.lock();
        if st.closed {
            return Some(msg);
        }
        st.queue.push_back(msg);
        drop(st);
        self.wake.notify_one();
        None
    }
}

/// When an open object may be closed by its actor.
#[derive(Clone, Copy, Debug)]
pub struct Closing {
    /// Close after this long without a command (ms).
    pub idle_ms: i64,
    /// …and only if the object's next timeout is at least this far away (ms): closing and
    /// reopening costs more than staying open for a timer that is about to fire.
    pub horizon_ms: i64,
}

/// How an actor ended, for the host.
pub enum Ended {
    /// Closed while idle; wake the object at this time (its `poll_timeout`), if ever.
    Closed(Option<i64>),
    /// The object retired; its storage is to be deleted.
    Retired,
    /// Opening failed; the queued commands were answered with the error.
    Failed,
}

/// The handle to an actor, shared by everyone who calls the object.
#[derive(Clone)]
pub struct ObjectActor {
    mailbox: Arc<Mailbox>,
    /// Which actor of this address this is (the host's map is keyed by address; a closing
    /// actor removes only its own entry).
    pub generation: u64,
    last_used: Arc<AtomicI64>,
    /// Opened by the host's alarm, not by a caller: close as soon as the woken work is done.
    transient: Arc<AtomicBool>,
    done: watch::Receiver<bool>,
}

/// What an actor thread is given.
pub struct Spawn {
    pub address: Address,
    pub generation: u64,
    pub cfg: Config,
    pub open: Box<dyn FnOnce() -> Result<Sqlite, Error> + Send>,
    pub host: Weak<Host>,
    pub runtime: tokio::runtime::Handle,
    /// `None`: the object stays open until it retires (catalog, coordinators, identity,
    /// objects in memory).
    pub closing: Option<Closing>,
    /// The host's slot for an open table, released when the actor has closed its file.
    pub permit: Option<OwnedSemaphorePermit>,
    pub transient: bool,
    /// Checkpoints of the object's file taken off its commits (a file-backed object).
    pub checkpoints: Option<(Arc<Checkpointer>, PathBuf, Durability)>,
}

impl ObjectActor {
    /// Starts the actor without waiting for its object to open: commands queue meanwhile,
    /// and are answered with the error if it cannot be opened.
    pub fn spawn(s: Spawn) -> Result<ObjectActor, Error> {
        let mailbox = Arc::new(Mailbox::default());
        let (done_tx, done) = watch::channel(false);
        let actor = ObjectActor {
            mailbox: mailbox.clone(),
            generation: s.generation,
            last_used: Arc::new(AtomicI64::new(now_ms())),
            transient: Arc::new(AtomicBool::new(s.transient)),
            done,
        };
        let handle = actor.clone();
        let name = s.address.object_name();
        thread::Builder::new()
            .name(name)
            .spawn(move || {
                let Spawn {
                    address,
                    generation,
                    cfg,
                    open,
                    host,
                    runtime,
                    closing,
                    permit,
                    checkpoints,
                    ..
                } = s;
                let opened = open().and_then(|mut sql| {
                    let wal = checkpoints.map(|(c, path, d)| c.attach(&mut sql, path, d));
                    let obj = extenddo_engine::open_object(&address, &sql, cfg)?;
                    Ok((sql, obj, wal))
                });
                let fail = |e: Error| {
                    let mut st = mailbox.lock();
                    st.closed = true;
                    for m in st.queue.drain(..) {
                        if let Msg::Command(_, reply) = m {
                            let _ = reply.send(Ok(Err(e.clone())));
                        }
                    }
                    Ended::Failed
                };
                let ended = match opened {
                    Ok((sql, obj, wal)) => {
                        tracing::debug!("{}: opened", address.object_name());
                        let mut run = Run {
                            address: address.clone(),
                            sql: Some(sql),
                            obj: Some(obj),
                            wal,
                            handle,
                            host: host.clone(),
                            runtime,
                            closing,
                            outstanding: 0,
                            cache: CacheState::Released,
                        };
                        // A panic is a bug; the actor still stops cleanly (queued commands
                        // answered, its entry removed) so that the next call opens the object
                        // afresh instead of waiting on a dead mailbox.
                        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run.run())) {
                            Ok(ended) => ended,
                            Err(_) => fail(Error::bug(format!(
                                "{} panicked; it is opened again on the next request",
                                address.object_name()
                            ))),
                        }
                    }
                    Err(e) => {
                        tracing::error!("cannot open {}: {e}", address.object_name());
                        fail(e)
                    }
                };
                if let Some(h) = host.upgrade() {
                    h.ended(&address, generation, ended);
                }
                drop(permit);
                let _ = done_tx.send(true);
            })
            .map_err(Error::host)?;
        Ok(actor)
    }

    /// Whether the actor still takes commands.
    pub fn open(&self) -> bool {
        !self.mailbox.lock().closed
    }

    /// Resolves once the actor has stopped and its file is closed.
    pub fn done(&self) -> watch::Receiver<bool> {
        self.done.clone()
    }

    pub fn last_used(&self) -> i64 {
        self.last_used.load(Ordering::Relaxed)
    }

    pub fn is_transient(&self) -> bool {
        self.transient.load(Ordering::Relaxed)
    }

    /// A caller needs the object: it stays open for the idle period from now.
    pub fn touch(&self) {
        self.transient.store(false, Ordering::Relaxed);
        self.last_used.store(now_ms(), Ordering::Relaxed);
    }

    /// Asks the actor to close as soon as its object is quiescent.
    pub fn evict(&self) {
        self.mailbox.lock().evict = true;
        self.mailbox.wake.notify_one();
    }

    /// Runs one command; `Err(command)` if the actor stopped before it took the command.
    /// (The host [`ObjectActor::touch`]es the actor before each call.)
    pub async fn call(&self, command: Command) -> Result<Outcome, Command> {
        let (reply, rx) = oneshot::channel();
        if let Some(Msg::Command(c, _)) = self.mailbox.push(Msg::Command(command, reply)) {
            return Err(c);
        }
        match rx.await {
            Ok(answer) => answer,
            Err(_) => Ok(Err(Error::host(STOPPED))),
        }
    }
}

enum Next {
    Batch(Vec<Msg>),
    Timeout,
    Close,
}

struct Run {
    address: Address,
    sql: Option<Sqlite>,
    obj: Option<Box<dyn Object>>,
    wal: Option<Wal>,
    handle: ObjectActor,
    host: Weak<Host>,
    runtime: tokio::runtime::Handle,
    closing: Option<Closing>,
    /// Effects sent out whose results have not come back: the object cannot close before.
    outstanding: usize,
    cache: CacheState,
}

/// The actor thread's allocator cache.
#[derive(Clone, Copy, PartialEq)]
enum CacheState {
    /// Handed back; nothing has run since.
    Released,
    /// Work ran since it was last handed back.
    Busy,
    /// Out of work since this time (ms), still holding it.
    IdleSince(i64),
}

impl Run {
    fn obj(&mut self) -> &mut Box<dyn Object> {
        self.obj.as_mut().expect("open while running")
    }

    /// The object and its storage, both borrowed.
    fn parts(&mut self) -> (&Sqlite, &mut Box<dyn Object>) {
        match (self.sql.as_ref(), self.obj.as_mut()) {
            (Some(sql), Some(obj)) => (sql, obj),
            _ => unreachable!("open while running"),
        }
    }

    fn run(&mut self) -> Ended {
        loop {
            let batch = match self.next() {
                Next::Batch(b) => b,
                Next::Timeout => {
                    let (sql, obj) = self.parts();
                    obj.handle_timeout(sql, now_ms());
                    if self.effects(Vec::new()) {
                        return self.retired(Vec::new());
                    }
                    self.after_commit();
                    continue;
                }
                Next::Close => return self.close(),
            };
            let mut commands = Vec::new();
            let mut results = false;
            for m in batch {
                match m {
                    Msg::Command(c, reply) => commands.push((c, reply)),
                    Msg::Result(id, outcome) => {
                        self.outstanding = self.outstanding.saturating_sub(1);
                        let (sql, obj) = self.parts();
                        obj.handle_result(sql, now_ms(), id, outcome);
                        results = true;
                    }
                }
            }
            // A result may have made the object ask for more (the next stage of an upload).
            if results && self.effects(Vec::new()) {
                return self.retired(commands);
            }
            // Requests that arrived together are concurrent, so any order is a valid one: the
            // reads go first and are answered without waiting for the writes' commit.
            let (commands, replies): (Vec<_>, Vec<_>) = commands.into_iter().unzip();
            let mut replies: Vec<Option<Reply>> = replies.into_iter().map(Some).collect();
            let (reads, writes) = extenddo_engine::split_reads(commands);
            let mut stop = false;
            let mut unrun = Vec::new();
            for group in [reads, writes] {
                if group.is_empty() {
                    continue;
                }
                if stop {
                    // The object retired in an earlier group: these go back to their callers.
                    for (p, c) in group {
                        if let Some(r) = replies[p].take() {
                            unrun.push((c, r));
                        }
                    }
                    continue;
                }
                let (positions, commands): (Vec<usize>, Vec<Command>) = group.into_iter().unzip();
                let (sql, obj) = self.parts();
                let outcomes = obj.handle(sql, now_ms(), commands);
                let answered: Vec<(Reply, Outcome)> = positions
                    .into_iter()
                    .zip(outcomes)
                    .filter_map(|(p, o)| replies[p].take().map(|r| (r, o)))
                    .collect();
                // Effects first: a retirement is done before its requester hears of it.
                stop |= self.effects(answered);
            }
            for r in replies.into_iter().flatten() {
                let _ = r.send(Ok(Err(Error::bug("a command got no outcome"))));
            }
            if stop {
                return self.retired(unrun);
            }
            self.after_commit();
        }
    }

    /// The file is about to close or go: the checkpointer lets go of it first.
    fn release_wal(&mut self) {
        if let Some(wal) = self.wal.take() {
            wal.close();
        }
    }

    /// Between batches: the WAL's copy into the database, as [`Wal::after_commit`] decides.
    fn after_commit(&self) {
        if let (Some(wal), Some(sql)) = (&self.wal, &self.sql) {
            wal.after_commit(sql);
        }
    }

    /// Waits for the next thing to do: messages, the object's timeout, or closing.
    fn next(&mut self) -> Next {
        let mailbox = self.handle.mailbox.clone();
        let mut st = mailbox.lock();
        loop {
            if !st.queue.is_empty() {
                let n = st.queue.len().min(MAX_BATCH);
                self.cache = CacheState::Busy;
                return Next::Batch(st.queue.drain(..n).collect());
            }
            let now = now_ms();
            match self.cache {
                CacheState::Busy => self.cache = CacheState::IdleSince(now),
                CacheState::IdleSince(t) if now - t >= RELEASE_CACHE_AFTER_MS => {
                    self.cache = CacheState::Released;
                    drop(st);
                    crate::alloc::release_thread_cache();
                    st = mailbox.lock();
                    continue;
                }
                _ => {}
            }
            let timeout = self.obj().poll_timeout();
            if timeout.is_some_and(|t| t <= now) {
                self.cache = CacheState::Busy;
                return Next::Timeout;
            }
            let mut wait = timeout.map(|t| t - now);
            if let CacheState::IdleSince(t) = self.cache {
                let left = (t + RELEASE_CACHE_AFTER_MS - now).max(1);
                wait = Some(wait.map_or(left, |w| w.min(left)));
            }
            if let Some(c) = self.closing {
                if self.outstanding == 0 && self.obj().may_close() {
                    let idle_until = self.handle.last_used() + c.idle_ms;
                    let far = timeout.is_none_or(|t| t > now + c.horizon_ms);
                    let transient = self.handle.transient.load(Ordering::Relaxed);
                    if st.evict || (far && (transient || idle_until <= now)) {
                        // Under the mailbox lock: nothing can be queued after this.
                        st.closed = true;
                        return Next::Close;
                    }
                    if far {
                        let idle = (idle_until - now).max(1);
                        wait = Some(wait.map_or(idle, |w| w.min(idle)));
                    }
                }
            }
            st = match wait {
                None => mailbox.wake.wait(st).unwrap_or_else(|p| p.into_inner()),
                Some(ms) => {
                    mailbox
                        .wake
                        .wait_timeout(st, Duration::from_millis(ms.max(0) as u64))
                        .unwrap_or_else(|p| p.into_inner())
                        .0
                }
            };
        }
    }

    /// Closes an idle object: its WAL folded into the database file, then the file closed.
    fn close(&mut self) -> Ended {
        self.release_wal();
        let (sql, obj) = self.parts();
        let next = obj.poll_timeout();
        if let Err(e) = sql.query("PRAGMA wal_checkpoint(TRUNCATE)", &[]) {
            tracing::warn!(
                "{}: checkpoint before closing: {e}",
                self.address.object_name()
            );
        }
        self.obj = None;
        self.sql = None;
        tracing::debug!("{}: closed, next wake {next:?}", self.address.object_name());
        Ended::Closed(next)
    }

    /// The object retired: commands not run go back to their callers (who will find it
    /// gone), and the file is closed before the host deletes it.
    fn retired(&mut self, unrun: Vec<(Command, Reply)>) -> Ended {
        let mut st = self.handle.mailbox.lock();
        st.closed = true;
        let queued: Vec<Msg> = st.queue.drain(..).collect();
        drop(st);
        for (c, r) in unrun {
            let _ = r.send(Err(c));
        }
        for m in queued {
            if let Msg::Command(c, r) = m {
                let _ = r.send(Err(c));
            }
        }
        self.release_wal();
        self.obj = None;
        self.sql = None;
        Ended::Retired
    }

    /// Carries out the object's effects, then delivers `answered`. Returns whether the
    /// object retired (the actor stops).
    fn effects(&mut self, answered: Vec<(Reply, Outcome)>) -> bool {
        for d in self.obj().take_diagnostics() {
            tracing::error!("{}: {d}", self.address.object_name());
        }
        let mut retired = false;
        while let Some((id, effect)) = self.obj().poll_effect() {
            match effect {
                Effect::Retire => {
                    // No command may enter from here on; those queued go back when the
                    // actor stops, and their callers find the table gone.
                    self.handle.mailbox.lock().closed = true;
                    self.release_wal();
                    if let Some(host) = self.host.upgrade() {
                        host.delete_storage(&self.address);
                    }
                    retired = true;
                }
                effect @ (Effect::Call(_) | Effect::Store(_)) => {
                    let (host, mailbox) = (self.host.clone(), self.handle.mailbox.clone());
                    self.outstanding += 1;
                    self.runtime.spawn(async move {
                        let outcome = match (host.upgrade(), effect) {
                            (None, _) => Err(Error::host("the host is shutting down")),
                            (Some(h), Effect::Call(call)) => h.call(call).await,
                            (Some(h), Effect::Store(request)) => h.store(request).await,
                            (Some(_), Effect::Retire) => Err(Error::bug("Retire is not a task")),
                        };
                        // A retired object no longer waits for it.
                        let _ = mailbox.push(Msg::Result(id, outcome));
                    });
                }
            }
        }
        for (reply, outcome) in answered {
            let _ = reply.send(Ok(outcome));
        }
        retired
    }
}
