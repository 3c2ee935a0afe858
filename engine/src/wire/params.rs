//! Typed access to a request body's members, and AWS's aggregated constraint messages.

use serde_json::{Map, Value};

use super::value::{array, decode_item, object, ser_err, string};
use crate::error::ApiError;
use extenddo_log::Item;

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

/// The most failures one message reports.
const MAX_REPORTED: usize = 10;

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

    /// How many failures so far.
    pub fn len(&self) -> usize {
        self.failures.len()
    }

    pub fn is_empty(&self) -> bool {
        self.failures.is_empty()
    }

    /// Takes the failures from `at` on out (to report them later, in AWS's order).
    pub fn split_off(&mut self, at: usize) -> Vec<String> {
        self.failures.split_off(at)
    }

    /// Adds failures taken with [`Constraints::split_off`].
    pub fn extend(&mut self, failures: Vec<String>) {
        self.failures.extend(failures);
    }

    /// The failures so far as one error. AWS reports at most ten.
    pub fn check(mut self) -> Result<(), ApiError> {
        self.failures.truncate(MAX_REPORTED);
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
