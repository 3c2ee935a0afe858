//! Errors of the expression language. Every `Display` is the exact message DynamoDB returns;
//! every variant maps to a `ValidationException` (the caller does that mapping).

use std::fmt;

use extenddo_log::NumberError;
use thiserror::Error;

/// The type names `attribute_type` accepts, as DynamoDB lists them in its error message.
pub(crate) const VALID_TYPES: &str = "{B,NULL,SS,BOOL,L,BS,N,NS,S,M}";
/// How DynamoDB prints "any type" (a document path operand) in operand-type errors.
pub(crate) const ALL_TYPES: &str = "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}";

/// Which request parameter an expression came from; names the prefix of its errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExprKind {
    Condition,
    Filter,
    KeyCondition,
    Update,
    Projection,
}

impl ExprKind {
    /// The request parameter's name, e.g. `ConditionExpression`.
    pub fn parameter_name(self) -> &'static str {
        match self {
            ExprKind::Condition => "ConditionExpression",
            ExprKind::Filter => "FilterExpression",
            ExprKind::KeyCondition => "KeyConditionExpression",
            ExprKind::Update => "UpdateExpression",
            ExprKind::Projection => "ProjectionExpression",
        }
    }

    pub(crate) fn err(self, problem: Problem) -> ExprError {
        ExprError::Invalid {
            kind: self,
            problem,
        }
    }
}

impl fmt::Display for ExprKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.parameter_name())
    }
}

/// What is wrong with one expression; shown after `Invalid <Kind>: `.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    Empty,
    /// `size` is printed for the condition-like expressions only, as DynamoDB does.
    TooLarge {
        size: Option<usize>,
    },
    Syntax {
        token: String,
        near: String,
    },
    RedundantParentheses,
    ReservedKeyword(String),
    InvalidFunctionName(String),
    FunctionNotAllowedInCondition(String),
    FunctionNotAllowedInUpdate(String),
    FunctionMisused(String),
    ListIndexOutOfRange(String),
    DuplicateSection(&'static str),
    PathTooDeep(usize),
    UndefinedName(String),
    UndefinedValue(String),
    ValueInPath(String),
    PathsOverlap(String, String),
    PathsConflict(String, String),
    OperandCount {
        op: String,
        count: usize,
    },
    OperandType {
        op: String,
        ty: String,
    },
    /// ADD / DELETE given a value of the wrong type (long type names, as AWS prints them).
    ActionOperandType {
        action: &'static str,
        ty: &'static str,
        type_set: &'static str,
    },
    RequiresPath(String),
    NotDistinct {
        op: String,
        path: String,
    },
    InvalidAttributeType(String),
    BetweenTypes {
        lower: String,
        upper: String,
    },
    BetweenOrder {
        lower: String,
        upper: String,
    },
    TooManyInOperands(usize),
    TooManyOperators(u32),
    KeyInvalidOperator(String),
    KeyInvalidCondition(String),
    KeyNestedOperation,
    KeyNestedAttribute,
    KeyDuplicate,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Problem::*;
        match self {
            Empty => f.write_str("The expression can not be empty;"),
            TooLarge { size: Some(n) } => write!(
                f,
                "Expression size has exceeded the maximum allowed size; expression size: {n}"
            ),
            TooLarge { size: None } => {
                f.write_str("Expression size has exceeded the maximum allowed size;")
            }
            Syntax { token, near } => write!(f, "Syntax error; token: \"{token}\", near: \"{near}\""),
            RedundantParentheses => f.write_str("The expression has redundant parentheses;"),
            ReservedKeyword(w) => {
                write!(f, "Attribute name is a reserved keyword; reserved keyword: {w}")
            }
            InvalidFunctionName(n) => write!(f, "Invalid function name; function: {n}"),
            FunctionNotAllowedInCondition(n) => {
                write!(f, "The function is not allowed in a condition expression; function: {n}")
            }
            FunctionNotAllowedInUpdate(n) => {
                write!(f, "The function is not allowed in an update expression; function: {n}")
            }
            FunctionMisused(n) => write!(
                f,
                "The function is not allowed to be used this way in an expression; function: {n}"
            ),
            ListIndexOutOfRange(ix) => {
                write!(f, "List index is not within the allowable range; index: {ix}")
            }
            DuplicateSection(s) => {
                write!(f, "The \"{s}\" section can only be used once in an update expression;")
            }
            PathTooDeep(n) => {
                write!(f, "The document path has too many nesting levels; nesting levels: {n}")
            }
            UndefinedName(n) => write!(
                f,
                "An expression attribute name used in the document path is not defined; attribute name: {n}"
            ),
            UndefinedValue(v) => write!(
                f,
                "An expression attribute value used in expression is not defined; attribute value: {v}"
            ),
            ValueInPath(v) => write!(
                f,
                "The document path cannot contain attribute value parameters; attribute value: {v}"
            ),
            PathsOverlap(a, b) => write!(
                f,
                "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: {a}, path two: {b}"
            ),
            PathsConflict(a, b) => write!(
                f,
                "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: {a}, path two: {b}"
            ),
            OperandCount { op, count } => write!(
                f,
                "Incorrect number of operands for operator or function; operator or function: {op}, number of operands: {count}"
            ),
            OperandType { op, ty } => write!(
                f,
                "Incorrect operand type for operator or function; operator or function: {op}, operand type: {ty}"
            ),
            ActionOperandType { action, ty, type_set } => write!(
                f,
                "Incorrect operand type for operator or function; operator: {action}, operand type: {ty}, typeSet: {type_set}"
            ),
            RequiresPath(op) => write!(
                f,
                "Operator or function requires a document path; operator or function: {op}"
            ),
            NotDistinct { op, path } => write!(
                f,
                "The first operand must be distinct from the remaining operands for this operator or function; operator: {op}, first operand: {path}"
            ),
            InvalidAttributeType(t) => write!(
                f,
                "Invalid attribute type name found; type: {t}, valid types: {VALID_TYPES}"
            ),
            BetweenTypes { lower, upper } => write!(
                f,
                "The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {lower}, upper bound operand: AttributeValue: {upper}"
            ),
            BetweenOrder { lower, upper } => write!(
                f,
                "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {lower}, upper bound operand: AttributeValue: {upper}"
            ),
            TooManyInOperands(n) => write!(
                f,
                "The IN operator is provided with too many operands; number of operands: {n}"
            ),
            TooManyOperators(n) => {
                write!(f, "The expression contains too many operators; operator count: {n}")
            }
            KeyInvalidOperator(op) => {
                write!(f, "Invalid operator used in KeyConditionExpression: {op}")
            }
            KeyInvalidCondition(why) => {
                write!(f, "Invalid condition in KeyConditionExpression: {why}")
            }
            KeyNestedOperation => f.write_str("KeyConditionExpressions cannot contain nested operations"),
            KeyNestedAttribute => {
                f.write_str("KeyConditionExpressions cannot have conditions on nested attributes")
            }
            KeyDuplicate => f.write_str("KeyConditionExpressions must only contain one condition per key"),
        }
    }
}

