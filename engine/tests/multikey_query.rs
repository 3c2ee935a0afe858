//! Query on global secondary indexes whose key has several attributes: the byte ranges the
//! engine derives from the per-attribute conditions (a prefix of equal components and a
//! range on the next one, over the escaped, terminated composite encoding) must return
//! exactly the items a naive filter over every item returns, in DynamoDB's order, page after
//! page, in both directions. Values are chosen to stress the encoding: strings and binaries
//! holding 0x00, 0x01 and 0xFF bytes, prefixes of one another, negative and fractional
//! numbers.

use std::cmp::Ordering;

use extenddo_engine::expr::RangeCondition;
use extenddo_engine::log::sqlite::Sqlite;
use extenddo_engine::log::Sql;
use extenddo_engine::log::{AttributeValue, Number};
use extenddo_engine::sim::Host;
use extenddo_engine::wire::{decode_value, encode_value};
use extenddo_engine::Config;
use proptest::prelude::*;
use serde_json::{json, Value};

const NOW: i64 = 1_700_000_000_000;
const TABLE: &str = "multikey";

#[derive(Clone, Copy, Debug, PartialEq)]
enum Ty {
    S,
    N,
    B,
}

/// The attributes of the fixture's items and their types.
const ATTRS: [(&str, Ty); 5] = [
    ("h1", Ty::S),
    ("h2", Ty::N),
    ("s1", Ty::S),
    ("s2", Ty::B),
    ("s3", Ty::N),
];

/// (index name, partition-key attributes, sort-key attributes)
const INDEXES: [(&str, &[&str], &[&str]); 4] = [
    ("mmm", &["h1", "h2"], &["s1", "s2", "s3"]),
    ("rrr", &["h1"], &["s1", "s2"]),
    ("hhh", &["h1", "h2"], &["s3"]),
    ("four", &["h1"], &["s2", "s1", "s3", "h2"]),
];

fn ty(attr: &str) -> Ty {
    ATTRS
        .iter()
        .find(|(a, _)| *a == attr)
        .map(|(_, t)| *t)
        .unwrap()
}

fn s_values() -> Vec<&'static str> {
    vec![
        "a",
        "a\u{0}",
        "a\u{1}",
        "\u{ff}",
        "ab",
        "a\u{0}\u{0}",
        "\u{0}",
        "b",
        "zz",
    ]
}
fn b_values() -> Vec<Vec<u8>> {
    vec![
        vec![0],
        vec![0, 0],
        vec![255],
        vec![0, 255],
        vec![255, 0],
        vec![1],
        vec![0, 1],
        vec![1, 0],
        vec![255, 255],
    ]
}
fn n_values() -> Vec<&'static str> {
    vec!["-1", "0", "0.5", "-0.5", "10", "1", "-10", "100"]
}

fn value(t: Ty, i: usize) -> AttributeValue {
    match t {
        Ty::S => {
            let v = s_values();
            AttributeValue::S(v[i % v.len()].to_string())
        }
        Ty::B => {
            let v = b_values();
            AttributeValue::B(v[i % v.len()].clone())
        }
        Ty::N => {
            let v = n_values();
            AttributeValue::N(Number::parse(v[i % v.len()]).unwrap())
        }
    }
}

fn order(a: &AttributeValue, b: &AttributeValue) -> Ordering {
    match (a, b) {
        (AttributeValue::S(x), AttributeValue::S(y)) => x.as_bytes().cmp(y.as_bytes()),
        (AttributeValue::B(x), AttributeValue::B(y)) => x.cmp(y),
        (AttributeValue::N(x), AttributeValue::N(y)) => x.cmp(y),
        _ => panic!("mixed types"),
    }
}

/// One item: which attributes it has (`None`: absent, so not in indexes keyed on it).
type Fixture = Vec<[Option<usize>; 5]>;

#[derive(Debug, Clone)]
struct Query {
    index: usize,
    hash: Vec<usize>,
    /// How many leading sort-key attributes get an equality.
    eqs: Vec<usize>,
    /// A range condition on the next sort-key attribute: (operator, value, second value).
    range: Option<(u8, usize, usize)>,
    forward: bool,
    limit: Option<usize>,
}

