//! The DynamoDB JSON codec for attribute values, with AWS's validation of values.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use extenddo_log::{AttributeValue, Item, Number};
use serde_json::{Map, Value};

use crate::error::ApiError;

/// Maximum nesting of maps and lists in one attribute value.
pub const MAX_DEPTH: usize = 32;

/// The JSON token kind AWS's deserializer names in its messages.
pub(crate) fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "NULL_VALUE",
        Value::Bool(_) => "BOOLEAN_VALUE",
        Value::Number(_) => "NUMBER_VALUE",
        Value::String(_) => "STRING_VALUE",
        Value::Array(_) => "START_ARRAY",
        Value::Object(_) => "START_OBJECT",
    }
}

pub(crate) fn ser_err(found: &Value, wanted: &str) -> ApiError {
    let kind = json_kind(found);
    ApiError::serialization(format!("{kind} cannot be converted to {wanted}"))
}

pub(crate) fn string(v: &Value) -> Result<&str, ApiError> {
    v.as_str().ok_or_else(|| ser_err(v, "String"))
}

pub(crate) fn array(v: &Value) -> Result<&Vec<Value>, ApiError> {
    v.as_array().ok_or_else(|| ser_err(v, "an array"))
}

pub(crate) fn object(v: &Value) -> Result<&Map<String, Value>, ApiError> {
    v.as_object().ok_or_else(|| ser_err(v, "a structure"))
}

fn binary(v: &Value) -> Result<Vec<u8>, ApiError> {
    let s = string(v)?;
    B64.decode(s.as_bytes()).map_err(|_| {
        ApiError::serialization("Base64 encoded value could not be decoded".to_string())
    })
}

fn number(v: &Value) -> Result<Number, ApiError> {
    let s = string(v)?;
    Number::parse(s).map_err(|e| match e {
        extenddo_log::NumberError::NotANumber => {
            // AWS names the offending text, unless there is none.
            if s.is_empty() {
                ApiError::validation("The parameter cannot be converted to a numeric value")
            } else {
                ApiError::validation(format!(
                    "The parameter cannot be converted to a numeric value: {s}"
                ))
            }
        }
        other => ApiError::validation(other.to_string()),
    })
}

fn no_duplicates<T: PartialEq + std::fmt::Display>(items: &[T]) -> Result<(), ApiError> {
    for (i, a) in items.iter().enumerate() {
        if items[..i].contains(a) {
            let list: Vec<String> = items.iter().map(|x| x.to_string()).collect();
            return Err(ApiError::invalid_param(format!(
                "Input collection [{}] contains duplicates.",
                list.join(", ")
            )));
        }
    }
    Ok(())
}

fn not_empty<T>(items: &[T], what: &str) -> Result<(), ApiError> {
    if items.is_empty() {
        return Err(ApiError::invalid_param(format!(
            "An {what} set  may not be empty"
        )));
    }
    Ok(())
}

/// Why a value was refused. Nesting is told apart because AWS's request-level validator
/// reports it, in a wording each operation wraps its own way.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueError {
    /// Nested deeper than [`MAX_DEPTH`] levels.
    TooDeep,
    /// Anything else, worded as the item-level check words it.
    Invalid(ApiError),
}

impl From<ApiError> for ValueError {
    fn from(e: ApiError) -> Self {
        ValueError::Invalid(e)
    }
}

/// The detail of AWS's refusal of a too deeply nested value.
pub const NESTING_DETAIL: &str = "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit";

impl From<ValueError> for ApiError {
    /// Single-item operations report nesting in the validation envelope.
    fn from(e: ValueError) -> Self {
        match e {
            ValueError::TooDeep => {
                ApiError::validation(format!("1 validation error detected: {NESTING_DETAIL}"))
            }
            ValueError::Invalid(e) => e,
        }
    }
}

/// Decodes one attribute value (`{"S": "x"}`) and checks it as DynamoDB does.
pub fn decode_value(v: &Value) -> Result<AttributeValue, ApiError> {
    Ok(decode_at(v, 0)?)
}

/// [`decode_value`], telling too deep nesting apart.
pub fn decode_value_checked(v: &Value) -> Result<AttributeValue, ValueError> {
    decode_at(v, 0)
}

