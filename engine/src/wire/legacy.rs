//! DynamoDB's legacy (pre-expression) parameters: Expected + ConditionalOperator,
//! AttributesToGet, KeyConditions, QueryFilter, ScanFilter and AttributeUpdates. Each is
//! validated as AWS validates it and translated into the same expression trees the
//! expression parameters produce, so there is one evaluator.
//!
//! Messages and their order follow DynamoDB's request converter (the `InputConverter` and
//! `LocalDBValidatorUtils` of DynamoDB Local, AWS's own code) and architect/dynalite's test
//! suite, which was checked against DynamoDB:
//! - `Expected`: per attribute, in this order: Exists with ComparisonOperator; Value with
//!   AttributeValueList; AttributeValueList without ComparisonOperator; a Value with
//!   `Exists: false`; a missing Value ("Value must be provided when Exists is null|true…",
//!   "Value or AttributeValueList must be used with ComparisonOperator: …"); then the
//!   operands.
//! - Operands of a ComparisonOperator: their count ("Invalid number of argument(s) for the
//!   EQ ComparisonOperator"), each one's type ("ComparisonOperator LT is not valid for BOOL
//!   AttributeValue type"), one type for all ("AttributeValues inside AttributeValueList must
//!   be of same type"), BETWEEN's order.
//! - `ConditionalOperator` needs a map of two or more conditions.

use std::cmp::Ordering;
use std::collections::HashSet;

use extenddo_log::AttributeValue;

use crate::error::ApiError;
use crate::expr::{
    Condition, DocPath, KeyConditions, LegacyCondition, LegacyOp, LegacyUpdate, Projection,
    UpdateExpr,
};
use crate::wire::params::{Constraints, Params};
use crate::wire::value::{decode_value, json_kind};

/// Legacy parameters in the order AWS lists them in the mixing error.
const LEGACY_ORDER: [&str; 7] = [
    "AttributesToGet",
    "AttributeUpdates",
    "QueryFilter",
    "ScanFilter",
    "Expected",
    "ConditionalOperator",
    "KeyConditions",
];
/// Expression parameters in the order AWS lists them in the mixing error.
const EXPRESSION_ORDER: [&str; 5] = [
    "ProjectionExpression",
    "UpdateExpression",
    "FilterExpression",
    "ConditionExpression",
    "KeyConditionExpression",
];

/// AWS refuses a request that mixes legacy and expression parameters. `pairs` names the
/// operation's (legacy, expression) parameter pairs; ConditionalOperator belongs with
/// Expected, QueryFilter and ScanFilter. KeyConditions only clashes with
/// KeyConditionExpression (KeyConditions with a FilterExpression is accepted).
pub fn check_mixing(p: &Params, pairs: &[(&str, &str)]) -> Result<(), ApiError> {
    let takes_operator = pairs
        .iter()
        .any(|(l, _)| matches!(*l, "Expected" | "QueryFilter" | "ScanFilter"));
    let legacy_param = |n: &str| {
        pairs.iter().any(|(l, _)| *l == n) || (n == "ConditionalOperator" && takes_operator)
    };
    let expressions: Vec<&str> = EXPRESSION_ORDER
        .iter()
        .copied()
        .filter(|e| pairs.iter().any(|(_, x)| x == e) && p.has(e))
        .collect();
    if expressions.is_empty() {
        return Ok(());
    }
    let legacy: Vec<&str> = LEGACY_ORDER
        .iter()
        .copied()
        .filter(|l| legacy_param(l) && p.has(l))
        .filter(|l| *l != "KeyConditions" || p.has("KeyConditionExpression"))
        .collect();
    if legacy.is_empty() {
        return Ok(());
    }
    Err(ApiError::validation(format!(
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {{{}}} Expression parameters: {{{}}}",
        legacy.join(", "),
        expressions.join(", ")
    )))
}

// ------------------------------------------------------------------------------------------
// Shared pieces
// ------------------------------------------------------------------------------------------

const WITHOUT_CONDITIONS: &str = "ConditionalOperator cannot be used without Filter or Expected";
const ONE_CONDITION: &str =
    "ConditionalOperator can only be used when Filter or Expected has two or more elements";

fn operator_enum() -> String {
    let names: Vec<&str> = LegacyOp::ALL.iter().map(|o| o.name()).collect();
    format!("Member must satisfy enum value set: [{}]", names.join(", "))
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The entries of a map-of-structures member, each as its own `Params`.
fn entries<'a>(p: &Params<'a>, member: &str) -> Result<Vec<(&'a str, Params<'a>)>, ApiError> {
    let Some(map) = p.object(member)? else {
        return Ok(Vec::new());
    };
    map.iter()
        .map(|(k, v)| Ok((k.as_str(), Params::new(v)?)))
        .collect()
}

/// The ComparisonOperator of one condition, with its enum constraint.
fn comparison_operator(
    c: &mut Constraints,
    e: &Params,
    at: &str,
    required: bool,
) -> Result<Option<LegacyOp>, ApiError> {
    match e.str("ComparisonOperator")? {
        None => {
            if required {
                c.fail(None, at, "Member must not be null");
            }
            Ok(None)
        }
        Some(name) => {
            let op = LegacyOp::parse(name);
            if op.is_none() {
                c.fail(Some(name), at, &operator_enum());
            }
            Ok(op)
        }
    }
}

/// Checks the ConditionalOperator member's enum constraint.
fn conditional_operator_constraint<'a>(
    c: &mut Constraints,
    p: &Params<'a>,
) -> Result<Option<&'a str>, ApiError> {
    let op = p.str("ConditionalOperator")?;
    if let Some(o) = op.filter(|o| !matches!(*o, "AND" | "OR")) {
        c.fail(
            Some(o),
            "conditionalOperator",
            "Member must satisfy enum value set: [OR, AND]",
        );
    }
    Ok(op)
}

