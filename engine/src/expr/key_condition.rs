//! KeyConditionExpression: parsed with the condition grammar (as DynamoDB does), then reduced
//! to an equality on the partition key and at most one condition on the sort key.

use std::cmp::Ordering;

use extenddo_log::AttributeValue;

use super::ast::{CmpOp, Cond, DocPath, Operand, PathElement};
use super::condition::parse_cond;
use super::error::{ExprError, ExprKind, Problem};
use super::eval::{begins_with, compare_ordered};
use super::placeholders::Placeholders;

/// The condition on the sort key of a query.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum RangeCondition {
    Eq(AttributeValue),
    Lt(AttributeValue),
    Le(AttributeValue),
    Gt(AttributeValue),
    Ge(AttributeValue),
    Between(AttributeValue, AttributeValue),
    BeginsWith(AttributeValue),
}

impl RangeCondition {
    /// Whether a sort-key value satisfies the condition (values of another type never do).
    pub fn matches(&self, v: &AttributeValue) -> bool {
        let cmp = |x: &AttributeValue| compare_ordered(v, x);
        match self {
            RangeCondition::Eq(x) => cmp(x) == Some(Ordering::Equal),
            RangeCondition::Lt(x) => cmp(x) == Some(Ordering::Less),
            RangeCondition::Le(x) => matches!(cmp(x), Some(Ordering::Less | Ordering::Equal)),
            RangeCondition::Gt(x) => cmp(x) == Some(Ordering::Greater),
            RangeCondition::Ge(x) => matches!(cmp(x), Some(Ordering::Greater | Ordering::Equal)),
            RangeCondition::Between(lo, hi) => {
                matches!(cmp(lo), Some(Ordering::Greater | Ordering::Equal))
                    && matches!(cmp(hi), Some(Ordering::Less | Ordering::Equal))
            }
            RangeCondition::BeginsWith(p) => begins_with(v, p),
        }
    }

    /// The values the condition compares with (for the caller's type checks).
    pub fn values(&self) -> Vec<&AttributeValue> {
        match self {
            RangeCondition::Eq(x)
            | RangeCondition::Lt(x)
            | RangeCondition::Le(x)
            | RangeCondition::Gt(x)
            | RangeCondition::Ge(x)
            | RangeCondition::BeginsWith(x) => vec![x],
            RangeCondition::Between(a, b) => vec![a, b],
        }
    }
}

/// A query's key condition against one key schema (table or index).
#[derive(Debug, Clone, PartialEq)]
pub struct KeyCondition {
    pub hash_value: AttributeValue,
    pub range: Option<RangeCondition>,
}

/// A query's key condition against a key schema with several partition-key or sort-key
/// attributes (a global secondary index with a multi-attribute key): equality on every
/// partition-key attribute, and conditions on a left prefix of the sort-key attributes,
/// equalities but for the last one, which may be a range condition.
#[derive(Debug, Clone, PartialEq)]
pub struct MultiKeyCondition {
    /// One value per partition-key attribute, in key-schema order.
    pub hash_values: Vec<AttributeValue>,
    /// Conditions on the leading sort-key attributes, in key-schema order; every one but the
    /// last is [`RangeCondition::Eq`].
    pub range: Vec<RangeCondition>,
}