fn decode_at(v: &Value, depth: usize) -> Result<AttributeValue, ValueError> {
    // The attribute itself is level 1, so a value at depth 32 is on level 33.
    if depth >= MAX_DEPTH {
        return Err(ValueError::TooDeep);
    }
    let obj = object(v)?;
    // Members DynamoDB does not know are dropped, as its front end drops them: `{"dog": 1}`
    // is an empty AttributeValue, `{"S": "x", "dog": 1}` a string.
    let mut set = obj
        .iter()
        .filter(|(k, v)| !v.is_null() && DATA_TYPES.contains(&k.as_str()));
    let Some((ty, inner)) = set.next() else {
        return Err(ApiError::validation(
            "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
        )
        .into());
    };
    if set.next().is_some() {
        return Err(ApiError::validation(
            "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
        )
        .into());
    }
    Ok(match ty.as_str() {
        "S" => AttributeValue::S(string(inner)?.to_owned()),
        "N" => AttributeValue::N(number(inner)?),
        "B" => AttributeValue::B(binary(inner)?),
        "BOOL" => AttributeValue::BOOL(inner.as_bool().ok_or_else(|| ser_err(inner, "Boolean"))?),
        "NULL" => {
            if inner.as_bool().ok_or_else(|| ser_err(inner, "Boolean"))? {
                AttributeValue::NULL(true)
            } else {
                return Err(ApiError::invalid_param(
                    "Null attribute value types must have the true value",
                )
                .into());
            }
        }
        "SS" => {
            let v = array(inner)?
                .iter()
                .map(|x| string(x).map(str::to_owned))
                .collect::<Result<Vec<_>, _>>()?;
            not_empty(&v, "string")?;
            no_duplicates(&v)?;
            AttributeValue::SS(v)
        }
        "NS" => {
            let v = array(inner)?
                .iter()
                .map(number)
                .collect::<Result<Vec<_>, _>>()?;
            not_empty(&v, "number")?;
            no_duplicates(&v)?;
            AttributeValue::NS(v)
        }
        "BS" => {
            let v = array(inner)?
                .iter()
                .map(binary)
                .collect::<Result<Vec<_>, _>>()?;
            if v.is_empty() {
                return Err(ApiError::invalid_param("Binary sets should not be empty").into());
            }
            if (0..v.len()).any(|i| v[..i].contains(&v[i])) {
                let list: Vec<String> = v.iter().map(|b| B64.encode(b)).collect();
                return Err(ApiError::invalid_param(format!(
                    "Input collection [{}] contains duplicates.",
                    list.join(", ")
                ))
                .into());
            }
            AttributeValue::BS(v)
        }
        "M" => AttributeValue::M(decode_map_at(inner, depth + 1)?),
        "L" => AttributeValue::L(
            array(inner)?
                .iter()
                .map(|x| decode_at(x, depth + 1))
                .collect::<Result<Vec<_>, _>>()?,
        ),
        other => {
            return Err(ApiError::internal(format!("data type {other} passed the filter")).into())
        }
    })
}

/// The members of an AttributeValue.
const DATA_TYPES: [&str; 10] = ["S", "N", "B", "BOOL", "NULL", "SS", "NS", "BS", "M", "L"];

/// Attribute names are shorter than 64 KB (key attributes' names far shorter: the table's
/// schema limits them to 255 bytes).
pub const MAX_ATTRIBUTE_NAME_BYTES: usize = 65535;

fn decode_map_at(v: &Value, depth: usize) -> Result<Item, ValueError> {
    object(v)?
        .iter()
        .map(|(k, v)| {
            if k.len() > MAX_ATTRIBUTE_NAME_BYTES {
                return Err(ApiError::validation(
                    "1 validation error detected: Attribute name is too large, must be less than 65536 bytes",
                )
                .into());
            }
            Ok((k.clone(), decode_at(v, depth)?))
        })
        .collect()
}

/// Decodes a map of attribute values (an `Item`, a `Key`, `ExpressionAttributeValues`).
pub fn decode_item(v: &Value) -> Result<Item, ApiError> {
    Ok(decode_map_at(v, 0)?)
}

/// [`decode_item`], telling too deep nesting apart.
pub fn decode_item_checked(v: &Value) -> Result<Item, ValueError> {
    decode_map_at(v, 0)
}

