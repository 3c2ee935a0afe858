//! The native host: where objects live (one actor per object, each over its own SQLite
//! file), and the loop that drives the engine's request flow against them.
//!
//! Layout of a data directory: `catalog.sqlite` (the catalog object), one
//! `tables/<table id>.sqlite` per table incarnation and one `coordinators/<n>.sqlite` per
//! transaction coordinator shard, and `identity.sqlite` (accounts, users, keys, policies).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use extenddo_engine::api::catalog::{CatalogCommand, CatalogReply};
use extenddo_engine::{
    Action, Address, Call, Command, Config, Error, Flow, FrontEnd, HttpRequest, HttpResponse,
    Outcome, Reply,
};
use extenddo_log::sqlite::{Durability, Sqlite};

use crate::checkpoint::Checkpointer;

use extenddo_engine::flow::failpoint::Failpoint;

use crate::actor::{Closing, Ended, ObjectActor, Spawn};
use crate::clock::now_ms;
use tokio::sync::{Notify, Semaphore};

pub enum Storage {
    Dir {
        root: PathBuf,
        durability: Durability,
    },
    Memory,
}

impl Storage {
    pub fn catalog_path(root: &Path) -> PathBuf {
        root.join("catalog.sqlite")
    }

    pub fn table_path(root: &Path, id: &str) -> PathBuf {
        root.join("tables").join(format!("{id}.sqlite"))
    }

    pub fn coordinator_path(root: &Path, shard: u32) -> PathBuf {
        root.join("coordinators").join(format!("{shard}.sqlite"))
    }

    pub fn identity_path(root: &Path) -> PathBuf {
        root.join("identity.sqlite")
    }

    /// The file an object lives in (`None` in memory).
    fn path(&self, address: &Address) -> Option<(PathBuf, Durability)> {
        match (self, address) {
            (Storage::Memory, _) => None,
            (Storage::Dir { root, durability }, Address::Catalog) => {
                Some((Storage::catalog_path(root), *durability))
            }
            (Storage::Dir { root, durability }, Address::Table(id)) => {
                Some((Storage::table_path(root, id.as_str()), *durability))
            }
            (Storage::Dir { root, durability }, Address::Coordinator(n)) => {
                Some((Storage::coordinator_path(root, *n), *durability))
            }
            (Storage::Dir { root, durability }, Address::Identity) => {
                Some((Storage::identity_path(root), *durability))
            }
            (_, Address::Store) => None,
        }
    }
}

fn failpoints_enabled() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var("EXTENDDO_FAILPOINTS").is_ok_and(|v| v == "1"))
}

/// A failpoint: the process dies as `kill -9` would kill it (no destructors, no flushing
/// beyond what SQLite already made durable).
fn crash(call: &Call) -> ! {
    eprintln!(
        "failpoint: crashing at {:?} to {}",
        extenddo_engine::flow::failpoint::step(call),
        call.to.object_name()
    );
    std::process::abort()
}

/// How many table objects may be open at once, and when an idle one closes.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Open table objects (each holds a thread and three file descriptors: the database,
    /// its WAL and its shared-memory index). More tables than this are fine: the least
    /// recently used idle ones close to make room.
    pub max_open_tables: usize,
    pub closing: Closing,
}

impl Limits {
    /// A bound that fits the process's descriptor limit (raised to its hard limit first),
    /// keeping 256 descriptors for connections and the pinned objects, and a quarter of the
    /// rest for tables: three descriptors each, with room to spare, since an open table also
    /// holds ~0.4 MB (its thread's stack and allocator cache, SQLite's connection): 192
    /// tables under `ulimit -n 1024` keep a table per test within 128 MB.
    pub fn from_descriptor_limit() -> Limits {
        let soft = crate::rlimit::raise_open_files();
        Limits {
            max_open_tables: (soft.saturating_sub(256) / 4).clamp(16, 1024) as usize,
            closing: Closing {
                idle_ms: 2_000,
                horizon_ms: 30_000,
            },
        }
    }
}

/// At most this many closed objects are woken at once (their timers, and the start-up look
/// at every table).
const WAKE_CONCURRENCY: usize = 4;