fn query() -> impl Strategy<Value = Query> {
    (
        0..INDEXES.len(),
        prop::collection::vec(0usize..2, 2),
        prop::collection::vec(0usize..6, 0..4),
        prop::option::of((0u8..7, 0usize..9, 0usize..9)),
        any::<bool>(),
        prop::option::of(1usize..4),
    )
        .prop_map(|(index, hash, eqs, range, forward, limit)| Query {
            index,
            hash,
            eqs,
            range,
            forward,
            limit,
        })
}

fn open() -> Box<dyn Sql> {
    Box::new(Sqlite::in_memory().unwrap())
}

fn run(t: &mut Host, target: &str, body: Value) -> Result<Value, String> {
    match t.request(target, &body) {
        (200, v) => Ok(v),
        (status, v) => Err(format!("HTTP {status}: {v}")),
    }
}

fn setup(items: &Fixture) -> Host {
    let mut t = Host::new(Config::default(), open, NOW);
    let defs: Vec<Value> = std::iter::once(json!({"AttributeName": "pk", "AttributeType": "S"}))
        .chain(
            ATTRS
                .iter()
                .map(|(a, t)| json!({"AttributeName": a, "AttributeType": format!("{t:?}")})),
        )
        .collect();
    let gsis: Vec<Value> = INDEXES
        .iter()
        .map(|(name, hash, range)| {
            let schema: Vec<Value> = hash
                .iter()
                .map(|a| json!({"AttributeName": a, "KeyType": "HASH"}))
                .chain(
                    range
                        .iter()
                        .map(|a| json!({"AttributeName": a, "KeyType": "RANGE"})),
                )
                .collect();
            json!({"IndexName": name, "KeySchema": schema, "Projection": {"ProjectionType": "ALL"}})
        })
        .collect();
    run(
        &mut t,
        "CreateTable",
        json!({
            "TableName": TABLE, "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": defs,
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "GlobalSecondaryIndexes": gsis,
        }),
    )
    .unwrap();
    for (i, attrs) in items.iter().enumerate() {
        let mut item = json!({"pk": {"S": format!("p{i:03}")}});
        for ((name, t), v) in ATTRS.iter().zip(attrs) {
            if let Some(v) = v {
                item[*name] = encode_value(&value(*t, *v));
            }
        }
        run(&mut t, "PutItem", json!({"TableName": TABLE, "Item": item})).unwrap();
    }
    t
}

/// Per-attribute conditions, the KeyConditionExpression, its values.
type Conditions = (
    Vec<(String, RangeCondition)>,
    String,
    Vec<(String, AttributeValue)>,
);

