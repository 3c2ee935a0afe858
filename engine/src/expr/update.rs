//! UpdateExpression: parse once, apply to an item.
//!
//! Every action is computed against the item as it was before the update (SET values read
//! the old item; list indexes refer to the old lists) and the actions never overlap, so the
//! result does not depend on their order. Applying walks a tree of the updated paths over
//! the old item, as DynamoDB does: inside a list, replaced elements keep their place, removed
//! ones disappear, and indexes past the end append in index order.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::hash::Hash;

use extenddo_log::{AttributeValue, Item};

use super::ast::{DocPath, Operand, PathElement, RawAction};
use super::condition::precheck;
use super::error::{ExprError, ExprKind, Problem};
use super::eval::update_value;
use super::legacy::LegacyUpdate;
use super::parser::parse_update;
use super::placeholders::Placeholders;
use super::projection::project_item;
use super::validate::{check_overlap, walk_update, Resolver};

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
enum Action {
    Set(Operand),
    Remove,
    Add(AttributeValue),
    Delete(AttributeValue),
    /// Legacy `AttributeUpdates` ADD: also appends lists; a type clash is "Type mismatch for
    /// attribute to update".
    LegacyAdd(AttributeValue),
    /// Legacy `AttributeUpdates` DELETE with a set value.
    LegacyDelete(AttributeValue),
}

#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
struct UpdNode {
    children: BTreeMap<PathElement, UpdChild>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
enum UpdChild {
    /// The index of the action applied here.
    Leaf(usize),
    Node(UpdNode),
}

impl UpdNode {
    fn insert(&mut self, path: &[PathElement], action: usize) {
        let Some((first, rest)) = path.split_first() else {
            return;
        };
        if rest.is_empty() {
            self.children
                .entry(first.clone())
                .or_insert(UpdChild::Leaf(action));
            return;
        }
        let child = self
            .children
            .entry(first.clone())
            .or_insert_with(|| UpdChild::Node(UpdNode::default()));
        if let UpdChild::Node(n) = child {
            n.insert(rest, action);
        }
    }
}

/// A parsed UpdateExpression.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct UpdateExpr {
    actions: Vec<Action>,
    paths: Vec<DocPath>,
    tree: UpdNode,
}

/// Long type names, as DynamoDB prints them in ADD / DELETE operand errors.
fn long_type_name(v: &AttributeValue) -> &'static str {
    match v {
        AttributeValue::S(_) => "STRING",
        AttributeValue::N(_) => "NUMBER",
        AttributeValue::B(_) => "BINARY",
        AttributeValue::SS(_) => "STRING_SET",
        AttributeValue::NS(_) => "NUMBER_SET",
        AttributeValue::BS(_) => "BINARY_SET",
        AttributeValue::BOOL(_) => "BOOLEAN",
        AttributeValue::NULL(_) => "NULL",
        AttributeValue::L(_) => "LIST",
        AttributeValue::M(_) => "MAP",
    }
}