pub struct Host {
    front: FrontEnd,
    storage: Storage,
    store: crate::store::ObjectStore,
    actors: Mutex<HashMap<Address, ObjectActor>>,
    generation: AtomicU64,
    limits: Limits,
    /// One permit per open table object.
    slots: Arc<Semaphore>,
    wakes: Wakes,
    runtime: tokio::runtime::Handle,
    me: Weak<Host>,
    entropy: AtomicU64,
    /// Copies every file's WAL into it, off the actors' commits.
    checkpointer: Arc<Checkpointer>,
}

impl Host {
    /// Opens the storage with the default limits (see [`Host::open_with`]).
    pub async fn open(
        cfg: Config,
        storage: Storage,
        store: Option<crate::store::ObjectStore>,
    ) -> Result<Arc<Host>, Error> {
        Host::open_with(cfg, storage, store, Limits::from_descriptor_limit()).await
    }

    /// Opens the storage: the catalog, the transaction coordinators and the identity object
    /// now; every table incarnation the catalog knows is woken in the background (a few at
    /// a time), so that its background work (TTL sweeps, index backfills, shard rollover, a
    /// creation or deletion cut short by a crash) resumes without waiting for a request —
    /// and the server answers meanwhile.
    pub async fn open_with(
        cfg: Config,
        storage: Storage,
        store: Option<crate::store::ObjectStore>,
        limits: Limits,
    ) -> Result<Arc<Host>, Error> {
        if let Storage::Dir { root, .. } = &storage {
            std::fs::create_dir_all(root.join("tables")).map_err(Error::host)?;
            std::fs::create_dir_all(root.join("coordinators")).map_err(Error::host)?;
        }
        let seed = {
            use std::hash::{BuildHasher, Hasher};
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_i64(now_ms());
            h.finish()
        };
        let store = store.unwrap_or_else(|| match &storage {
            Storage::Dir { root, .. } => crate::store::ObjectStore::under(root),
            Storage::Memory => crate::store::ObjectStore::Memory(Default::default()),
        });
        let checkpointer = Checkpointer::start().map_err(Error::host)?;
        let host = Arc::new_cyclic(|me| Host {
            front: FrontEnd::new(cfg),
            storage,
            store,
            actors: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
            limits,
            slots: Arc::new(Semaphore::new(limits.max_open_tables)),
            wakes: Wakes::default(),
            runtime: tokio::runtime::Handle::current(),
            me: me.clone(),
            entropy: AtomicU64::new(seed),
            checkpointer,
        });
        host.actor(&Address::Catalog, false).await?;
        let list = host
            .call(Call {
                to: Address::Catalog,
                command: Command::Catalog(CatalogCommand::Incarnations),
            })
            .await?;
        // Transactions a crash left unfinished are driven to their outcome.
        for shard in 0..extenddo_engine::api::coordinator::SHARDS {
            if let Err(e) = host.actor(&Address::Coordinator(shard), false).await {
                tracing::error!("cannot open transaction coordinator {shard}: {e}");
            }
        }
        if let Reply::Catalog(CatalogReply::Incarnations(list)) = list {
            for inc in list {
                host.wakes.schedule(Address::Table(inc.id), i64::MIN);
            }
        }
        tokio::spawn(Host::alarm(host.me.clone()));
        Ok(host)
    }

    fn entropy(&self) -> u64 {
        self.entropy
            .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
    }

