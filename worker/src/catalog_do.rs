//! `CatalogObject`: the one Durable Object (named `catalog`) that runs the engine's catalog:
//! which table incarnations exist, and their lifecycle. The data path does not come here
//! once the Worker knows a table's id.

use worker::{durable_object, DurableObject, Env, Request, Response, State};

use crate::object_do::{Kind, ObjectCell};

#[durable_object(alarm)]
pub struct CatalogObject(ObjectCell);

impl DurableObject for CatalogObject {
    fn new(state: State, env: Env) -> Self {
        CatalogObject(ObjectCell::new(Kind::Catalog, state, env))
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        self.0.fetch(req).await
    }

    async fn alarm(&self) -> worker::Result<Response> {
        self.0.alarm().await
    }
}
