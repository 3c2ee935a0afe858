//! ProjectionExpression, and projecting an item onto document paths (also what ReturnValues
//! UPDATED_OLD / UPDATED_NEW return).
//!
//! Projection keeps the shape of the document: `a.b` yields `{a: {b: …}}`; list elements
//! keep their relative order and are packed (`l[2], l[0]` of `[x, y, z]` yields `[x, z]`);
//! containers left empty are dropped.

use std::collections::{BTreeMap, BTreeSet};

use extenddo_log::{AttributeValue, Item};

use super::ast::{DocPath, PathElement};
use super::condition::precheck;
use super::error::{ExprError, ExprKind};
use super::parser::parse_projection;
use super::placeholders::Placeholders;
use super::validate::{check_overlap, walk_projection, Resolver};

/// A parsed ProjectionExpression.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Projection {
    paths: Vec<DocPath>,
}

impl Projection {
    pub fn parse(expr: &str, ctx: &mut Placeholders<'_>) -> Result<Projection, ExprError> {
        let kind = ExprKind::Projection;
        precheck(expr, kind)?;
        let raw = parse_projection(expr).map_err(|p| kind.err(p))?;
        walk_projection(&raw).map_err(|p| kind.err(p))?;
        let mut resolver = Resolver::new(ctx);
        let mut paths: Vec<DocPath> = Vec::with_capacity(raw.len());
        let mut conflict = None;
        for p in raw {
            let p = resolver.path(p).map_err(|p| kind.err(p))?;
            check_overlap(&paths, &p, &mut conflict).map_err(|p| kind.err(p))?;
            paths.push(p);
        }
        if let Some(c) = conflict {
            return Err(kind.err(c));
        }
        Ok(Projection { paths })
    }

    /// A projection onto given paths (e.g. legacy `AttributesToGet`); overlapping paths are
    /// tolerated.
    pub fn from_paths(paths: Vec<DocPath>) -> Projection {
        Projection { paths }
    }

    pub fn paths(&self) -> &[DocPath] {
        &self.paths
    }

    /// The top-level attributes projected (e.g. to compare with an index's projection).
    pub fn top_level_attributes(&self) -> BTreeSet<String> {
        self.paths
            .iter()
            .filter_map(|p| p.top_level().map(str::to_string))
            .collect()
    }

    /// `item` reduced to the projected paths (possibly empty).
    pub fn apply(&self, item: &Item) -> Item {
        project_item(item, &self.paths)
    }
}

#[derive(Debug, Default)]
struct ProjNode {
    /// `None`: the whole value below this key.
    children: BTreeMap<PathElement, Option<ProjNode>>,
}

impl ProjNode {
    fn insert(&mut self, path: &[PathElement]) {
        let Some((first, rest)) = path.split_first() else {
            return;
        };
        if rest.is_empty() {
            self.children.insert(first.clone(), None);
            return;
        }
        match self
            .children
            .entry(first.clone())
            .or_insert_with(|| Some(ProjNode::default()))
        {
            // An ancestor is already projected whole.
            None => {}
            Some(node) => node.insert(rest),
        }
    }

    fn project_map(
        &self,
        map: &BTreeMap<String, AttributeValue>,
    ) -> BTreeMap<String, AttributeValue> {
        let mut out = BTreeMap::new();
        for (key, sub) in &self.children {
            let PathElement::Attr(name) = key else {
                continue;
            };
            let Some(v) = map.get(name) else { continue };
            let projected = match sub {
                None => Some(v.clone()),
                Some(node) => node.project_value(v),
            };
            if let Some(p) = projected {
                out.insert(name.clone(), p);
            }
        }
        out
    }

    fn project_value(&self, v: &AttributeValue) -> Option<AttributeValue> {
        match v {
            AttributeValue::M(m) => {
                let out = self.project_map(m);
                (!out.is_empty()).then_some(AttributeValue::M(out))
            }
            AttributeValue::L(l) => {
                let mut out = Vec::new();
                for (key, sub) in &self.children {
                    let PathElement::Index(ix) = key else {
                        continue;
                    };
                    let Some(e) = l.get(*ix as usize) else {
                        continue;
                    };
                    let projected = match sub {
                        None => Some(e.clone()),
                        Some(node) => node.project_value(e),
                    };
                    out.extend(projected);
                }
                (!out.is_empty()).then_some(AttributeValue::L(out))
            }
            _ => None,
        }
    }
}