/// Whether the conditions are joined by OR; a ConditionalOperator needs two or more.
fn join(op: Option<&str>, conditions: usize) -> Result<bool, ApiError> {
    match (op, conditions) {
        (None, _) => Ok(false),
        (Some(_), 0) => Err(ApiError::validation(WITHOUT_CONDITIONS)),
        (Some(_), 1) => Err(ApiError::validation(ONE_CONDITION)),
        (Some(o), _) => Ok(o == "OR"),
    }
}

/// The error for a ConditionalOperator given without Expected / QueryFilter / ScanFilter
/// (after its own enum constraint).
pub fn lone_conditional_operator(p: &Params) -> ApiError {
    let mut c = Constraints::default();
    if let Err(e) = conditional_operator_constraint(&mut c, p).and_then(|_| c.check()) {
        return e;
    }
    ApiError::validation(WITHOUT_CONDITIONS)
}

fn value_list(e: &Params) -> Result<Option<Vec<AttributeValue>>, ApiError> {
    e.array("AttributeValueList")?
        .map(|a| a.iter().map(decode_value).collect())
        .transpose()
}

fn order(a: &AttributeValue, b: &AttributeValue) -> Option<Ordering> {
    match (a, b) {
        (AttributeValue::S(x), AttributeValue::S(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (AttributeValue::N(x), AttributeValue::N(y)) => Some(x.cmp(y)),
        (AttributeValue::B(x), AttributeValue::B(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// AWS's checks of a ComparisonOperator's operands: count, types, one type, BETWEEN order.
fn check_operands(op: LegacyOp, values: &[AttributeValue]) -> Result<(), ApiError> {
    if !op.valid_count(values.len()) {
        return Err(ApiError::invalid_param(format!(
            "Invalid number of argument(s) for the {} ComparisonOperator",
            op.name()
        )));
    }
    if let Some(first) = values.first() {
        for v in values {
            if !op.type_supported(v) {
                return Err(ApiError::invalid_param(format!(
                    "ComparisonOperator {} is not valid for {} AttributeValue type",
                    op.name(),
                    v.type_name()
                )));
            }
            if v.type_name() != first.type_name() {
                return Err(ApiError::invalid_param(
                    "AttributeValues inside AttributeValueList must be of same type",
                ));
            }
        }
    }
    if let (LegacyOp::Between, [lo, hi]) = (op, values) {
        if order(lo, hi) == Some(Ordering::Greater) {
            return Err(ApiError::validation(
                "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound",
            ));
        }
    }
    Ok(())
}

/// A map of `Condition`s (QueryFilter, ScanFilter, KeyConditions), validated.
fn conditions(p: &Params, member: &str) -> Result<Vec<LegacyCondition>, ApiError> {
    let entries = entries(p, member)?;
    let mut c = Constraints::default();
    let at = lower_first(member);
    let mut ops = Vec::with_capacity(entries.len());
    for (name, e) in &entries {
        let path = format!("{at}.{name}.member.comparisonOperator");
        ops.push(comparison_operator(&mut c, e, &path, true)?);
    }
    if member != "KeyConditions" {
        conditional_operator_constraint(&mut c, p)?;
    }
    c.check()?;
    let mut out = Vec::with_capacity(entries.len());
    for ((name, e), op) in entries.iter().zip(ops) {
        let Some(op) = op else { continue };
        let values = value_list(e)?.unwrap_or_default();
        check_operands(op, &values)?;
        out.push(LegacyCondition::new(*name, op, values));
    }
    Ok(out)
}

fn filter(p: &Params, member: &str) -> Result<Condition, ApiError> {
    let conds = conditions(p, member)?;
    let any = join(p.str("ConditionalOperator")?, conds.len())?;
    Ok(crate::expr::join_legacy(&conds, any))
}

// ------------------------------------------------------------------------------------------
// Expected
// ------------------------------------------------------------------------------------------

fn expected_one(name: &str, e: &Params, op: Option<LegacyOp>) -> Result<LegacyCondition, ApiError> {
    let bad = |what: &str| ApiError::invalid_param(format!("{what} for Attribute: {name}"));
    let has_value = e.has("Value");
    let has_list = e.has("AttributeValueList");
    let exists = e.bool("Exists")?;
    if exists.is_some() && op.is_some() {
        return Err(bad("Exists and ComparisonOperator cannot be used together"));
    }
    if has_value && has_list {
        return Err(bad("Value and AttributeValueList cannot be used together"));
    }
    if op.is_none() && has_list {
        return Err(bad(
            "AttributeValueList can only be used with a ComparisonOperator",
        ));
    }
    if exists == Some(false) && has_value {
        return Err(bad("Value cannot be used when Exists is false"));
    }
    if !has_value && !has_list {
        match (op, exists) {
            (Some(LegacyOp::Null | LegacyOp::NotNull), _) => {}
            (Some(op), _) => {
                return Err(bad(&format!(
                    "Value or AttributeValueList must be used with ComparisonOperator: {}",
                    op.name()
                )))
            }
            (None, None) => return Err(bad("Value must be provided when Exists is null")),
            (None, Some(true)) => return Err(bad("Value must be provided when Exists is true")),
            (None, Some(false)) => {}
        }
    }
    let value = e.raw("Value").map(decode_value).transpose()?;
    let list = value_list(e)?;
    match op {
        Some(op) => {
            let values = match (value, list) {
                (Some(v), _) => vec![v],
                (None, Some(l)) => l,
                (None, None) => Vec::new(),
            };
            check_operands(op, &values)?;
            Ok(LegacyCondition::new(name, op, values))
        }
        None => match value {
            Some(v) => Ok(LegacyCondition::new(name, LegacyOp::Eq, vec![v])),
            None => Ok(LegacyCondition::new(name, LegacyOp::Null, Vec::new())),
        },
    }
}

/// `Expected` (+ `ConditionalOperator`) of PutItem, UpdateItem and DeleteItem.
pub fn expected(p: &Params) -> Result<Condition, ApiError> {
    let entries = entries(p, "Expected")?;
    let mut c = Constraints::default();
    let mut ops = Vec::with_capacity(entries.len());
    for (name, e) in &entries {
        let at = format!("expected.{name}.member.comparisonOperator");
        ops.push(comparison_operator(&mut c, e, &at, false)?);
    }
    let operator = conditional_operator_constraint(&mut c, p)?;
    c.check()?;
    let mut conds = Vec::with_capacity(entries.len());
    for ((name, e), op) in entries.iter().zip(ops) {
        conds.push(expected_one(name, e, op)?);
    }
    let any = join(operator, conds.len())?;
    Ok(crate::expr::join_legacy(&conds, any))
}

// ------------------------------------------------------------------------------------------
// AttributeUpdates
// ------------------------------------------------------------------------------------------

/// `AttributeUpdates` of UpdateItem.
pub fn attribute_updates(p: &Params) -> Result<UpdateExpr, ApiError> {
    let entries = entries(p, "AttributeUpdates")?;
    let mut c = Constraints::default();
    let mut actions = Vec::with_capacity(entries.len());
    for (name, e) in &entries {
        let action = e.str("Action")?.unwrap_or("PUT");
        if !matches!(action, "ADD" | "PUT" | "DELETE") {
            c.fail(
                Some(action),
                &format!("attributeUpdates.{name}.member.action"),
                "Member must satisfy enum value set: [ADD, PUT, DELETE]",
            );
        }
        actions.push(action);
    }
    c.check()?;
    let mut updates = Vec::with_capacity(entries.len());
    for ((name, e), action) in entries.iter().zip(actions) {
        let value = e.raw("Value").map(decode_value).transpose()?;
        let update = match (action, value) {
            ("DELETE", None) => LegacyUpdate::Delete(None),
            (_, None) => {
                return Err(ApiError::invalid_param(
                    "Only DELETE action is allowed when no attribute value is specified",
                ))
            }
            ("DELETE", Some(v)) => {
                if !matches!(
                    v,
                    AttributeValue::SS(_) | AttributeValue::NS(_) | AttributeValue::BS(_)
                ) {
                    return Err(ApiError::invalid_param(format!(
                        "DELETE action with value is not supported for the type {}",
                        v.type_name()
                    )));
                }
                LegacyUpdate::Delete(Some(v))
            }
            ("ADD", Some(v)) => {
                if !matches!(
                    v,
                    AttributeValue::N(_)
                        | AttributeValue::SS(_)
                        | AttributeValue::NS(_)
                        | AttributeValue::BS(_)
                        | AttributeValue::L(_)
                ) {
                    return Err(ApiError::invalid_param(format!(
                        "ADD action is not supported for the type {}",
                        v.type_name()
                    )));
                }
                LegacyUpdate::Add(v)
            }
            (_, Some(v)) => LegacyUpdate::Put(v),
        };
        updates.push(((*name).to_string(), update));
    }
    Ok(UpdateExpr::from_attribute_updates(updates))
}

// ------------------------------------------------------------------------------------------
// AttributesToGet
// ------------------------------------------------------------------------------------------

/// `AttributesToGet` of GetItem, BatchGetItem, Query and Scan: top-level attribute names.
pub fn attributes_to_get(p: &Params) -> Result<Projection, ApiError> {
    let list = p.array("AttributesToGet")?.cloned().unwrap_or_default();
    let names = list
        .iter()
        .map(|v| {
            v.as_str().map(str::to_owned).ok_or_else(|| {
                ApiError::serialization(format!("{} cannot be converted to String", json_kind(v)))
            })
        })
        .collect::<Result<Vec<String>, ApiError>>()?;
    let mut c = Constraints::default();
    let shown = || format!("[{}]", names.join(", "));
    if names.is_empty() {
        c.fail(
            Some(&shown()),
            "attributesToGet",
            "Member must have length greater than or equal to 1",
        );
    } else if names.len() > 255 {
        c.fail(
            Some(&shown()),
            "attributesToGet",
            "Member must have length less than or equal to 255",
        );
    }
    c.check()?;
    let mut seen = HashSet::new();
    for n in &names {
        if !seen.insert(n.as_str()) {
            return Err(ApiError::invalid_param(format!(
                "Duplicate value in attribute name: {n}"
            )));
        }
    }
    Ok(Projection::from_paths(
        names.into_iter().map(DocPath::attr).collect(),
    ))
}

// ------------------------------------------------------------------------------------------
// QueryFilter, ScanFilter
// ------------------------------------------------------------------------------------------

/// `QueryFilter` (+ `ConditionalOperator`) of Query.
pub fn query_filter(p: &Params) -> Result<Condition, ApiError> {
    filter(p, "QueryFilter")
}

/// `ScanFilter` (+ `ConditionalOperator`) of Scan.
pub fn scan_filter(p: &Params) -> Result<Condition, ApiError> {
    filter(p, "ScanFilter")
}

// ------------------------------------------------------------------------------------------
// KeyConditions
// ------------------------------------------------------------------------------------------

/// A Query's `KeyConditions`, validated on their own (operators, operands, count); the
/// table object matches them against the key schema of the table or index.
pub fn key_conditions(p: &Params) -> Result<KeyConditions, ApiError> {
    Ok(KeyConditions::new(conditions(p, "KeyConditions")?)?)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use extenddo_log::{Item, Number};
    use serde_json::json;

    use super::*;
    use crate::expr::{
        KeyCondition, KeyConditionExpr, MultiKeyCondition, Placeholders, RangeCondition,
    };

    fn n(i: i64) -> AttributeValue {
        AttributeValue::N(Number::from(i))
    }
    fn s(x: &str) -> AttributeValue {
        AttributeValue::S(x.into())
    }

    fn item() -> Item {
        let mut it = Item::new();
        it.insert("pk".into(), s("p"));
        it.insert("a".into(), s("hello"));
        it.insert("n".into(), n(5));
        it.insert(
            "tags".into(),
            AttributeValue::SS(vec!["x".into(), "y".into()]),
        );
        it.insert("l".into(), AttributeValue::L(vec![s("e"), n(1)]));
        it.insert("f".into(), AttributeValue::BOOL(true));
        it
    }

    fn err(r: Result<impl std::fmt::Debug, ApiError>) -> String {
        r.expect_err("an error").message.unwrap_or_default()
    }

    fn expected(body: serde_json::Value) -> Result<Condition, ApiError> {
        expected_p(&body)
    }
    fn expected_p(body: &serde_json::Value) -> Result<Condition, ApiError> {
        super::expected(&Params::new(body)?)
    }

    /// The expression that states the same condition, parsed with `:v0`, `:v1`, … values.
    fn same_as(cond: &Condition, expr: &str, values: &[AttributeValue]) {
        let vals: HashMap<String, AttributeValue> = values
            .iter()
            .enumerate()
            .map(|(i, v)| (format!(":v{i}"), v.clone()))
            .collect();
        let mut ctx = Placeholders::new(None, Some(&vals));
        let e = Condition::parse_condition(expr, &mut ctx).unwrap();
        let mut other = item();
        other.remove("a");
        other.insert("n".into(), n(7));
        for it in [item(), other, Item::new()] {
            assert_eq!(cond.eval(&it), e.eval(&it), "{expr} on {it:?}");
        }
    }

    #[test]
    fn expected_old_form() {
        let c = expected(json!({"Expected": {"a": {"Value": {"S": "hello"}}}})).unwrap();
        assert!(c.eval(&item()));
        same_as(&c, "a = :v0", &[s("hello")]);
        let c = expected(json!({"Expected": {"a": {"Value": {"S": "hello"}, "Exists": true}}}))
            .unwrap();
        same_as(&c, "a = :v0", &[s("hello")]);
        let c = expected(json!({"Expected": {"zz": {"Exists": false}}})).unwrap();
        assert!(c.eval(&item()));
        same_as(&c, "attribute_not_exists(zz)", &[]);
        assert_eq!(c.paths(), &[DocPath::attr("zz")]);
        // Several conditions: AND by default, OR on request.
        let two = json!({"a": {"Value": {"S": "hello"}}, "n": {"Value": {"N": "6"}}});
        let c = expected(json!({"Expected": two.clone()})).unwrap();
        assert!(!c.eval(&item()));
        let c = expected(json!({"Expected": two.clone(), "ConditionalOperator": "AND"})).unwrap();
        assert!(!c.eval(&item()));
        let c = expected(json!({"Expected": two, "ConditionalOperator": "OR"})).unwrap();
        assert!(c.eval(&item()));
        // An empty map holds.
        assert!(expected(json!({"Expected": {}}))
            .unwrap()
            .eval(&Item::new()));
    }

    #[test]
    fn expected_comparison_operators_match_expressions() {
        let cases: Vec<(&str, &str, Vec<AttributeValue>, &str)> = vec![
            ("EQ", "a", vec![s("hello")], "a = :v0"),
            ("NE", "a", vec![s("hello")], "a <> :v0"),
            ("NE", "zz", vec![s("hello")], "zz <> :v0"),
            ("LE", "n", vec![n(5)], "n <= :v0"),
            ("LT", "n", vec![n(6)], "n < :v0"),
            ("GE", "n", vec![n(5)], "n >= :v0"),
            ("GT", "n", vec![n(4)], "n > :v0"),
            ("GT", "a", vec![n(4)], "a > :v0"),
            ("NOT_NULL", "a", vec![], "attribute_exists(a)"),
            ("NULL", "a", vec![], "attribute_not_exists(a)"),
            ("CONTAINS", "a", vec![s("ell")], "contains(a, :v0)"),
            ("CONTAINS", "tags", vec![s("x")], "contains(tags, :v0)"),
            ("CONTAINS", "l", vec![n(1)], "contains(l, :v0)"),
            (
                "NOT_CONTAINS",
                "tags",
                vec![s("x")],
                "attribute_exists(tags) AND NOT contains(tags, :v0)",
            ),
            (
                "NOT_CONTAINS",
                "a",
                vec![s("zzz")],
                "attribute_exists(a) AND NOT contains(a, :v0)",
            ),
            ("BEGINS_WITH", "a", vec![s("he")], "begins_with(a, :v0)"),
            ("IN", "n", vec![n(1), n(5)], "n IN (:v0, :v1)"),
            ("BETWEEN", "n", vec![n(1), n(5)], "n BETWEEN :v0 AND :v1"),
        ];
        for (op, attr, values, expr) in cases {
            let vals: Vec<serde_json::Value> =
                values.iter().map(crate::wire::encode_value).collect();
            let c = expected(
                json!({"Expected": {attr: {"ComparisonOperator": op, "AttributeValueList": vals}}}),
            )
            .unwrap_or_else(|e| panic!("{op}: {e:?}"));
            same_as(&c, expr, &values);
        }
        // NOT_CONTAINS is false on a missing attribute, NE true.
        let c = expected(json!({"Expected": {"zz": {"ComparisonOperator": "NOT_CONTAINS", "AttributeValueList": [{"S": "q"}]}}})).unwrap();
        assert!(!c.eval(&item()));
        // Value with a ComparisonOperator is its one operand.
        let c = expected(
            json!({"Expected": {"a": {"ComparisonOperator": "EQ", "Value": {"S": "hello"}}}}),
        )
        .unwrap();
        assert!(c.eval(&item()));
    }

    #[test]
    fn expected_errors() {
        let e = |v: serde_json::Value| err(expected(json!({"Expected": v})));
        let p = "One or more parameter values were invalid: ";
        assert_eq!(
            e(json!({"a": {}})),
            format!("{p}Value must be provided when Exists is null for Attribute: a")
        );
        assert_eq!(
            e(json!({"a": {"Exists": true}})),
            format!("{p}Value must be provided when Exists is true for Attribute: a")
        );
        assert_eq!(
            e(json!({"a": {"Exists": false, "Value": {"S": "a"}}})),
            format!("{p}Value cannot be used when Exists is false for Attribute: a")
        );
        assert_eq!(e(json!({"a": {"ComparisonOperator": "LT"}})), format!("{p}Value or AttributeValueList must be used with ComparisonOperator: LT for Attribute: a"));
        assert_eq!(
            e(json!({"a": {"Exists": true, "ComparisonOperator": "LT"}})),
            format!("{p}Exists and ComparisonOperator cannot be used together for Attribute: a")
        );
        assert_eq!(
            e(
                json!({"a": {"AttributeValueList": [{"S": "a"}], "Value": {"S": "a"}, "ComparisonOperator": "LT"}})
            ),
            format!("{p}Value and AttributeValueList cannot be used together for Attribute: a")
        );
        assert_eq!(
            e(json!({"a": {"AttributeValueList": [{"S": "a"}]}})),
            format!(
                "{p}AttributeValueList can only be used with a ComparisonOperator for Attribute: a"
            )
        );
        assert_eq!(
            e(json!({"a": {"Exists": true, "AttributeValueList": [{"S": "a"}]}})),
            format!(
                "{p}AttributeValueList can only be used with a ComparisonOperator for Attribute: a"
            )
        );
        for (op, list) in [
            ("EQ", json!([])),
            ("NULL", json!([{"S": "a"}])),
            ("IN", json!([])),
            ("BETWEEN", json!([{"N": "1"}, {"N": "10"}, {"N": "12"}])),
        ] {
            assert_eq!(
                e(json!({"a": {"ComparisonOperator": op, "AttributeValueList": list}})),
                format!("{p}Invalid number of argument(s) for the {op} ComparisonOperator")
            );
        }
        for op in ["NULL", "BETWEEN"] {
            assert_eq!(
                e(json!({"a": {"ComparisonOperator": op, "Value": {"S": "a"}}})),
                format!("{p}Invalid number of argument(s) for the {op} ComparisonOperator")
            );
        }
        assert_eq!(
            e(json!({"a": {"ComparisonOperator": "LT", "AttributeValueList": [{"BOOL": true}]}})),
            format!("{p}ComparisonOperator LT is not valid for BOOL AttributeValue type")
        );
        assert_eq!(
            e(
                json!({"a": {"ComparisonOperator": "IN", "AttributeValueList": [{"S": "b"}, {"N": "1"}]}})
            ),
            format!("{p}AttributeValues inside AttributeValueList must be of same type")
        );
        assert_eq!(e(json!({"a": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"S": "b"}, {"S": "a"}]}})), "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound");
        assert_eq!(e(json!({"a": {"ComparisonOperator": "XX", "Value": {"S": "a"}}})), "1 validation error detected: Value 'XX' at 'expected.a.member.comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]");
        assert_eq!(
            err(expected(
                json!({"Expected": {"a": {"Value": {"S": "a"}}}, "ConditionalOperator": "AND"})
            )),
            ONE_CONDITION
        );
        assert_eq!(
            err(expected(
                json!({"Expected": {}, "ConditionalOperator": "OR"})
            )),
            WITHOUT_CONDITIONS
        );
        assert_eq!(err(expected(json!({"Expected": {"a": {"Value": {"S": "a"}}, "b": {"Exists": false}}, "ConditionalOperator": "AN"}))), "1 validation error detected: Value 'AN' at 'conditionalOperator' failed to satisfy constraint: Member must satisfy enum value set: [OR, AND]");
        let body = json!({"ConditionalOperator": "OR"});
        assert_eq!(
            lone_conditional_operator(&Params::new(&body).unwrap())
                .message
                .unwrap(),
            WITHOUT_CONDITIONS
        );
    }

    #[test]
    fn mixing_message_lists_parameters_in_aws_order() {
        let m = |body: serde_json::Value, pairs: &[(&str, &str)]| {
            check_mixing(&Params::new(&body).unwrap(), pairs)
                .err()
                .and_then(|e| e.message)
        };
        let update = [
            ("Expected", "ConditionExpression"),
            ("AttributeUpdates", "UpdateExpression"),
        ];
        assert_eq!(
            m(json!({"AttributeUpdates": {}, "Expected": {}, "ConditionalOperator": "AND", "UpdateExpression": "SET a = :v", "ConditionExpression": "x"}), &update).unwrap(),
            "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributeUpdates, Expected, ConditionalOperator} Expression parameters: {UpdateExpression, ConditionExpression}"
        );
        let query = [
            ("AttributesToGet", "ProjectionExpression"),
            ("QueryFilter", "FilterExpression"),
            ("KeyConditions", "KeyConditionExpression"),
        ];
        assert_eq!(
            m(json!({"AttributesToGet": ["a"], "QueryFilter": {}, "ConditionalOperator": "OR", "KeyConditions": {}, "ProjectionExpression": "a", "FilterExpression": "b", "KeyConditionExpression": "c"}), &query).unwrap(),
            "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet, QueryFilter, ConditionalOperator, KeyConditions} Expression parameters: {ProjectionExpression, FilterExpression, KeyConditionExpression}"
        );
        // KeyConditions with a FilterExpression is fine; ConditionalOperator is not.
        assert_eq!(
            m(
                json!({"KeyConditions": {}, "FilterExpression": "b"}),
                &query
            ),
            None
        );
        assert_eq!(
            m(json!({"ConditionalOperator": "AND", "FilterExpression": "b"}), &query).unwrap(),
            "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {ConditionalOperator} Expression parameters: {FilterExpression}"
        );
        let put = [("Expected", "ConditionExpression")];
        assert_eq!(
            m(json!({"Expected": {}, "ConditionExpression": ""}), &put).unwrap(),
            "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}"
        );
        // GetItem takes no ConditionalOperator.
        assert_eq!(
            m(
                json!({"ConditionalOperator": "AND", "ProjectionExpression": "a"}),
                &[("AttributesToGet", "ProjectionExpression")]
            ),
            None
        );
    }

    #[test]
    fn attribute_updates() {
        let u = |v: serde_json::Value| {
            super::attribute_updates(&Params::new(&json!({"AttributeUpdates": v})).unwrap())
        };
        let old = item();
        let up = u(json!({
            "a": {"Action": "PUT", "Value": {"S": "bye"}},
            "b": {"Value": {"N": "1"}},
            "n": {"Action": "ADD", "Value": {"N": "3"}},
            "new": {"Action": "ADD", "Value": {"NS": ["1"]}},
            "tags": {"Action": "DELETE", "Value": {"SS": ["x", "q"]}},
            "l": {"Action": "ADD", "Value": {"L": [{"S": "z"}]}},
            "f": {"Action": "DELETE"},
            "gone": {"Action": "DELETE", "Value": {"SS": ["x"]}},
        }))
        .unwrap();
        let new = up.apply(&old).unwrap();
        assert_eq!(new.get("a"), Some(&s("bye")));
        assert_eq!(new.get("b"), Some(&n(1)));
        assert_eq!(new.get("n"), Some(&n(8)));
        assert_eq!(
            new.get("new"),
            Some(&AttributeValue::NS(vec![Number::from(1)]))
        );
        assert_eq!(new.get("tags"), Some(&AttributeValue::SS(vec!["y".into()])));
        assert_eq!(
            new.get("l"),
            Some(&AttributeValue::L(vec![s("e"), n(1), s("z")]))
        );
        assert_eq!(new.get("f"), None);
        assert_eq!(new.get("gone"), None);
        assert!(up.top_level_attributes().contains("f"));
        // Deleting the last elements removes the attribute.
        let new = u(json!({"tags": {"Action": "DELETE", "Value": {"SS": ["x", "y"]}}}))
            .unwrap()
            .apply(&old)
            .unwrap();
        assert_eq!(new.get("tags"), None);
        // Runtime type clashes.
        for v in [
            json!({"Action": "ADD", "Value": {"N": "1"}}),
            json!({"Action": "DELETE", "Value": {"NS": ["1"]}}),
            json!({"Action": "ADD", "Value": {"SS": ["1"]}}),
        ] {
            let e = u(json!({"a": v})).unwrap().apply(&old).unwrap_err();
            assert_eq!(e.to_string(), "Type mismatch for attribute to update");
        }
        // Validation.
        let p = "One or more parameter values were invalid: ";
        assert_eq!(
            err(u(json!({"a": {"x": "whatever"}}))),
            format!("{p}Only DELETE action is allowed when no attribute value is specified")
        );
        assert_eq!(
            err(u(json!({"a": {"Action": "ADD"}}))),
            format!("{p}Only DELETE action is allowed when no attribute value is specified")
        );
        for t in [
            json!({"S": "1"}),
            json!({"N": "1"}),
            json!({"B": "Yg=="}),
            json!({"NULL": true}),
            json!({"BOOL": true}),
            json!({"M": {}}),
            json!({"L": []}),
        ] {
            let ty = t.as_object().unwrap().keys().next().unwrap().clone();
            assert_eq!(
                err(u(json!({"a": {"Action": "DELETE", "Value": t}}))),
                format!("{p}DELETE action with value is not supported for the type {ty}")
            );
        }
        for t in [
            json!({"S": "1"}),
            json!({"B": "Yg=="}),
            json!({"NULL": true}),
            json!({"BOOL": true}),
            json!({"M": {}}),
        ] {
            let ty = t.as_object().unwrap().keys().next().unwrap().clone();
            assert_eq!(
                err(u(json!({"a": {"Action": "ADD", "Value": t}}))),
                format!("{p}ADD action is not supported for the type {ty}")
            );
        }
        assert_eq!(err(u(json!({"a": {"Action": "MERGE", "Value": {"S": "1"}}}))), "1 validation error detected: Value 'MERGE' at 'attributeUpdates.a.member.action' failed to satisfy constraint: Member must satisfy enum value set: [ADD, PUT, DELETE]");
        // UPDATED_NEW / UPDATED_OLD project onto the updated attributes.
        let up = u(json!({"a": {"Value": {"S": "z"}}, "f": {"Action": "DELETE"}})).unwrap();
        assert_eq!(up.project_updated(&old).len(), 2);
    }

    #[test]
    fn attributes_to_get() {
        let a = |v: serde_json::Value| {
            super::attributes_to_get(&Params::new(&json!({"AttributesToGet": v})).unwrap())
        };
        let p = a(json!(["a", "n", "a.b", "missing"])).unwrap();
        let mut it = item();
        it.insert("a.b".into(), s("dotted"));
        let out = p.apply(&it);
        assert_eq!(
            out.keys().cloned().collect::<Vec<_>>(),
            vec!["a", "a.b", "n"]
        );
        assert_eq!(
            err(a(json!(["a", "a"]))),
            "One or more parameter values were invalid: Duplicate value in attribute name: a"
        );
        assert_eq!(err(a(json!([]))), "1 validation error detected: Value '[]' at 'attributesToGet' failed to satisfy constraint: Member must have length greater than or equal to 1");
        let many: Vec<String> = (0..256).map(|i| format!("a{i}")).collect();
        assert!(err(a(json!(many))).ends_with("Member must have length less than or equal to 255"));
        assert_eq!(
            super::attributes_to_get(&Params::new(&json!({"AttributesToGet": [1]})).unwrap())
                .unwrap_err()
                .kind,
            crate::ErrorKind::Serialization
        );
    }

    #[test]
    fn filters() {
        let f = |v: serde_json::Value| super::scan_filter(&Params::new(&v).unwrap());
        let c = f(json!({"ScanFilter": {"a": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"S": "he"}]}, "n": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "10"}]}}})).unwrap();
        assert!(!c.eval(&item()));
        let c = f(json!({"ScanFilter": {"a": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"S": "he"}]}, "n": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "10"}]}}, "ConditionalOperator": "OR"})).unwrap();
        assert!(c.eval(&item()));
        let q = super::query_filter(&Params::new(&json!({"QueryFilter": {"f": {"ComparisonOperator": "EQ", "AttributeValueList": [{"BOOL": true}]}}})).unwrap()).unwrap();
        assert!(q.eval(&item()));
        let p = "One or more parameter values were invalid: ";
        assert_eq!(
            err(f(
                json!({"ScanFilter": {"a": {"ComparisonOperator": "EQ"}}})
            )),
            format!("{p}Invalid number of argument(s) for the EQ ComparisonOperator")
        );
        assert_eq!(
            err(f(
                json!({"ScanFilter": {"a": {"ComparisonOperator": "NOT_NULL", "AttributeValueList": [{"S": "a"}]}}})
            )),
            format!("{p}Invalid number of argument(s) for the NOT_NULL ComparisonOperator")
        );
        for (op, t) in [
            ("LT", json!({"SS": ["a"]})),
            ("IN", json!({"M": {}})),
            ("CONTAINS", json!({"L": []})),
            ("BEGINS_WITH", json!({"N": "1"})),
            ("BETWEEN", json!({"NULL": true})),
        ] {
            let ty = t.as_object().unwrap().keys().next().unwrap().clone();
            let list = if op == "BETWEEN" {
                json!([t.clone(), t])
            } else {
                json!([t])
            };
            assert_eq!(
                err(f(
                    json!({"ScanFilter": {"a": {"ComparisonOperator": op, "AttributeValueList": list}}})
                )),
                format!("{p}ComparisonOperator {op} is not valid for {ty} AttributeValue type")
            );
        }
        assert_eq!(err(f(json!({"ScanFilter": {"a": {}, "b": {"ComparisonOperator": ""}}}))), "2 validation errors detected: Value null at 'scanFilter.a.member.comparisonOperator' failed to satisfy constraint: Member must not be null; Value '' at 'scanFilter.b.member.comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]");
        assert_eq!(
            err(f(
                json!({"ScanFilter": {"a": {"ComparisonOperator": "NULL"}}, "ConditionalOperator": "OR"})
            )),
            ONE_CONDITION
        );
        assert_eq!(
            err(f(json!({"ConditionalOperator": "OR"}))),
            WITHOUT_CONDITIONS
        );
        assert_eq!(
            err(f(json!({"ScanFilter": {}, "ConditionalOperator": "AND"}))),
            WITHOUT_CONDITIONS
        );
        assert!(f(json!({"ScanFilter": {}})).unwrap().eval(&Item::new()));
    }

    fn kc(v: serde_json::Value) -> Result<KeyConditions, ApiError> {
        key_conditions(&Params::new(&json!({"KeyConditions": v})).unwrap())
    }

    #[test]
    fn key_conditions_match_key_condition_expressions() {
        let vals: HashMap<String, AttributeValue> =
            [(":p", s("p")), (":a", n(3)), (":b", n(7)), (":s", s("ab"))]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect();
        let expr = |e: &str| {
            let mut ctx = Placeholders::new(None, Some(&vals));
            KeyConditionExpr::parse(e, &mut ctx).unwrap()
        };
        let eq_p = json!({"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p"}]});
        for (range, e) in [
            (None, "pk = :p"),
            (
                Some(json!({"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "3"}]})),
                "pk = :p AND sk = :a",
            ),
            (
                Some(json!({"ComparisonOperator": "LT", "AttributeValueList": [{"N": "3"}]})),
                "pk = :p AND sk < :a",
            ),
            (
                Some(json!({"ComparisonOperator": "LE", "AttributeValueList": [{"N": "3"}]})),
                "pk = :p AND sk <= :a",
            ),
            (
                Some(json!({"ComparisonOperator": "GT", "AttributeValueList": [{"N": "3"}]})),
                "pk = :p AND sk > :a",
            ),
            (
                Some(json!({"ComparisonOperator": "GE", "AttributeValueList": [{"N": "3"}]})),
                "pk = :p AND :a <= sk",
            ),
            (
                Some(
                    json!({"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "3"}, {"N": "7"}]}),
                ),
                "pk = :p AND sk BETWEEN :a AND :b",
            ),
            (
                Some(
                    json!({"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"S": "ab"}]}),
                ),
                "pk = :p AND begins_with(sk, :s)",
            ),
        ] {
            let mut m = serde_json::Map::new();
            m.insert("pk".into(), eq_p.clone());
            if let Some(r) = range {
                m.insert("sk".into(), r);
            }
            let legacy = kc(serde_json::Value::Object(m.clone()))
                .unwrap()
                .extract("pk", Some("sk"))
                .unwrap();
            assert_eq!(legacy, expr(e).extract("pk", Some("sk")).unwrap(), "{e}");
            let body = json!({"KeyConditions": m});
            assert_eq!(
                key_conditions(&Params::new(&body).unwrap())
                    .unwrap()
                    .extract("pk", Some("sk"))
                    .unwrap(),
                legacy
            );
        }
        assert_eq!(
            kc(json!({"pk": eq_p}))
                .unwrap()
                .extract("pk", None)
                .unwrap(),
            KeyCondition {
                hash_value: s("p"),
                range: None
            }
        );
        // Multi-attribute keys.
        let m = kc(json!({"h1": eq_p, "h2": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "3"}]}, "s1": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "3"}]}, "s2": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "7"}]}}))
            .unwrap()
            .extract_multi(&["h1", "h2"], &["s1", "s2", "s3"])
            .unwrap();
        assert_eq!(
            m,
            MultiKeyCondition {
                hash_values: vec![s("p"), n(3)],
                range: vec![RangeCondition::Eq(n(3)), RangeCondition::Gt(n(7))]
            }
        );
    }

    #[test]
    fn key_condition_errors() {
        let e = |v: serde_json::Value, range: Option<&str>| {
            err(kc(v).and_then(|k| k.extract("a", range).map_err(ApiError::from)))
        };
        let eq = json!({"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]});
        assert_eq!(
            err(kc(json!({}))),
            "Conditions can be of length 1 or 2 only"
        );
        assert_eq!(
            e(json!({"a": eq, "b": eq, "c": eq}), Some("b")),
            "Conditions can be of length 1 or 2 only"
        );
        assert_eq!(
            e(json!({"z": {"ComparisonOperator": "NULL"}}), Some("b")),
            "Query condition missed key schema element: a"
        );
        assert_eq!(
            e(
                json!({"a": eq, "c": {"ComparisonOperator": "NULL"}}),
                Some("b")
            ),
            "Query condition missed key schema element: b"
        );
        for op in [
            json!({"ComparisonOperator": "NULL"}),
            json!({"ComparisonOperator": "NOT_NULL"}),
            json!({"ComparisonOperator": "NE", "AttributeValueList": [{"N": "1"}]}),
            json!({"ComparisonOperator": "CONTAINS", "AttributeValueList": [{"S": "a"}]}),
            json!({"ComparisonOperator": "IN", "AttributeValueList": [{"S": "a"}]}),
        ] {
            assert_eq!(
                e(json!({"a": op}), None),
                "Attempted conditional constraint is not an indexable operation"
            );
            assert_eq!(
                e(json!({"a": eq, "b": op}), Some("b")),
                "Attempted conditional constraint is not an indexable operation"
            );
        }
        for op in ["LE", "LT", "GE", "GT", "BEGINS_WITH"] {
            assert_eq!(
                e(
                    json!({"a": {"ComparisonOperator": op, "AttributeValueList": [{"S": "a"}]}}),
                    None
                ),
                "Query key condition not supported"
            );
        }
        assert_eq!(
            e(json!({"a": eq, "b": eq}), None),
            "Query key condition not supported"
        );
        assert_eq!(err(kc(json!({"a": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"S": "b"}, {"S": "a"}]}}))), "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound");
        assert_eq!(err(kc(json!({"a": {"ComparisonOperator": "IN", "AttributeValueList": [{"S": "b"}, {"N": "1"}]}}))), "One or more parameter values were invalid: AttributeValues inside AttributeValueList must be of same type");
        assert_eq!(err(kc(json!({"a": {}}))), "1 validation error detected: Value null at 'keyConditions.a.member.comparisonOperator' failed to satisfy constraint: Member must not be null");
        // Multi-attribute keys.
        let m = |v: serde_json::Value| {
            err(kc(v).and_then(|k| {
                k.extract_multi(&["h1", "h2"], &["s1", "s2"])
                    .map_err(ApiError::from)
            }))
        };
        assert_eq!(
            m(json!({"h1": eq})),
            "Query condition missed key schema element: h2"
        );
        assert_eq!(
            m(json!({"h1": eq, "h2": eq, "s2": eq})),
            "RANGE key attributes s1 must have equality conditions specified in the query because a condition is present on key attribute s2"
        );
        assert_eq!(
            m(
                json!({"h1": eq, "h2": eq, "s1": {"ComparisonOperator": "GT", "AttributeValueList": [{"S": "a"}]}, "s2": eq})
            ),
            "RANGE key attributes s1 must have equality conditions specified in the query because a condition is present on key attribute s2"
        );
        assert_eq!(
            m(
                json!({"h1": eq, "h2": {"ComparisonOperator": "GT", "AttributeValueList": [{"S": "a"}]}})
            ),
            "Query key condition not supported"
        );
        assert_eq!(
            m(json!({"h1": eq, "h2": eq, "x": eq})),
            "Query condition missed key schema element: s1"
        );
        assert_eq!(
            m(json!({"h1": eq, "h2": {"ComparisonOperator": "NULL"}})),
            "Attempted conditional constraint is not an indexable operation"
        );
    }
}
