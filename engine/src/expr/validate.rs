//! The semantic checks between parsing and evaluation, in DynamoDB's order:
//!
//! 1. a walk of the raw tree in document order: reserved words, function names and where a
//!    function may appear, list indexes out of range, duplicated update sections;
//! 2. resolution, bottom-up: document paths (nesting depth, `#names`), `:values`, then every
//!    operator's operand count, operand types, distinct-operand rule, operator-specific rules
//!    (BETWEEN bounds, IN size, attribute_type names, document-path arguments) and the
//!    300-operator limit. Resolution produces the tree evaluation runs on.

use std::cmp::Ordering;

use base64::Engine as _;
use extenddo_log::AttributeValue;

use super::ast::*;
use super::error::{Problem, ALL_TYPES};
use super::eval::compare_ordered;
use super::parser::MAX_OPERATORS;
use super::placeholders::Placeholders;
use super::reserved::is_reserved;

/// DynamoDB's limit on the elements of one document path.
pub(crate) const MAX_PATH_DEPTH: usize = 32;
/// DynamoDB's limit on the operands of IN.
pub(crate) const MAX_IN_OPERANDS: usize = 100;

// ---------------------------------------------------------------------------- type sets

pub(crate) type TypeSet = u16;
pub(crate) const T_S: TypeSet = 1;
pub(crate) const T_N: TypeSet = 2;
pub(crate) const T_B: TypeSet = 4;
pub(crate) const T_SS: TypeSet = 8;
pub(crate) const T_NS: TypeSet = 16;
pub(crate) const T_BS: TypeSet = 32;
pub(crate) const T_BOOL: TypeSet = 64;
pub(crate) const T_NULL: TypeSet = 128;
pub(crate) const T_L: TypeSet = 256;
pub(crate) const T_M: TypeSet = 512;
pub(crate) const T_ALL: TypeSet = 1023;
pub(crate) const T_ORDERED: TypeSet = T_S | T_N | T_B;
pub(crate) const T_STRING_BINARY: TypeSet = T_S | T_B;
pub(crate) const T_ITERABLE: TypeSet = T_S | T_B | T_SS | T_NS | T_BS | T_L | T_M;

pub(crate) fn type_bit(v: &AttributeValue) -> TypeSet {
    match v {
        AttributeValue::S(_) => T_S,
        AttributeValue::N(_) => T_N,
        AttributeValue::B(_) => T_B,
        AttributeValue::SS(_) => T_SS,
        AttributeValue::NS(_) => T_NS,
        AttributeValue::BS(_) => T_BS,
        AttributeValue::BOOL(_) => T_BOOL,
        AttributeValue::NULL(_) => T_NULL,
        AttributeValue::L(_) => T_L,
        AttributeValue::M(_) => T_M,
    }
}

/// The types an operand may evaluate to.
fn return_types(o: &Operand) -> TypeSet {
    match o {
        Operand::Path(_) | Operand::IfNotExists(..) => T_ALL,
        Operand::Value(v) => type_bit(v),
        Operand::Size(_) | Operand::Add(..) | Operand::Sub(..) => T_N,
        Operand::ListAppend(..) => T_L,
    }
}

/// How DynamoDB names an operand's possible types in operand-type errors.
fn type_str(o: &Operand) -> String {
    match o {
        Operand::Value(v) => v.type_name().to_string(),
        Operand::Size(_) | Operand::Add(..) | Operand::Sub(..) => "N".into(),
        Operand::ListAppend(..) => "L".into(),
        Operand::Path(_) | Operand::IfNotExists(..) => ALL_TYPES.into(),
    }
}

/// `{N:10}` — how DynamoDB prints a value in BETWEEN errors.
pub(crate) fn value_brief(v: &AttributeValue) -> String {
    let body = match v {
        AttributeValue::S(s) => s.clone(),
        AttributeValue::N(n) => n.to_string(),
        AttributeValue::B(b) => base64::engine::general_purpose::STANDARD.encode(b),
        AttributeValue::BOOL(b) => b.to_string(),
        AttributeValue::NULL(b) => b.to_string(),
        AttributeValue::SS(s) => s.join(","),
        AttributeValue::NS(n) => n
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(","),
        AttributeValue::BS(b) => b
            .iter()
            .map(|b| base64::engine::general_purpose::STANDARD.encode(b))
            .collect::<Vec<_>>()
            .join(","),
        AttributeValue::L(l) => format!("{} elements", l.len()),
        AttributeValue::M(m) => format!("{} entries", m.len()),
    };
    format!("{{{}:{}}}", v.type_name(), body)
}