    /// Serves one HTTP request.
    /// `failpoint`: a test asked for the process to die at a step of this request (honoured
    /// only when the server runs with `EXTENDDO_FAILPOINTS=1`).
    pub async fn handle(&self, req: HttpRequest<'_>, failpoint: Option<&str>) -> HttpResponse {
        let mut failpoint = failpoint
            .filter(|_| failpoints_enabled())
            .and_then(Failpoint::parse);
        let (mut flow, mut action) = Flow::start(&self.front, req, now_ms(), self.entropy());
        loop {
            action = match action {
                Action::Respond(r) => return r,
                Action::RespondThen(r, call) => {
                    if failpoint.is_some() {
                        // Failpoints are about durable steps: the call goes first.
                        let _ = self.call_with_failpoint(call, &mut failpoint).await;
                    } else if let Some(me) = self.me.upgrade() {
                        self.runtime.spawn(async move {
                            let _ = me.call(call).await;
                        });
                    }
                    return r;
                }
                Action::Call(call) => {
                    let out = self.call_with_failpoint(call, &mut failpoint).await;
                    flow.step(&self.front, out)
                }
                Action::Fanout(calls) => {
                    let outs = if failpoint.is_some() {
                        // One at a time, so that `after:STEP:N` names one durable state.
                        let mut outs = Vec::with_capacity(calls.len());
                        for call in calls {
                            outs.push(self.call_with_failpoint(call, &mut failpoint).await);
                        }
                        outs
                    } else {
                        futures_util::future::join_all(calls.into_iter().map(|c| self.call(c)))
                            .await
                    };
                    flow.step_all(&self.front, outs)
                }
            }
        }
    }

    /// Delivers a call; dies before or after it if the request's failpoint says so.
    async fn call_with_failpoint(&self, call: Call, failpoint: &mut Option<Failpoint>) -> Outcome {
        if failpoint.as_mut().is_some_and(|f| f.before(&call)) {
            crash(&call);
        }
        let probe = failpoint
            .as_ref()
            .filter(|f| f.after(&call))
            .map(|_| call.clone());
        let out = self.call(call).await;
        if let (Some(call), Some(f)) = (probe, failpoint.as_ref()) {
            if f.after(&call) {
                crash(&call);
            }
        }
        out
    }

    /// The answer to a body over the size limit, read no further.
    pub fn too_large(&self) -> HttpResponse {
        extenddo_engine::request_too_large(now_ms(), self.entropy())
    }

    /// Delivers a command to an object (opened on first use) and awaits its outcome.
    pub async fn call(&self, call: Call) -> Outcome {
        let Call { to, mut command } = call;
        if to == Address::Store {
            return match command {
                Command::Store(request) => self.store(request).await,
                _ => Err(Error::bug(
                    "a command for the object store that is not a request",
                )),
            };
        }
        // Each turn of this loop means an actor stopped (closed while idle, or retired) just
        // as the command reached it; the object is opened again. The bound only guards
        // against a bug.
        for _ in 0..64 {
            let actor = self.actor(&to, false).await?;
            match actor.call(command).await {
                Ok(outcome) => return outcome,
                Err(c) => command = c,
            }
        }
        Err(Error::host(format!(
            "object {} keeps stopping",
            to.object_name()
        )))
    }

    fn lock_actors(&self) -> std::sync::MutexGuard<'_, HashMap<Address, ObjectActor>> {
        self.actors.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether an object of this address is closed when idle (a table on disk), and so
    /// needs one of the host's slots while open.
    fn closes(&self, address: &Address) -> bool {
        matches!(address, Address::Table(_)) && matches!(self.storage, Storage::Dir { .. })
    }

