//! DynamoDB's expression language: parsed once into a tree, evaluated per item.
//!
//! The five expression kinds share one tokenizer and one grammar family (DynamoDB's):
//!
//! - [`Condition`] — `ConditionExpression` and `FilterExpression`; [`Condition::eval`] on an
//!   item (an empty [`Item`] for a missing one);
//! - [`KeyConditionExpr`] — `KeyConditionExpression`, reduced by
//!   [`KeyConditionExpr::extract`] against a table's or an index's key schema to a
//!   [`KeyCondition`] (partition-key value and optional [`RangeCondition`]);
//! - [`UpdateExpr`] — `UpdateExpression`; [`UpdateExpr::apply`] returns the new item,
//!   [`UpdateExpr::project_updated`] gives ReturnValues UPDATED_OLD / UPDATED_NEW and
//!   [`UpdateExpr::top_level_attributes`] what the caller checks against key attributes;
//! - [`Projection`] — `ProjectionExpression`; [`project_item`] projects onto any paths.
//!
//! A request's expressions are parsed with one shared [`Placeholders`] context
//! (`ExpressionAttributeNames` / `ExpressionAttributeValues`), which records what they used;
//! [`Placeholders::check_unused`] then raises AWS's unused-placeholder errors. Typical use:
//!
//! ```ignore
//! let mut ctx = Placeholders::new(names.as_ref(), values.as_ref());
//! let update = UpdateExpr::parse(update_expression, &mut ctx)?;
//! let condition = condition_expression.map(|c| Condition::parse_condition(c, &mut ctx)).transpose()?;
//! ctx.check_unused()?;
//! // per item:
//! if condition.as_ref().is_none_or(|c| c.eval(&old)) { let new = update.apply(&old)?; }
//! ```
//!
//! Every [`ExprError`] is a `ValidationException` whose message is its `Display`, worded as
//! DynamoDB words it. Parsing is bounded (4 KB expressions, nesting, 300 operators, paths of
//! 32 levels) and nothing here panics on any input.

mod ast;
mod condition;
mod error;
mod eval;
mod key_condition;
mod legacy;
mod lexer;
mod parser;
mod placeholders;
mod projection;
pub mod reserved;
mod update;
mod validate;

use std::collections::{BTreeMap, HashMap};

use extenddo_log::{AttributeValue, Item, Number};

pub use ast::{DocPath, PathElement};
pub use condition::{Condition, MAX_EXPRESSION_BYTES};
pub use error::{ExprError, ExprKind, Problem};
pub use key_condition::{KeyCondition, KeyConditionExpr, MultiKeyCondition, RangeCondition};
pub use legacy::{join as join_legacy, KeyConditions, LegacyCondition, LegacyOp, LegacyUpdate};
pub use placeholders::Placeholders;
pub use projection::{project_item, Projection};
pub use update::UpdateExpr;

