//! Syntax trees. The parser produces the *raw* tree (names and values still as placeholders,
//! as written); validation turns it into the *resolved* tree that evaluation runs on (names
//! resolved into document paths, values copied in from `ExpressionAttributeValues`).

use std::fmt;

use extenddo_log::{AttributeValue, Item};

// ----------------------------------------------------------------------------------------
// Document paths (public: callers use them for key checks and ReturnValues)
// ----------------------------------------------------------------------------------------

/// One step of a document path: a map key (top-level attribute name included) or a list
/// index.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum PathElement {
    Attr(String),
    Index(u32),
}

/// A resolved document path such as `a.b[2].c`. The first element is always an attribute
/// name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct DocPath(Vec<PathElement>);

impl DocPath {
    pub fn new(elements: Vec<PathElement>) -> DocPath {
        DocPath(elements)
    }

    /// A path of one top-level attribute.
    pub fn attr(name: impl Into<String>) -> DocPath {
        DocPath(vec![PathElement::Attr(name.into())])
    }

    pub fn elements(&self) -> &[PathElement] {
        &self.0
    }

    /// The top-level attribute this path starts at.
    pub fn top_level(&self) -> Option<&str> {
        match self.0.first() {
            Some(PathElement::Attr(a)) => Some(a),
            _ => None,
        }
    }

    /// Whether the path goes below a top-level attribute (`a.b`, `a[0]`).
    pub fn is_nested(&self) -> bool {
        self.0.len() > 1
    }

    /// The value this path designates in `item`, if any.
    pub fn lookup<'a>(&self, item: &'a Item) -> Option<&'a AttributeValue> {
        let mut elements = self.0.iter();
        let mut cur = match elements.next()? {
            PathElement::Attr(a) => item.get(a)?,
            PathElement::Index(_) => return None,
        };
        for e in elements {
            cur = match (e, cur) {
                (PathElement::Attr(a), AttributeValue::M(m)) => m.get(a)?,
                (PathElement::Index(i), AttributeValue::L(l)) => l.get(*i as usize)?,
                _ => return None,
            };
        }
        Some(cur)
    }
}

/// As DynamoDB prints paths in its messages: `[a, b, [2], c]`.
impl fmt::Display for DocPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            match e {
                PathElement::Attr(a) => f.write_str(a)?,
                PathElement::Index(ix) => write!(f, "[{ix}]")?,
            }
        }
        f.write_str("]")
    }
}

// ----------------------------------------------------------------------------------------
// Operators
// ----------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "<>",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum ArithOp {
    Plus,
    Minus,
}

impl ArithOp {
    pub fn symbol(self) -> &'static str {
        match self {
            ArithOp::Plus => "+",
            ArithOp::Minus => "-",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SectionKind {
    Set,
    Remove,
    Add,
    Delete,
}

impl SectionKind {
    pub fn keyword(self) -> &'static str {
        match self {
            SectionKind::Set => "SET",
            SectionKind::Remove => "REMOVE",
            SectionKind::Add => "ADD",
            SectionKind::Delete => "DELETE",
        }
    }
}

// ----------------------------------------------------------------------------------------
// Raw tree (as parsed)
// ----------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub(crate) struct RawIndex {
    /// As DynamoDB prints it in errors: `[12345678901]`.
    pub text: String,
    /// `None` when it does not fit a Java `int`.
    pub value: Option<u32>,
}

#[derive(Debug, Clone)]
pub(crate) enum RawElem {
    /// A literal identifier (subject to the reserved-word check).
    Id(String),
    /// `#name`
    Name(String),
    Index(RawIndex),
    /// `.:value` — parsed, always rejected.
    ValueRef(String),
}

#[derive(Debug, Clone)]
pub(crate) struct RawPath {
    pub elems: Vec<RawElem>,
}

#[derive(Debug, Clone)]
pub(crate) struct RawFunc {
    pub name: String,
    pub args: Vec<RawOperand>,
}

#[derive(Debug, Clone)]
pub(crate) enum RawOperand {
    Path(RawPath),
    Value(String),
    Func(RawFunc),
    /// Update expressions only: `a + b`, `a - b`.
    Arith(ArithOp, Box<RawOperand>, Box<RawOperand>),
}

#[derive(Debug, Clone)]
pub(crate) enum RawCond {
    Cmp(CmpOp, RawOperand, RawOperand),
    Between(RawOperand, RawOperand, RawOperand),
    In(RawOperand, Vec<RawOperand>),
    Func(RawFunc),
    /// `NOT NOT … c`: the number of NOTs and what they apply to (kept flat so that long NOT
    /// chains cannot make the tree deep).
    Not(u32, Box<RawCond>),
    /// Left-associative chains, flattened.
    And(Vec<RawCond>),
    Or(Vec<RawCond>),
}

#[derive(Debug, Clone)]
pub(crate) enum RawAction {
    Set(RawPath, RawOperand),
    Remove(RawPath),
    Add(RawPath, String),
    Delete(RawPath, String),
}

impl RawAction {
    pub fn path(&self) -> &RawPath {
        match self {
            RawAction::Set(p, _)
            | RawAction::Remove(p)
            | RawAction::Add(p, _)
            | RawAction::Delete(p, _) => p,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct RawSection {
    pub kind: SectionKind,
    pub actions: Vec<RawAction>,
}

// ----------------------------------------------------------------------------------------
// Resolved tree (what evaluation runs on)
// ----------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) enum Operand {
    Path(DocPath),
    Value(AttributeValue),
    Size(Box<Operand>),
    IfNotExists(DocPath, Box<Operand>),
    ListAppend(Box<Operand>, Box<Operand>),
    Add(Box<Operand>, Box<Operand>),
    Sub(Box<Operand>, Box<Operand>),
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) enum Cond {
    Cmp(CmpOp, Operand, Operand),
    Between(Operand, Operand, Operand),
    In(Operand, Vec<Operand>),
    Exists(DocPath),
    NotExists(DocPath),
    AttrType(Operand, String),
    BeginsWith(Operand, Operand),
    Contains(Operand, Operand),
    /// `count` NOTs applied to the condition.
    Not(u32, Box<Cond>),
    And(Vec<Cond>),
    Or(Vec<Cond>),
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn doc_path_display_and_lookup() {
        let p = DocPath::new(vec![
            PathElement::Attr("a".into()),
            PathElement::Attr("b".into()),
            PathElement::Index(2),
            PathElement::Attr("c".into()),
        ]);
        assert_eq!(p.to_string(), "[a, b, [2], c]");
        assert_eq!(p.top_level(), Some("a"));
        assert!(p.is_nested());

        let leaf = AttributeValue::S("x".into());
        let mut inner = BTreeMap::new();
        inner.insert("c".to_string(), leaf.clone());
        let list = AttributeValue::L(vec![
            AttributeValue::NULL(true),
            AttributeValue::NULL(true),
            AttributeValue::M(inner),
        ]);
        let mut b = BTreeMap::new();
        b.insert("b".to_string(), list);
        let mut item = Item::new();
        item.insert("a".into(), AttributeValue::M(b));
        assert_eq!(p.lookup(&item), Some(&leaf));
        let miss = DocPath::new(vec![PathElement::Attr("a".into()), PathElement::Index(0)]);
        assert_eq!(miss.lookup(&item), None, "a is a map, not a list");
        assert_eq!(
            DocPath::new(vec![PathElement::Index(0)]).lookup(&item),
            None
        );
    }
}
