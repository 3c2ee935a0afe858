//! The legacy (pre-expression) parameters' building blocks, already validated by the caller
//! (`crate::legacy` checks operand counts and types with AWS's messages): a comparison of
//! one top-level attribute (`Expected`, `QueryFilter`, `ScanFilter`, `KeyConditions`) and
//! one attribute update (`AttributeUpdates`). They translate into the same trees the
//! expressions produce, so conditions and updates have one evaluator.

use extenddo_log::AttributeValue;

use super::ast::{CmpOp, Cond, DocPath, Operand};
use super::condition::Condition;
use super::error::ExprError;
use super::key_condition::{KeyCondition, MultiKeyCondition, RangeCondition};

/// A legacy `ComparisonOperator`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum LegacyOp {
    Eq,
    Ne,
    Le,
    Lt,
    Ge,
    Gt,
    NotNull,
    Null,
    Contains,
    NotContains,
    BeginsWith,
    In,
    Between,
}

impl LegacyOp {
    /// Every operator, in the order AWS lists them in its enum constraint message.
    pub const ALL: [LegacyOp; 13] = [
        LegacyOp::In,
        LegacyOp::Null,
        LegacyOp::Between,
        LegacyOp::Lt,
        LegacyOp::NotContains,
        LegacyOp::Eq,
        LegacyOp::Gt,
        LegacyOp::NotNull,
        LegacyOp::Ne,
        LegacyOp::Le,
        LegacyOp::BeginsWith,
        LegacyOp::Ge,
        LegacyOp::Contains,
    ];

    pub fn parse(name: &str) -> Option<LegacyOp> {
        LegacyOp::ALL.into_iter().find(|op| op.name() == name)
    }

    /// The name as it appears on the wire and in AWS's messages.
    pub fn name(self) -> &'static str {
        match self {
            LegacyOp::Eq => "EQ",
            LegacyOp::Ne => "NE",
            LegacyOp::Le => "LE",
            LegacyOp::Lt => "LT",
            LegacyOp::Ge => "GE",
            LegacyOp::Gt => "GT",
            LegacyOp::NotNull => "NOT_NULL",
            LegacyOp::Null => "NULL",
            LegacyOp::Contains => "CONTAINS",
            LegacyOp::NotContains => "NOT_CONTAINS",
            LegacyOp::BeginsWith => "BEGINS_WITH",
            LegacyOp::In => "IN",
            LegacyOp::Between => "BETWEEN",
        }
    }

    /// Whether `n` operands suit the operator.
    pub fn valid_count(self, n: usize) -> bool {
        match self {
            LegacyOp::Null | LegacyOp::NotNull => n == 0,
            LegacyOp::In => n >= 1,
            LegacyOp::Between => n == 2,
            _ => n == 1,
        }
    }

    /// Whether an operand of this type suits the operator (AWS's type rules: EQ and NE take
    /// any type; the orderings, IN and BETWEEN take S, N and B; CONTAINS and NOT_CONTAINS
    /// any scalar; BEGINS_WITH S and B).
    pub fn type_supported(self, v: &AttributeValue) -> bool {
        use AttributeValue::*;
        let sortable = matches!(v, S(_) | N(_) | B(_));
        match self {
            LegacyOp::Eq | LegacyOp::Ne | LegacyOp::Null | LegacyOp::NotNull => true,
            LegacyOp::Le
            | LegacyOp::Lt
            | LegacyOp::Ge
            | LegacyOp::Gt
            | LegacyOp::In
            | LegacyOp::Between => sortable,
            LegacyOp::Contains | LegacyOp::NotContains => {
                matches!(v, S(_) | N(_) | B(_) | BOOL(_) | NULL(_))
            }
            LegacyOp::BeginsWith => matches!(v, S(_) | B(_)),
        }
    }

    /// Whether a Query may use it in `KeyConditions`.
    pub fn indexable(self) -> bool {
        matches!(
            self,
            LegacyOp::Eq
                | LegacyOp::Le
                | LegacyOp::Lt
                | LegacyOp::Ge
                | LegacyOp::Gt
                | LegacyOp::BeginsWith
                | LegacyOp::Between
        )
    }
}