impl MultiKeyCondition {
    /// Checks per-attribute conditions against a key schema (`hash` and `range` attribute
    /// names in key-schema order) and orders them. Errors, as for single-attribute keys: a
    /// partition-key attribute without a condition, or a sort-key attribute skipped before a
    /// later one, "Query condition missed key schema element: <name>"; a partition-key
    /// condition other than equality, a condition after a range condition, or a condition on
    /// another attribute, "Query key condition not supported".
    pub fn from_conditions(
        conds: Vec<(String, RangeCondition)>,
        hash: &[&str],
        range: &[&str],
    ) -> Result<MultiKeyCondition, ExprError> {
        if conds.is_empty() {
            return Err(ExprError::KeyConditionCount);
        }
        let find = |name: &str| conds.iter().find(|(a, _)| a == name).map(|(_, c)| c);
        let mut hash_values = Vec::with_capacity(hash.len());
        for h in hash {
            match find(h) {
                None => return Err(ExprError::MissedKeySchemaElement((*h).to_string())),
                Some(RangeCondition::Eq(v)) => hash_values.push(v.clone()),
                Some(_) => return Err(ExprError::KeyConditionNotSupported),
            }
        }
        let is_key = |a: &str| hash.contains(&a) || range.contains(&a);
        if conds.iter().any(|(a, _)| !is_key(a)) {
            // A condition on another attribute reads as a missing sort-key attribute.
            return Err(match range.iter().find(|r| find(r).is_none()) {
                Some(m) => ExprError::MissedKeySchemaElement((*m).to_string()),
                None => ExprError::KeyConditionNotSupported,
            });
        }
        // Sort-key attributes are conditioned left to right: every one before the last
        // conditioned attribute is compared with `=`.
        let last = range.iter().rposition(|r| find(r).is_some());
        let mut out = Vec::new();
        if let Some(last) = last {
            let before: Vec<String> = range[..last]
                .iter()
                .filter(|r| !matches!(find(r), Some(RangeCondition::Eq(_))))
                .map(|r| (*r).to_string())
                .collect();
            if !before.is_empty() {
                return Err(ExprError::RangeKeyNeedsEquality {
                    before,
                    last: range[last].to_string(),
                });
            }
            out.extend(range[..=last].iter().filter_map(|r| find(r).cloned()));
        }
        Ok(MultiKeyCondition {
            hash_values,
            range: out,
        })
    }

    /// Every value the condition compares with (for the caller's size checks): the
    /// partition-key values, then the sort-key ones.
    pub fn values(&self) -> (Vec<&AttributeValue>, Vec<&AttributeValue>) {
        (
            self.hash_values.iter().collect(),
            self.range.iter().flat_map(RangeCondition::values).collect(),
        )
    }
}

/// A parsed KeyConditionExpression. Its structure is checked when it is matched against a
/// key schema ([`KeyConditionExpr::extract`]), after the request's unused-placeholder check,
/// as DynamoDB orders its errors.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct KeyConditionExpr {
    cond: Cond,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Comparison {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
    Between,
    BeginsWith,
}

impl Comparison {
    fn inverse(self) -> Comparison {
        match self {
            Comparison::Lt => Comparison::Gt,
            Comparison::Gt => Comparison::Lt,
            Comparison::Le => Comparison::Ge,
            Comparison::Ge => Comparison::Le,
            other => other,
        }
    }
}

struct Extracted {
    attr: String,
    comparison: Comparison,
    values: Vec<AttributeValue>,
}

fn invalid(p: Problem) -> ExprError {
    ExprKind::KeyCondition.err(p)
}

impl KeyConditionExpr {
    pub fn parse(expr: &str, ctx: &mut Placeholders<'_>) -> Result<KeyConditionExpr, ExprError> {
        let (cond, _) = parse_cond(expr, ExprKind::KeyCondition, ctx)?;
        Ok(KeyConditionExpr { cond })
    }

    /// The key condition for a key schema with several partition-key or sort-key
    /// attributes (names in key-schema order); see [`MultiKeyCondition::from_conditions`].
    pub fn extract_multi(
        &self,
        hash: &[&str],
        range: &[&str],
    ) -> Result<MultiKeyCondition, ExprError> {
        let mut conds: Vec<Extracted> = Vec::new();
        collect(&self.cond, &mut conds)?;
        let conds = conds
            .iter()
            .map(|c| Ok((c.attr.clone(), c.range_condition()?)))
            .collect::<Result<Vec<_>, ExprError>>()?;
        MultiKeyCondition::from_conditions(conds, hash, range)
    }

