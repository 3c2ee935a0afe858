//! Calls between the Worker and its Durable Objects, and between Durable Objects.
//!
//! A call is one POST to the object with the engine's binary encoding of a batch of
//! commands (`extenddo_engine::api::codec`); the object answers HTTP 200 with the encoded
//! outcomes, one per command. Any other status, or a body that does not decode, is a host
//! failure (an InternalServerError for the client); a DynamoDB error always travels as an
//! outcome.

use extenddo_engine::api::codec;
use extenddo_engine::{Address, Command, Error, Outcome};

/// Durable Object namespace binding of the catalog class (`CatalogObject`).
pub const CATALOG_BINDING: &str = "CATALOG";
/// Durable Object namespace binding of the table class (`TableObjectDo`).
pub const TABLE_BINDING: &str = "TABLE";
/// Durable Object namespace binding of the transaction coordinator class
/// (`CoordinatorObjectDo`, one object per shard).
pub const COORDINATOR_BINDING: &str = "COORDINATOR";
/// Durable Object namespace binding of the identity class (`IdentityObjectDo`).
pub const IDENTITY_BINDING: &str = "IDENTITY";
/// R2 bucket binding (declared for backups/exports).
pub const BUCKET_BINDING: &str = "BUCKET";
/// URL of every call into a Durable Object; only the body matters.
pub const CALL_URL: &str = "https://extenddo.internal/call";

/// The namespace binding and the object name (`idFromName`) of an address.
pub fn locate(address: &Address) -> (&'static str, String) {
    let binding = match address {
        Address::Catalog => CATALOG_BINDING,
        Address::Table(_) => TABLE_BINDING,
        Address::Coordinator(_) => COORDINATOR_BINDING,
        Address::Identity => IDENTITY_BINDING,
        // Not an object: `host::call` carries requests for it out itself.
        Address::Store => "",
    };
    (binding, address.object_name())
}

pub fn encode_call(to: &Address, command: Command) -> Result<Vec<u8>, Error> {
    codec::encode_call(to, &[command])
}

/// Reads an object's answer (HTTP status and body) back into the outcome of one command.
pub fn decode_reply(status: u16, body: &[u8]) -> Outcome {
    if status != 200 {
        let text = String::from_utf8_lossy(&body[..body.len().min(300)]);
        return Err(Error::host(format!(
            "durable object answered HTTP {status}: {text}"
        )));
    }
    codec::decode_outcomes(body)?
        .pop()
        .unwrap_or_else(|| Err(Error::host("a durable object answered nothing")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use extenddo_engine::api::catalog::{CatalogCommand, CatalogReply};
    use extenddo_engine::api::command::TableCommand;
    use extenddo_engine::{ApiError, Reply, TableId};

    #[test]
    fn calls_and_replies_round_trip() {
        let call = Command::Catalog(CatalogCommand::List {
            account: "000000000000".into(),
            start: None,
            limit: 100,
        });
        let bytes = encode_call(&Address::Catalog, call.clone()).unwrap();
        assert_eq!(
            codec::decode_call(&bytes).unwrap(),
            (Address::Catalog, vec![call])
        );
        let ok: Outcome = Ok(Reply::Catalog(CatalogReply::Done));
        assert_eq!(
            decode_reply(200, &codec::encode_outcomes(&[ok.clone()])),
            ok
        );
        let err: Outcome = Err(Error::Client(ApiError::validation("nope")));
        assert_eq!(
            decode_reply(200, &codec::encode_outcomes(&[err.clone()])),
            err
        );
        let table = Command::Table(TableCommand::DescribeTable);
        let to = Address::Table(TableId("0b6b0e0e-6a4e-4c1e-a8f1-3c2d1e0f9a8b".into()));
        assert_eq!(
            codec::decode_call(&encode_call(&to, table.clone()).unwrap()).unwrap(),
            (to, vec![table])
        );
    }

    #[test]
    fn host_failures_are_host_errors() {
        for (status, body) in [(500u16, &b"boom"[..]), (200, b"not bincode"), (200, b"")] {
            let e = decode_reply(status, body).unwrap_err();
            assert!(matches!(e, Error::Host(_)), "{status} {body:?}: {e:?}");
            assert_eq!(e.into_api().status(), 500);
        }
    }

    #[test]
    fn addresses_name_objects() {
        assert_eq!(
            locate(&Address::Catalog),
            (CATALOG_BINDING, "catalog".into())
        );
        let id = TableId("0b6b0e0e-6a4e-4c1e-a8f1-3c2d1e0f9a8b".into());
        assert_eq!(
            locate(&Address::Table(id)),
            (
                TABLE_BINDING,
                "table-0b6b0e0e-6a4e-4c1e-a8f1-3c2d1e0f9a8b".into()
            )
        );
        assert_eq!(
            locate(&Address::Coordinator(3)),
            (COORDINATOR_BINDING, "coordinator-3".into())
        );
    }
}
