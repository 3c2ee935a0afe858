//! Order-preserving key encoding: SQLite compares BLOBs with memcmp, so encoding keys such
//! that byte order equals DynamoDB's order lets SQLite do range reads on keys.
//!
//! S sorts by UTF-8 bytes and B by bytes, so both are stored as-is; N uses
//! [`Number::write_order_key`]. A table without a sort key stores an empty sort key.

use extenddo_log::{AttributeValue, Item, Number};

use crate::schema::{KeyAttr, KeySchema, KeyType};

/// Encodes one key attribute value, or `None` when its type is not `ty`.
pub fn encode(ty: KeyType, value: &AttributeValue) -> Option<Vec<u8>> {
    match (ty, value) {
        (KeyType::S, AttributeValue::S(s)) => Some(s.as_bytes().to_vec()),
        (KeyType::B, AttributeValue::B(b)) => Some(b.clone()),
        (KeyType::N, AttributeValue::N(n)) => {
            let mut out = Vec::with_capacity(24);
            n.write_order_key(&mut out);
            Some(out)
        }
        _ => None,
    }
}

/// Reverses [`encode`].
pub fn decode(ty: KeyType, bytes: &[u8]) -> Option<AttributeValue> {
    match ty {
        KeyType::S => String::from_utf8(bytes.to_vec())
            .ok()
            .map(AttributeValue::S),
        KeyType::B => Some(AttributeValue::B(bytes.to_vec())),
        KeyType::N => Number::from_order_key(bytes).map(AttributeValue::N),
    }
}

fn attr_bytes(attr: &KeyAttr, item: &Item) -> Result<Vec<u8>, String> {
    let value = item
        .get(&attr.name)
        .ok_or_else(|| format!("missing key attribute {}", attr.name))?;
    encode(attr.ty, value)
        .ok_or_else(|| format!("key attribute {} is not {}", attr.name, attr.ty.as_str()))
}

/// The (partition, sort) key bytes of an item that the engine has already validated.
pub fn item_key(key: &KeySchema, item: &Item) -> Result<(Vec<u8>, Vec<u8>), String> {
    let pk = attr_bytes(&key.hash, item)?;
    let sk = match &key.range {
        Some(r) => attr_bytes(r, item)?,
        None => Vec::new(),
    };
    Ok((pk, sk))
}

/// The smallest byte string greater than every string starting with `prefix`, if any.
pub fn prefix_successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut p = prefix.to_vec();
    while let Some(last) = p.pop() {
        if last < 0xFF {
            p.push(last + 1);
            return Some(p);
        }
    }
    None
}