    /// The key condition for a key schema: `hash_key` is the partition key attribute,
    /// `range_key` the sort key attribute if the schema has one. The caller checks the value
    /// types against the attribute definitions.
    pub fn extract(
        &self,
        hash_key: &str,
        range_key: Option<&str>,
    ) -> Result<KeyCondition, ExprError> {
        let mut conds: Vec<Extracted> = Vec::new();
        collect(&self.cond, &mut conds)?;
        if conds.is_empty() || conds.len() > 2 {
            return Err(ExprError::KeyConditionCount);
        }
        if range_key.is_none() && conds.len() > 1 {
            return Err(ExprError::KeyConditionNotSupported);
        }
        let Some(hash) = conds.iter().find(|c| c.attr == hash_key) else {
            return Err(ExprError::MissedKeySchemaElement(hash_key.to_string()));
        };
        if hash.comparison != Comparison::Eq {
            return Err(ExprError::KeyConditionNotSupported);
        }
        let hash_value = hash
            .values
            .first()
            .cloned()
            .ok_or(ExprError::KeyConditionNotSupported)?;
        let mut range = None;
        if let Some(rk) = range_key {
            match conds.iter().find(|c| c.attr == rk) {
                Some(c) => {
                    let mut v = c.values.iter().cloned();
                    let first = v.next().ok_or(ExprError::KeyConditionNotSupported)?;
                    range = Some(match c.comparison {
                        Comparison::Eq => RangeCondition::Eq(first),
                        Comparison::Lt => RangeCondition::Lt(first),
                        Comparison::Le => RangeCondition::Le(first),
                        Comparison::Gt => RangeCondition::Gt(first),
                        Comparison::Ge => RangeCondition::Ge(first),
                        Comparison::BeginsWith => RangeCondition::BeginsWith(first),
                        Comparison::Between => RangeCondition::Between(
                            first,
                            v.next().ok_or(ExprError::KeyConditionNotSupported)?,
                        ),
                    });
                }
                None if conds.len() > 1 => {
                    return Err(ExprError::MissedKeySchemaElement(rk.to_string()))
                }
                None => {}
            }
        }
        Ok(KeyCondition { hash_value, range })
    }
}

impl Extracted {
    fn range_condition(&self) -> Result<RangeCondition, ExprError> {
        let mut v = self.values.iter().cloned();
        let mut next = || v.next().ok_or(ExprError::KeyConditionNotSupported);
        Ok(match self.comparison {
            Comparison::Eq => RangeCondition::Eq(next()?),
            Comparison::Lt => RangeCondition::Lt(next()?),
            Comparison::Le => RangeCondition::Le(next()?),
            Comparison::Gt => RangeCondition::Gt(next()?),
            Comparison::Ge => RangeCondition::Ge(next()?),
            Comparison::BeginsWith => RangeCondition::BeginsWith(next()?),
            Comparison::Between => {
                let lo = next()?;
                RangeCondition::Between(lo, next()?)
            }
        })
    }
}

fn collect(c: &Cond, out: &mut Vec<Extracted>) -> Result<(), ExprError> {
    let (name, comparison, operands): (&str, Comparison, Vec<&Operand>) = match c {
        Cond::And(v) => return v.iter().try_for_each(|c| collect(c, out)),
        Cond::Cmp(op, l, r) => {
            let comparison = match op {
                CmpOp::Eq => Comparison::Eq,
                CmpOp::Lt => Comparison::Lt,
                CmpOp::Le => Comparison::Le,
                CmpOp::Gt => Comparison::Gt,
                CmpOp::Ge => Comparison::Ge,
                CmpOp::Ne => return Err(invalid(Problem::KeyInvalidOperator("<>".into()))),
            };
            (op.symbol(), comparison, vec![l, r])
        }
        Cond::Between(a, lo, hi) => ("BETWEEN", Comparison::Between, vec![a, lo, hi]),
        Cond::BeginsWith(a, b) => ("begins_with", Comparison::BeginsWith, vec![a, b]),
        Cond::Or(_) => return Err(invalid(Problem::KeyInvalidOperator("OR".into()))),
        Cond::Not(..) => return Err(invalid(Problem::KeyInvalidOperator("NOT".into()))),
        Cond::In(..) => return Err(invalid(Problem::KeyInvalidOperator("IN".into()))),
        Cond::Exists(_) => {
            return Err(invalid(Problem::KeyInvalidOperator(
                "attribute_exists".into(),
            )))
        }
        Cond::NotExists(_) => {
            return Err(invalid(Problem::KeyInvalidOperator(
                "attribute_not_exists".into(),
            )))
        }
        Cond::AttrType(..) => {
            return Err(invalid(Problem::KeyInvalidOperator(
                "attribute_type".into(),
            )))
        }
        Cond::Contains(..) => return Err(invalid(Problem::KeyInvalidOperator("contains".into()))),
    };
    let mut comparison = comparison;
    let mut attr: Option<String> = None;
    let mut values = Vec::new();
    for o in operands {
        match o {
            Operand::Path(p) => {
                if attr.is_some() {
                    return Err(invalid(Problem::KeyInvalidCondition(
                        "Multiple attribute names used in one condition".into(),
                    )));
                }
                attr = Some(key_attribute(p)?);
            }
            Operand::Value(v) => {
                if attr.is_none() {
                    if matches!(comparison, Comparison::Between | Comparison::BeginsWith) {
                        return Err(invalid(Problem::KeyInvalidCondition(format!(
                            "{name} operator must have the key attribute as its first operand"
                        ))));
                    }
                    comparison = comparison.inverse();
                }
                values.push(v.clone());
            }
            _ => return Err(invalid(Problem::KeyNestedOperation)),
        }
    }
    let Some(attr) = attr else {
        return Err(invalid(Problem::KeyInvalidCondition(
            "No key attribute specified".into(),
        )));
    };
    if out.iter().any(|e| e.attr == attr) {
        return Err(invalid(Problem::KeyDuplicate));
    }
    out.push(Extracted {
        attr,
        comparison,
        values,
    });
    Ok(())
}

