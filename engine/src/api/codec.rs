//! The binary encoding of calls and outcomes between processes (the Worker and its Durable
//! Objects): a version byte, then bincode 2 (standard configuration) of the value. Both ends
//! run the same build, but a deployment can briefly mix versions; a mismatch is refused, not
//! misread.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::api::object::{Address, Command, Outcome};
use crate::error::Error;

pub const VERSION: u8 = 1;
/// Far above any legal call or reply (requests are at most 16 MB).
const LIMIT: usize = 64 << 20;

fn encode<T: Serialize>(v: &T) -> Result<Vec<u8>, Error> {
    let mut out = vec![VERSION];
    bincode::serde::encode_into_std_write(v, &mut out, bincode::config::standard())
        .map_err(|e| Error::bug(format!("encoding: {e}")))?;
    Ok(out)
}

fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    match bytes.split_first() {
        Some((&VERSION, body)) => {
            let cfg = bincode::config::standard().with_limit::<LIMIT>();
            let (v, used) = bincode::serde::decode_from_slice(body, cfg)
                .map_err(|e| Error::host(format!("undecodable message: {e}")))?;
            if used != body.len() {
                return Err(Error::host("trailing bytes after a message"));
            }
            Ok(v)
        }
        Some((v, _)) => Err(Error::host(format!(
            "message of protocol version {v}, this build speaks {VERSION}"
        ))),
        None => Err(Error::host("empty message")),
    }
}

/// A value kept in storage by the engine itself (the catalog's pending CreateTable).
pub fn encode_stored<T: Serialize>(v: &T) -> Result<Vec<u8>, Error> {
    encode(v)
}

pub fn decode_stored<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    decode(bytes).map_err(|e| match e {
        Error::Host(m) => Error::Storage(m),
        other => other,
    })
}

/// A call: the object it is for (an object learns its own address from its calls) and a
/// batch of commands.
pub fn encode_call(to: &Address, commands: &[Command]) -> Result<Vec<u8>, Error> {
    encode(&(to, commands))
}

pub fn decode_call(bytes: &[u8]) -> Result<(Address, Vec<Command>), Error> {
    decode(bytes)
}

/// Never fails: an outcome that cannot be encoded is reported as a bug instead.
pub fn encode_outcomes(outcomes: &[Outcome]) -> Vec<u8> {
    encode(&outcomes).unwrap_or_else(|e| {
        let fallback: Vec<Outcome> = outcomes.iter().map(|_| Err(e.clone())).collect();
        encode(&fallback).unwrap_or_else(|_| vec![VERSION])
    })
}

pub fn decode_outcomes(bytes: &[u8]) -> Result<Vec<Outcome>, Error> {
    decode(bytes)
}
