//! `TableObjectDo`: one Durable Object per table incarnation, named `table-<table id>`,
//! holding the table's change log and projections in its SQLite storage and running the
//! engine's table object. It is the table's single writer; background work (index backfill,
//! TTL sweeps, stream shard rollover) runs from its alarm, set to the time the engine asks
//! for.

use worker::{durable_object, DurableObject, Env, Request, Response, State};

use crate::object_do::{Kind, ObjectCell};

#[durable_object(alarm)]
pub struct TableObjectDo(ObjectCell);

impl DurableObject for TableObjectDo {
    fn new(state: State, env: Env) -> Self {
        TableObjectDo(ObjectCell::new(Kind::Table, state, env))
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        self.0.fetch(req).await
    }

    async fn alarm(&self) -> worker::Result<Response> {
        self.0.alarm().await
    }
}
