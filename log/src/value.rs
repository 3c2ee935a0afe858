//! The item value model: DynamoDB's AttributeValue.
//!
//! It lives in the log crate because log records carry item images and projections must
//! read them; the engine owns the JSON wire codec and validation on top of it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::number::Number;

pub type Item = BTreeMap<String, AttributeValue>;

/// One DynamoDB attribute value. The variant order is part of the log format: append new
/// variants at the end, never reorder.
#[allow(clippy::upper_case_acronyms)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AttributeValue {
    S(String),
    N(Number),
    B(Vec<u8>),
    SS(Vec<String>),
    NS(Vec<Number>),
    BS(Vec<Vec<u8>>),
    M(Item),
    L(Vec<AttributeValue>),
    NULL(bool),
    BOOL(bool),
}

impl AttributeValue {
    /// The wire name of this value's type ("S", "N", …).
    pub fn type_name(&self) -> &'static str {
        match self {
            AttributeValue::S(_) => "S",
            AttributeValue::N(_) => "N",
            AttributeValue::B(_) => "B",
            AttributeValue::SS(_) => "SS",
            AttributeValue::NS(_) => "NS",
            AttributeValue::BS(_) => "BS",
            AttributeValue::M(_) => "M",
            AttributeValue::L(_) => "L",
            AttributeValue::NULL(_) => "NULL",
            AttributeValue::BOOL(_) => "BOOL",
        }
    }

    /// Size as DynamoDB accounts it toward the 400 KB item limit (without the name).
    pub fn size(&self) -> usize {
        match self {
            AttributeValue::S(s) => s.len(),
            AttributeValue::N(n) => number_size(n),
            AttributeValue::B(b) => b.len(),
            AttributeValue::SS(v) => v.iter().map(String::len).sum(),
            AttributeValue::NS(v) => v.iter().map(number_size).sum(),
            AttributeValue::BS(v) => v.iter().map(Vec::len).sum(),
            // Documents cost 3 bytes plus one byte per element on top of their contents.
            AttributeValue::M(m) => {
                3 + m.iter().map(|(k, v)| k.len() + v.size() + 1).sum::<usize>()
            }
            AttributeValue::L(l) => 3 + l.iter().map(|v| v.size() + 1).sum::<usize>(),
            AttributeValue::NULL(_) | AttributeValue::BOOL(_) => 1,
        }
    }
}

fn number_size(n: &Number) -> usize {
    n.storage_size()
}

/// Size of a whole item: attribute names plus values.
pub fn item_size(item: &Item) -> usize {
    item.iter().map(|(k, v)| k.len() + v.size()).sum()
}