/// Runs every parser on `input` (with a fixed set of placeholders) and, when parsing
/// succeeds, evaluates, applies and projects against sample items. For fuzzing: it must
/// never panic, whatever `input` is.
pub fn fuzz_parse_all(input: &str) {
    let names: HashMap<String, String> = ["a", "b", "c", "n", "s", "l", "m", "x"]
        .iter()
        .map(|k| (format!("#{k}"), (*k).to_string()))
        .chain([
            ("#dot".to_string(), "a.b".to_string()),
            ("#status".to_string(), "status".to_string()),
        ])
        .collect();
    let mut values: HashMap<String, AttributeValue> = HashMap::new();
    let mut inner = BTreeMap::new();
    inner.insert("k".to_string(), AttributeValue::N(Number::from(1)));
    for (k, v) in [
        (":s", AttributeValue::S("abc".into())),
        (":S", AttributeValue::S("S".into())),
        (":n", AttributeValue::N(Number::from(1))),
        (
            ":big",
            AttributeValue::N(
                Number::parse("9.9999999999999999999999999999999999999e125")
                    .unwrap_or_else(|_| Number::zero()),
            ),
        ),
        (":b", AttributeValue::B(vec![1, 2])),
        (":ss", AttributeValue::SS(vec!["a".into(), "b".into()])),
        (
            ":ns",
            AttributeValue::NS(vec![Number::from(1), Number::from(2)]),
        ),
        (":bs", AttributeValue::BS(vec![vec![1]])),
        (":l", AttributeValue::L(vec![AttributeValue::S("x".into())])),
        (":m", AttributeValue::M(inner.clone())),
        (":t", AttributeValue::BOOL(true)),
        (":z", AttributeValue::NULL(true)),
    ] {
        values.insert(k.to_string(), v);
    }
    let mut item = Item::new();
    item.insert("a".into(), AttributeValue::M(inner.clone()));
    item.insert(
        "b".into(),
        AttributeValue::L(vec![
            AttributeValue::N(Number::from(1)),
            AttributeValue::M(inner),
        ]),
    );
    item.insert("c".into(), AttributeValue::SS(vec!["a".into()]));
    item.insert("n".into(), AttributeValue::N(Number::from(5)));
    item.insert("s".into(), AttributeValue::S("abc".into()));
    let empty = Item::new();

    let mut ctx = Placeholders::new(Some(&names), Some(&values));
    for kind in [ExprKind::Condition, ExprKind::Filter] {
        if let Ok(c) = Condition::parse(input, kind, &mut ctx) {
            let _ = c.eval(&item);
            let _ = c.eval(&empty);
        }
    }
    if let Ok(k) = KeyConditionExpr::parse(input, &mut ctx) {
        let _ = k.extract("a", Some("b"));
        let _ = k.extract("n", None);
    }
    if let Ok(u) = UpdateExpr::parse(input, &mut ctx) {
        for old in [&item, &empty] {
            if let Ok(new) = u.apply(old) {
                let _ = u.project_updated(&new);
            }
            let _ = u.project_updated(old);
        }
        let _ = u.top_level_attributes();
    }
    if let Ok(p) = Projection::parse(input, &mut ctx) {
        let _ = p.apply(&item);
    }
    let _ = ctx.check_unused();
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Strings made of the language's own pieces, so that the parser gets deep quickly.
    fn expression_like() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("a"),
            Just("#a"),
            Just("#status"),
            Just(":s"),
            Just(":n"),
            Just(":l"),
            Just(":ss"),
            Just(":m"),
            Just(":t"),
            Just("b[1]"),
            Just("a.k"),
            Just("b[0]"),
            Just("="),
            Just("<>"),
            Just("<"),
            Just(">="),
            Just("AND"),
            Just("OR"),
            Just("NOT"),
            Just("("),
            Just(")"),
            Just(","),
            Just("BETWEEN"),
            Just("IN"),
            Just("size("),
            Just("contains("),
            Just("begins_with("),
            Just("attribute_exists("),
            Just("attribute_type("),
            Just("if_not_exists("),
            Just("list_append("),
            Just("SET"),
            Just("REMOVE"),
            Just("ADD"),
            Just("DELETE"),
            Just("+"),
            Just("-"),
            Just("."),
            Just("["),
            Just("]"),
            Just("0"),
            Just("status"),
            Just("é"),
            Just(" "),
        ];
        proptest::collection::vec(piece, 0..40).prop_map(|v| v.join(" "))
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

        #[test]
        fn never_panics_on_arbitrary_strings(s in any::<String>()) {
            fuzz_parse_all(&s);
        }

        #[test]
        fn never_panics_on_expression_like_strings(s in expression_like()) {
            fuzz_parse_all(&s);
        }
    }

    #[test]
    fn one_context_for_all_expressions_of_a_request() {
        let names: HashMap<String, String> = [("#k", "k"), ("#unused", "u")]
            .into_iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        let values: HashMap<String, AttributeValue> = [
            (":v", AttributeValue::N(Number::from(1))),
            (":w", AttributeValue::S("w".into())),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_string(), b))
        .collect();
        let mut ctx = Placeholders::new(Some(&names), Some(&values));
        let update = UpdateExpr::parse("SET #k = :v", &mut ctx).unwrap();
        let cond =
            Condition::parse_condition("attribute_not_exists(#k) OR #k <> :w", &mut ctx).unwrap();
        assert_eq!(
            ctx.check_unused().unwrap_err(),
            ExprError::UnusedNames {
                keys: vec!["#unused".to_string()]
            }
        );
        assert_eq!(
            ctx.check_unused().unwrap_err().to_string(),
            "Value provided in ExpressionAttributeNames unused in expressions: keys: {#unused}"
        );
        let old = Item::new();
        assert!(cond.eval(&old));
        let new = update.apply(&old).unwrap();
        assert_eq!(new.get("k"), Some(&AttributeValue::N(Number::from(1))));
        assert!(cond.eval(&new), "k = 1 is not the string w");
        // Errors carry the expression kind and the problem.
        let mut ctx = Placeholders::none();
        match Condition::parse_filter("a = ", &mut ctx) {
            Err(ExprError::Invalid {
                kind: ExprKind::Filter,
                problem: Problem::Syntax { token, near },
            }) => {
                assert_eq!((token.as_str(), near.as_str()), ("<EOF>", "= "));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn never_panics_on_hostile_inputs() {
        let cases = [
            "(".repeat(5000),
            format!("{}a = :n{}", "(".repeat(2000), ")".repeat(2000)),
            format!("{}a = :n", "NOT ".repeat(1000)),
            format!(
                "SET a = {}:n{}",
                "if_not_exists(a, ".repeat(600),
                ")".repeat(600)
            ),
            format!("a{} = :n", "[0]".repeat(1300)),
            format!("a{} = :n", ".b".repeat(2000)),
            "SET a[2147483647] = :n".to_string(),
            "SET b[2147483647] = :n, b[0] = :s REMOVE b[1]".to_string(),
            "a IN (".to_string() + &":n, ".repeat(700) + ":n)",
            "\u{0}\u{1}\u{FFFF}\u{10FFFF}".to_string(),
        ];
        for c in &cases {
            fuzz_parse_all(c);
        }
    }
}