    /// The actor of an object, opened if it is not. `transient`: opened by the alarm, to
    /// close again as soon as its due work is done.
    async fn actor(&self, address: &Address, transient: bool) -> Result<ObjectActor, Error> {
        let mut warned = false;
        let started = std::time::Instant::now();
        loop {
            let closing = {
                let actors = self.lock_actors();
                match actors.get(address) {
                    Some(a) if a.open() => {
                        if !transient {
                            a.touch();
                        }
                        return Ok(a.clone());
                    }
                    Some(a) => Some(a.done()),
                    None => None,
                }
            };
            if let Some(mut done) = closing {
                // Its file is being closed: wait, then open it again.
                let _ = done.wait_for(|d| *d).await;
                continue;
            }
            let permit = if self.closes(address) {
                match self.slots.clone().try_acquire_owned() {
                    Ok(p) => Some(p),
                    Err(_) => {
                        // Full: the least recently used tables close as soon as they are idle.
                        self.evict_some();
                        match tokio::time::timeout(
                            std::time::Duration::from_millis(100),
                            self.slots.clone().acquire_owned(),
                        )
                        .await
                        {
                            Ok(Ok(p)) => Some(p),
                            Ok(Err(_)) => return Err(Error::host("the host is shutting down")),
                            Err(_) => {
                                if !warned && started.elapsed().as_secs() >= 5 {
                                    warned = true;
                                    tracing::warn!(
                                        "{}: waiting for one of the {} open-table slots",
                                        address.object_name(),
                                        self.limits.max_open_tables
                                    );
                                }
                                continue;
                            }
                        }
                    }
                }
            } else {
                None
            };
            let mut actors = self.lock_actors();
            if actors.contains_key(address) {
                // Someone else opened (or is closing) it meanwhile.
                continue;
            }
            let file = self.storage.path(address);
            let checkpoints = file
                .clone()
                .map(|(path, d)| (self.checkpointer.clone(), path, d));
            let open: Box<dyn FnOnce() -> Result<Sqlite, Error> + Send> = match file {
                Some((path, d)) => Box::new(move || Ok(Sqlite::open(&path, d)?)),
                None => Box::new(|| Ok(Sqlite::in_memory()?)),
            };
            let actor = ObjectActor::spawn(Spawn {
                address: address.clone(),
                generation: self.generation.fetch_add(1, Ordering::Relaxed),
                cfg: self.front.cfg.clone(),
                open,
                host: self.me.clone(),
                runtime: self.runtime.clone(),
                closing: permit.is_some().then_some(self.limits.closing),
                permit,
                transient,
                checkpoints,
            })?;
            actors.insert(address.clone(), actor.clone());
            return Ok(actor);
        }
    }

    /// Asks the least recently used open tables to close once idle.
    fn evict_some(&self) {
        let actors = self.lock_actors();
        let mut open: Vec<&ObjectActor> = actors
            .iter()
            .filter(|(a, act)| self.closes(a) && act.open())
            .map(|(_, act)| act)
            .collect();
        open.sort_by_key(|a| a.last_used());
        for a in open.into_iter().take(8) {
            a.evict();
        }
    }

    /// An actor stopped, its file closed: its entry goes, and a closed object's next
    /// timeout is remembered so that it is woken then.
    pub fn ended(&self, address: &Address, generation: u64, ended: Ended) {
        let mut actors = self.lock_actors();
        if actors
            .get(address)
            .is_some_and(|a| a.generation == generation)
        {
            actors.remove(address);
        }
        drop(actors);
        if let Ended::Closed(Some(at)) = ended {
            self.wakes.schedule(address.clone(), at);
        }
    }

    /// Wakes closed objects when their timeouts come (the native counterpart of a Durable
    /// Object's alarm).
    async fn alarm(me: Weak<Host>) {
        let limit = Arc::new(Semaphore::new(WAKE_CONCURRENCY));
        loop {
            let Some(host) = me.upgrade() else { return };
            let notified = host.wakes.changed.clone();
            let now = now_ms();
            let due = host.wakes.take_due(now);
            let next = host.wakes.next();
            drop(host);
            for address in due {
                let Ok(slot) = limit.clone().acquire_owned().await else {
                    return;
                };
                let me = me.clone();
                tokio::spawn(async move {
                    let _slot = slot;
                    let Some(host) = me.upgrade() else { return };
                    match host.actor(&address, true).await {
                        // Already open for callers: it runs its own timeouts.
                        Ok(actor) if !actor.is_transient() => {}
                        Ok(actor) => {
                            drop(host);
                            // The next object wakes once this one has done its work (or
                            // after a while, if the work is long).
                            let mut done = actor.done();
                            let _ = tokio::time::timeout(
                                std::time::Duration::from_secs(10),
                                done.wait_for(|d| *d),
                            )
                            .await;
                        }
                        Err(e) => {
                            tracing::error!("cannot wake {}: {e}", address.object_name())
                        }
                    }
                });
            }
            match next {
                Some(at) => {
                    let wait = (at - now_ms()).clamp(0, 60_000) as u64;
                    let _ = tokio::time::timeout(
                        std::time::Duration::from_millis(wait),
                        notified.notified(),
                    )
                    .await;
                }
                None => notified.notified().await,
            }
        }
    }