impl UpdateExpr {
    pub fn parse(expr: &str, ctx: &mut Placeholders<'_>) -> Result<UpdateExpr, ExprError> {
        let kind = ExprKind::Update;
        precheck(expr, kind)?;
        let sections = parse_update(expr).map_err(|p| kind.err(p))?;
        walk_update(&sections).map_err(|p| kind.err(p))?;
        let raw: Vec<RawAction> = sections.into_iter().flat_map(|s| s.actions).collect();
        let mut resolver = Resolver::new(ctx);

        // The paths first: names, nesting, overlaps and conflicts.
        let mut paths: Vec<DocPath> = Vec::with_capacity(raw.len());
        let mut conflict = None;
        let mut rest = Vec::with_capacity(raw.len());
        for a in raw {
            let (path, rest_of) = match a {
                RawAction::Set(p, v) => (p, RawRest::Set(v)),
                RawAction::Remove(p) => (p, RawRest::Remove),
                RawAction::Add(p, v) => (p, RawRest::Add(v)),
                RawAction::Delete(p, v) => (p, RawRest::Delete(v)),
            };
            let path = resolver.path(path).map_err(|p| kind.err(p))?;
            check_overlap(&paths, &path, &mut conflict).map_err(|p| kind.err(p))?;
            paths.push(path);
            rest.push(rest_of);
        }
        if let Some(c) = conflict {
            return Err(kind.err(c));
        }
        // Paths read by SET values are not updated paths.
        resolver.paths.clear();

        // Then each action's operand.
        let mut actions = Vec::with_capacity(rest.len());
        for r in rest {
            let action = match r {
                RawRest::Set(v) => Action::Set(resolver.operand(v).map_err(|p| kind.err(p))?),
                RawRest::Remove => Action::Remove,
                RawRest::Add(v) => {
                    let v = resolver.value(&v).map_err(|p| kind.err(p))?;
                    if !matches!(
                        v,
                        AttributeValue::N(_)
                            | AttributeValue::SS(_)
                            | AttributeValue::NS(_)
                            | AttributeValue::BS(_)
                    ) {
                        return Err(kind.err(Problem::ActionOperandType {
                            action: "ADD",
                            ty: long_type_name(&v),
                            type_set: "ALLOWED_FOR_ADD_OPERAND",
                        }));
                    }
                    Action::Add(v)
                }
                RawRest::Delete(v) => {
                    let v = resolver.value(&v).map_err(|p| kind.err(p))?;
                    if !matches!(
                        v,
                        AttributeValue::SS(_) | AttributeValue::NS(_) | AttributeValue::BS(_)
                    ) {
                        return Err(kind.err(Problem::ActionOperandType {
                            action: "DELETE",
                            ty: long_type_name(&v),
                            type_set: "ALLOWED_FOR_DELETE_OPERAND",
                        }));
                    }
                    Action::Delete(v)
                }
            };
            actions.push(action);
        }

        let mut tree = UpdNode::default();
        for (i, p) in paths.iter().enumerate() {
            tree.insert(p.elements(), i);
        }
        Ok(UpdateExpr {
            actions,
            paths,
            tree,
        })
    }

    /// The update a legacy `AttributeUpdates` map states (validated by the caller), one
    /// top-level attribute per entry: PUT sets it, ADD adds to it, DELETE removes it or, given
    /// a set, removes those elements.
    pub fn from_attribute_updates(updates: Vec<(String, LegacyUpdate)>) -> UpdateExpr {
        let mut actions = Vec::with_capacity(updates.len());
        let mut paths = Vec::with_capacity(updates.len());
        let mut tree = UpdNode::default();
        for (name, update) in updates {
            let path = DocPath::attr(name);
            if paths.contains(&path) {
                continue;
            }
            tree.insert(path.elements(), actions.len());
            actions.push(match update {
                LegacyUpdate::Put(v) => Action::Set(Operand::Value(v)),
                LegacyUpdate::Add(v) => Action::LegacyAdd(v),
                LegacyUpdate::Delete(None) => Action::Remove,
                LegacyUpdate::Delete(Some(v)) => Action::LegacyDelete(v),
            });
            paths.push(path);
        }
        UpdateExpr {
            actions,
            paths,
            tree,
        }
    }

    /// Whether every action only takes something away (REMOVE, DELETE, legacy DELETE):
    /// applied to a missing item such an update leaves nothing to create, and DynamoDB
    /// creates nothing.
    pub fn only_removes(&self) -> bool {
        // No actions at all (`AttributeUpdates: {}`) still creates the key-only item.
        !self.actions.is_empty()
            && self.actions.iter().all(|a| {
                matches!(
                    a,
                    Action::Remove | Action::Delete(_) | Action::LegacyDelete(_)
                )
            })
    }

    /// The updated document paths, in the order they appear in the expression.
    pub fn paths(&self) -> &[DocPath] {
        &self.paths
    }

    /// The top-level attributes the update touches (to reject updates of key attributes:
    /// "Cannot update attribute pk. This attribute is part of the key").
    pub fn top_level_attributes(&self) -> BTreeSet<String> {
        self.paths
            .iter()
            .filter_map(|p| p.top_level().map(str::to_string))
            .collect()
    }

    /// `item` projected onto the updated paths: what ReturnValues UPDATED_OLD returns when
    /// given the old item and UPDATED_NEW when given the new one.
    pub fn project_updated(&self, item: &Item) -> Item {
        project_item(item, &self.paths)
    }

    /// Applies the update to `item` (an empty `Item` when the item does not exist yet) and
    /// returns the new item; `item` is left unchanged.
    pub fn apply(&self, item: &Item) -> Result<Item, ExprError> {
        self.apply_map(&self.tree, item, item)
    }