/// The query's per-attribute conditions, or `None` when it is not well formed for the
/// index (e.g. begins_with on a number).
fn conditions(q: &Query) -> Option<Conditions> {
    let (_, hash, range) = INDEXES[q.index];
    let mut conds = Vec::new();
    let mut expr = Vec::new();
    let mut values = Vec::new();
    let mut next_value = |v: AttributeValue| {
        let name = format!(":v{}", values.len());
        values.push((name.clone(), v));
        name
    };
    for (i, a) in hash.iter().enumerate() {
        let v = value(ty(a), q.hash[i % q.hash.len()]);
        expr.push(format!("{a} = {}", next_value(v.clone())));
        conds.push((a.to_string(), RangeCondition::Eq(v)));
    }
    let eqs = q.eqs.len().min(range.len());
    for (a, vi) in range.iter().zip(&q.eqs).take(eqs) {
        let v = value(ty(a), *vi);
        expr.push(format!("{a} = {}", next_value(v.clone())));
        conds.push((a.to_string(), RangeCondition::Eq(v)));
    }
    if let (Some((op, x, y)), Some(a)) = (q.range, range.get(eqs)) {
        let t = ty(a);
        let (mut v1, mut v2) = (value(t, x), value(t, y));
        if order(&v1, &v2) == Ordering::Greater {
            std::mem::swap(&mut v1, &mut v2);
        }
        let (text, rc) = match op {
            0 => (
                format!("{a} < {}", next_value(v1.clone())),
                RangeCondition::Lt(v1),
            ),
            1 => (
                format!("{a} <= {}", next_value(v1.clone())),
                RangeCondition::Le(v1),
            ),
            2 => (
                format!("{a} > {}", next_value(v1.clone())),
                RangeCondition::Gt(v1),
            ),
            3 => (
                format!("{a} >= {}", next_value(v1.clone())),
                RangeCondition::Ge(v1),
            ),
            4 => {
                let (n1, n2) = (next_value(v1.clone()), next_value(v2.clone()));
                (
                    format!("{a} BETWEEN {n1} AND {n2}"),
                    RangeCondition::Between(v1, v2),
                )
            }
            5 if t != Ty::N => (
                format!("begins_with({a}, {})", next_value(v1.clone())),
                RangeCondition::BeginsWith(v1),
            ),
            5 => return None,
            _ => (
                format!("{a} = {}", next_value(v1.clone())),
                RangeCondition::Eq(v1),
            ),
        };
        expr.push(text);
        conds.push((a.to_string(), rc));
    }
    Some((conds, expr.join(" AND "), values))
}

/// Every item the index holds that satisfies the conditions, in index order.
fn naive(items: &Fixture, q: &Query, conds: &[(String, RangeCondition)]) -> Vec<String> {
    let (_, hash, range) = INDEXES[q.index];
    let mut hits: Vec<(Vec<AttributeValue>, String)> = Vec::new();
    'items: for (i, attrs) in items.iter().enumerate() {
        let get = |a: &str| {
            let ix = ATTRS.iter().position(|(n, _)| *n == a).unwrap();
            attrs[ix].map(|v| value(ATTRS[ix].1, v))
        };
        let mut sort_key = Vec::new();
        for a in hash.iter().chain(range.iter()) {
            let Some(v) = get(a) else { continue 'items };
            if let Some((_, c)) = conds.iter().find(|(n, _)| n == a) {
                if !c.matches(&v) {
                    continue 'items;
                }
            }
            if range.contains(a) {
                sort_key.push(v);
            }
        }
        hits.push((sort_key, format!("p{i:03}")));
    }
    hits.sort_by(|(a, pa), (b, pb)| {
        a.iter()
            .zip(b)
            .map(|(x, y)| order(x, y))
            .find(|o| *o != Ordering::Equal)
            .unwrap_or(Ordering::Equal)
            .then_with(|| pa.as_bytes().cmp(pb.as_bytes()))
    });
    let mut out: Vec<String> = hits.into_iter().map(|(_, p)| p).collect();
    if !q.forward {
        out.reverse();
    }
    out
}

fn query_all(
    t: &mut Host,
    q: &Query,
    expr: &str,
    values: &[(String, AttributeValue)],
) -> Result<Vec<String>, String> {
    let vals: serde_json::Map<String, Value> = values
        .iter()
        .map(|(k, v)| (k.clone(), encode_value(v)))
        .collect();
    let mut out = Vec::new();
    let mut start: Option<Value> = None;
    for _ in 0..200 {
        let mut body = json!({
            "TableName": TABLE, "IndexName": INDEXES[q.index].0,
            "KeyConditionExpression": expr, "ExpressionAttributeValues": vals,
            "ScanIndexForward": q.forward,
        });
        if let Some(l) = q.limit {
            body["Limit"] = json!(l);
        }
        if let Some(s) = start.take() {
            body["ExclusiveStartKey"] = s;
        }
        let r = run(t, "Query", body)?;
        for item in r["Items"].as_array().unwrap() {
            match decode_value(&item["pk"]).unwrap() {
                AttributeValue::S(pk) => out.push(pk),
                other => panic!("{other:?}"),
            }
        }
        match r.get("LastEvaluatedKey") {
            Some(k) => start = Some(k.clone()),
            None => return Ok(out),
        }
    }
    Err("too many pages".into())
}

