//! `CatalogObject`: the one Durable Object (named `catalog`) that runs the engine's catalog:
//! which tables exist, for ListTables and table creation/deletion. The data path never
//! comes here.

use std::cell::RefCell;

use extenddo_engine::{ApiError, Catalog};
use worker::{durable_object, DurableObject, Env, Request, Response, State};

use crate::host;
use crate::rpc::{self, CatalogCall, Reply};
use crate::sql::DoSql;

#[durable_object(fetch)]
pub struct CatalogObject {
    sql: DoSql,
    /// Opened (schema created) on the first call.
    catalog: RefCell<Option<Catalog>>,
}

impl DurableObject for CatalogObject {
    fn new(state: State, _env: Env) -> Self {
        CatalogObject {
            sql: DoSql::new(state.storage()),
            catalog: RefCell::new(None),
        }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let reply = match host::body(&mut req).await {
            Ok(bytes) => self.handle(&bytes),
            Err(e) => Err(e),
        };
        host::reply_response(&reply)
    }
}

impl CatalogObject {
    /// Runs one call. Synchronous from here on: nothing else runs in this object meanwhile.
    fn handle(&self, bytes: &[u8]) -> Reply {
        let call: CatalogCall = rpc::decode(bytes)?;
        let mut slot = self
            .catalog
            .try_borrow_mut()
            .map_err(|_| ApiError::internal("catalog object is busy"))?;
        if slot.is_none() {
            *slot = Some(Catalog::open(&self.sql)?);
        }
        let catalog = slot
            .as_ref()
            .ok_or_else(|| ApiError::internal("catalog not open"))?;
        catalog.handle(&self.sql, call.request, host::now_ms())
    }
}