/// An error of the expression language. `Display` is DynamoDB's message; every variant is a
/// `ValidationException`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ExprError {
    /// A problem with one expression: `Invalid ConditionExpression: …` and the like.
    #[error("Invalid {kind}: {problem}")]
    Invalid { kind: ExprKind, problem: Problem },
    #[error("Value provided in ExpressionAttributeNames unused in expressions: keys: {{{}}}", .keys.join(", "))]
    UnusedNames { keys: Vec<String> },
    #[error("Value provided in ExpressionAttributeValues unused in expressions: keys: {{{}}}", .keys.join(", "))]
    UnusedValues { keys: Vec<String> },
    #[error("ExpressionAttributeNames contains invalid key: Syntax error; key: \"{0}\"")]
    InvalidNameKey(String),
    #[error("ExpressionAttributeValues contains invalid key: Syntax error; key: \"{0}\"")]
    InvalidValueKey(String),
    #[error("Query condition missed key schema element: {0}")]
    MissedKeySchemaElement(String),
    #[error("Query key condition not supported")]
    KeyConditionNotSupported,
    /// A multi-attribute index: sort-key attributes before the last one conditioned must
    /// be compared with `=`.
    #[error("RANGE key attributes {} must have equality conditions specified in the query because a condition is present on key attribute {last}", .before.join(", "))]
    RangeKeyNeedsEquality { before: Vec<String>, last: String },
    #[error("Conditions can be of length 1 or 2 only")]
    KeyConditionCount,
    /// A legacy `KeyConditions` operator a query cannot use.
    #[error("Attempted conditional constraint is not an indexable operation")]
    NotIndexable,
    #[error("The document path provided in the update expression is invalid for update")]
    InvalidPathForUpdate,
    #[error("The provided expression refers to an attribute that does not exist in the item")]
    MissingAttribute,
    #[error("An operand in the update expression has an incorrect data type")]
    OperandDataType,
    /// Legacy `AttributeUpdates` ADD / DELETE on an attribute of another type.
    #[error("Type mismatch for attribute to update")]
    TypeMismatchForUpdate,
    /// Arithmetic in SET / ADD overflowed DynamoDB's number limits.
    #[error("{0}")]
    Number(NumberError),
}

impl From<NumberError> for ExprError {
    fn from(e: NumberError) -> Self {
        ExprError::Number(e)
    }
}