pub fn encode_value(v: &AttributeValue) -> Value {
    let mut m = Map::with_capacity(1);
    let (k, inner) = match v {
        AttributeValue::S(s) => ("S", Value::String(s.clone())),
        AttributeValue::N(n) => ("N", Value::String(n.to_string())),
        AttributeValue::B(b) => ("B", Value::String(B64.encode(b))),
        AttributeValue::SS(v) => ("SS", v.iter().map(|s| Value::String(s.clone())).collect()),
        AttributeValue::NS(v) => (
            "NS",
            v.iter().map(|n| Value::String(n.to_string())).collect(),
        ),
        AttributeValue::BS(v) => (
            "BS",
            v.iter().map(|b| Value::String(B64.encode(b))).collect(),
        ),
        AttributeValue::M(item) => ("M", encode_item(item)),
        AttributeValue::L(l) => ("L", l.iter().map(encode_value).collect()),
        AttributeValue::NULL(b) => ("NULL", Value::Bool(*b)),
        AttributeValue::BOOL(b) => ("BOOL", Value::Bool(*b)),
    };
    m.insert(k.to_owned(), inner);
    Value::Object(m)
}

pub fn encode_item(item: &Item) -> Value {
    Value::Object(
        item.iter()
            .map(|(k, v)| (k.clone(), encode_value(v)))
            .collect(),
    )
}

/// `s` as a JSON string, escaped as serde_json escapes it.
fn write_json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn write_list<T>(out: &mut String, items: &[T], mut each: impl FnMut(&mut String, &T)) {
    out.push('[');
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        each(out, x);
    }
    out.push(']');
}

/// [`encode_value`] written straight into `out` (exports write millions of these): the same
/// text as serializing the `Value`.
pub fn write_value(out: &mut String, v: &AttributeValue) {
    match v {
        AttributeValue::S(s) => {
            out.push_str("{\"S\":");
            write_json_str(out, s);
        }
        AttributeValue::N(n) => {
            out.push_str("{\"N\":\"");
            out.push_str(&n.to_string());
            out.push('"');
        }
        AttributeValue::B(b) => {
            out.push_str("{\"B\":\"");
            out.push_str(&B64.encode(b));
            out.push('"');
        }
        AttributeValue::SS(v) => {
            out.push_str("{\"SS\":");
            write_list(out, v, |o, s| write_json_str(o, s));
        }
        AttributeValue::NS(v) => {
            out.push_str("{\"NS\":");
            write_list(out, v, |o, n| {
                o.push('"');
                o.push_str(&n.to_string());
                o.push('"');
            });
        }
        AttributeValue::BS(v) => {
            out.push_str("{\"BS\":");
            write_list(out, v, |o, b| {
                o.push('"');
                o.push_str(&B64.encode(b));
                o.push('"');
            });
        }
        AttributeValue::M(item) => {
            out.push_str("{\"M\":");
            write_item(out, item);
        }
        AttributeValue::L(l) => {
            out.push_str("{\"L\":");
            write_list(out, l, write_value);
        }
        AttributeValue::NULL(b) => out.push_str(if *b {
            "{\"NULL\":true"
        } else {
            "{\"NULL\":false"
        }),
        AttributeValue::BOOL(b) => out.push_str(if *b {
            "{\"BOOL\":true"
        } else {
            "{\"BOOL\":false"
        }),
    }
    out.push('}');
}

/// [`encode_item`] written straight into `out`.
pub fn write_item(out: &mut String, item: &Item) {
    out.push('{');
    for (i, (k, v)) in item.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_json_str(out, k);
        out.push(':');
        write_value(out, v);
    }
    out.push('}');
}

#[cfg(test)]
mod writer_tests {
    use super::*;

    /// The direct writer and serde_json agree on every escape and type.
    #[test]
    fn write_item_is_the_text_of_encode_item() {
        let odd: String = (0u32..0x80)
            .filter_map(char::from_u32)
            .chain("é✓\u{2028}😀".chars())
            .collect();
        let mut inner = Item::new();
        inner.insert(odd.clone(), AttributeValue::NULL(true));
        let mut item = Item::new();
        item.insert("s".into(), AttributeValue::S(odd.clone()));
        item.insert(odd.clone(), AttributeValue::SS(vec![odd, "x".into()]));
        item.insert(
            "n".into(),
            AttributeValue::NS(vec![Number::parse("-1.5E3").unwrap()]),
        );
        item.insert("b".into(), AttributeValue::BS(vec![vec![], vec![255, 0]]));
        item.insert("m".into(), AttributeValue::M(inner));
        item.insert(
            "l".into(),
            AttributeValue::L(vec![
                AttributeValue::BOOL(true),
                AttributeValue::NULL(false),
            ]),
        );
        let mut out = String::new();
        write_item(&mut out, &item);
        assert_eq!(out, encode_item(&item).to_string());
    }
}
