//! `CoordinatorObjectDo`: the transaction coordinators, one Durable Object per shard
//! (`coordinator-<n>`, the shard chosen by the transaction id). Each logs the intent, the
//! decision and the completion of the cross-table transactions it coordinates, keeps the
//! `ClientRequestToken` records, and from its alarm drives a transaction whose front end
//! went away to its outcome.

use worker::{durable_object, DurableObject, Env, Request, Response, State};

use crate::object_do::{Kind, ObjectCell};

#[durable_object(alarm)]
pub struct CoordinatorObjectDo(ObjectCell);

impl DurableObject for CoordinatorObjectDo {
    fn new(state: State, env: Env) -> Self {
        CoordinatorObjectDo(ObjectCell::new(Kind::Coordinator, state, env))
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        self.0.fetch(req).await
    }

    async fn alarm(&self) -> worker::Result<Response> {
        self.0.alarm().await
    }
}
