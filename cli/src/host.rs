//! The native host: where objects live (one actor per object, each over its own SQLite
//! file), and the loop that drives the engine's request flow against them.
//!
//! Layout of a data directory: `catalog.sqlite` (the catalog object), one
//! `tables/<table id>.sqlite` per table incarnation and one `coordinators/<n>.sqlite` per
//! transaction coordinator shard, and `identity.sqlite` (accounts, users, keys, policies).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use extenddo_engine::api::catalog::{CatalogCommand, CatalogReply};
use extenddo_engine::{
    Action, Address, Call, Command, Config, Error, Flow, FrontEnd, HttpRequest, HttpResponse,
    Outcome, Reply,
};
use extenddo_log::sqlite::{Durability, Sqlite};

use extenddo_engine::flow::failpoint::Failpoint;

use crate::actor::ObjectActor;
use crate::clock::now_ms;

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

pub struct Host {
    front: FrontEnd,
    storage: Storage,
    store: crate::store::ObjectStore,
    actors: Mutex<HashMap<Address, ObjectActor>>,
    runtime: tokio::runtime::Handle,
    me: Weak<Host>,
    entropy: AtomicU64,
}

impl Host {
    /// Opens the storage and starts the catalog and every table incarnation it knows, so
    /// that their background work (TTL sweeps, index backfills, shard rollover, a creation
    /// or deletion cut short by a crash) resumes without waiting for a request.
    pub async fn open(
        cfg: Config,
        storage: Storage,
        store: Option<crate::store::ObjectStore>,
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
        let host = Arc::new_cyclic(|me| Host {
            front: FrontEnd::new(cfg),
            storage,
            store,
            actors: Mutex::new(HashMap::new()),
            runtime: tokio::runtime::Handle::current(),
            me: me.clone(),
            entropy: AtomicU64::new(seed),
        });
        host.actor(&Address::Catalog)?;
        let list = host
            .call(Call {
                to: Address::Catalog,
                command: Command::Catalog(CatalogCommand::Incarnations),
            })
            .await?;
        if let Reply::Catalog(CatalogReply::Incarnations(list)) = list {
            for inc in list {
                if let Err(e) = host.actor(&Address::Table(inc.id.clone())) {
                    tracing::error!("cannot open table {} ({}): {e}", inc.name, inc.id);
                }
            }
        }
        // Transactions a crash left unfinished are driven to their outcome.
        for shard in 0..extenddo_engine::api::coordinator::SHARDS {
            if let Err(e) = host.actor(&Address::Coordinator(shard)) {
                tracing::error!("cannot open transaction coordinator {shard}: {e}");
            }
        }
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

    /// Delivers a command to an object (started on first use) and awaits its outcome.
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
        for _ in 0..3 {
            let actor = self.actor(&to)?;
            match actor.call(command).await {
                Ok(outcome) => return outcome,
                // The actor stopped (its object retired) before it took the command: the
                // object is opened again.
                Err(c) => command = c,
            }
        }
        Err(Error::host(format!(
            "object {} keeps stopping",
            to.object_name()
        )))
    }

    /// The actor of an object, started on first use.
    fn actor(&self, address: &Address) -> Result<ObjectActor, Error> {
        let mut actors = self
            .actors
            .lock()
            .map_err(|_| Error::bug("actor map poisoned"))?;
        if let Some(a) = actors.get(address) {
            if a.alive() {
                return Ok(a.clone());
            }
        }
        let open: Box<dyn FnOnce() -> Result<Sqlite, Error> + Send> =
            match self.storage.path(address) {
                Some((path, d)) => Box::new(move || Ok(Sqlite::open(&path, d)?)),
                None => Box::new(|| Ok(Sqlite::in_memory()?)),
            };
        let actor = ObjectActor::spawn(
            address.clone(),
            self.front.cfg.clone(),
            open,
            self.me.clone(),
            self.runtime.clone(),
        )?;
        actors.insert(address.clone(), actor.clone());
        Ok(actor)
    }

    /// Carries out an object's `Retire`: its storage goes. Called from the object's own
    /// actor, which stops afterwards.
    pub fn describe_store(&self) -> String {
        self.store.describe()
    }

    /// Carries out an object's request to the object store.
    pub async fn store(&self, request: extenddo_engine::api::store::StoreRequest) -> Outcome {
        self.store.run(request).await
    }

    pub fn retire(&self, address: &Address) {
        if let Ok(mut actors) = self.actors.lock() {
            actors.remove(address);
        }
        if let Some((path, _)) = self.storage.path(address) {
            // The actor may still hold the file open; unlinking is safe on Unix.
            for suffix in ["", "-wal", "-shm"] {
                let mut p = path.clone().into_os_string();
                p.push(suffix);
                let _ = std::fs::remove_file(p);
            }
        }
    }
}
