//! Evaluation with DynamoDB semantics. Conditions never fail: a missing attribute or a type
//! mismatch makes a comparison false (`<>` true). Update values can fail with the runtime
//! errors DynamoDB raises.

use std::borrow::Cow;
use std::cmp::Ordering;

use extenddo_log::{AttributeValue, Item, Number};

use super::ast::*;
use super::error::ExprError;

/// Values nested deeper than this are never equal (DynamoDB documents nest at most 32
/// levels); the bound keeps the comparison's recursion finite on any input.
const MAX_COMPARE_DEPTH: usize = 64;

/// Order of two values of the same orderable type (S and B by bytes, N numerically);
/// `None` for different or unordered types.
pub(crate) fn compare_ordered(a: &AttributeValue, b: &AttributeValue) -> Option<Ordering> {
    match (a, b) {
        (AttributeValue::S(x), AttributeValue::S(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (AttributeValue::N(x), AttributeValue::N(y)) => Some(x.cmp(y)),
        (AttributeValue::B(x), AttributeValue::B(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn same_set<T: Ord + Clone>(x: &[T], y: &[T]) -> bool {
    if x.len() != y.len() {
        return false;
    }
    let (mut x, mut y) = (x.to_vec(), y.to_vec());
    x.sort();
    y.sort();
    x == y
}

/// DynamoDB equality: same type and same value; sets compare as sets.
pub(crate) fn values_equal(a: &AttributeValue, b: &AttributeValue) -> bool {
    equal_at(a, b, 0)
}

fn equal_at(a: &AttributeValue, b: &AttributeValue, depth: usize) -> bool {
    use AttributeValue::*;
    if depth > MAX_COMPARE_DEPTH {
        return false;
    }
    match (a, b) {
        (S(x), S(y)) => x == y,
        (N(x), N(y)) => x == y,
        (B(x), B(y)) => x == y,
        (BOOL(x), BOOL(y)) => x == y,
        (NULL(x), NULL(y)) => x == y,
        (SS(x), SS(y)) => same_set(x, y),
        (NS(x), NS(y)) => same_set(x, y),
        (BS(x), BS(y)) => same_set(x, y),
        (L(x), L(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| equal_at(p, q, depth + 1))
        }
        (M(x), M(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| equal_at(v, w, depth + 1)))
        }
        _ => false,
    }
}

/// `contains(a, b)`: substring for S and B, membership for sets (element type must match),
/// element equality for lists.
pub(crate) fn contains(a: &AttributeValue, b: &AttributeValue) -> bool {
    use AttributeValue::*;
    match (a, b) {
        (S(x), S(y)) => x.contains(y.as_str()),
        (B(x), B(y)) => y.is_empty() || x.windows(y.len()).any(|w| w == y.as_slice()),
        (SS(s), S(y)) => s.iter().any(|e| e == y),
        (NS(s), N(y)) => s.iter().any(|e| e == y),
        (BS(s), B(y)) => s.iter().any(|e| e == y),
        (L(l), v) => l.iter().any(|e| values_equal(e, v)),
        _ => false,
    }
}

/// `begins_with(a, b)` on two strings or two binaries.
pub(crate) fn begins_with(a: &AttributeValue, b: &AttributeValue) -> bool {
    match (a, b) {
        (AttributeValue::S(x), AttributeValue::S(y)) => x.starts_with(y.as_str()),
        (AttributeValue::B(x), AttributeValue::B(y)) => x.starts_with(y),
        _ => false,
    }
}

/// `size(a)`: UTF-8 length of S, length of B, element count of sets, lists and maps; no
/// value for other types.
pub(crate) fn size_of(v: &AttributeValue) -> Option<AttributeValue> {
    use AttributeValue::*;
    let n = match v {
        S(s) => s.len(),
        B(b) => b.len(),
        SS(s) => s.len(),
        NS(s) => s.len(),
        BS(s) => s.len(),
        L(l) => l.len(),
        M(m) => m.len(),
        N(_) | BOOL(_) | NULL(_) => return None,
    };
    Some(N(Number::from(i64::try_from(n).unwrap_or(i64::MAX))))
}

/// A condition operand's value in `item` (`None`: the attribute does not exist).
pub(crate) fn operand_value<'a>(o: &'a Operand, item: &'a Item) -> Option<Cow<'a, AttributeValue>> {
    match o {
        Operand::Path(p) => p.lookup(item).map(Cow::Borrowed),
        Operand::Value(v) => Some(Cow::Borrowed(v)),
        Operand::Size(inner) => operand_value(inner, item)
            .and_then(|v| size_of(&v))
            .map(Cow::Owned),
        // Update-only operands never reach conditions; evaluate them leniently anyway.
        other => update_value(other, item).ok().flatten(),
    }
}

fn is_ordered(v: &Option<Cow<'_, AttributeValue>>) -> bool {
    v.as_deref().is_none_or(|v| {
        matches!(
            v,
            AttributeValue::S(_) | AttributeValue::N(_) | AttributeValue::B(_)
        )
    })
}

fn ordered(
    l: Option<&AttributeValue>,
    r: Option<&AttributeValue>,
    ok: impl Fn(Ordering) -> bool,
) -> bool {
    match (l, r) {
        (Some(l), Some(r)) => compare_ordered(l, r).is_some_and(ok),
        _ => false,
    }
}

pub(crate) fn eval_condition(c: &Cond, item: &Item) -> bool {
    match c {
        Cond::Cmp(op, l, r) => {
            let (l, r) = (operand_value(l, item), operand_value(r, item));
            let (lv, rv) = (l.as_deref(), r.as_deref());
            match op {
                CmpOp::Eq => matches!((lv, rv), (Some(a), Some(b)) if values_equal(a, b)),
                CmpOp::Ne => !matches!((lv, rv), (Some(a), Some(b)) if values_equal(a, b)),
                CmpOp::Lt => ordered(lv, rv, |o| o == Ordering::Less),
                CmpOp::Le => ordered(lv, rv, |o| o != Ordering::Greater),
                CmpOp::Gt => ordered(lv, rv, |o| o == Ordering::Greater),
                CmpOp::Ge => ordered(lv, rv, |o| o != Ordering::Less),
            }
        }
        Cond::Between(a, lo, hi) => {
            let (a, lo, hi) = (
                operand_value(a, item),
                operand_value(lo, item),
                operand_value(hi, item),
            );
            if !(is_ordered(&a) && is_ordered(&lo) && is_ordered(&hi)) {
                return false;
            }
            ordered(a.as_deref(), hi.as_deref(), |o| o != Ordering::Greater)
                && ordered(a.as_deref(), lo.as_deref(), |o| o != Ordering::Less)
        }
        Cond::In(a, list) => match operand_value(a, item) {
            Some(a) => list
                .iter()
                .any(|o| operand_value(o, item).is_some_and(|v| values_equal(&a, &v))),
            None => false,
        },
        Cond::Exists(p) => p.lookup(item).is_some(),
        Cond::NotExists(p) => p.lookup(item).is_none(),
        Cond::AttrType(o, t) => operand_value(o, item).is_some_and(|v| v.type_name() == t),
        Cond::BeginsWith(a, b) => match (operand_value(a, item), operand_value(b, item)) {
            (Some(a), Some(b)) => begins_with(&a, &b),
            _ => false,
        },
        Cond::Contains(a, b) => match (operand_value(a, item), operand_value(b, item)) {
            (Some(a), Some(b)) => contains(&a, &b),
            _ => false,
        },
        Cond::Not(n, inner) => eval_condition(inner, item) != (n % 2 == 1),
        Cond::And(v) => v.iter().all(|c| eval_condition(c, item)),
        Cond::Or(v) => v.iter().any(|c| eval_condition(c, item)),
    }
}

/// A SET value in `item` (the item as it was before the update): `Ok(None)` when a plain
/// path does not exist; the operators fail as DynamoDB's do.
pub(crate) fn update_value<'a>(
    o: &'a Operand,
    item: &'a Item,
) -> Result<Option<Cow<'a, AttributeValue>>, ExprError> {
    match o {
        Operand::Path(p) => Ok(p.lookup(item).map(Cow::Borrowed)),
        Operand::Value(v) => Ok(Some(Cow::Borrowed(v))),
        Operand::Size(_) => Ok(operand_value(o, item)),
        Operand::IfNotExists(p, fallback) => {
            let fallback = update_value(fallback, item)?.ok_or(ExprError::MissingAttribute)?;
            Ok(Some(p.lookup(item).map_or(fallback, Cow::Borrowed)))
        }
        Operand::ListAppend(a, b) => {
            let (a, b) = (update_value(a, item)?, update_value(b, item)?);
            let a = list_operand(a)?;
            let b = list_operand(b)?;
            let mut out = Vec::with_capacity(a.len() + b.len());
            out.extend(a.iter().cloned());
            out.extend(b.iter().cloned());
            Ok(Some(Cow::Owned(AttributeValue::L(out))))
        }
        Operand::Add(a, b) | Operand::Sub(a, b) => {
            let (a, b) = (update_value(a, item)?, update_value(b, item)?);
            let a = number_operand(a)?;
            let b = number_operand(b)?;
            let n = if matches!(o, Operand::Add(..)) {
                a.checked_add(&b)?
            } else {
                a.checked_sub(&b)?
            };
            Ok(Some(Cow::Owned(AttributeValue::N(n))))
        }
    }
}

fn list_operand<'a>(
    v: Option<Cow<'a, AttributeValue>>,
) -> Result<Cow<'a, [AttributeValue]>, ExprError> {
    match v.ok_or(ExprError::MissingAttribute)? {
        Cow::Borrowed(AttributeValue::L(l)) => Ok(Cow::Borrowed(l.as_slice())),
        Cow::Owned(AttributeValue::L(l)) => Ok(Cow::Owned(l)),
        _ => Err(ExprError::OperandDataType),
    }
}

fn number_operand(v: Option<Cow<'_, AttributeValue>>) -> Result<Number, ExprError> {
    match v.ok_or(ExprError::MissingAttribute)?.as_ref() {
        AttributeValue::N(n) => Ok(n.clone()),
        _ => Err(ExprError::OperandDataType),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> AttributeValue {
        AttributeValue::N(Number::parse(s).unwrap())
    }
    fn s(x: &str) -> AttributeValue {
        AttributeValue::S(x.into())
    }

    #[test]
    fn ordering_only_within_orderable_types() {
        assert_eq!(compare_ordered(&n("10"), &n("9")), Some(Ordering::Greater));
        assert_eq!(
            compare_ordered(&n("-1.5"), &n("-1.25")),
            Some(Ordering::Less)
        );
        assert_eq!(compare_ordered(&s("b"), &s("ab")), Some(Ordering::Greater));
        assert_eq!(
            compare_ordered(&s("\u{FFFD}"), &s("\u{1F600}")),
            Some(Ordering::Less),
            "UTF-8 byte order"
        );
        assert_eq!(
            compare_ordered(&AttributeValue::B(vec![128]), &AttributeValue::B(vec![127])),
            Some(Ordering::Greater),
            "unsigned bytes"
        );
        assert_eq!(compare_ordered(&n("1"), &s("1")), None);
        assert_eq!(
            compare_ordered(&AttributeValue::BOOL(true), &AttributeValue::BOOL(true)),
            None
        );
    }

    #[test]
    fn equality_is_deep_and_sets_are_unordered() {
        assert!(values_equal(&n("1.0"), &n("1")));
        assert!(values_equal(
            &AttributeValue::SS(vec!["a".into(), "b".into()]),
            &AttributeValue::SS(vec!["b".into(), "a".into()])
        ));
        assert!(!values_equal(
            &AttributeValue::SS(vec!["a".into()]),
            &AttributeValue::SS(vec!["a".into(), "b".into()])
        ));
        assert!(values_equal(
            &AttributeValue::NS(vec![n("2").into_n(), n("1").into_n()]),
            &AttributeValue::NS(vec![n("1").into_n(), n("2.0").into_n()])
        ));
        assert!(!values_equal(
            &AttributeValue::L(vec![n("1"), n("2")]),
            &AttributeValue::L(vec![n("2"), n("1")])
        ));
        assert!(!values_equal(&s("1"), &n("1")));
        assert!(values_equal(
            &AttributeValue::NULL(true),
            &AttributeValue::NULL(true)
        ));
    }

    trait IntoN {
        fn into_n(self) -> Number;
    }
    impl IntoN for AttributeValue {
        fn into_n(self) -> Number {
            match self {
                AttributeValue::N(n) => n,
                _ => unreachable!(),
            }
        }
    }

    #[test]
    fn contains_begins_with_size() {
        assert!(contains(&s("banana"), &s("nan")));
        assert!(!contains(&s("banana"), &n("1")));
        assert!(contains(
            &AttributeValue::B(vec![1, 2, 3]),
            &AttributeValue::B(vec![2, 3])
        ));
        assert!(contains(&AttributeValue::SS(vec!["red".into()]), &s("red")));
        assert!(!contains(&AttributeValue::SS(vec!["1".into()]), &n("1")));
        assert!(contains(
            &AttributeValue::NS(vec![n("5").into_n()]),
            &n("5.0")
        ));
        assert!(contains(&AttributeValue::L(vec![s("a"), n("3")]), &n("3")));
        assert!(!contains(&n("33"), &n("3")));
        assert!(begins_with(&s("banana"), &s("ban")));
        assert!(!begins_with(
            &s("banana"),
            &AttributeValue::B(b"ban".to_vec())
        ));
        assert!(begins_with(
            &AttributeValue::B(vec![1, 2, 3]),
            &AttributeValue::B(vec![1, 2])
        ));
        assert_eq!(size_of(&s("é")), Some(n("2")), "UTF-8 bytes");
        assert_eq!(size_of(&AttributeValue::L(vec![])), Some(n("0")));
        assert_eq!(size_of(&n("12")), None);
        assert_eq!(size_of(&AttributeValue::BOOL(true)), None);
    }
}