// ---------------------------------------------------------------------------- functions

const CONDITION_FUNCTIONS: [&str; 6] = [
    "attribute_exists",
    "attribute_not_exists",
    "attribute_type",
    "begins_with",
    "contains",
    "size",
];
const UPDATE_FUNCTIONS: [&str; 2] = ["if_not_exists", "list_append"];
/// The type names `attribute_type` accepts.
const ATTRIBUTE_TYPE_NAMES: [&str; 10] =
    ["S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M"];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Category {
    Condition,
    Update,
}

/// DynamoDB's check when it enters a function call: does the function exist, is it allowed
/// in this kind of expression, and may it appear at this nesting level.
fn check_function(name: &str, category: Category, nesting: u32) -> Result<(), Problem> {
    let is_cond = CONDITION_FUNCTIONS.contains(&name);
    let is_update = UPDATE_FUNCTIONS.contains(&name);
    if !is_cond && !is_update {
        return Err(Problem::InvalidFunctionName(name.to_string()));
    }
    match category {
        Category::Condition => {
            if is_update {
                return Err(Problem::FunctionNotAllowedInCondition(name.to_string()));
            }
            // At the top of a condition only boolean functions; nested only size().
            let misused = if nesting == 0 {
                name == "size"
            } else {
                name != "size"
            };
            if misused {
                return Err(Problem::FunctionMisused(name.to_string()));
            }
        }
        Category::Update => {
            if is_cond {
                return Err(Problem::FunctionNotAllowedInUpdate(name.to_string()));
            }
            if nesting > 0 && name != "if_not_exists" {
                return Err(Problem::FunctionMisused(name.to_string()));
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------- the walk

fn walk_path(p: &RawPath) -> Result<(), Problem> {
    for e in &p.elems {
        match e {
            RawElem::Id(id) if is_reserved(id) => return Err(Problem::ReservedKeyword(id.clone())),
            RawElem::Index(RawIndex { value: None, text }) => {
                return Err(Problem::ListIndexOutOfRange(text.clone()))
            }
            _ => {}
        }
    }
    Ok(())
}

fn walk_operand(o: &RawOperand, category: Category, nesting: u32) -> Result<(), Problem> {
    match o {
        RawOperand::Path(p) => walk_path(p),
        RawOperand::Value(_) => Ok(()),
        RawOperand::Func(f) => walk_func(f, category, nesting),
        RawOperand::Arith(_, l, r) => {
            walk_operand(l, category, nesting + 1)?;
            walk_operand(r, category, nesting + 1)
        }
    }
}

fn walk_func(f: &RawFunc, category: Category, nesting: u32) -> Result<(), Problem> {
    check_function(&f.name, category, nesting)?;
    for a in &f.args {
        walk_operand(a, category, nesting + 1)?;
    }
    Ok(())
}

pub(crate) fn walk_condition(c: &RawCond) -> Result<(), Problem> {
    fn go(c: &RawCond) -> Result<(), Problem> {
        let cat = Category::Condition;
        match c {
            RawCond::Cmp(_, l, r) => {
                walk_operand(l, cat, 1)?;
                walk_operand(r, cat, 1)
            }
            RawCond::Between(a, b, c) => {
                walk_operand(a, cat, 1)?;
                walk_operand(b, cat, 1)?;
                walk_operand(c, cat, 1)
            }
            RawCond::In(a, list) => {
                walk_operand(a, cat, 1)?;
                list.iter().try_for_each(|o| walk_operand(o, cat, 1))
            }
            RawCond::Func(f) => walk_func(f, cat, 0),
            RawCond::Not(_, inner) => go(inner),
            RawCond::And(v) | RawCond::Or(v) => v.iter().try_for_each(go),
        }
    }
    go(c)
}

pub(crate) fn walk_update(sections: &[RawSection]) -> Result<(), Problem> {
    let mut seen: Vec<SectionKind> = Vec::new();
    for s in sections {
        for a in &s.actions {
            walk_path(a.path())?;
            if let RawAction::Set(_, v) = a {
                walk_operand(v, Category::Update, 0)?;
            }
        }
        if seen.contains(&s.kind) {
            return Err(Problem::DuplicateSection(s.kind.keyword()));
        }
        seen.push(s.kind);
    }
    Ok(())
}

pub(crate) fn walk_projection(paths: &[RawPath]) -> Result<(), Problem> {
    paths.iter().try_for_each(walk_path)
}

// ---------------------------------------------------------------------------- overlaps

enum Relation {
    Disjoint,
    Overlap,
    Conflict,
}

fn relation(a: &DocPath, b: &DocPath) -> Relation {
    for (x, y) in a.elements().iter().zip(b.elements()) {
        match (x, y) {
            (PathElement::Attr(p), PathElement::Attr(q)) if p == q => {}
            (PathElement::Index(p), PathElement::Index(q)) if p == q => {}
            (PathElement::Attr(_), PathElement::Attr(_))
            | (PathElement::Index(_), PathElement::Index(_)) => return Relation::Disjoint,
            _ => return Relation::Conflict,
        }
    }
    Relation::Overlap
}

/// Checks `path` against the paths before it: the first overlap is an error at once; the
/// first conflict is remembered (an overlap anywhere takes precedence, as in DynamoDB).
pub(crate) fn check_overlap(
    earlier: &[DocPath],
    path: &DocPath,
    first_conflict: &mut Option<Problem>,
) -> Result<(), Problem> {
    for e in earlier {
        match relation(e, path) {
            Relation::Disjoint => {}
            Relation::Overlap => {
                return Err(Problem::PathsOverlap(e.to_string(), path.to_string()))
            }
            Relation::Conflict => {
                if first_conflict.is_none() {
                    *first_conflict = Some(Problem::PathsConflict(e.to_string(), path.to_string()));
                }
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------- resolution

/// Resolves raw trees against the request's placeholders; counts operators across one
/// expression and remembers every document path it resolved.
pub(crate) struct Resolver<'c, 'a> {
    ctx: &'c mut Placeholders<'a>,
    operators: u32,
    pub paths: Vec<DocPath>,
}

impl<'c, 'a> Resolver<'c, 'a> {
    pub fn new(ctx: &'c mut Placeholders<'a>) -> Resolver<'c, 'a> {
        Resolver {
            ctx,
            operators: 0,
            paths: Vec::new(),
        }
    }

    fn count_operator(&mut self) -> Result<(), Problem> {
        self.operators += 1;
        if self.operators > MAX_OPERATORS {
            return Err(Problem::TooManyOperators(self.operators));
        }
        Ok(())
    }

    pub fn path(&mut self, p: RawPath) -> Result<DocPath, Problem> {
        if p.elems.len() > MAX_PATH_DEPTH {
            return Err(Problem::PathTooDeep(p.elems.len()));
        }
        let mut out = Vec::with_capacity(p.elems.len());
        for e in p.elems {
            out.push(match e {
                RawElem::Id(id) => PathElement::Attr(id),
                RawElem::Name(n) => PathElement::Attr(self.ctx.resolve_name(&n)?),
                RawElem::Index(ix) => match ix.value {
                    Some(v) => PathElement::Index(v),
                    None => return Err(Problem::ListIndexOutOfRange(ix.text)),
                },
                RawElem::ValueRef(v) => return Err(Problem::ValueInPath(v)),
            });
        }
        let path = DocPath::new(out);
        self.paths.push(path.clone());
        Ok(path)
    }

    pub fn value(&mut self, name: &str) -> Result<AttributeValue, Problem> {
        self.ctx.resolve_value(name)
    }

    /// DynamoDB's generic operator checks: operand count (when fixed), operand types, and
    /// that the first operand (a path) is not repeated.
    fn check_operator(
        op: &str,
        arity: Option<usize>,
        types: TypeSet,
        distinct: bool,
        operands: &[&Operand],
    ) -> Result<(), Problem> {
        if let Some(n) = arity {
            if operands.len() != n {
                return Err(Problem::OperandCount {
                    op: op.to_string(),
                    count: operands.len(),
                });
            }
        }
        for o in operands {
            if return_types(o) & types == 0 {
                return Err(Problem::OperandType {
                    op: op.to_string(),
                    ty: type_str(o),
                });
            }
        }
        if distinct && operands.len() > 1 {
            if let Some(Operand::Path(first)) = operands.first() {
                for later in &operands[1..] {
                    if matches!(later, Operand::Path(p) if p == first) {
                        return Err(Problem::NotDistinct {
                            op: op.to_string(),
                            path: first.to_string(),
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// Resolves an operand. Each kind of node has its own (non-inlined) function so that the
    /// frames on the recursive path stay small.
    pub fn operand(&mut self, o: RawOperand) -> Result<Operand, Problem> {
        match o {
            RawOperand::Path(p) => Ok(Operand::Path(self.path(p)?)),
            RawOperand::Value(v) => Ok(Operand::Value(self.value(&v)?)),
            RawOperand::Arith(op, l, r) => self.arithmetic(op, l, r),
            RawOperand::Func(f) => self.operand_function(f),
        }
    }

    #[inline(never)]
    #[allow(clippy::boxed_local)] // the boxes come from the raw tree; unboxing here is the point
    fn arithmetic(
        &mut self,
        op: ArithOp,
        l: Box<RawOperand>,
        r: Box<RawOperand>,
    ) -> Result<Operand, Problem> {
        let l = self.operand(*l)?;
        let r = self.operand(*r)?;
        Self::check_operator(op.symbol(), Some(2), T_N, false, &[&l, &r])?;
        self.count_operator()?;
        Ok(match op {
            ArithOp::Plus => Operand::Add(Box::new(l), Box::new(r)),
            ArithOp::Minus => Operand::Sub(Box::new(l), Box::new(r)),
        })
    }

    #[inline(never)]
    fn operand_function(&mut self, f: RawFunc) -> Result<Operand, Problem> {
        let name = f.name;
        let (arity, types, distinct) = match name.as_str() {
            "size" => (1, T_ITERABLE, true),
            "if_not_exists" => (2, T_ALL, true),
            "list_append" => (2, T_L, false),
            // The walk rejects everything else before resolution.
            _ => return Err(Problem::FunctionMisused(name)),
        };
        let args = self.operands(f.args)?;
        {
            let refs: Vec<&Operand> = args.iter().collect();
            Self::check_operator(&name, Some(arity), types, distinct, &refs)?;
        }
        let mut args = args.into_iter();
        let operand = match (name.as_str(), args.next(), args.next()) {
            ("size", Some(a), None) => Operand::Size(Box::new(a)),
            ("if_not_exists", Some(Operand::Path(p)), Some(v)) => {
                Operand::IfNotExists(p, Box::new(v))
            }
            ("if_not_exists", _, _) => return Err(Problem::RequiresPath(name)),
            ("list_append", Some(a), Some(b)) => Operand::ListAppend(Box::new(a), Box::new(b)),
            _ => return Err(Problem::FunctionMisused(name)),
        };
        self.count_operator()?;
        Ok(operand)
    }

    fn operands(&mut self, raw: Vec<RawOperand>) -> Result<Vec<Operand>, Problem> {
        let mut out = Vec::with_capacity(raw.len());
        for o in raw {
            out.push(self.operand(o)?);
        }
        Ok(out)
    }

    /// Resolves a condition (see [`Resolver::operand`] on the split into functions).
    pub fn condition(&mut self, c: RawCond) -> Result<Cond, Problem> {
        match c {
            RawCond::Cmp(op, l, r) => self.comparison(op, l, r),
            RawCond::Between(a, lo, hi) => self.between(a, lo, hi),
            RawCond::In(a, list) => self.in_list(a, list),
            RawCond::Func(f) => self.condition_function(f),
            RawCond::Not(n, inner) => self.not(n, inner),
            RawCond::And(v) => Ok(Cond::And(self.chain(v)?)),
            RawCond::Or(v) => Ok(Cond::Or(self.chain(v)?)),
        }
    }

    #[inline(never)]
    fn comparison(&mut self, op: CmpOp, l: RawOperand, r: RawOperand) -> Result<Cond, Problem> {
        let l = self.operand(l)?;
        let r = self.operand(r)?;
        let types = if matches!(op, CmpOp::Eq | CmpOp::Ne) {
            T_ALL
        } else {
            T_ORDERED
        };
        Self::check_operator(op.symbol(), None, types, true, &[&l, &r])?;
        self.count_operator()?;
        Ok(Cond::Cmp(op, l, r))
    }

    #[inline(never)]
    fn between(&mut self, a: RawOperand, lo: RawOperand, hi: RawOperand) -> Result<Cond, Problem> {
        let a = self.operand(a)?;
        let lo = self.operand(lo)?;
        let hi = self.operand(hi)?;
        Self::check_operator("BETWEEN", None, T_ORDERED, true, &[&a, &lo, &hi])?;
        if let (Operand::Value(l), Operand::Value(h)) = (&lo, &hi) {
            if l.type_name() != h.type_name() {
                return Err(Problem::BetweenTypes {
                    lower: value_brief(l),
                    upper: value_brief(h),
                });
            }
            if compare_ordered(l, h) == Some(Ordering::Greater) {
                return Err(Problem::BetweenOrder {
                    lower: value_brief(l),
                    upper: value_brief(h),
                });
            }
        }
        self.count_operator()?;
        Ok(Cond::Between(a, lo, hi))
    }

    #[inline(never)]
    fn in_list(&mut self, a: RawOperand, list: Vec<RawOperand>) -> Result<Cond, Problem> {
        let a = self.operand(a)?;
        let list = self.operands(list)?;
        let mut refs: Vec<&Operand> = vec![&a];
        refs.extend(list.iter());
        Self::check_operator("IN", None, T_ALL, true, &refs)?;
        if list.len() > MAX_IN_OPERANDS {
            return Err(Problem::TooManyInOperands(list.len()));
        }
        self.count_operator()?;
        Ok(Cond::In(a, list))
    }

    #[inline(never)]
    #[allow(clippy::boxed_local)] // the box comes from the raw tree
    fn not(&mut self, n: u32, inner: Box<RawCond>) -> Result<Cond, Problem> {
        let inner = self.condition(*inner)?;
        for _ in 0..n {
            self.count_operator()?;
        }
        Ok(Cond::Not(n, Box::new(inner)))
    }

    /// A left-associative AND/OR chain: each operator is counted after its right operand.
    #[inline(never)]
    fn chain(&mut self, v: Vec<RawCond>) -> Result<Vec<Cond>, Problem> {
        let mut out = Vec::with_capacity(v.len());
        for (i, c) in v.into_iter().enumerate() {
            out.push(self.condition(c)?);
            if i > 0 {
                self.count_operator()?;
            }
        }
        Ok(out)
    }

    #[inline(never)]
    fn condition_function(&mut self, f: RawFunc) -> Result<Cond, Problem> {
        let name = f.name;
        let (arity, types) = match name.as_str() {
            "attribute_exists" | "attribute_not_exists" => (1, T_ALL),
            "attribute_type" | "contains" => (2, T_ALL),
            "begins_with" => (2, T_STRING_BINARY),
            // The walk rejects everything else (size at the top included) before resolution.
            _ => return Err(Problem::FunctionMisused(name)),
        };
        let args = self.operands(f.args)?;
        {
            let refs: Vec<&Operand> = args.iter().collect();
            Self::check_operator(&name, Some(arity), types, true, &refs)?;
        }
        let mut it = args.into_iter();
        let cond = match (name.as_str(), it.next(), it.next()) {
            ("attribute_exists", Some(Operand::Path(p)), None) => Cond::Exists(p),
            ("attribute_not_exists", Some(Operand::Path(p)), None) => Cond::NotExists(p),
            ("attribute_exists" | "attribute_not_exists", _, _) => {
                return Err(Problem::RequiresPath(name))
            }
            ("attribute_type", Some(a), Some(t)) => {
                let ty = match t {
                    Operand::Value(AttributeValue::S(s)) => s,
                    other => {
                        return Err(Problem::OperandType {
                            op: name,
                            ty: type_str(&other),
                        })
                    }
                };
                if !ATTRIBUTE_TYPE_NAMES.contains(&ty.as_str()) {
                    return Err(Problem::InvalidAttributeType(ty));
                }
                Cond::AttrType(a, ty)
            }
            ("begins_with", Some(a), Some(b)) => Cond::BeginsWith(a, b),
            ("contains", Some(a), Some(b)) => Cond::Contains(a, b),
            _ => return Err(Problem::FunctionMisused(name)),
        };
        self.count_operator()?;
        Ok(cond)
    }
}