fn key_attribute(p: &DocPath) -> Result<String, ExprError> {
    if p.is_nested() {
        return Err(invalid(Problem::KeyNestedAttribute));
    }
    match p.elements().first() {
        Some(PathElement::Attr(a)) => Ok(a.clone()),
        _ => Err(invalid(Problem::KeyNestedAttribute)),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use extenddo_log::Number;

    use super::*;

    fn n(i: i64) -> AttributeValue {
        AttributeValue::N(Number::from(i))
    }
    fn s(x: &str) -> AttributeValue {
        AttributeValue::S(x.into())
    }

    fn values() -> HashMap<String, AttributeValue> {
        [
            (":p", s("p")),
            (":c", n(3)),
            (":c1", n(4)),
            (":c2", n(7)),
            (":s", s("00")),
            (":a", s("a")),
            (":b", s("b")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    fn parse(expr: &str) -> Result<KeyConditionExpr, String> {
        let vs = values();
        let mut names = HashMap::new();
        names.insert("#n1".to_string(), "p".to_string());
        names.insert("#n2".to_string(), "c".to_string());
        let mut ctx = Placeholders::new(Some(&names), Some(&vs));
        KeyConditionExpr::parse(expr, &mut ctx).map_err(|e| e.to_string())
    }

    fn extract(expr: &str) -> Result<KeyCondition, String> {
        parse(expr)
            .unwrap_or_else(|e| panic!("{expr}: {e}"))
            .extract("p", Some("c"))
            .map_err(|e| e.to_string())
    }

    fn hash_only(expr: &str) -> Result<KeyCondition, String> {
        parse(expr)
            .unwrap_or_else(|e| panic!("{expr}: {e}"))
            .extract("p", None)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn extracts_hash_and_range() {
        assert_eq!(
            extract("p = :p").unwrap(),
            KeyCondition {
                hash_value: s("p"),
                range: None
            }
        );
        assert_eq!(extract(" p  =   :p ").unwrap().hash_value, s("p"));
        assert_eq!(
            extract("p = :p AND c = :c").unwrap().range,
            Some(RangeCondition::Eq(n(3)))
        );
        assert_eq!(
            extract("p=:p AND c<:c").unwrap().range,
            Some(RangeCondition::Lt(n(3)))
        );
        assert_eq!(
            extract("p=:p AND c<=:c").unwrap().range,
            Some(RangeCondition::Le(n(3)))
        );
        assert_eq!(
            extract("p=:p AND c>:c").unwrap().range,
            Some(RangeCondition::Gt(n(3)))
        );
        assert_eq!(
            extract("p=:p AND c>=:c").unwrap().range,
            Some(RangeCondition::Ge(n(3)))
        );
        assert_eq!(
            extract(":p=p AND :c<c").unwrap().range,
            Some(RangeCondition::Gt(n(3))),
            "value first inverts"
        );
        assert_eq!(
            extract("p=:p AND c BETWEEN :c1 AND :c2").unwrap().range,
            Some(RangeCondition::Between(n(4), n(7)))
        );
        assert_eq!(
            extract("p=:p AnD c BeTwEeN :c1 aNd :c2").unwrap().range,
            Some(RangeCondition::Between(n(4), n(7)))
        );
        assert_eq!(
            extract("p=:p AND begins_with(c, :s)").unwrap().range,
            Some(RangeCondition::BeginsWith(s("00")))
        );
        assert_eq!(
            extract("c=:c AND p=:p").unwrap().range,
            Some(RangeCondition::Eq(n(3)))
        );
        assert_eq!(extract("((c=:c) AND (p=:p))").unwrap().hash_value, s("p"));
        assert_eq!(
            extract("#n1 = :p AND #n2 = :c").unwrap().range,
            Some(RangeCondition::Eq(n(3)))
        );
        // An index's key schema is just other attribute names.
        let k = parse("c = :c AND p < :p")
            .unwrap()
            .extract("c", Some("p"))
            .unwrap();
        assert_eq!(
            k,
            KeyCondition {
                hash_value: n(3),
                range: Some(RangeCondition::Lt(s("p")))
            }
        );
    }

    #[test]
    fn structural_errors() {
        let prefix = "Invalid KeyConditionExpression: ";
        for (expr, msg) in [
            ("p=:p AND c<>:c", "Invalid operator used in KeyConditionExpression: <>"),
            ("p=:p AND c IN (:c)", "Invalid operator used in KeyConditionExpression: IN"),
            ("c=:c OR p=:p", "Invalid operator used in KeyConditionExpression: OR"),
            ("NOT c=:c AND p=:p", "Invalid operator used in KeyConditionExpression: NOT"),
            ("p=:p AND attribute_exists(c)", "Invalid operator used in KeyConditionExpression: attribute_exists"),
            ("contains(c, :a)", "Invalid operator used in KeyConditionExpression: contains"),
            ("p=:p AND p=:p", "KeyConditionExpressions must only contain one condition per key"),
            ("p=:p AND c>=:c1 AND c<=:c2", "KeyConditionExpressions must only contain one condition per key"),
            ("p=:p AND a.b<:a", "KeyConditionExpressions cannot have conditions on nested attributes"),
            ("p=:p AND c[0]<:a", "KeyConditionExpressions cannot have conditions on nested attributes"),
            ("p=:p AND size(c) > :c", "KeyConditionExpressions cannot contain nested operations"),
            ("p=c", "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"),
            (":p=:a", "Invalid condition in KeyConditionExpression: No key attribute specified"),
            (":a BETWEEN c AND :b", "Invalid condition in KeyConditionExpression: BETWEEN operator must have the key attribute as its first operand"),
            ("begins_with(:a, c) AND p = :p", "Invalid condition in KeyConditionExpression: begins_with operator must have the key attribute as its first operand"),
        ] {
            assert_eq!(extract(expr).unwrap_err(), format!("{prefix}{msg}"), "{expr}");
        }
    }

    #[test]
    fn parse_errors_use_the_key_condition_prefix() {
        assert_eq!(
            parse("").unwrap_err(),
            "Invalid KeyConditionExpression: The expression can not be empty;"
        );
        assert_eq!(
            parse("p=:p AND c!=:c").unwrap_err(),
            "Invalid KeyConditionExpression: Syntax error; token: \"!\", near: \"c!=\""
        );
        assert_eq!(
            parse("p=:p AND dog(c, :c)").unwrap_err(),
            "Invalid KeyConditionExpression: Invalid function name; function: dog"
        );
        assert_eq!(
            parse("p=:p AND BEGINS_WITH(c,:s)").unwrap_err(),
            "Invalid KeyConditionExpression: Invalid function name; function: BEGINS_WITH"
        );
        assert_eq!(parse("p=:p AND begins_with(c, :c)").unwrap_err(), "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N");
        assert_eq!(
            parse("c between :b and :a").unwrap_err(),
            "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {S:b}, upper bound operand: AttributeValue: {S:a}"
        );
        assert_eq!(
            parse("c between :c and :a").unwrap_err(),
            "Invalid KeyConditionExpression: The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {N:3}, upper bound operand: AttributeValue: {S:a}"
        );
        assert_eq!(parse("p=:q").unwrap_err(), "Invalid KeyConditionExpression: An expression attribute value used in expression is not defined; attribute value: :q");
        assert_eq!(
            parse("((c=:c) AND ((p=:p)))").unwrap_err(),
            "Invalid KeyConditionExpression: The expression has redundant parentheses;"
        );
    }

    #[test]
    fn schema_errors() {
        assert_eq!(
            extract("c=:c").unwrap_err(),
            "Query condition missed key schema element: p"
        );
        assert_eq!(
            extract("p<:p").unwrap_err(),
            "Query key condition not supported"
        );
        assert_eq!(
            extract("begins_with(p, :p)").unwrap_err(),
            "Query key condition not supported"
        );
        assert_eq!(
            extract("p=:p AND a<:a").unwrap_err(),
            "Query condition missed key schema element: c"
        );
        assert_eq!(
            extract("p=:p AND c<:c AND a<:a").unwrap_err(),
            "Conditions can be of length 1 or 2 only"
        );
        assert_eq!(
            extract("z = :a").unwrap_err(),
            "Query condition missed key schema element: p"
        );
        assert_eq!(
            hash_only("p = :p AND c = :c").unwrap_err(),
            "Query key condition not supported"
        );
        assert_eq!(
            hash_only("y = :a AND z = :b").unwrap_err(),
            "Query key condition not supported"
        );
        assert_eq!(
            hash_only("p > :p").unwrap_err(),
            "Query key condition not supported"
        );
        assert_eq!(hash_only("p = :p").unwrap().range, None);
    }

    #[test]
    fn multi_attribute_keys() {
        let vs: HashMap<String, AttributeValue> = [(":a", s("a")), (":b", s("b")), (":n", n(1))]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        let multi = |e: &str| {
            let mut ctx = Placeholders::new(None, Some(&vs));
            KeyConditionExpr::parse(e, &mut ctx)
                .unwrap()
                .extract_multi(&["h1", "h2"], &["s1", "s2", "s3"])
                .map_err(|e| e.to_string())
        };
        assert_eq!(
            multi("h1 = :a AND h2 = :n").unwrap(),
            MultiKeyCondition {
                hash_values: vec![s("a"), n(1)],
                range: vec![]
            }
        );
        assert_eq!(
            multi("s1 = :a AND h2 = :n AND h1 = :b AND begins_with(s2, :b)").unwrap(),
            MultiKeyCondition {
                hash_values: vec![s("b"), n(1)],
                range: vec![
                    RangeCondition::Eq(s("a")),
                    RangeCondition::BeginsWith(s("b"))
                ]
            }
        );
        assert_eq!(
            multi("h1 = :a AND h2 = :n AND :a < s1").unwrap().range,
            vec![RangeCondition::Gt(s("a"))]
        );
        assert_eq!(
            multi("h1 = :a AND h2 = :n AND s1 = :a AND s2 = :a AND s3 BETWEEN :a AND :b")
                .unwrap()
                .range
                .len(),
            3
        );
        for (e, msg) in [
            ("h1 = :a", "Query condition missed key schema element: h2"),
            ("h2 = :n AND s1 = :a", "Query condition missed key schema element: h1"),
            ("h1 = :a AND h2 > :n", "Query key condition not supported"),
            ("h1 = :a AND h2 = :n AND s2 = :a", "RANGE key attributes s1 must have equality conditions specified in the query because a condition is present on key attribute s2"),
            ("h1 = :a AND h2 = :n AND s1 = :a AND s3 = :a", "RANGE key attributes s2 must have equality conditions specified in the query because a condition is present on key attribute s3"),
            ("h1 = :a AND h2 = :n AND s1 > :a AND s2 = :a", "RANGE key attributes s1 must have equality conditions specified in the query because a condition is present on key attribute s2"),
            ("h1 = :a AND h2 = :n AND s3 < :a", "RANGE key attributes s1, s2 must have equality conditions specified in the query because a condition is present on key attribute s3"),
            ("h1 = :a AND h2 = :n AND zz = :a", "Query condition missed key schema element: s1"),
            ("h1 = :a AND h2 = :n AND s1 = :a AND zz = :a", "Query condition missed key schema element: s2"),
            ("h1 = :a AND h2 = :n AND s1 <> :a", "Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: <>"),
        ] {
            assert_eq!(multi(e).unwrap_err(), msg, "{e}");
        }
    }

    #[test]
    fn range_conditions_match() {
        assert!(RangeCondition::Between(n(4), n(7)).matches(&n(4)));
        assert!(RangeCondition::Between(n(4), n(7)).matches(&n(7)));
        assert!(!RangeCondition::Between(n(4), n(7)).matches(&n(8)));
        assert!(RangeCondition::BeginsWith(s("00")).matches(&s("003")));
        assert!(!RangeCondition::BeginsWith(s("00")).matches(&n(3)));
        assert!(RangeCondition::Lt(s("b")).matches(&s("a")));
        assert!(!RangeCondition::Lt(s("b")).matches(&n(1)));
        assert!(
            RangeCondition::Ge(AttributeValue::B(vec![127])).matches(&AttributeValue::B(vec![128]))
        );
        assert_eq!(
            RangeCondition::Between(n(1), n(2)).values(),
            vec![&n(1), &n(2)]
        );
    }
}