fn fixture() -> impl Strategy<Value = Fixture> {
    let hash = || prop::option::weighted(0.95, 0usize..2);
    let sort = || prop::option::weighted(0.9, 0usize..6);
    prop::collection::vec([hash(), hash(), sort(), sort(), sort()], 0..60)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn multi_attribute_key_queries_match_a_naive_filter(
        items in fixture(),
        queries in prop::collection::vec(query(), 1..8),
    ) {
        let mut t = setup(&items);
        for q in &queries {
            let Some((conds, expr, values)) = conditions(q) else { continue };
            let want = naive(&items, q, &conds);
            let got = query_all(&mut t, q, &expr, &values).unwrap();
            prop_assert_eq!(got, want, "{} on {}", expr, INDEXES[q.index].0);
        }
    }
}

#[test]
fn legacy_key_conditions_on_multi_attribute_keys() {
    let items: Fixture = (0..30)
        .map(|i| [Some(i % 2), Some(0), Some(i % 5), Some(i % 9), Some(i % 8)])
        .collect();
    let mut t = setup(&items);
    let eq = |v: AttributeValue| json!({"ComparisonOperator": "EQ", "AttributeValueList": [encode_value(&v)]});
    let r = run(&mut t, "Query", json!({
        "TableName": TABLE, "IndexName": "mmm",
        "KeyConditions": {
            "h1": eq(value(Ty::S, 0)), "h2": eq(value(Ty::N, 0)), "s1": eq(value(Ty::S, 1)),
            "s2": {"ComparisonOperator": "GE", "AttributeValueList": [encode_value(&value(Ty::B, 3))]},
        },
    }))
    .unwrap();
    let q = Query {
        index: 0,
        hash: vec![0, 0],
        eqs: vec![1],
        range: Some((3, 3, 3)),
        forward: true,
        limit: None,
    };
    let (conds, _, _) = conditions(&q).unwrap();
    let want = naive(&items, &q, &conds);
    let got: Vec<String> = r["Items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["pk"]["S"].as_str().unwrap().to_string())
        .collect();
    assert!(!want.is_empty());
    assert_eq!(got, want);
}

#[test]
fn multi_attribute_key_errors() {
    let mut t = setup(&vec![]);
    let mut q = |expr: &str, values: Value| {
        run(&mut t, "Query", json!({
            "TableName": TABLE, "IndexName": "mmm", "KeyConditionExpression": expr, "ExpressionAttributeValues": values,
        }))
        .unwrap_err()
    };
    let e = q("h1 = :a", json!({":a": {"S": "x"}}));
    assert!(
        e.contains("Query condition missed key schema element: h2"),
        "{e}"
    );
    let e = q(
        "h1 = :a AND h2 = :n AND s2 = :b",
        json!({":a": {"S": "x"}, ":n": {"N": "1"}, ":b": {"B": "AA=="}}),
    );
    // AWS's wording (paritysuite multiAttributeGsiKey.test.ts, verified on AWS).
    assert!(
        e.contains("RANGE key attributes s1 must have equality conditions specified in the query because a condition is present on key attribute s2"),
        "{e}"
    );
    let e = q(
        "h1 = :a AND h2 = :n AND s1 > :a AND s2 = :b",
        json!({":a": {"S": "x"}, ":n": {"N": "1"}, ":b": {"B": "AA=="}}),
    );
    assert!(
        e.contains("RANGE key attributes s1 must have equality conditions"),
        "{e}"
    );
    let e = q("h1 = :a AND h2 = :a", json!({":a": {"S": "x"}}));
    assert!(
        e.contains("Condition parameter type does not match schema type"),
        "{e}"
    );
    let e = q(
        "h1 = :a AND h2 = :n AND s1 = :a AND s2 = :b AND begins_with(s3, :a)",
        json!({":a": {"S": "x"}, ":n": {"N": "1"}, ":b": {"B": "AA=="}}),
    );
    assert!(e.contains("begins_with"), "{e}");
}
