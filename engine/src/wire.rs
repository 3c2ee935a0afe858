//! The DynamoDB JSON wire codec for attribute values, with AWS's validation of values.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use extenddo_log::{AttributeValue, Item, Number};
use serde_json::{Map, Value};

use crate::error::ApiError;

/// Maximum nesting of maps and lists in one attribute value.
pub const MAX_DEPTH: usize = 32;

fn ser_err(found: &Value, wanted: &str) -> ApiError {
    let kind = match found {
        Value::Null => "NULL_VALUE",
        Value::Bool(_) => "BOOLEAN_VALUE",
        Value::Number(_) => "NUMBER_VALUE",
        Value::String(_) => "STRING_VALUE",
        Value::Array(_) => "START_ARRAY",
        Value::Object(_) => "START_OBJECT",
    };
    ApiError::serialization(format!("{kind} cannot be converted to {wanted}"))
}

fn string(v: &Value) -> Result<&str, ApiError> {
    v.as_str().ok_or_else(|| ser_err(v, "String"))
}

fn array(v: &Value) -> Result<&Vec<Value>, ApiError> {
    v.as_array().ok_or_else(|| ser_err(v, "an array"))
}

fn object(v: &Value) -> Result<&Map<String, Value>, ApiError> {
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

/// Decodes one attribute value (`{"S": "x"}`) and checks it as DynamoDB does.
pub fn decode_value(v: &Value) -> Result<AttributeValue, ApiError> {
    decode_at(v, 0)
}

/// AWS's refusal of a value nested deeper than [`MAX_DEPTH`] levels, in the validation
/// envelope single-item operations use (BatchWriteItem sends it bare).
pub const NESTING_ERROR: &str = "1 validation error detected: Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit";

fn decode_at(v: &Value, depth: usize) -> Result<AttributeValue, ApiError> {
    // The attribute itself is level 1, so a value at depth 32 is on level 33.
    if depth >= MAX_DEPTH {
        return Err(ApiError::validation(NESTING_ERROR));
    }
    let obj = object(v)?;
    let mut set = obj.iter().filter(|(_, v)| !v.is_null());
    let Some((ty, inner)) = set.next() else {
        return Err(ApiError::validation(
            "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
        ));
    };
    if set.next().is_some() {
        return Err(ApiError::validation(
            "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
        ));
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
                ));
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
                return Err(ApiError::invalid_param("Binary sets should not be empty"));
            }
            if let Some(i) = (0..v.len()).find(|&i| v[..i].contains(&v[i])) {
                let _ = i;
                let list: Vec<String> = v.iter().map(|b| B64.encode(b)).collect();
                return Err(ApiError::invalid_param(format!(
                    "Input collection [{}] contains duplicates.",
                    list.join(", ")
                )));
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
            return Err(ApiError::serialization(format!(
                "Unrecognized field name \"{other}\" in AttributeValue"
            )))
        }
    })
}

fn decode_map_at(v: &Value, depth: usize) -> Result<Item, ApiError> {
    object(v)?
        .iter()
        .map(|(k, v)| Ok((k.clone(), decode_at(v, depth)?)))
        .collect()
}

/// Decodes a map of attribute values (an `Item`, a `Key`, `ExpressionAttributeValues`).
pub fn decode_item(v: &Value) -> Result<Item, ApiError> {
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

/// Typed access to the members of a request body. A member of the wrong JSON type is a
/// SerializationException, as the AWS front end reports it.
pub struct Params<'a> {
    body: &'a Map<String, Value>,
}

static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();

impl<'a> Params<'a> {
    pub fn new(body: &'a Value) -> Result<Params<'a>, ApiError> {
        match body {
            Value::Object(m) => Ok(Params { body: m }),
            Value::Null => Ok(Params {
                body: EMPTY.get_or_init(Map::new),
            }),
            other => Err(ser_err(other, "a structure")),
        }
    }

    fn get(&self, name: &str) -> Option<&'a Value> {
        self.body.get(name).filter(|v| !v.is_null())
    }

    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    pub fn str(&self, name: &str) -> Result<Option<&'a str>, ApiError> {
        self.get(name).map(string).transpose()
    }

    pub fn bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        self.get(name)
            .map(|v| v.as_bool().ok_or_else(|| ser_err(v, "Boolean")))
            .transpose()
    }

    pub fn int(&self, name: &str) -> Result<Option<i64>, ApiError> {
        self.get(name)
            .map(|v| match v {
                Value::Number(n) => n
                    .as_i64()
                    .or_else(|| n.as_f64().map(|f| f as i64))
                    .ok_or_else(|| {
                        ApiError::serialization("NUMBER_VALUE cannot be converted to Integer")
                    }),
                other => Err(ser_err(other, "Integer")),
            })
            .transpose()
    }

    pub fn array(&self, name: &str) -> Result<Option<&'a Vec<Value>>, ApiError> {
        self.get(name).map(array).transpose()
    }

    pub fn object(&self, name: &str) -> Result<Option<&'a Map<String, Value>>, ApiError> {
        self.get(name).map(object).transpose()
    }

    pub fn raw(&self, name: &str) -> Option<&'a Value> {
        self.get(name)
    }

    pub fn item(&self, name: &str) -> Result<Option<Item>, ApiError> {
        self.get(name).map(decode_item).transpose()
    }

    /// A map of strings (ExpressionAttributeNames).
    pub fn string_map(
        &self,
        name: &str,
    ) -> Result<Option<std::collections::HashMap<String, String>>, ApiError> {
        self.get(name)
            .map(|v| {
                object(v)?
                    .iter()
                    .map(|(k, v)| Ok((k.clone(), string(v)?.to_owned())))
                    .collect()
            })
            .transpose()
    }
}

/// Builds AWS's aggregated constraint message:
/// `N validation error(s) detected: Value 'x' at 'member' failed to satisfy constraint: …; …`.
#[derive(Default)]
pub struct Constraints {
    failures: Vec<String>,
}

impl Constraints {
    pub fn fail(&mut self, value: Option<&str>, at: &str, constraint: &str) {
        let value = match value {
            Some(v) => format!("'{v}'"),
            None => "null".into(),
        };
        self.failures.push(format!(
            "Value {value} at '{at}' failed to satisfy constraint: {constraint}"
        ));
    }

    pub fn check(self) -> Result<(), ApiError> {
        match self.failures.len() {
            0 => Ok(()),
            n => Err(ApiError::validation(format!(
                "{n} validation error{} detected: {}",
                if n == 1 { "" } else { "s" },
                self.failures.join("; ")
            ))),
        }
    }
}