    fn apply_map(
        &self,
        node: &UpdNode,
        map: &BTreeMap<String, AttributeValue>,
        root: &Item,
    ) -> Result<BTreeMap<String, AttributeValue>, ExprError> {
        let mut out = BTreeMap::new();
        for (key, child) in &node.children {
            let PathElement::Attr(name) = key else {
                return Err(ExprError::InvalidPathForUpdate);
            };
            if let Some(v) = self.apply_child(child, map.get(name), root)? {
                out.insert(name.clone(), v);
            }
        }
        for (k, v) in map {
            if !node.children.contains_key(&PathElement::Attr(k.clone())) {
                out.insert(k.clone(), v.clone());
            }
        }
        Ok(out)
    }

    fn apply_list(
        &self,
        node: &UpdNode,
        list: &[AttributeValue],
        root: &Item,
    ) -> Result<Vec<AttributeValue>, ExprError> {
        let mut out: BTreeMap<u64, AttributeValue> = BTreeMap::new();
        for (key, child) in &node.children {
            let PathElement::Index(ix) = key else {
                return Err(ExprError::InvalidPathForUpdate);
            };
            if let Some(v) = self.apply_child(child, list.get(*ix as usize), root)? {
                out.insert(u64::from(*ix), v);
            }
        }
        for (i, v) in list.iter().enumerate() {
            let ix = u32::try_from(i).ok();
            if !ix.is_some_and(|ix| node.children.contains_key(&PathElement::Index(ix))) {
                out.insert(i as u64, v.clone());
            }
        }
        Ok(out.into_values().collect())
    }

    /// The new value at one updated place (`None`: absent afterwards).
    fn apply_child(
        &self,
        child: &UpdChild,
        old: Option<&AttributeValue>,
        root: &Item,
    ) -> Result<Option<AttributeValue>, ExprError> {
        match child {
            UpdChild::Leaf(i) => match self.actions.get(*i) {
                Some(action) => apply_action(action, old, root),
                None => Ok(old.cloned()),
            },
            UpdChild::Node(sub) => match old {
                Some(AttributeValue::M(m)) => {
                    Ok(Some(AttributeValue::M(self.apply_map(sub, m, root)?)))
                }
                Some(AttributeValue::L(l)) => {
                    Ok(Some(AttributeValue::L(self.apply_list(sub, l, root)?)))
                }
                _ => Err(ExprError::InvalidPathForUpdate),
            },
        }
    }
}

enum RawRest {
    Set(super::ast::RawOperand),
    Remove,
    Add(String),
    Delete(String),
}

fn apply_action(
    action: &Action,
    old: Option<&AttributeValue>,
    root: &Item,
) -> Result<Option<AttributeValue>, ExprError> {
    use AttributeValue::*;
    match action {
        Action::Set(value) => Ok(Some(
            update_value(value, root)?
                .ok_or(ExprError::MissingAttribute)?
                .into_owned(),
        )),
        Action::Remove => Ok(None),
        Action::Add(v) => {
            let Some(old) = old else {
                return Ok(Some(v.clone()));
            };
            match (old, v) {
                (N(a), N(b)) => Ok(Some(N(a.checked_add(b)?))),
                (SS(a), SS(b)) => Ok(Some(SS(union(a, b)))),
                (NS(a), NS(b)) => Ok(Some(NS(union(a, b)))),
                (BS(a), BS(b)) => Ok(Some(BS(union(a, b)))),
                _ => Err(ExprError::OperandDataType),
            }
        }
        Action::LegacyAdd(v) => {
            let Some(old) = old else {
                return Ok(Some(v.clone()));
            };
            match (old, v) {
                (N(a), N(b)) => Ok(Some(N(a.checked_add(b)?))),
                (SS(a), SS(b)) => Ok(Some(SS(union(a, b)))),
                (NS(a), NS(b)) => Ok(Some(NS(union(a, b)))),
                (BS(a), BS(b)) => Ok(Some(BS(union(a, b)))),
                (L(a), L(b)) => Ok(Some(L(a.iter().chain(b).cloned().collect()))),
                _ => Err(ExprError::TypeMismatchForUpdate),
            }
        }
        Action::LegacyDelete(v) => {
            let Some(old) = old else { return Ok(None) };
            match (old, v) {
                (SS(a), SS(b)) => Ok(non_empty(SS(difference(a, b)))),
                (NS(a), NS(b)) => Ok(non_empty(NS(difference(a, b)))),
                (BS(a), BS(b)) => Ok(non_empty(BS(difference(a, b)))),
                _ => Err(ExprError::TypeMismatchForUpdate),
            }
        }
        Action::Delete(v) => {
            let Some(old) = old else { return Ok(None) };
            let rest = match (old, v) {
                (SS(a), SS(b)) => non_empty(SS(difference(a, b))),
                (NS(a), NS(b)) => non_empty(NS(difference(a, b))),
                (BS(a), BS(b)) => non_empty(BS(difference(a, b))),
                _ => return Err(ExprError::OperandDataType),
            };
            Ok(rest)
        }
    }
}