/// `item` reduced to `paths` as DynamoDB returns projections. Overlapping paths are allowed
/// here: a path covers everything below it.
pub fn project_item(item: &Item, paths: &[DocPath]) -> Item {
    let mut root = ProjNode::default();
    for p in paths {
        root.insert(p.elements());
    }
    root.project_map(item)
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
    fn m(v: Vec<(&str, AttributeValue)>) -> AttributeValue {
        AttributeValue::M(v.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }
    fn item(v: Vec<(&str, AttributeValue)>) -> Item {
        v.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }

    fn sample() -> Item {
        item(vec![
            ("pk", s("p")),
            ("a", m(vec![("b", n(1)), ("c", n(2))])),
            ("letters", AttributeValue::L(vec![s("x"), s("y"), s("z")])),
            ("alt", s("o")),
            (
                "deep",
                AttributeValue::L(vec![
                    m(vec![("v", n(1)), ("w", n(9))]),
                    m(vec![("v", n(2))]),
                ]),
            ),
        ])
    }

    fn proj(expr: &str) -> Result<Item, String> {
        let mut names = HashMap::new();
        names.insert("#o".to_string(), "alt".to_string());
        names.insert("#status".to_string(), "status".to_string());
        let mut ctx = Placeholders::new(Some(&names), None);
        Projection::parse(expr, &mut ctx)
            .map(|p| p.apply(&sample()))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn keeps_the_document_shape() {
        assert_eq!(
            proj("a.c, letters[2], letters[0], #o").unwrap(),
            item(vec![
                ("a", m(vec![("c", n(2))])),
                ("letters", AttributeValue::L(vec![s("x"), s("z")])),
                ("alt", s("o"))
            ])
        );
        assert_eq!(
            proj("deep[1].v, deep[0].w").unwrap(),
            item(vec![(
                "deep",
                AttributeValue::L(vec![m(vec![("w", n(9))]), m(vec![("v", n(2))])])
            )])
        );
        assert_eq!(proj("pk").unwrap(), item(vec![("pk", s("p"))]));
        assert_eq!(
            proj("absent, a.nope, letters[7], pk.x, alt.y").unwrap(),
            Item::new()
        );
    }

    #[test]
    fn errors() {
        assert_eq!(
            proj("").unwrap_err(),
            "Invalid ProjectionExpression: The expression can not be empty;"
        );
        assert_eq!(
            proj("a,").unwrap_err(),
            "Invalid ProjectionExpression: Syntax error; token: \"<EOF>\", near: \",\""
        );
        assert_eq!(proj("a, name").unwrap_err(), "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: name");
        assert_eq!(proj("#nope").unwrap_err(), "Invalid ProjectionExpression: An expression attribute name used in the document path is not defined; attribute name: #nope");
        assert_eq!(proj("a, a.b").unwrap_err(), "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]");
        assert_eq!(proj("a.b, a[1]").unwrap_err(), "Invalid ProjectionExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a, [1]]");
        assert_eq!(
            proj(&format!("a{}", "b".repeat(4096))).unwrap_err(),
            "Invalid ProjectionExpression: Expression size has exceeded the maximum allowed size;"
        );
        assert_eq!(
            proj("size(a)").unwrap_err(),
            "Invalid ProjectionExpression: Syntax error; token: \"(\", near: \"size(a\""
        );
        assert_eq!(proj("a.:v").unwrap_err(), "Invalid ProjectionExpression: The document path cannot contain attribute value parameters; attribute value: :v");
    }

    #[test]
    fn project_item_tolerates_overlaps() {
        let paths = vec![
            DocPath::new(vec![
                PathElement::Attr("a".into()),
                PathElement::Attr("b".into()),
            ]),
            DocPath::attr("a"),
            DocPath::new(vec![PathElement::Attr("a".into()), PathElement::Index(0)]),
        ];
        assert_eq!(
            project_item(&sample(), &paths),
            item(vec![("a", m(vec![("b", n(1)), ("c", n(2))]))])
        );
        let mut ctx = Placeholders::none();
        let p = Projection::parse("pk, a.b", &mut ctx).unwrap();
        assert_eq!(
            p.top_level_attributes().into_iter().collect::<Vec<_>>(),
            vec!["a", "pk"]
        );
    }
}
