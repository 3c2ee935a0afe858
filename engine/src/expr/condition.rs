//! ConditionExpression and FilterExpression: parse once, evaluate per item.

use extenddo_log::Item;

use super::ast::{Cond, DocPath};
use super::error::{ExprError, ExprKind, Problem};
use super::eval::eval_condition;
use super::parser::parse_condition;
use super::placeholders::Placeholders;
use super::validate::{walk_condition, Resolver};

/// DynamoDB's limit on the length of any expression string, in bytes.
pub const MAX_EXPRESSION_BYTES: usize = 4096;

/// The checks DynamoDB makes before parsing: not empty, not too long.
pub(crate) fn precheck(expr: &str, kind: ExprKind) -> Result<(), ExprError> {
    if expr.is_empty() {
        return Err(kind.err(Problem::Empty));
    }
    if expr.len() > MAX_EXPRESSION_BYTES {
        // Condition-like expressions also print the size, as DynamoDB does.
        let size = match kind {
            ExprKind::Condition | ExprKind::Filter | ExprKind::KeyCondition => Some(expr.len()),
            ExprKind::Update | ExprKind::Projection => None,
        };
        return Err(kind.err(Problem::TooLarge { size }));
    }
    Ok(())
}

/// Parses and validates a condition-grammar expression of the given kind.
pub(crate) fn parse_cond(
    expr: &str,
    kind: ExprKind,
    ctx: &mut Placeholders<'_>,
) -> Result<(Cond, Vec<DocPath>), ExprError> {
    precheck(expr, kind)?;
    let raw = parse_condition(expr).map_err(|p| kind.err(p))?;
    walk_condition(&raw).map_err(|p| kind.err(p))?;
    let mut resolver = Resolver::new(ctx);
    let cond = resolver.condition(raw).map_err(|p| kind.err(p))?;
    Ok((cond, resolver.paths))
}

/// A parsed ConditionExpression or FilterExpression.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Condition {
    cond: Cond,
    paths: Vec<DocPath>,
}

impl Condition {
    /// Parses `expr` as a `ConditionExpression`.
    pub fn parse_condition(expr: &str, ctx: &mut Placeholders<'_>) -> Result<Condition, ExprError> {
        Condition::parse(expr, ExprKind::Condition, ctx)
    }

    /// Parses `expr` as a `FilterExpression`.
    pub fn parse_filter(expr: &str, ctx: &mut Placeholders<'_>) -> Result<Condition, ExprError> {
        Condition::parse(expr, ExprKind::Filter, ctx)
    }

    /// Parses a condition-grammar expression; `kind` names it in error messages.
    pub fn parse(
        expr: &str,
        kind: ExprKind,
        ctx: &mut Placeholders<'_>,
    ) -> Result<Condition, ExprError> {
        let (cond, paths) = parse_cond(expr, kind, ctx)?;
        Ok(Condition { cond, paths })
    }

    /// A condition from a tree built elsewhere (the legacy parameters), reading `paths`.
    pub(crate) fn from_tree(cond: Cond, paths: Vec<DocPath>) -> Condition {
        Condition { cond, paths }
    }

    /// Whether `item` satisfies the condition. Never fails; evaluate a condition on a missing
    /// item against an empty `Item`.
    pub fn eval(&self, item: &Item) -> bool {
        eval_condition(&self.cond, item)
    }