/// `a` followed by the elements of `b` it lacks (set elements are normalized, so equality is
/// set membership).
fn union<T: Clone + Eq + Hash>(a: &[T], b: &[T]) -> Vec<T> {
    let mut seen: HashSet<&T> = a.iter().collect();
    let mut out = a.to_vec();
    for x in b {
        if seen.insert(x) {
            out.push(x.clone());
        }
    }
    out
}

fn difference<T: Clone + Eq + Hash>(a: &[T], b: &[T]) -> Vec<T> {
    let remove: HashSet<&T> = b.iter().collect();
    a.iter().filter(|x| !remove.contains(x)).cloned().collect()
}

/// `None` when a set became empty (DynamoDB removes the attribute).
fn non_empty(v: AttributeValue) -> Option<AttributeValue> {
    let empty = match &v {
        AttributeValue::SS(s) => s.is_empty(),
        AttributeValue::NS(s) => s.is_empty(),
        AttributeValue::BS(s) => s.is_empty(),
        _ => false,
    };
    (!empty).then_some(v)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use extenddo_log::Number;

    use super::*;

    fn n(s: &str) -> AttributeValue {
        AttributeValue::N(Number::parse(s).unwrap())
    }
    fn s(x: &str) -> AttributeValue {
        AttributeValue::S(x.into())
    }
    fn ss(v: &[&str]) -> AttributeValue {
        AttributeValue::SS(v.iter().map(|x| x.to_string()).collect())
    }
    fn ns(v: &[&str]) -> AttributeValue {
        AttributeValue::NS(v.iter().map(|x| Number::parse(x).unwrap()).collect())
    }
    fn l(v: Vec<AttributeValue>) -> AttributeValue {
        AttributeValue::L(v)
    }
    fn m(v: Vec<(&str, AttributeValue)>) -> AttributeValue {
        AttributeValue::M(v.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }
    fn item(v: Vec<(&str, AttributeValue)>) -> Item {
        v.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }

    fn values() -> HashMap<String, AttributeValue> {
        [
            (":v", s("v")),
            (":one", n("1")),
            (":two", n("2")),
            (":n3", n("3")),
            (":s", s("str")),
            (":ss", ss(&["a", "b"])),
            (":ss2", ss(&["b", "c"])),
            (":ssb", ss(&["b"])),
            (":ns", ns(&["1"])),
            (":bs", AttributeValue::BS(vec![vec![1]])),
            (":l", l(vec![n("1")])),
            (":l2", l(vec![s("x"), s("y")])),
            (":m", m(vec![])),
            (":t", AttributeValue::BOOL(true)),
            (":z", AttributeValue::NULL(true)),
            (":b", AttributeValue::B(vec![1])),
            (":max", n("9.9999999999999999999999999999999999999e125")),
            (":n9", n("9e125")),
            (":o", n("1")),
            (":n9", n("9e125")),
            (":o", n("1")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    fn names() -> HashMap<String, String> {
        [
            ("#c", "c"),
            ("#d", "[3]"),
            ("#b", "b"),
            ("#1", "1"),
            ("#status", "status"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    fn parse(expr: &str) -> Result<UpdateExpr, String> {
        let (nm, vs) = (names(), values());
        let mut ctx = Placeholders::new(Some(&nm), Some(&vs));
        UpdateExpr::parse(expr, &mut ctx).map_err(|e| e.to_string())
    }

    fn apply(expr: &str, old: &Item) -> Result<Item, ExprError> {
        parse(expr)
            .unwrap_or_else(|e| panic!("{expr}: {e}"))
            .apply(old)
    }

    #[test]
    fn set_remove_add_delete_basics() {
        let old = item(vec![
            ("a", n("1")),
            ("b", s("x")),
            ("c", ss(&["a", "b", "c"])),
            ("d", n("10")),
            ("g", ss(&["a"])),
        ]);
        let new = apply(
            "SET e = :v, a = a + :two, d = d - :one REMOVE b ADD f :one, g :ss2 DELETE c :ssb",
            &old,
        )
        .unwrap();
        assert_eq!(
            new,
            item(vec![
                ("a", n("3")),
                ("c", ss(&["a", "c"])),
                ("d", n("9")),
                ("e", s("v")),
                ("f", n("1")),
                ("g", ss(&["a", "b", "c"]))
            ])
        );
        assert_eq!(old.len(), 5, "the old item is untouched");
    }

    #[test]
    fn set_functions() {
        let old = item(vec![("a", n("5")), ("lst", l(vec![n("1")]))]);
        let new = apply("SET x = if_not_exists(a, :one), y = if_not_exists(absent, :two), lst = list_append(lst, :l2), z = list_append(:l2, lst)", &old).unwrap();
        assert_eq!(new.get("x"), Some(&n("5")));
        assert_eq!(new.get("y"), Some(&n("2")));
        assert_eq!(new.get("lst"), Some(&l(vec![n("1"), s("x"), s("y")])));
        assert_eq!(
            new.get("z"),
            Some(&l(vec![s("x"), s("y"), n("1")])),
            "values read the old item"
        );
        let new = apply("SET c = if_not_exists(c, :one) + :two", &Item::new()).unwrap();
        assert_eq!(new.get("c"), Some(&n("3")));
        let new = apply("SET a = (b), c = (:one + :two)", &item(vec![("b", s("q"))])).unwrap();
        assert_eq!(new.get("a"), Some(&s("q")));
        assert_eq!(new.get("c"), Some(&n("3")));
    }

    #[test]
    fn exact_decimal_arithmetic() {
        let new = apply("SET a = a + :one", &item(vec![("a", n("0.1"))])).unwrap();
        assert_eq!(new.get("a"), Some(&n("1.1")));
        let e = apply("SET a = a + :n9", &item(vec![("a", n("9e125"))])).unwrap_err();
        assert_eq!(e.to_string(), "Number overflow. Attempting to store a number with magnitude larger than supported range");
        let e = apply("ADD a :max", &item(vec![("a", n("1e-100"))])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Number overflow. Attempting to store a number with magnitude larger than supported range"
        );
    }

    #[test]
    fn nested_paths_and_lists_as_dynamodb() {
        // dynalite's test (checked against DynamoDB): every value reads the old item, list
        // indexes refer to the old list, appends land in index order.
        let key = s("key");
        let old = item(vec![
            ("a", key.clone()),
            ("b", m(vec![("a", n("1")), ("b", n("2")), ("c", n("3"))])),
            ("c", l(vec![n("1"), n("3")])),
        ]);
        let mut vs = values();
        vs.insert(":a".into(), n("2"));
        vs.insert(":b".into(), ss(&["a"]));
        let nm = names();
        let mut ctx = Placeholders::new(Some(&nm), Some(&vs));
        let u = UpdateExpr::parse(
            "set b.c=((c[1])+(b.a)),b.a = a,c[1] = a, c[4] = b.a - b.b, c[2] = b.c add c[8] :b, c[6] :a",
            &mut ctx,
        )
        .unwrap();
        let new = u.apply(&old).unwrap();
        assert_eq!(
            new.get("b"),
            Some(&m(vec![("a", key.clone()), ("b", n("2")), ("c", n("4"))]))
        );
        assert_eq!(
            new.get("c"),
            Some(&l(vec![
                n("1"),
                key.clone(),
                n("3"),
                n("-1"),
                n("2"),
                ss(&["a"])
            ]))
        );
        assert_eq!(
            u.project_updated(&new),
            item(vec![
                ("b", m(vec![("a", key.clone()), ("c", n("4"))])),
                ("c", l(vec![key.clone(), n("3"), n("2")]))
            ])
        );
        assert_eq!(
            u.project_updated(&old),
            item(vec![
                ("b", m(vec![("a", n("1")), ("c", n("3"))])),
                ("c", l(vec![n("3")]))
            ])
        );
        assert_eq!(
            u.top_level_attributes().into_iter().collect::<Vec<_>>(),
            vec!["b", "c"]
        );
    }

    #[test]
    fn list_removal_uses_old_indexes() {
        let old = item(vec![("l", l(vec![s("a"), s("b"), s("c"), s("d")]))]);
        let new = apply("REMOVE l[1], l[2]", &old).unwrap();
        assert_eq!(new.get("l"), Some(&l(vec![s("a"), s("d")])));
        let new = apply("REMOVE l[0] SET l[3] = :v, l[9] = :s", &old).unwrap();
        assert_eq!(
            new.get("l"),
            Some(&l(vec![s("b"), s("c"), s("v"), s("str")]))
        );
        let new = apply("REMOVE l[7]", &old).unwrap();
        assert_eq!(new, old, "removing past the end does nothing");
        let new = apply("SET l[4] = :v REMOVE l[5]", &old).unwrap();
        assert_eq!(
            new.get("l"),
            Some(&l(vec![s("a"), s("b"), s("c"), s("d"), s("v")]))
        );
        let old = item(vec![(
            "l",
            l(vec![m(vec![("x", n("1"))]), m(vec![("x", n("2"))])]),
        )]);
        let new = apply("REMOVE l[0] SET l[1].y = :v", &old).unwrap();
        assert_eq!(
            new.get("l"),
            Some(&l(vec![m(vec![("x", n("2")), ("y", s("v"))])]))
        );
    }

    #[test]
    fn add_and_delete_semantics() {
        let new = apply("ADD n :one, s :ss, ns :ns, bs :bs", &Item::new()).unwrap();
        assert_eq!(new.get("n"), Some(&n("1")), "missing number starts at 0");
        assert_eq!(
            new.get("s"),
            Some(&ss(&["a", "b"])),
            "missing set is created"
        );
        assert_eq!(new.get("ns"), Some(&ns(&["1"])));
        let old = item(vec![
            ("s", ss(&["a", "b"])),
            ("n", n("1")),
            ("m", m(vec![("k", n("1"))])),
        ]);
        let new = apply("ADD s :ss2, n :two, m.k :one, m.j :one", &old).unwrap();
        assert_eq!(new.get("s"), Some(&ss(&["a", "b", "c"])));
        assert_eq!(new.get("n"), Some(&n("3")));
        assert_eq!(new.get("m"), Some(&m(vec![("j", n("1")), ("k", n("2"))])));
        let new = apply("DELETE s :ss", &old).unwrap();
        assert_eq!(new.get("s"), None, "an emptied set removes the attribute");
        let new = apply("DELETE s :ssb, absent :ss", &old).unwrap();
        assert_eq!(new.get("s"), Some(&ss(&["a"])));
        assert_eq!(new.get("absent"), None);
        for (expr, it) in [
            ("ADD s :one", &old),
            ("ADD n :ss", &old),
            ("DELETE n :ss", &old),
            ("DELETE s :ns", &old),
            ("SET x = m + :one", &old),
            ("SET x = s - :one", &old),
            ("SET x = list_append(n, :l)", &old),
            ("SET x = list_append(:l, m)", &old),
        ] {
            assert_eq!(
                apply(expr, it).unwrap_err(),
                ExprError::OperandDataType,
                "{expr}"
            );
            assert_eq!(
                apply(expr, it).unwrap_err().to_string(),
                "An operand in the update expression has an incorrect data type"
            );
        }
    }

    #[test]
    fn runtime_path_and_attribute_errors() {
        let old = item(vec![
            ("b", s("x")),
            ("c", m(vec![("1", s("a"))])),
            ("d", l(vec![s("a"), s("b")])),
        ]);
        for expr in [
            "set b.a = :v",
            "set b[1] = :v",
            "set y.a = :v",
            "set y[1] = :v",
            "set c[1] = :v",
            "set d.#1 = :v",
            "remove b.a",
            "remove b[1]",
            "remove y.a",
            "remove y[1]",
            "remove c[1]",
            "remove d.#1",
            "delete b.a :ss",
            "delete y[1] :ss",
            "delete c[1] :ss",
            "delete d.#1 :ss",
            "add b.a :one",
            "add y.a :one",
            "add c[1] :one",
            "add d.#1 :one",
        ] {
            assert_eq!(
                apply(expr, &old).unwrap_err(),
                ExprError::InvalidPathForUpdate,
                "{expr}"
            );
        }
        assert_eq!(
            apply("set b.a = :v", &Item::new()).unwrap_err().to_string(),
            "The document path provided in the update expression is invalid for update"
        );
        for expr in [
            "set x = nope",
            "set x = list_append(nope, :l)",
            "set x = nope + :one",
            "set x = if_not_exists(b, nope)",
        ] {
            assert_eq!(
                apply(expr, &old).unwrap_err(),
                ExprError::MissingAttribute,
                "{expr}"
            );
        }
        assert_eq!(
            apply("set x = nope", &old).unwrap_err().to_string(),
            "The provided expression refers to an attribute that does not exist in the item"
        );
        // Removing what is not there is fine.
        assert_eq!(apply("remove nope, c.nope, d[5]", &old).unwrap(), old);
    }

    #[test]
    fn parse_errors() {
        let e = |x: &str| parse(x).expect_err(x);
        assert_eq!(
            e(""),
            "Invalid UpdateExpression: The expression can not be empty;"
        );
        assert_eq!(
            e(&format!("SET a = {}", "b".repeat(4096))),
            "Invalid UpdateExpression: Expression size has exceeded the maximum allowed size;"
        );
        assert_eq!(
            e("INVALID SYNTAX HERE"),
            "Invalid UpdateExpression: Syntax error; token: \"INVALID\", near: \"INVALID SYNTAX\""
        );
        assert_eq!(e("SET status = :v"), "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: status");
        assert_eq!(e(" set #c = :v set abOrt = :v "), "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: abOrt");
        assert_eq!(e(" remove Absolute "), "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: Absolute");
        assert_eq!(
            e("set #c = if_not_exist(:v) set c = d"),
            "Invalid UpdateExpression: Invalid function name; function: if_not_exist"
        );
        assert_eq!(e("set a = #c set c = :v"), "Invalid UpdateExpression: The \"SET\" section can only be used once in an update expression;");
        assert_eq!(e("remove #b set a = b remove e"), "Invalid UpdateExpression: The \"REMOVE\" section can only be used once in an update expression;");
        assert_eq!(e("add #b :one set a = b add e :one"), "Invalid UpdateExpression: The \"ADD\" section can only be used once in an update expression;");
        assert_eq!(e("delete #b :ss set a = b delete #c :ss"), "Invalid UpdateExpression: The \"DELETE\" section can only be used once in an update expression;");
        assert_eq!(e("SET #nope = :v"), "Invalid UpdateExpression: An expression attribute name used in the document path is not defined; attribute name: #nope");
        assert_eq!(e("SET a = :nope"), "Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :nope");
        assert_eq!(e("SET a = size(b)"), "Invalid UpdateExpression: The function is not allowed in an update expression; function: size");
        assert_eq!(e("SET a = list_append(list_append(a, :l), :l)"), "Invalid UpdateExpression: The function is not allowed to be used this way in an expression; function: list_append");
        assert_eq!(e("SET a = b + list_append(a, :l)"), "Invalid UpdateExpression: The function is not allowed to be used this way in an expression; function: list_append");
        assert_eq!(e("set a = if_not_exists(c)"), "Invalid UpdateExpression: Incorrect number of operands for operator or function; operator or function: if_not_exists, number of operands: 1");
        assert_eq!(e("set a = list_append(c)"), "Invalid UpdateExpression: Incorrect number of operands for operator or function; operator or function: list_append, number of operands: 1");
        assert_eq!(e("set a = if_not_exists(:v, c)"), "Invalid UpdateExpression: Operator or function requires a document path; operator or function: if_not_exists");
        assert_eq!(e("set a = if_not_exists(a, a)"), "Invalid UpdateExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: if_not_exists, first operand: [a]");
        assert_eq!(e("set a = list_append(:s, a)"), "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: S");
        assert_eq!(e("set a = list_append(a, :one)"), "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: N");
        assert_eq!(e("set a = a + :s"), "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: +, operand type: S");
        assert_eq!(e("set a = :b - a"), "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: -, operand type: B");
        assert_eq!(e("set a = a - :m"), "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: -, operand type: M");
        assert_eq!(e("ADD a :s"), "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: STRING, typeSet: ALLOWED_FOR_ADD_OPERAND");
        assert_eq!(e("ADD a :l"), "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: LIST, typeSet: ALLOWED_FOR_ADD_OPERAND");
        assert_eq!(e("ADD a.b :t"), "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: BOOLEAN, typeSet: ALLOWED_FOR_ADD_OPERAND");
        assert_eq!(e("DELETE a :one"), "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: NUMBER, typeSet: ALLOWED_FOR_DELETE_OPERAND");
        assert_eq!(e("DELETE a :z"), "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: NULL, typeSet: ALLOWED_FOR_DELETE_OPERAND");
        assert_eq!(e("DELETE a :m"), "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: MAP, typeSet: ALLOWED_FOR_DELETE_OPERAND");
        assert_eq!(e("SET a = :v, a.b = :v"), "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]");
        assert_eq!(
            e("set a = ((b))"),
            "Invalid UpdateExpression: The expression has redundant parentheses;"
        );
        assert_eq!(e("SET a[2147483648] = :v"), "Invalid UpdateExpression: List index is not within the allowable range; index: [2147483648]");
    }

    #[test]
    fn overlapping_and_conflicting_paths() {
        let e = |x: &str| parse(x).expect_err(x);
        let overlap = |a: &str, b: &str| {
            format!("Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: {a}, path two: {b}")
        };
        let conflict = |a: &str, b: &str| {
            format!("Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: {a}, path two: {b}")
        };
        // dynalite's cases (checked against DynamoDB).
        assert_eq!(
            e("set d[1] = a, d.b = a, c[1].a = a, #c = if_not_exists(a, :v)"),
            overlap("[c, [1], a]", "[c]")
        );
        assert_eq!(
            e("set c.b.#c = a, c = a, #d = a"),
            overlap("[c, b, c]", "[c]")
        );
        assert_eq!(e("set a = b remove a, #c, #d"), overlap("[a]", "[a]"));
        assert_eq!(
            e("set #c[3].#d = a, #c[3] = a"),
            overlap("[c, [3], [3]]", "[c, [3]]")
        );
        assert_eq!(e("remove c, #c.a, #d"), overlap("[c]", "[c, a]"));
        assert_eq!(e("remove a, #c, a, #d"), overlap("[a]", "[a]"));
        assert_eq!(
            e("set #c[3].#d = a, #c.#d[3] = if_not_exists(a, :v)"),
            conflict("[c, [3], [3]]", "[c, [3], [3]]")
        );
        assert_eq!(
            e("remove a.#c set a[1] = #d"),
            conflict("[a, c]", "[a, [1]]")
        );
        assert!(parse("SET a.b = :v, a.c = :v, a.d[1] = :v REMOVE a.d[2]").is_ok());
    }

    #[test]
    fn operator_limit() {
        let sets = (0..300)
            .map(|i| format!("x{i}=:o+:o"))
            .collect::<Vec<_>>()
            .join(", ");
        assert!(parse(&format!("SET {sets}")).is_ok());
        let sets = (0..301)
            .map(|i| format!("x{i}=:o+:o"))
            .collect::<Vec<_>>()
            .join(", ");
        assert_eq!(
            parse(&format!("SET {sets}")).unwrap_err(),
            "Invalid UpdateExpression: The expression contains too many operators; operator count: 301"
        );
    }

    #[test]
    fn updated_values_projection() {
        let old = item(vec![
            ("a", n("1")),
            ("b", m(vec![("x", n("1")), ("y", n("2"))])),
            ("k", s("key")),
        ]);
        let u = parse("SET a = :two, b.x = :v REMOVE q").unwrap();
        let new = u.apply(&old).unwrap();
        assert_eq!(
            u.project_updated(&old),
            item(vec![("a", n("1")), ("b", m(vec![("x", n("1"))]))])
        );
        assert_eq!(
            u.project_updated(&new),
            item(vec![("a", n("2")), ("b", m(vec![("x", s("v"))]))])
        );
        assert_eq!(
            u.paths().iter().map(|p| p.to_string()).collect::<Vec<_>>(),
            vec!["[a]", "[b, x]", "[q]"]
        );
    }

    #[test]
    fn placeholders_read_by_values_are_used() {
        let nm = names();
        let vs = values();
        let mut ctx = Placeholders::new(Some(&nm), Some(&vs));
        UpdateExpr::parse("SET #c = :v REMOVE #b", &mut ctx).unwrap();
        assert_eq!(ctx.unused_names(), vec!["#1", "#d", "#status"]);
        assert!(!ctx.unused_values().contains(&":v".to_string()));
    }
}
