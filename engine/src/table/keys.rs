//! Key validation: the checks DynamoDB makes on key attributes of items and `Key` members.

use extenddo_log::{AttributeValue, Item};
use extenddo_projections::keycode;
use extenddo_projections::{KeyAttr, KeySchema, TableSchema};

use crate::error::{ApiError, Error};

pub const MAX_HASH_KEY_BYTES: usize = 2048;
pub const MAX_RANGE_KEY_BYTES: usize = 1024;
pub const MAX_ITEM_BYTES: usize = 400 * 1024;

/// Encoded (partition, sort) key bytes.
pub type EncodedKey = (Vec<u8>, Vec<u8>);

fn check_empty(attr: &KeyAttr, v: &AttributeValue) -> Result<(), ApiError> {
    let what = match v {
        AttributeValue::S(s) if s.is_empty() => "string",
        AttributeValue::B(b) if b.is_empty() => "binary",
        _ => return Ok(()),
    };
    Err(ApiError::validation(format!(
        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty {what} value. Key: {}",
        attr.name
    )))
}

/// The size limits of a partition (`is_hash`) or sort key value.
pub fn check_key_value_size(is_hash: bool, v: &AttributeValue) -> Result<(), ApiError> {
    check_size(is_hash, v)
}

fn check_size(is_hash: bool, v: &AttributeValue) -> Result<(), ApiError> {
    let size = v.size();
    if is_hash && size > MAX_HASH_KEY_BYTES {
        return Err(ApiError::invalid_param(
            "Size of hashkey has exceeded the maximum size limit of2048 bytes",
        ));
    }
    if !is_hash && size > MAX_RANGE_KEY_BYTES {
        return Err(ApiError::invalid_param(
            "Aggregated size of all range keys has exceeded the size limit of 1024 bytes",
        ));
    }
    Ok(())
}

fn attrs(key: &KeySchema) -> impl Iterator<Item = (bool, &KeyAttr)> {
    std::iter::once((true, &key.hash)).chain(key.range.iter().map(|r| (false, r)))
}

/// Checks the values of the key attributes an item holds with the right type: not empty,
/// within the size limits. A transaction fails the whole request for these, but cancels
/// with a `ValidationError` reason for a key of the wrong shape or type.
pub fn check_key_values(key: &KeySchema, item: &Item) -> Result<(), ApiError> {
    for (is_hash, attr) in attrs(key) {
        if let Some(v) = item
            .get(&attr.name)
            .filter(|v| v.type_name() == attr.ty.as_str())
        {
            check_empty(attr, v)?;
            check_size(is_hash, v)?;
        }
    }
    Ok(())
}

/// Checks the key attributes of an item being written (PutItem's `Item`).
pub fn item_key(key: &KeySchema, item: &Item) -> Result<EncodedKey, Error> {
    for (is_hash, attr) in attrs(key) {
        let Some(v) = item.get(&attr.name) else {
            return Err(ApiError::invalid_param(format!(
                "Missing the key {} in the item",
                attr.name
            ))
            .into());
        };
        if v.type_name() != attr.ty.as_str() {
            return Err(ApiError::invalid_param(format!(
                "Type mismatch for key {} expected: {} actual: {}",
                attr.name,
                attr.ty.as_str(),
                v.type_name()
            ))
            .into());
        }
        check_empty(attr, v)?;
        check_size(is_hash, v)?;
    }
    keycode::item_key(key, item).map_err(Error::bug)
}

/// Checks a `Key` member (GetItem, DeleteItem, UpdateItem, ExclusiveStartKey of a table):
/// exactly the key attributes, with the right types.
pub fn key_member(key: &KeySchema, k: &Item) -> Result<EncodedKey, Error> {
    let mismatch = || ApiError::validation("The provided key element does not match the schema");
    let expected = 1 + usize::from(key.range.is_some());
    if k.len() != expected {
        return Err(mismatch().into());
    }
    for (is_hash, attr) in attrs(key) {
        let v = k.get(&attr.name).ok_or_else(mismatch)?;
        if v.type_name() != attr.ty.as_str() {
            return Err(mismatch().into());
        }
        check_empty(attr, v)?;
        check_size(is_hash, v)?;
    }
    keycode::item_key(key, k).map_err(Error::bug)
}

/// The key attributes of an item, as a `Key` map.
pub fn key_of(key: &KeySchema, item: &Item) -> Item {
    attrs(key)
        .filter_map(|(_, a)| item.get(&a.name).map(|v| (a.name.clone(), v.clone())))
        .collect()
}

/// Checks the index key attributes an item carries: an index key attribute present with
/// another type than its definition, or empty, rejects the write. (A missing one just
/// leaves the item out of the index.)
pub fn check_index_keys(schema: &TableSchema, item: &Item) -> Result<(), ApiError> {
    for ix in &schema.indexes {
        let parts = ix
            .hash
            .iter()
            .map(|a| (true, a))
            .chain(ix.range.iter().map(|a| (false, a)));
        for (is_hash, attr) in parts {
            let Some(v) = item.get(&attr.name) else {
                continue;
            };
            if v.type_name() != attr.ty.as_str() {
                return Err(ApiError::invalid_param(format!(
                    "Type mismatch for Index Key {} Expected: {} Actual: {} IndexName: {}",
                    attr.name,
                    attr.ty.as_str(),
                    v.type_name(),
                    ix.name
                )));
            }
            let empty = match v {
                AttributeValue::S(s) => s.is_empty().then_some("string"),
                AttributeValue::B(b) => b.is_empty().then_some("binary"),
                _ => None,
            };
            if let Some(what) = empty {
                return Err(ApiError::validation(format!(
                    "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty {what} value. IndexName: {}, IndexKey: {}",
                    ix.name, attr.name
                )));
            }
            check_size(is_hash, v)?;
        }
    }
    Ok(())
}

pub fn check_item_size(item: &Item) -> Result<(), ApiError> {
    if extenddo_log::value::item_size(item) > MAX_ITEM_BYTES {
        return Err(ApiError::validation(
            "Item size has exceeded the maximum allowed size",
        ));
    }
    Ok(())
}