    /// Every document path the expression reads, in order (for the caller's key-attribute
    /// checks, e.g. "Filter Expression can only contain non-primary key attributes").
    pub fn paths(&self) -> &[DocPath] {
        &self.paths
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use extenddo_log::{AttributeValue, Number};

    use super::*;

    fn n(s: &str) -> AttributeValue {
        AttributeValue::N(Number::parse(s).unwrap())
    }
    fn s(x: &str) -> AttributeValue {
        AttributeValue::S(x.into())
    }

    fn values() -> HashMap<String, AttributeValue> {
        let mut v = HashMap::new();
        for (k, val) in [
            (":one", n("1")),
            (":two", n("2")),
            (":ten", n("10")),
            (":nine", n("9")),
            (":s", s("banana")),
            (":ban", s("ban")),
            (":nan", s("nan")),
            (":apple", s("apple")),
            (":b12", AttributeValue::B(vec![1, 2])),
            (":l", AttributeValue::L(vec![n("1")])),
            (":m", AttributeValue::M(BTreeMap::new())),
            (":t", AttributeValue::BOOL(true)),
            (":null", AttributeValue::NULL(true)),
            (":S", s("S")),
            (":SS", s("SS")),
            (":NULL", s("NULL")),
            (":bad", s("STRING")),
            (":red", s("red")),
            (":three", n("3")),
            (":x", s("x")),
            (
                ":tags",
                AttributeValue::SS(vec!["green".into(), "red".into()]),
            ),
        ] {
            v.insert(k.to_string(), val);
        }
        v
    }

    fn names() -> HashMap<String, String> {
        let mut m = HashMap::new();
        m.insert("#a".to_string(), "a".to_string());
        m.insert("#d".to_string(), "dotted.name".to_string());
        m.insert("#status".to_string(), "status".to_string());
        m
    }

    fn item() -> Item {
        let mut nested = BTreeMap::new();
        nested.insert("deep".to_string(), s("x"));
        let mut info = BTreeMap::new();
        info.insert("nested".to_string(), AttributeValue::M(nested));
        let mut v1 = BTreeMap::new();
        v1.insert("v".to_string(), n("1"));
        let mut v2 = BTreeMap::new();
        v2.insert("v".to_string(), n("2"));
        info.insert(
            "arr".to_string(),
            AttributeValue::L(vec![AttributeValue::M(v1), AttributeValue::M(v2)]),
        );
        let mut it = Item::new();
        it.insert("n".into(), n("10"));
        it.insert("a".into(), n("1"));
        it.insert("s".into(), s("banana"));
        it.insert("b".into(), AttributeValue::B(vec![1, 2, 3]));
        it.insert("flag".into(), AttributeValue::BOOL(true));
        it.insert("nothing".into(), AttributeValue::NULL(true));
        it.insert(
            "tags".into(),
            AttributeValue::SS(vec!["red".into(), "green".into()]),
        );
        it.insert(
            "nums".into(),
            AttributeValue::NS(vec![Number::from(1), Number::from(5)]),
        );
        it.insert(
            "letters".into(),
            AttributeValue::L(vec![s("a"), s("b"), n("3")]),
        );
        it.insert("info".into(), AttributeValue::M(info));
        it.insert("dotted.name".into(), s("yes"));
        it.insert("status".into(), s("open"));
        it
    }

    fn holds(expr: &str) -> bool {
        let (n, v) = (names(), values());
        let mut ctx = Placeholders::new(Some(&n), Some(&v));
        Condition::parse_condition(expr, &mut ctx)
            .unwrap_or_else(|e| panic!("{expr}: {e}"))
            .eval(&item())
    }

    fn err(expr: &str) -> String {
        let (n, v) = (names(), values());
        let mut ctx = Placeholders::new(Some(&n), Some(&v));
        Condition::parse_condition(expr, &mut ctx)
            .expect_err(expr)
            .to_string()
    }

    #[test]
    fn comparisons_across_types() {
        assert!(holds("n > :nine"));
        assert!(!holds("n < :ten"));
        assert!(holds("n >= :ten AND n <= :ten"));
        assert!(holds("s > :apple"));
        assert!(holds("b > :b12"));
        assert!(!holds("s > :one"), "different types never order");
        assert!(holds("s <> :one"), "<> is true for different types");
        assert!(
            holds("absent <> :one"),
            "<> is true for a missing attribute"
        );
        assert!(!holds("absent = :one"));
        assert!(!holds("absent < :one"));
        assert!(!holds("q = z"), "two missing attributes are not equal");
        assert!(holds("q <> z"));
        assert!(holds(":one = a"));
        assert!(holds("flag = :t"));
        assert!(holds("nothing = :null"));
        assert!(holds("tags = :tags"), "sets compare unordered");
        assert!(!holds("letters < :one"), "lists never order");
    }

    #[test]
    fn between_in_and_logic() {
        assert!(holds("n BETWEEN :nine AND :ten"));
        assert!(!holds("n BETWEEN :one AND :nine"));
        assert!(!holds("s BETWEEN :one AND :ten"));
        assert!(!holds("absent BETWEEN :one AND :ten"));
        assert!(holds("s IN (:apple, :s)"));
        assert!(!holds("s IN (:apple)"));
        assert!(!holds("absent IN (:apple)"));
        assert!(holds("n = :ten OR n = :ten AND n = :nine"));
        assert!(!holds("(n = :ten OR n = :ten) AND n = :nine"));
        assert!(holds("NOT n = :nine AND n = :ten"));
        assert!(!holds("not (n = :ten)"));
        assert!(holds("NOT NOT n = :ten"));
        assert!(holds("n between :one and :ten Or s in (:apple)"));
    }

    #[test]
    fn functions() {
        assert!(holds(
            "attribute_exists(n) AND attribute_not_exists(absent)"
        ));
        assert!(holds("attribute_exists(nothing)"));
        assert!(holds(
            "attribute_type(tags, :SS) AND attribute_type(nothing, :NULL)"
        ));
        assert!(!holds("attribute_type(n, :S)"));
        assert!(!holds("attribute_type(absent, :S)"));
        assert!(holds("begins_with(s, :ban)"));
        assert!(!holds("begins_with(s, :nan)"));
        assert!(holds("begins_with(b, :b12)"));
        assert!(!holds("begins_with(n, :ban)"));
        assert!(holds("contains(s, :nan)"));
        assert!(holds("contains(tags, :red)"));
        assert!(!holds("contains(tags, :nan)"));
        assert!(holds("contains(nums, :one)"));
        assert!(holds("contains(letters, :three)"));
        assert!(!holds("contains(absent, :three)"));
        assert!(holds(
            "size(tags) = :two AND size(letters) = :three AND size(info) = :two"
        ));
        assert!(holds("size(b) = :three"));
        assert!(!holds("size(n) = :two"), "size of a number has no value");
        assert!(!holds("size(absent) = :two"));
        assert!(!holds("size(s) > :nine"));
    }

    #[test]
    fn paths_and_placeholders() {
        assert!(holds("info.nested.deep = :x"));
        assert!(holds("info.arr[1].v = :two"));
        assert!(holds("letters[2] = :three"));
        assert!(holds("attribute_not_exists(letters[9])"));
        assert!(holds("#d <> :one"));
        assert!(!holds("#status = :s"));
        assert!(holds("#a = :one"));
    }

    #[test]
    fn validation_errors() {
        let e = |x: &str| err(x);
        assert_eq!(e("status = :s"), "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status");
        assert_eq!(e("a.Name = :s"), "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: Name");
        assert_eq!(e("#nope = :s"), "Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #nope");
        assert_eq!(e("a = :nope"), "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :nope");
        assert_eq!(
            e("foo(a)"),
            "Invalid ConditionExpression: Invalid function name; function: foo"
        );
        assert_eq!(
            e("BEGINS_WITH(a, :s)"),
            "Invalid ConditionExpression: Invalid function name; function: BEGINS_WITH"
        );
        assert_eq!(e("begins_with(a)"), "Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: begins_with, number of operands: 1");
        assert_eq!(e("size(a)"), "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: size");
        assert_eq!(e("begins_with(a, :s) = :t"), "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: begins_with");
        assert_eq!(e("size(size(a)) = :one"), "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: size, operand type: N");
        assert_eq!(e("if_not_exists(a, :one) = :one"), "Invalid ConditionExpression: The function is not allowed in a condition expression; function: if_not_exists");
        assert_eq!(e("attribute_type(a, :bad)"), "Invalid ConditionExpression: Invalid attribute type name found; type: STRING, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}");
        assert_eq!(e("attribute_type(a, :one)"), "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: attribute_type, operand type: N");
        assert_eq!(e("attribute_type(a, b)"), "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: attribute_type, operand type: {NS,SS,L,BS,N,M,B,BOOL,NULL,S}");
        assert_eq!(e("attribute_exists(:one)"), "Invalid ConditionExpression: Operator or function requires a document path; operator or function: attribute_exists");
        assert_eq!(e("a BETWEEN :ten AND :one"), "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:10}, upper bound operand: AttributeValue: {N:1}");
        assert_eq!(e("a BETWEEN :one AND :s"), "Invalid ConditionExpression: The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {N:1}, upper bound operand: AttributeValue: {S:banana}");
        assert_eq!(e("a BETWEEN :t AND :t"), "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: BETWEEN, operand type: BOOL");
        assert_eq!(e("a < :l"), "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: <, operand type: L");
        assert_eq!(e(":m >= a"), "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: >=, operand type: M");
        assert_eq!(e("begins_with(a, :one)"), "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N");
        assert_eq!(e("a = a"), "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [a]");
        assert_eq!(e("#a = a"), "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [a]");
        assert_eq!(e("contains(a.b, a.b)"), "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: contains, first operand: [a, b]");
        assert_eq!(
            e("((a = :one))"),
            "Invalid ConditionExpression: The expression has redundant parentheses;"
        );
        assert_eq!(e("a.:one = :one"), "Invalid ConditionExpression: The document path cannot contain attribute value parameters; attribute value: :one");
        assert_eq!(e("a[2147483648] = :one"), "Invalid ConditionExpression: List index is not within the allowable range; index: [2147483648]");
        assert!(Condition::parse_condition(
            "a[2147483647] = :one",
            &mut Placeholders::new(None, Some(&values()))
        )
        .is_ok());
        let deep = format!("a{} = :one", ".b".repeat(32));
        assert_eq!(e(&deep), "Invalid ConditionExpression: The document path has too many nesting levels; nesting levels: 33");
        let ok = format!("a{} = :one", ".b".repeat(31));
        assert!(
            Condition::parse_condition(&ok, &mut Placeholders::new(None, Some(&values()))).is_ok()
        );
    }

    #[test]
    fn error_order_follows_the_document() {
        // Walk errors come in document order, before any placeholder is resolved.
        assert_eq!(
            err("foo(a) AND status = :nope"),
            "Invalid ConditionExpression: Invalid function name; function: foo"
        );
        assert_eq!(err("status = :nope AND foo(a)"), "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status");
        assert_eq!(err("a = :nope AND #nope = :one"), "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :nope");
        // Syntax errors first of all.
        assert_eq!(
            err("status = :s AND"),
            "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"AND\""
        );
    }

    #[test]
    fn in_and_operator_limits() {
        let mut vals = values();
        let keys: Vec<String> = (0..101).map(|i| format!(":v{i}")).collect();
        for (i, k) in keys.iter().enumerate() {
            vals.insert(k.clone(), AttributeValue::N(Number::from(i as i64)));
        }
        let mut ctx = Placeholders::new(None, Some(&vals));
        let e = Condition::parse_condition(&format!("a IN ({})", keys.join(", ")), &mut ctx)
            .unwrap_err();
        assert_eq!(e.to_string(), "Invalid ConditionExpression: The IN operator is provided with too many operands; number of operands: 101");
        let mut ctx = Placeholders::new(None, Some(&vals));
        assert!(Condition::parse_condition(
            &format!("a IN ({})", keys[..100].join(", ")),
            &mut ctx
        )
        .is_ok());

        // 150 comparisons joined by 149 ANDs: 299 operators. One more comparison: 301.
        let conds = |k: usize| {
            (0..k)
                .map(|i| format!("a{i} = :one"))
                .collect::<Vec<_>>()
                .join(" AND ")
        };
        let mut ctx = Placeholders::new(None, Some(&vals));
        assert!(Condition::parse_condition(&conds(150), &mut ctx).is_ok());
        let mut ctx = Placeholders::new(None, Some(&vals));
        assert_eq!(
            Condition::parse_condition(&conds(151), &mut ctx).unwrap_err().to_string(),
            "Invalid ConditionExpression: The expression contains too many operators; operator count: 301"
        );
    }

    #[test]
    fn size_and_emptiness() {
        let mut ctx = Placeholders::none();
        assert_eq!(
            Condition::parse_filter("", &mut ctx)
                .unwrap_err()
                .to_string(),
            "Invalid FilterExpression: The expression can not be empty;"
        );
        let long = format!("attribute_exists(a{})", "b".repeat(4096));
        assert_eq!(
            Condition::parse_condition(&long, &mut ctx).unwrap_err().to_string(),
            format!("Invalid ConditionExpression: Expression size has exceeded the maximum allowed size; expression size: {}", long.len())
        );
        let exact = format!("attribute_exists(a{})", "b".repeat(4096 - 19));
        assert_eq!(exact.len(), 4096);
        assert!(Condition::parse_condition(&exact, &mut ctx).is_ok());
    }

    #[test]
    fn unused_placeholders_after_all_expressions() {
        let (n, v) = (names(), values());
        let mut ctx = Placeholders::new(Some(&n), Some(&v));
        Condition::parse_condition("#a = :one", &mut ctx).unwrap();
        assert_eq!(
            ctx.check_unused().unwrap_err().to_string(),
            "Value provided in ExpressionAttributeNames unused in expressions: keys: {#d, #status}"
        );
        let mut names = HashMap::new();
        names.insert("#a".to_string(), "a".to_string());
        let mut vals = HashMap::new();
        vals.insert(":one".to_string(), n_val());
        vals.insert(":unused".to_string(), n_val());
        let mut ctx = Placeholders::new(Some(&names), Some(&vals));
        Condition::parse_filter("#a = :one", &mut ctx).unwrap();
        assert_eq!(
            ctx.check_unused().unwrap_err().to_string(),
            "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}"
        );
        vals.remove(":unused");
        let mut ctx = Placeholders::new(Some(&names), Some(&vals));
        Condition::parse_filter("#a = :one", &mut ctx).unwrap();
        assert!(ctx.check_unused().is_ok());
    }

    fn n_val() -> AttributeValue {
        n("1")
    }

    #[test]
    fn paths_are_reported() {
        let (n, v) = (names(), values());
        let mut ctx = Placeholders::new(Some(&n), Some(&v));
        let c = Condition::parse_condition("#a.b[1] = :one AND size(s) > :two", &mut ctx).unwrap();
        let shown: Vec<String> = c.paths().iter().map(|p| p.to_string()).collect();
        assert_eq!(shown, vec!["[a, b, [1]]", "[s]"]);
    }
}
