//! `ExpressionAttributeNames` / `ExpressionAttributeValues` of one request, and which of them
//! the request's expressions used.

use std::collections::{BTreeSet, HashMap};

use extenddo_log::AttributeValue;

use super::error::{ExprError, Problem};

/// The placeholder maps of one request. Parse every expression of the request with the same
/// context, then call [`Placeholders::check_unused`].
#[derive(Debug, Default)]
pub struct Placeholders<'a> {
    names: Option<&'a HashMap<String, String>>,
    values: Option<&'a HashMap<String, AttributeValue>>,
    used_names: BTreeSet<String>,
    used_values: BTreeSet<String>,
}

impl<'a> Placeholders<'a> {
    pub fn new(
        names: Option<&'a HashMap<String, String>>,
        values: Option<&'a HashMap<String, AttributeValue>>,
    ) -> Placeholders<'a> {
        Placeholders {
            names,
            values,
            used_names: BTreeSet::new(),
            used_values: BTreeSet::new(),
        }
    }

    /// A context without any placeholders.
    pub fn none() -> Placeholders<'static> {
        Placeholders::default()
    }

    pub(crate) fn resolve_name(&mut self, key: &str) -> Result<String, Problem> {
        self.used_names.insert(key.to_string());
        self.names
            .and_then(|m| m.get(key))
            .cloned()
            .ok_or_else(|| Problem::UndefinedName(key.to_string()))
    }

    pub(crate) fn resolve_value(&mut self, key: &str) -> Result<AttributeValue, Problem> {
        self.used_values.insert(key.to_string());
        self.values
            .and_then(|m| m.get(key))
            .cloned()
            .ok_or_else(|| Problem::UndefinedValue(key.to_string()))
    }

    /// Checks the keys' syntax (`#` or `:` followed by letters, digits and `_`), names first,
    /// as DynamoDB does before parsing any expression. (Empty maps are the caller's check.)
    pub fn check_keys(&self) -> Result<(), ExprError> {
        fn valid(key: &str, sigil: char) -> bool {
            key.strip_prefix(sigil).is_some_and(|rest| {
                !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            })
        }
        let mut names: Vec<&String> = self.names.into_iter().flat_map(|m| m.keys()).collect();
        names.sort();
        if let Some(bad) = names.into_iter().find(|k| !valid(k, '#')) {
            return Err(ExprError::InvalidNameKey(bad.clone()));
        }
        let mut values: Vec<&String> = self.values.into_iter().flat_map(|m| m.keys()).collect();
        values.sort();
        if let Some(bad) = values.into_iter().find(|k| !valid(k, ':')) {
            return Err(ExprError::InvalidValueKey(bad.clone()));
        }
        Ok(())
    }

    /// Names supplied but not used by any expression parsed so far, sorted.
    pub fn unused_names(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .names
            .into_iter()
            .flat_map(|m| m.keys())
            .filter(|k| !self.used_names.contains(*k))
            .cloned()
            .collect();
        v.sort();
        v
    }

    /// Values supplied but not used by any expression parsed so far, sorted.
    pub fn unused_values(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .values
            .into_iter()
            .flat_map(|m| m.keys())
            .filter(|k| !self.used_values.contains(*k))
            .cloned()
            .collect();
        v.sort();
        v
    }

    /// AWS's check once all of a request's expressions are parsed: unused names first, then
    /// unused values.
    pub fn check_unused(&self) -> Result<(), ExprError> {
        let names = self.unused_names();
        if !names.is_empty() {
            return Err(ExprError::UnusedNames { keys: names });
        }
        let values = self.unused_values();
        if !values.is_empty() {
            return Err(ExprError::UnusedValues { keys: values });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_syntax() {
        let names: HashMap<String, String> = [("#ok_1", "a"), ("a", "b")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let values: HashMap<String, AttributeValue> = [
            (":ok", AttributeValue::NULL(true)),
            (":", AttributeValue::NULL(true)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        assert_eq!(
            Placeholders::new(Some(&names), Some(&values))
                .check_keys()
                .unwrap_err()
                .to_string(),
            "ExpressionAttributeNames contains invalid key: Syntax error; key: \"a\""
        );
        assert_eq!(
            Placeholders::new(None, Some(&values))
                .check_keys()
                .unwrap_err()
                .to_string(),
            "ExpressionAttributeValues contains invalid key: Syntax error; key: \":\""
        );
        assert!(Placeholders::none().check_keys().is_ok());
    }
}
