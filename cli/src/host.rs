//! The native host: where table objects and the catalog live, and the loop that drives the
//! engine's request flow against them.
//!
//! Layout of a data directory: `catalog.sqlite` (table names → ids) and one
//! `tables/<id>.sqlite` per table object.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use extenddo_engine::{
    Action, ApiError, Catalog, CatalogRequest, Config, Flow, HttpRequest, Response, TableRequest,
};
use serde_json::Value;

use crate::actor::TableActor;
use crate::clock::now_ms;
use extenddo_log::sqlite::{Durability, Sqlite};

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
}

pub struct Host {
    cfg: Config,
    storage: Storage,
    catalog: Mutex<Sqlite>,
    /// Open table actors by table name.
    actors: Mutex<HashMap<String, (String, TableActor)>>,
}

impl Host {
    pub fn open(cfg: Config, storage: Storage) -> Result<Host, ApiError> {
        let catalog = match &storage {
            Storage::Dir { root, durability } => {
                std::fs::create_dir_all(root.join("tables")).map_err(ApiError::internal)?;
                Sqlite::open(&Storage::catalog_path(root), *durability)?
            }
            Storage::Memory => Sqlite::in_memory()?,
        };
        Catalog::open(&catalog)?;
        let tables = Catalog::all(&catalog)?;
        let host = Host {
            cfg,
            storage,
            catalog: Mutex::new(catalog),
            actors: Mutex::new(HashMap::new()),
        };
        // Every table's actor starts now, so background work (TTL sweeps, index backfills,
        // stream shard rollover) resumes after a restart without waiting for a request.
        for (name, _) in tables {
            if let Err(e) = host.actor(&name) {
                tracing::error!(
                    "cannot open table {name}: {}",
                    e.message.unwrap_or_default()
                );
            }
        }
        Ok(host)
    }

    /// Serves one DynamoDB HTTP request.
    pub async fn handle(&self, req: HttpRequest<'_>) -> Response {
        let (mut flow, mut action) = Flow::start(&self.cfg, req, now_ms());
        loop {
            action = match action {
                Action::Respond(r) => return r,
                Action::Catalog(req) => {
                    let r = self.catalog(req);
                    flow.step(r)
                }
                Action::Table { table, request } => {
                    let r = self.table(&table, request).await;
                    flow.step(r)
                }
            }
        }
    }

    fn catalog(&self, req: CatalogRequest) -> Result<Value, ApiError> {
        let retired = match &req {
            CatalogRequest::Unregister { name } => Some(name.clone()),
            _ => None,
        };
        let result = {
            let sql = self
                .catalog
                .lock()
                .map_err(|_| ApiError::internal("catalog lock poisoned"))?;
            Catalog.handle(&*sql, req, now_ms())
        };
        if let (Ok(_), Some(name)) = (&result, retired) {
            self.retire(&name);
        }
        result
    }

    async fn table(&self, name: &str, request: TableRequest) -> Result<Value, ApiError> {
        match self.actor(name)? {
            Some(actor) => actor.call(request).await,
            None => extenddo_engine::execute_absent(&self.cfg, request, now_ms()),
        }
    }

    /// The actor of a table the catalog knows, started on first use.
    fn actor(&self, name: &str) -> Result<Option<TableActor>, ApiError> {
        let mut actors = self
            .actors
            .lock()
            .map_err(|_| ApiError::internal("actor map poisoned"))?;
        if let Some((_, a)) = actors.get(name) {
            return Ok(Some(a.clone()));
        }
        let lookup = {
            let sql = self
                .catalog
                .lock()
                .map_err(|_| ApiError::internal("catalog lock poisoned"))?;
            Catalog.handle(
                &*sql,
                CatalogRequest::Lookup {
                    name: name.to_owned(),
                },
                now_ms(),
            )
        };
        let id = match lookup {
            Ok(v) => v["id"].as_str().unwrap_or_default().to_owned(),
            Err(_) => return Ok(None),
        };
        let open: Box<dyn FnOnce() -> Result<Sqlite, ApiError> + Send> = match &self.storage {
            Storage::Dir { root, durability } => {
                let (path, d) = (Storage::table_path(root, &id), *durability);
                Box::new(move || Ok(Sqlite::open(&path, d)?))
            }
            Storage::Memory => Box::new(|| Ok(Sqlite::in_memory()?)),
        };
        let actor = TableActor::spawn(name, self.cfg.clone(), open)?;
        actors.insert(name.to_owned(), (id, actor.clone()));
        Ok(Some(actor))
    }

    /// Stops serving a deleted table and removes its storage. The actor thread ends when
    /// its last handle is dropped.
    fn retire(&self, name: &str) {
        let removed = self.actors.lock().ok().and_then(|mut a| a.remove(name));
        if let (Some((id, _)), Storage::Dir { root, .. }) = (removed, &self.storage) {
            let path = Storage::table_path(root, &id);
            // The actor may still hold the file open; unlinking is safe on Unix.
            for suffix in ["", "-wal", "-shm"] {
                let mut p = path.clone().into_os_string();
                p.push(suffix);
                let _ = std::fs::remove_file(p);
            }
        }
    }
}