/// The condition a legacy `Expected`, `QueryFilter` or `ScanFilter` map states: its
/// conditions joined by AND, or by OR when `any` (`ConditionalOperator: OR`). An empty map
/// holds for every item. The caller has validated the conditions.
pub fn join(conds: &[LegacyCondition], any: bool) -> Condition {
    let parts: Vec<Cond> = conds.iter().map(LegacyCondition::to_cond).collect();
    let cond = match (parts.len(), any) {
        (0, _) => Cond::And(Vec::new()),
        (1, _) => parts.into_iter().next().unwrap_or(Cond::And(Vec::new())),
        (_, false) => Cond::And(parts),
        (_, true) => Cond::Or(parts),
    };
    let paths = conds
        .iter()
        .map(|c| DocPath::attr(c.attr.clone()))
        .collect();
    Condition::from_tree(cond, paths)
}

/// One legacy condition on a top-level attribute.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LegacyCondition {
    pub attr: String,
    pub op: LegacyOp,
    pub values: Vec<AttributeValue>,
}

impl LegacyCondition {
    pub fn new(attr: impl Into<String>, op: LegacyOp, values: Vec<AttributeValue>) -> Self {
        LegacyCondition {
            attr: attr.into(),
            op,
            values,
        }
    }

    /// The key condition it states on a key attribute (`None` for the operators a key
    /// condition cannot use, or a wrong operand count).
    pub fn range_condition(&self) -> Option<RangeCondition> {
        let v = |i: usize| self.values.get(i).cloned();
        Some(match self.op {
            LegacyOp::Eq => RangeCondition::Eq(v(0)?),
            LegacyOp::Lt => RangeCondition::Lt(v(0)?),
            LegacyOp::Le => RangeCondition::Le(v(0)?),
            LegacyOp::Gt => RangeCondition::Gt(v(0)?),
            LegacyOp::Ge => RangeCondition::Ge(v(0)?),
            LegacyOp::BeginsWith => RangeCondition::BeginsWith(v(0)?),
            LegacyOp::Between => RangeCondition::Between(v(0)?, v(1)?),
            _ => return None,
        })
    }

    /// The expression tree equivalent to the condition. Missing operands (which validation
    /// rejects first) make a condition that never holds.
    pub(crate) fn to_cond(&self) -> Cond {
        let path = DocPath::attr(self.attr.clone());
        let attr = || Operand::Path(path.clone());
        let value = |i: usize| self.values.get(i).cloned().map(Operand::Value);
        let never = || Cond::Or(Vec::new());
        let cmp = |op: CmpOp| match value(0) {
            Some(v) => Cond::Cmp(op, attr(), v),
            None => never(),
        };
        match self.op {
            LegacyOp::Eq => cmp(CmpOp::Eq),
            LegacyOp::Ne => cmp(CmpOp::Ne),
            LegacyOp::Le => cmp(CmpOp::Le),
            LegacyOp::Lt => cmp(CmpOp::Lt),
            LegacyOp::Ge => cmp(CmpOp::Ge),
            LegacyOp::Gt => cmp(CmpOp::Gt),
            LegacyOp::NotNull => Cond::Exists(path),
            LegacyOp::Null => Cond::NotExists(path),
            LegacyOp::Contains => match value(0) {
                Some(v) => Cond::Contains(attr(), v),
                None => never(),
            },
            // Unlike `NOT contains(a, v)`, NOT_CONTAINS is false on a missing attribute.
            LegacyOp::NotContains => match value(0) {
                Some(v) => Cond::And(vec![
                    Cond::Exists(path.clone()),
                    Cond::Not(1, Box::new(Cond::Contains(attr(), v))),
                ]),
                None => never(),
            },
            LegacyOp::BeginsWith => match value(0) {
                Some(v) => Cond::BeginsWith(attr(), v),
                None => never(),
            },
            LegacyOp::In => Cond::In(
                attr(),
                self.values.iter().cloned().map(Operand::Value).collect(),
            ),
            LegacyOp::Between => match (value(0), value(1)) {
                (Some(lo), Some(hi)) => Cond::Between(attr(), lo, hi),
                _ => never(),
            },
        }
    }
}