    pub fn describe_store(&self) -> String {
        self.store.describe()
    }

    /// Carries out an object's request to the object store.
    pub async fn store(&self, request: extenddo_engine::api::store::StoreRequest) -> Outcome {
        self.store.run(request).await
    }

    /// Carries out an object's `Retire`: its storage goes. Called from the object's own
    /// actor, which takes no command any more and stops afterwards.
    pub fn delete_storage(&self, address: &Address) {
        self.wakes.forget(address);
        if let Some((path, _)) = self.storage.path(address) {
            // The actor still holds the file open until it stops; unlinking is safe on Unix,
            // and no other actor opens the path before this one has stopped.
            for suffix in ["", "-wal", "-shm"] {
                let mut p = path.clone().into_os_string();
                p.push(suffix);
                let _ = std::fs::remove_file(p);
            }
        }
    }
}

/// When closed objects want to be woken: the earliest time per address, in a heap.
#[derive(Default)]
struct Wakes {
    inner: Mutex<WakeQueue>,
    changed: Arc<Notify>,
}

#[derive(Default)]
struct WakeQueue {
    heap: BinaryHeap<Reverse<(i64, u64)>>,
    due: HashMap<Address, (i64, u64)>,
    by_seq: HashMap<u64, Address>,
    seq: u64,
}

impl Wakes {
    fn lock(&self) -> std::sync::MutexGuard<'_, WakeQueue> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn schedule(&self, address: Address, at: i64) {
        let mut q = self.lock();
        if q.due.get(&address).is_some_and(|(t, _)| *t <= at) {
            return;
        }
        if let Some((_, old)) = q.due.remove(&address) {
            q.by_seq.remove(&old);
        }
        q.seq += 1;
        let seq = q.seq;
        q.heap.push(Reverse((at, seq)));
        q.due.insert(address.clone(), (at, seq));
        q.by_seq.insert(seq, address);
        drop(q);
        self.changed.notify_one();
    }

    fn forget(&self, address: &Address) {
        let mut q = self.lock();
        if let Some((_, seq)) = q.due.remove(address) {
            q.by_seq.remove(&seq);
        }
    }

    /// Removes and returns the addresses due at `now`.
    fn take_due(&self, now: i64) -> Vec<Address> {
        let mut q = self.lock();
        let mut out = Vec::new();
        while let Some(Reverse((at, seq))) = q.heap.peek().copied() {
            if at > now {
                break;
            }
            q.heap.pop();
            // Superseded entries have no address any more.
            if let Some(address) = q.by_seq.remove(&seq) {
                q.due.remove(&address);
                out.push(address);
            }
        }
        out
    }

    fn next(&self) -> Option<i64> {
        let mut q = self.lock();
        while let Some(Reverse((at, seq))) = q.heap.peek().copied() {
            if q.by_seq.contains_key(&seq) {
                return Some(at);
            }
            q.heap.pop();
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use extenddo_engine::api::ids::TableId;

    fn table(n: u32) -> Address {
        Address::Table(TableId(format!("t{n}")))
    }

    #[test]
    fn wakes_come_in_time_order_and_the_earliest_per_object_wins() {
        let w = Wakes::default();
        w.schedule(table(1), 300);
        w.schedule(table(2), 100);
        w.schedule(table(1), 200); // earlier: replaces 300
        w.schedule(table(2), 400); // later: 100 stays
        w.schedule(table(3), 250);
        assert_eq!(w.next(), Some(100));
        assert_eq!(w.take_due(99), Vec::<Address>::new());
        assert_eq!(w.take_due(100), vec![table(2)]);
        assert_eq!(w.next(), Some(200));
        w.forget(&table(1));
        assert_eq!(w.next(), Some(250));
        assert_eq!(w.take_due(1_000), vec![table(3)]);
        assert_eq!(w.next(), None);
        // Taken objects can be scheduled again.
        w.schedule(table(2), 500);
        assert_eq!(w.take_due(500), vec![table(2)]);
    }
}
