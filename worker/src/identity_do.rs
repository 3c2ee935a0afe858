//! `IdentityObjectDo`: the one Durable Object (named `identity`) that stores accounts,
//! users, access keys (secrets sealed), inline policies and admins. The Worker asks it for a
//! caller's key when its isolate has not cached it (`AUTH_CACHE_MS`), and for every change
//! made through the management API.

use worker::{durable_object, DurableObject, Env, Request, Response, State};

use crate::object_do::{Kind, ObjectCell};

#[durable_object(alarm)]
pub struct IdentityObjectDo(ObjectCell);

impl DurableObject for IdentityObjectDo {
    fn new(state: State, env: Env) -> Self {
        IdentityObjectDo(ObjectCell::new(Kind::Identity, state, env))
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        self.0.fetch(req).await
    }

    async fn alarm(&self) -> worker::Result<Response> {
        self.0.alarm().await
    }
}