/// One legacy attribute update (`AttributeUpdates.<name>`), already validated.
#[derive(Debug, Clone, PartialEq)]
pub enum LegacyUpdate {
    /// `PUT`: set the attribute.
    Put(AttributeValue),
    /// `ADD`: add to a number, union into a set, append to a list; create when missing.
    Add(AttributeValue),
    /// `DELETE` without a value removes the attribute; with a set, removes its elements.
    Delete(Option<AttributeValue>),
}

/// The most key attributes an index has (four partition-key and four sort-key attributes).
const MAX_KEY_CONDITIONS: usize = 8;

/// A Query's `KeyConditions`, validated on their own (operators, operands, count); matched
/// against the key schema of the table or index by [`KeyConditions::extract`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct KeyConditions {
    conds: Vec<LegacyCondition>,
}

impl KeyConditions {
    pub fn new(conds: Vec<LegacyCondition>) -> Result<KeyConditions, ExprError> {
        if conds.is_empty() || conds.len() > MAX_KEY_CONDITIONS {
            return Err(ExprError::KeyConditionCount);
        }
        Ok(KeyConditions { conds })
    }

    fn find(&self, attr: &str) -> Option<&LegacyCondition> {
        self.conds.iter().find(|c| c.attr == attr)
    }

    /// The key condition for a key schema of one partition-key and at most one sort-key
    /// attribute: the same [`KeyCondition`] `KeyConditionExpression` gives. Errors in AWS's
    /// order: a missing key element, an operator a query cannot use, a partition-key
    /// operator other than EQ or a second condition on a table without a sort key.
    pub fn extract(&self, hash: &str, range: Option<&str>) -> Result<KeyCondition, ExprError> {
        if self.conds.len() > 2 {
            return Err(ExprError::KeyConditionCount);
        }
        let Some(h) = self.find(hash) else {
            return Err(ExprError::MissedKeySchemaElement(hash.to_string()));
        };
        let r = range.and_then(|r| self.find(r));
        if let (Some(name), None, true) = (range, r, self.conds.len() > 1) {
            return Err(ExprError::MissedKeySchemaElement(name.to_string()));
        }
        if self.conds.iter().any(|c| !c.op.indexable()) {
            return Err(ExprError::NotIndexable);
        }
        if h.op != LegacyOp::Eq || (range.is_none() && self.conds.len() > 1) {
            return Err(ExprError::KeyConditionNotSupported);
        }
        let hash_value = h
            .values
            .first()
            .cloned()
            .ok_or(ExprError::KeyConditionNotSupported)?;
        let range = match r {
            Some(c) => Some(
                c.range_condition()
                    .ok_or(ExprError::KeyConditionNotSupported)?,
            ),
            None => None,
        };
        Ok(KeyCondition { hash_value, range })
    }

    /// The key condition for a multi-attribute key schema (names in key-schema order), as
    /// [`super::KeyConditionExpr::extract_multi`] gives it.
    pub fn extract_multi(
        &self,
        hash: &[&str],
        range: &[&str],
    ) -> Result<MultiKeyCondition, ExprError> {
        if let Some(h) = hash.iter().find(|h| self.find(h).is_none()) {
            return Err(ExprError::MissedKeySchemaElement((*h).to_string()));
        }
        if self.conds.iter().any(|c| !c.op.indexable()) {
            return Err(ExprError::NotIndexable);
        }
        let conds = self
            .conds
            .iter()
            .map(|c| {
                c.range_condition()
                    .map(|rc| (c.attr.clone(), rc))
                    .ok_or(ExprError::KeyConditionNotSupported)
            })
            .collect::<Result<Vec<_>, ExprError>>()?;
        MultiKeyCondition::from_conditions(conds, hash, range)
    }
}
