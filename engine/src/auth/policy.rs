//! IAM identity-based policies: parsed from their JSON documents and evaluated against a
//! request (an action, a resource ARN and the request's condition keys) with AWS's rules.
//!
//! Evaluation is AWS's for identity policies alone: an explicit `Deny` in any matching
//! statement wins, else any matching `Allow` allows, else the request is implicitly denied.
//! There are no resource policies, permission boundaries or SCPs here.
//!
//! Parse errors carry the wording of IAM's `MalformedPolicyDocument` messages where IAM has
//! one, so the management layer can return them as they are.
//!
//! Policy variables (`${aws:username}`, `${aws:PrincipalTag/team, 'default'}`, `${*}`, ...)
//! are recognised only in documents whose `Version` is `2012-10-17`: in older or unversioned
//! documents IAM reads them as literal text, and a policy must mean the same thing here.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use serde_json::{Map, Value};

/// AWS's largest managed policy; tighter per-identity limits are the caller's to enforce.
pub const MAX_POLICY_BYTES: usize = 10_240;

/// The only version in which `${...}` is a policy variable rather than text.
const VARIABLES_VERSION: &str = "2012-10-17";
const LEGACY_VERSION: &str = "2008-10-17";

/// A parsed identity-based policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    statements: Vec<Statement>,
}

/// Why a policy document was refused, in the words of IAM's `MalformedPolicyDocument`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PolicyError(pub String);

/// Request context: condition keys, each with zero or more values. Key names are
/// case-insensitive (as in IAM); values keep their case.
#[derive(Debug, Clone, Default)]
pub struct ContextKeys {
    keys: BTreeMap<String, Vec<String>>,
}

impl ContextKeys {
    /// Sets (or replaces) a key's values. An empty list counts as an absent key for every
    /// operator, as a key present without values does in IAM.
    pub fn set(&mut self, key: &str, values: Vec<String>) {
        self.keys.insert(key.to_lowercase(), values);
    }

    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.get_lower(&key.to_lowercase())
    }

    fn get_lower(&self, lower: &str) -> Option<&[String]> {
        self.keys.get(lower).map(Vec::as_slice)
    }

    /// A key's values when it has at least one; IAM treats an empty set as absent.
    fn present(&self, lower: &str) -> Option<&[String]> {
        self.get_lower(lower).filter(|values| !values.is_empty())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    ExplicitDeny,
    ImplicitDeny,
}

/// Decides a request against every policy attached to the caller. `action` is like
/// `dynamodb:GetItem`, `resource` an ARN like
/// `arn:aws:dynamodb:us-east-1:123456789012:table/Music`.
pub fn evaluate(policies: &[Policy], action: &str, resource: &str, keys: &ContextKeys) -> Decision {
    let action: Vec<char> = action.to_lowercase().chars().collect();
    let resource: Vec<char> = resource.chars().collect();
    let mut allowed = false;
    for statement in policies.iter().flat_map(|p| &p.statements) {
        // Once allowed, only a Deny can change the answer: skip the remaining Allows.
        if allowed && statement.effect == Effect::Allow {
            continue;
        }
        if statement.applies(&action, &resource, keys) {
            match statement.effect {
                Effect::Deny => return Decision::ExplicitDeny,
                Effect::Allow => allowed = true,
            }
        }
    }
    if allowed {
        Decision::Allow
    } else {
        Decision::ImplicitDeny
    }
}

fn err(message: impl Into<String>) -> PolicyError {
    PolicyError(message.into())
}

fn syntax() -> PolicyError {
    err("Syntax errors in policy.")
}

impl Policy {
    pub fn parse(json: &str) -> Result<Policy, PolicyError> {
        if json.len() > MAX_POLICY_BYTES {
            return Err(err("Policy document exceeds the maximum size."));
        }
        let document: Value = serde_json::from_str(json).map_err(|_| syntax())?;
        let document = document.as_object().ok_or_else(syntax)?;
        for field in document.keys() {
            if !matches!(field.as_str(), "Version" | "Id" | "Statement") {
                return Err(err(format!("Unknown field {field}")));
            }
        }
        let variables = match document.get("Version") {
            None => false,
            Some(Value::String(v)) if v == VARIABLES_VERSION => true,
            Some(Value::String(v)) if v == LEGACY_VERSION => false,
            Some(Value::String(v)) => return Err(err(format!("Invalid Version: {v}"))),
            Some(_) => return Err(syntax()),
        };
        if !matches!(document.get("Id"), None | Some(Value::String(_))) {
            return Err(syntax());
        }
        let statements = match document.get("Statement") {
            None => return Err(no_statement()),
            Some(Value::Array(list)) if list.is_empty() => return Err(no_statement()),
            Some(Value::Array(list)) => list
                .iter()
                .map(|s| Statement::parse(s, variables))
                .collect::<Result<Vec<_>, _>>()?,
            Some(single @ Value::Object(_)) => vec![Statement::parse(single, variables)?],
            Some(_) => return Err(syntax()),
        };
        let mut sids = BTreeSet::new();
        for sid in statements.iter().filter_map(|s| s.sid.as_deref()) {
            if !sid.is_empty() && !sids.insert(sid) {
                return Err(err(
                    "Statement IDs (SID) in a single policy must be unique.",
                ));
            }
        }
        Ok(Policy { statements })
    }

    /// Whether any statement names this condition key (case-insensitive), either as a
    /// condition's key or as a policy variable in a condition value or a resource: a caller
    /// that computes costly keys only on demand must compute both kinds.
    pub fn uses_condition_key(&self, key: &str) -> bool {
        let key = key.to_lowercase();
        self.statements.iter().any(|s| s.names_key(&key))
    }
}

fn no_statement() -> PolicyError {
    err("Policy document must contain a Statement")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effect {
    Allow,
    Deny,
}

#[derive(Debug, Clone, PartialEq)]
struct Statement {
    sid: Option<String>,
    effect: Effect,
    /// Lower-cased patterns, since action names are case-insensitive.
    actions: Vec<Glob>,
    not_action: bool,
    resources: Vec<Template>,
    not_resource: bool,
    conditions: Vec<Condition>,
}

const SID_NOT_ALPHANUMERIC: &str = "Statement IDs (SID) must be alpha-numeric. \
    Check that your input satisfies the regular expression [0-9A-Za-z]*";

const STATEMENT_FIELDS: &[&str] = &[
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

impl Statement {
    fn parse(value: &Value, variables: bool) -> Result<Statement, PolicyError> {
        let fields = value.as_object().ok_or_else(syntax)?;
        for field in fields.keys() {
            match field.as_str() {
                "Principal" | "NotPrincipal" => {
                    return Err(err("Policy document should not specify a principal."))
                }
                known if STATEMENT_FIELDS.contains(&known) => {}
                unknown => return Err(err(format!("Unknown field {unknown}"))),
            }
        }
        let sid = match fields.get("Sid") {
            None => None,
            Some(Value::String(sid)) if sid.chars().all(|c| c.is_ascii_alphanumeric()) => {
                Some(sid.clone())
            }
            Some(Value::String(_)) => return Err(err(SID_NOT_ALPHANUMERIC)),
            Some(_) => return Err(syntax()),
        };
        let effect = match fields.get("Effect") {
            None => return Err(err("Missing required field Effect")),
            Some(Value::String(e)) if e == "Allow" => Effect::Allow,
            Some(Value::String(e)) if e == "Deny" => Effect::Deny,
            Some(Value::String(e)) => return Err(err(format!("Invalid Effect: {e}"))),
            Some(_) => return Err(syntax()),
        };

        let (actions, not_action) = one_of(fields, "Action", "NotAction")?
            .ok_or_else(|| err("Policy statement must contain actions."))?;
        let actions = string_list(actions)?;
        if actions.is_empty() {
            return Err(err("Policy statement must contain actions."));
        }
        let actions = actions
            .into_iter()
            .map(|action| {
                if !has_vendor(action) && action != "*" {
                    return Err(no_vendor());
                }
                Ok(Glob::pattern(&action.to_lowercase()))
            })
            .collect::<Result<Vec<_>, _>>()?;

        let (resources, not_resource) = one_of(fields, "Resource", "NotResource")?
            .ok_or_else(|| err("Policy statement must contain resources."))?;
        let resources = string_list(resources)?;
        if resources.is_empty() {
            return Err(err("Policy statement must contain resources."));
        }
        let resources = resources
            .into_iter()
            .map(|resource| {
                if resource != "*" && !resource.starts_with("arn:") {
                    return Err(err(format!(
                        "Resource {resource} must be in ARN format or \"*\"."
                    )));
                }
                Ok(Template::parse(resource, variables))
            })
            .collect::<Result<Vec<_>, _>>()?;

        let conditions = match fields.get("Condition") {
            None => Vec::new(),
            Some(block) => Condition::parse_block(block, variables)?,
        };
        Ok(Statement {
            sid,
            effect,
            actions,
            not_action,
            resources,
            not_resource,
            conditions,
        })
    }

    fn applies(&self, action: &[char], resource: &[char], keys: &ContextKeys) -> bool {
        let action_listed = self.actions.iter().any(|glob| glob.matches(action));
        if action_listed == self.not_action {
            return false;
        }
        // An entry whose variables cannot be resolved matches nothing, for Resource and
        // NotResource alike.
        let resource_listed = self.resources.iter().any(|template| {
            template
                .glob(keys)
                .is_some_and(|glob| glob.matches(resource))
        });
        if resource_listed == self.not_resource {
            return false;
        }
        self.conditions.iter().all(|c| c.holds(keys))
    }

    fn names_key(&self, lower: &str) -> bool {
        self.resources.iter().any(|r| r.names_key(lower))
            || self.conditions.iter().any(|c| c.names_key(lower))
    }
}

/// The element present among a pair of mutually exclusive ones, and whether it was the
/// negated one.
fn one_of<'a>(
    fields: &'a Map<String, Value>,
    positive: &str,
    negative: &str,
) -> Result<Option<(&'a Value, bool)>, PolicyError> {
    match (fields.get(positive), fields.get(negative)) {
        (Some(_), Some(_)) => Err(err(format!(
            "Statement cannot contain both {positive} and {negative}."
        ))),
        (Some(v), None) => Ok(Some((v, false))),
        (None, Some(v)) => Ok(Some((v, true))),
        (None, None) => Ok(None),
    }
}

fn string_list(value: &Value) -> Result<Vec<&str>, PolicyError> {
    match value {
        Value::String(s) => Ok(vec![s.as_str()]),
        Value::Array(items) => items
            .iter()
            .map(|item| item.as_str().ok_or_else(syntax))
            .collect(),
        _ => Err(syntax()),
    }
}

fn has_vendor(name: &str) -> bool {
    name.split_once(':')
        .is_some_and(|(vendor, rest)| !vendor.is_empty() && !rest.is_empty())
}

fn no_vendor() -> PolicyError {
    err("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")
}

// ---------------------------------------------------------------------------------------
// Wildcard patterns and policy variables

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Char(char),
    /// `*`: any run of characters, the empty one included.
    Star,
    /// `?`: exactly one character.
    One,
}

/// A `*`/`?` pattern matched against a whole string.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Glob(Vec<Token>);

impl Glob {
    fn pattern(text: &str) -> Glob {
        let mut glob = Glob::default();
        glob.push_pattern(text);
        glob
    }

    fn push_pattern(&mut self, text: &str) {
        self.0.extend(text.chars().map(|c| match c {
            '*' => Token::Star,
            '?' => Token::One,
            c => Token::Char(c),
        }));
    }

    fn push_literal(&mut self, text: &str) {
        self.0.extend(text.chars().map(Token::Char));
    }

    /// Greedy matching that backtracks only to the latest `*`: linear in practice and
    /// O(pattern × text) at worst, never exponential, whatever a fuzzer writes.
    fn matches(&self, text: &[char]) -> bool {
        let pattern = &self.0;
        let (mut p, mut t) = (0, 0);
        let mut last_star: Option<(usize, usize)> = None;
        while t < text.len() {
            match pattern.get(p) {
                Some(Token::Star) => {
                    last_star = Some((p, t));
                    p += 1;
                    continue;
                }
                Some(Token::One) => {
                    p += 1;
                    t += 1;
                    continue;
                }
                Some(Token::Char(c)) if text.get(t) == Some(c) => {
                    p += 1;
                    t += 1;
                    continue;
                }
                _ => {}
            }
            match last_star {
                Some((star, from)) => {
                    p = star + 1;
                    t = from + 1;
                    last_star = Some((star, from + 1));
                }
                None => return false,
            }
        }
        pattern
            .get(p..)
            .is_some_and(|rest| rest.iter().all(|token| *token == Token::Star))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    /// Policy text: in patterns its `*` and `?` are wildcards.
    Text(String),
    /// `${*}`, `${?}` or `${$}`: the character itself, never a wildcard.
    Escaped(char),
    /// `${key}` or `${key, 'default'}`; the key lower-cased.
    Variable {
        key: String,
        default: Option<String>,
    },
}

/// A Resource or condition value, with its policy variables still to be substituted.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Template(Vec<Part>);

impl Template {
    fn parse(text: &str, variables: bool) -> Template {
        if !variables {
            return Template(vec![Part::Text(text.to_string())]);
        }
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            let after = &rest[start + 2..];
            // An unclosed `${` is plain text, as nothing could substitute it.
            let Some(len) = after.find('}') else { break };
            if start > 0 {
                parts.push(Part::Text(rest[..start].to_string()));
            }
            parts.push(Self::variable(&after[..len]));
            rest = &after[len + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_string()));
        }
        Template(parts)
    }

    fn variable(inside: &str) -> Part {
        match inside {
            "*" => return Part::Escaped('*'),
            "?" => return Part::Escaped('?'),
            "$" => return Part::Escaped('$'),
            _ => {}
        }
        let (key, default) = match inside.split_once(',') {
            Some((key, default)) => {
                let default = default.trim();
                let default = default
                    .strip_prefix('\'')
                    .and_then(|d| d.strip_suffix('\''))
                    .unwrap_or(default);
                (key, Some(default.to_string()))
            }
            None => (inside, None),
        };
        Part::Variable {
            key: key.trim().to_lowercase(),
            default,
        }
    }

    /// A variable's value: its key's single value, else its default. A multi-valued key
    /// cannot stand for one string, so it counts as unresolved.
    fn resolve<'a>(
        keys: &'a ContextKeys,
        key: &str,
        default: &'a Option<String>,
    ) -> Option<&'a str> {
        match keys.get_lower(key) {
            Some([value]) => Some(value.as_str()),
            _ => default.as_deref(),
        }
    }

    /// The template as a pattern; substituted values are literal so that a user name or
    /// tag holding `*` cannot widen what the policy grants.
    fn glob(&self, keys: &ContextKeys) -> Option<Glob> {
        let mut glob = Glob::default();
        for part in &self.0 {
            match part {
                Part::Text(text) => glob.push_pattern(text),
                Part::Escaped(c) => glob.0.push(Token::Char(*c)),
                Part::Variable { key, default } => {
                    glob.push_literal(Self::resolve(keys, key, default)?)
                }
            }
        }
        Some(glob)
    }

    fn literal(&self, keys: &ContextKeys) -> Option<String> {
        let mut out = String::new();
        for part in &self.0 {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Escaped(c) => out.push(*c),
                Part::Variable { key, default } => out.push_str(Self::resolve(keys, key, default)?),
            }
        }
        Some(out)
    }

    fn names_key(&self, lower: &str) -> bool {
        self.0
            .iter()
            .any(|part| matches!(part, Part::Variable { key, .. } if key == lower))
    }
}

// ---------------------------------------------------------------------------------------
// Conditions

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compare {
    Equals,
    LessThan,
    LessThanEquals,
    GreaterThan,
    GreaterThanEquals,
}

impl Compare {
    fn holds<T: PartialOrd>(self, context: T, policy: T) -> bool {
        match self {
            Compare::Equals => context == policy,
            Compare::LessThan => context < policy,
            Compare::LessThanEquals => context <= policy,
            Compare::GreaterThan => context > policy,
            Compare::GreaterThanEquals => context >= policy,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    Numeric(Compare),
    Date(Compare),
    Bool,
    BinaryEquals,
    IpAddress,
    /// ArnEquals and ArnLike are the same operator in IAM: both take wildcards.
    Arn,
    Null,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetQualifier {
    ForAllValues,
    ForAnyValue,
}

/// Each operator IAM has, as the positive test it is built on and whether it negates it.
const OPERATORS: &[(&str, Kind, bool)] = &[
    ("StringEquals", Kind::StringEquals, false),
    ("StringNotEquals", Kind::StringEquals, true),
    (
        "StringEqualsIgnoreCase",
        Kind::StringEqualsIgnoreCase,
        false,
    ),
    (
        "StringNotEqualsIgnoreCase",
        Kind::StringEqualsIgnoreCase,
        true,
    ),
    ("StringLike", Kind::StringLike, false),
    ("StringNotLike", Kind::StringLike, true),
    ("NumericEquals", Kind::Numeric(Compare::Equals), false),
    ("NumericNotEquals", Kind::Numeric(Compare::Equals), true),
    ("NumericLessThan", Kind::Numeric(Compare::LessThan), false),
    (
        "NumericLessThanEquals",
        Kind::Numeric(Compare::LessThanEquals),
        false,
    ),
    (
        "NumericGreaterThan",
        Kind::Numeric(Compare::GreaterThan),
        false,
    ),
    (
        "NumericGreaterThanEquals",
        Kind::Numeric(Compare::GreaterThanEquals),
        false,
    ),
    ("DateEquals", Kind::Date(Compare::Equals), false),
    ("DateNotEquals", Kind::Date(Compare::Equals), true),
    ("DateLessThan", Kind::Date(Compare::LessThan), false),
    (
        "DateLessThanEquals",
        Kind::Date(Compare::LessThanEquals),
        false,
    ),
    ("DateGreaterThan", Kind::Date(Compare::GreaterThan), false),
    (
        "DateGreaterThanEquals",
        Kind::Date(Compare::GreaterThanEquals),
        false,
    ),
    ("Bool", Kind::Bool, false),
    ("BinaryEquals", Kind::BinaryEquals, false),
    ("IpAddress", Kind::IpAddress, false),
    ("NotIpAddress", Kind::IpAddress, true),
    ("ArnEquals", Kind::Arn, false),
    ("ArnLike", Kind::Arn, false),
    ("ArnNotEquals", Kind::Arn, true),
    ("ArnNotLike", Kind::Arn, true),
    ("Null", Kind::Null, false),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Operator {
    kind: Kind,
    negated: bool,
    if_exists: bool,
    set: Option<SetQualifier>,
}

/// `text` without `affix` at its start (or end), compared ASCII case-insensitively.
fn strip_prefix_ci<'a>(text: &'a str, affix: &str) -> Option<&'a str> {
    let head = text.get(..affix.len())?;
    head.eq_ignore_ascii_case(affix)
        .then(|| text.get(affix.len()..))
        .flatten()
}

fn strip_suffix_ci<'a>(text: &'a str, affix: &str) -> Option<&'a str> {
    let cut = text.len().checked_sub(affix.len())?;
    let tail = text.get(cut..)?;
    tail.eq_ignore_ascii_case(affix)
        .then(|| text.get(..cut))
        .flatten()
}

impl Operator {
    /// Operator names are read case-insensitively: refusing a spelling IAM accepts would
    /// break a migrated policy, accepting one it refuses costs nothing.
    fn parse(name: &str) -> Result<Operator, PolicyError> {
        let unsupported = || err(format!("Condition operator {name} is not supported"));
        let (set, rest) = if let Some(rest) = strip_prefix_ci(name, "ForAllValues:") {
            (Some(SetQualifier::ForAllValues), rest)
        } else if let Some(rest) = strip_prefix_ci(name, "ForAnyValue:") {
            (Some(SetQualifier::ForAnyValue), rest)
        } else {
            (None, name)
        };
        let (rest, if_exists) = match strip_suffix_ci(rest, "IfExists") {
            Some(base) => (base, true),
            None => (rest, false),
        };
        let &(_, kind, negated) = OPERATORS
            .iter()
            .find(|(known, _, _)| known.eq_ignore_ascii_case(rest))
            .ok_or_else(unsupported)?;
        // Null asks whether the key exists: IfExists or a set qualifier make it meaningless.
        if kind == Kind::Null && (if_exists || set.is_some()) {
            return Err(unsupported());
        }
        Ok(Operator {
            kind,
            negated,
            if_exists,
            set,
        })
    }
}

/// A condition's policy values, parsed once for the operator's type.
#[derive(Debug, Clone, PartialEq)]
enum Values {
    /// String and ARN operators: policy variables substituted at evaluation.
    Templates(Vec<Template>),
    Plain(Vec<String>),
    Numbers(Vec<f64>),
    /// Epoch milliseconds.
    Dates(Vec<i64>),
    Bools(Vec<bool>),
    Networks(Vec<Network>),
}

/// One `Operator: { key: values }` entry of a Condition block.
#[derive(Debug, Clone, PartialEq)]
struct Condition {
    operator: Operator,
    /// Lower-cased, as context key names are case-insensitive.
    key: String,
    values: Values,
}

impl Condition {
    fn parse_block(block: &Value, variables: bool) -> Result<Vec<Condition>, PolicyError> {
        let mut conditions = Vec::new();
        for (name, entries) in block.as_object().ok_or_else(syntax)? {
            let operator = Operator::parse(name)?;
            for (key, values) in entries.as_object().ok_or_else(syntax)? {
                if !has_vendor(key) {
                    return Err(no_vendor());
                }
                let raw = condition_strings(values)?;
                conditions.push(Condition {
                    operator,
                    key: key.to_lowercase(),
                    values: Self::parse_values(operator.kind, name, &raw, variables)?,
                });
            }
        }
        Ok(conditions)
    }

    /// Typed values are checked here rather than at evaluation so that a policy that can
    /// never match as written is refused when it is stored.
    fn parse_values(
        kind: Kind,
        operator: &str,
        raw: &[String],
        variables: bool,
    ) -> Result<Values, PolicyError> {
        fn each<T>(
            raw: &[String],
            operator: &str,
            parse: impl Fn(&str) -> Option<T>,
        ) -> Result<Vec<T>, PolicyError> {
            raw.iter()
                .map(|value| {
                    parse(value).ok_or_else(|| {
                        err(format!("Invalid condition value for {operator}: {value}"))
                    })
                })
                .collect()
        }
        Ok(match kind {
            Kind::StringEquals | Kind::StringEqualsIgnoreCase | Kind::StringLike | Kind::Arn => {
                Values::Templates(raw.iter().map(|v| Template::parse(v, variables)).collect())
            }
            Kind::BinaryEquals => Values::Plain(raw.to_vec()),
            Kind::Numeric(_) => Values::Numbers(each(raw, operator, parse_number)?),
            Kind::Date(_) => Values::Dates(each(raw, operator, parse_date)?),
            Kind::Bool | Kind::Null => Values::Bools(each(raw, operator, parse_bool)?),
            Kind::IpAddress => Values::Networks(each(raw, operator, Network::parse)?),
        })
    }

    fn holds(&self, keys: &ContextKeys) -> bool {
        let context = keys.present(&self.key);
        if self.operator.kind == Kind::Null {
            // "true" asks for the key to be absent, "false" for it to be present.
            return match &self.values {
                Values::Bools(wanted) => wanted.contains(&context.is_none()),
                _ => false,
            };
        }
        let Some(context) = context else {
            // ForAllValues over no values is vacuously true, as in IAM.
            return self.operator.if_exists
                || self.operator.set == Some(SetQualifier::ForAllValues);
        };
        let Some(matcher) = Matcher::new(self, keys) else {
            return false;
        };
        let negated = self.operator.negated;
        // A context value the operator cannot read fails the test whichever way it points.
        let passes = |value: &String| matcher.matches(value).is_some_and(|m| m != negated);
        match self.operator.set {
            Some(SetQualifier::ForAllValues) => context.iter().all(passes),
            Some(SetQualifier::ForAnyValue) => context.iter().any(passes),
            // Unqualified on a multi-valued key: a positive test needs one value to match,
            // a negated one needs no value to match any policy value.
            None if negated => context.iter().all(passes),
            None => context.iter().any(passes),
        }
    }

    fn names_key(&self, lower: &str) -> bool {
        let in_values = match &self.values {
            Values::Templates(templates) => templates.iter().any(|t| t.names_key(lower)),
            _ => false,
        };
        self.key == lower || in_values
    }
}

/// Condition values as IAM normalises them: JSON strings, numbers and booleans alike become
/// strings, one or many.
fn condition_strings(value: &Value) -> Result<Vec<String>, PolicyError> {
    fn scalar(value: &Value) -> Result<String, PolicyError> {
        match value {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            _ => Err(syntax()),
        }
    }
    match value {
        Value::Array(items) => items.iter().map(scalar).collect(),
        other => Ok(vec![scalar(other)?]),
    }
}

/// A condition's policy values ready for one request, variables substituted.
enum Matcher<'a> {
    Exact(Vec<String>),
    /// Lower-cased.
    IgnoreCase(Vec<String>),
    Like(Vec<Glob>),
    Arn(Vec<ArnPattern>),
    Binary(&'a [String]),
    Number(Compare, &'a [f64]),
    Date(Compare, &'a [i64]),
    Bool(&'a [bool]),
    Ip(&'a [Network]),
}

impl<'a> Matcher<'a> {
    /// `None` when the condition cannot hold at all: a negated operator with a value whose
    /// variable is unresolved, since "differs from an unknown value" cannot be established.
    /// For a positive operator such a value simply matches nothing.
    fn new(condition: &'a Condition, keys: &ContextKeys) -> Option<Matcher<'a>> {
        let negated = condition.operator.negated;
        fn resolve<T>(
            templates: &[Template],
            negated: bool,
            render: impl Fn(&Template) -> Option<T>,
        ) -> Option<Vec<T>> {
            let mut out = Vec::new();
            for template in templates {
                match render(template) {
                    Some(value) => out.push(value),
                    None if negated => return None,
                    None => {}
                }
            }
            Some(out)
        }
        Some(match (&condition.values, condition.operator.kind) {
            (Values::Templates(ts), Kind::StringEquals) => {
                Matcher::Exact(resolve(ts, negated, |t| t.literal(keys))?)
            }
            (Values::Templates(ts), Kind::StringEqualsIgnoreCase) => {
                Matcher::IgnoreCase(resolve(ts, negated, |t| {
                    t.literal(keys).map(|v| v.to_lowercase())
                })?)
            }
            (Values::Templates(ts), Kind::StringLike) => {
                Matcher::Like(resolve(ts, negated, |t| t.glob(keys))?)
            }
            (Values::Templates(ts), Kind::Arn) => {
                Matcher::Arn(resolve(ts, negated, |t| t.glob(keys).map(ArnPattern::new))?)
            }
            (Values::Plain(values), _) => Matcher::Binary(values),
            (Values::Numbers(values), Kind::Numeric(compare)) => Matcher::Number(compare, values),
            (Values::Dates(values), Kind::Date(compare)) => Matcher::Date(compare, values),
            (Values::Bools(values), _) => Matcher::Bool(values),
            (Values::Networks(values), _) => Matcher::Ip(values),
            _ => return None,
        })
    }

    /// Whether a context value matches any policy value; `None` if the value cannot be read
    /// as the operator's type.
    fn matches(&self, value: &str) -> Option<bool> {
        Some(match self {
            Matcher::Exact(policy) => policy.iter().any(|p| p == value),
            Matcher::IgnoreCase(policy) => {
                let value = value.to_lowercase();
                policy.contains(&value)
            }
            Matcher::Like(policy) => {
                let value: Vec<char> = value.chars().collect();
                policy.iter().any(|glob| glob.matches(&value))
            }
            Matcher::Arn(policy) => {
                let value: Vec<char> = value.chars().collect();
                policy.iter().any(|arn| arn.matches(&value))
            }
            Matcher::Binary(policy) => policy.iter().any(|p| p == value),
            Matcher::Number(compare, policy) => {
                let value = parse_number(value)?;
                policy.iter().any(|p| compare.holds(value, *p))
            }
            Matcher::Date(compare, policy) => {
                let value = parse_date(value)?;
                policy.iter().any(|p| compare.holds(value, *p))
            }
            Matcher::Bool(policy) => policy.contains(&parse_bool(value)?),
            Matcher::Ip(policy) => {
                let value: IpAddr = value.parse().ok()?;
                policy.iter().any(|network| network.contains(value))
            }
        })
    }
}

/// An ARN pattern of six parts is matched part by part, as IAM does, so that a `*` cannot
/// swallow a `:` and shift the account into the region; anything else as a whole.
enum ArnPattern {
    Parts(Vec<Glob>),
    Whole(Glob),
}

const ARN_PARTS: usize = 6;

fn split_arn<T: Copy + PartialEq>(items: &[T], colon: T) -> Vec<&[T]> {
    items.splitn(ARN_PARTS, |item| *item == colon).collect()
}

impl ArnPattern {
    fn new(glob: Glob) -> ArnPattern {
        let parts = split_arn(&glob.0, Token::Char(':'));
        if parts.len() == ARN_PARTS {
            ArnPattern::Parts(parts.into_iter().map(|p| Glob(p.to_vec())).collect())
        } else {
            ArnPattern::Whole(glob)
        }
    }

    fn matches(&self, value: &[char]) -> bool {
        match self {
            ArnPattern::Whole(glob) => glob.matches(value),
            ArnPattern::Parts(globs) => {
                let parts = split_arn(value, ':');
                parts.len() == ARN_PARTS && globs.iter().zip(parts).all(|(g, p)| g.matches(p))
            }
        }
    }
}

fn parse_number(text: &str) -> Option<f64> {
    text.parse::<f64>().ok().filter(|n| n.is_finite())
}

fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// An address, or a CIDR block (`10.0.0.0/8`, `2001:db8::/32`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Network {
    address: IpAddr,
    prefix: u8,
}

impl Network {
    fn parse(text: &str) -> Option<Network> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let address: IpAddr = address.parse().ok()?;
        let width = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => width,
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => p.parse().ok()?,
            Some(_) => return None,
        };
        (prefix <= width).then_some(Network { address, prefix })
    }

    fn contains(&self, address: IpAddr) -> bool {
        // A dual-stack listener reports IPv4 clients as IPv4-mapped IPv6 addresses.
        let address = match address {
            IpAddr::V6(v6) if self.address.is_ipv4() => {
                v6.to_ipv4_mapped().map_or(address, IpAddr::V4)
            }
            other => other,
        };
        match (self.address, address) {
            (IpAddr::V4(net), IpAddr::V4(addr)) => {
                let mask = u32::MAX
                    .checked_shl(32u32.saturating_sub(u32::from(self.prefix)))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(addr) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(addr)) => {
                let mask = u128::MAX
                    .checked_shl(128u32.saturating_sub(u32::from(self.prefix)))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(addr) & mask
            }
            _ => false,
        }
    }
}

/// Epoch milliseconds of an ISO 8601 time (`2026-12-04T10:00:00Z`, with optional seconds,
/// fraction and offset, or a bare date) or of epoch seconds (`aws:EpochTime`).
fn parse_date(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if !bytes.is_empty() && bytes.iter().all(u8::is_ascii_digit) {
        return text.parse::<i64>().ok()?.checked_mul(1000);
    }
    let mut cursor = Cursor { bytes, at: 0 };
    let year = cursor.number(4)?;
    cursor.expect(b'-')?;
    let month = cursor.number(2)?;
    cursor.expect(b'-')?;
    let day = cursor.number(2)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let mut millis_of_day = 0;
    if cursor.eat(b'T') || cursor.eat(b't') {
        let hour = cursor.number(2)?;
        cursor.expect(b':')?;
        let minute = cursor.number(2)?;
        let second = if cursor.eat(b':') {
            cursor.number(2)?
        } else {
            0
        };
        let mut millis = 0;
        if cursor.eat(b'.') || cursor.eat(b',') {
            let mut digits = 0;
            while let Some(d) = cursor.digit() {
                if digits < 3 {
                    millis = millis * 10 + d;
                }
                digits += 1;
            }
            if digits == 0 {
                return None;
            }
            for _ in digits..3 {
                millis *= 10;
            }
        }
        if hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        millis_of_day = ((hour * 60 + minute) * 60 + second) * 1000 + millis;
    }
    let offset_minutes = match cursor.next() {
        None => 0,
        Some(b'Z' | b'z') => 0,
        Some(sign @ (b'+' | b'-')) => {
            let hours = cursor.number(2)?;
            cursor.eat(b':');
            let minutes = if cursor.at < bytes.len() {
                cursor.number(2)?
            } else {
                0
            };
            if hours > 23 || minutes > 59 {
                return None;
            }
            let offset = hours * 60 + minutes;
            if sign == b'-' {
                -offset
            } else {
                offset
            }
        }
        Some(_) => return None,
    };
    if cursor.at != bytes.len() {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400_000 + millis_of_day - offset_minutes * 60_000)
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn next(&mut self) -> Option<u8> {
        let byte = *self.bytes.get(self.at)?;
        self.at += 1;
        Some(byte)
    }

    fn eat(&mut self, wanted: u8) -> bool {
        let found = self.bytes.get(self.at) == Some(&wanted);
        if found {
            self.at += 1;
        }
        found
    }

    fn expect(&mut self, wanted: u8) -> Option<()> {
        self.eat(wanted).then_some(())
    }

    fn digit(&mut self) -> Option<i64> {
        let byte = *self.bytes.get(self.at).filter(|b| b.is_ascii_digit())?;
        self.at += 1;
        Some(i64::from(byte - b'0'))
    }

    /// Exactly `count` digits.
    fn number(&mut self, count: usize) -> Option<i64> {
        (0..count).try_fold(0, |n, _| Some(n * 10 + self.digit()?))
    }
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use Decision::{Allow, ExplicitDeny, ImplicitDeny};

    type Keys<'a> = &'a [(&'a str, &'a [&'a str])];

    const ACCOUNT: &str = "arn:aws:dynamodb:us-east-1:123456789012";

    fn arn(rest: &str) -> String {
        format!("{ACCOUNT}:{rest}")
    }

    fn context(pairs: Keys) -> ContextKeys {
        let mut keys = ContextKeys::default();
        for (key, values) in pairs {
            keys.set(key, values.iter().map(|v| v.to_string()).collect());
        }
        keys
    }

    fn parse(json: &str) -> Policy {
        Policy::parse(json).unwrap_or_else(|e| panic!("{e}: {json}"))
    }

    /// A statement from JSON fragments; `condition` may be empty.
    fn stmt(effect: &str, action: &str, resource: &str, condition: &str) -> String {
        let condition = if condition.is_empty() {
            String::new()
        } else {
            format!(r#","Condition":{condition}"#)
        };
        format!(r#"{{"Effect":"{effect}","Action":{action},"Resource":{resource}{condition}}}"#)
    }

    fn doc(statements: &[String]) -> String {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
            statements.join(",")
        )
    }

    fn quoted(text: &str) -> String {
        format!("\"{text}\"")
    }

    /// Runs `(name, action, resource, keys, expected)` cases against a set of policies.
    fn check(policies: &[String], cases: &[(&str, &str, &str, Keys, Decision)]) {
        let policies: Vec<Policy> = policies.iter().map(|p| parse(p)).collect();
        for (name, action, resource, keys, want) in cases {
            let got = evaluate(&policies, action, resource, &context(keys));
            assert_eq!(got, *want, "case {name}: {action} on {resource}");
        }
    }

    #[test]
    #[rustfmt::skip]
    fn effects_and_policy_combination() {
        let music = arn("table/Music");
        let allow_get = doc(&[stmt("Allow", r#""dynamodb:GetItem""#, &quoted(&music), "")]);
        let deny_get = doc(&[stmt("Deny", r#""dynamodb:GetItem""#, r#""*""#, "")]);
        let both = doc(&[
            stmt("Allow", r#""dynamodb:*""#, r#""*""#, ""),
            stmt("Deny", r#""dynamodb:DeleteTable""#, r#""*""#, ""),
        ]);
        let other = arn("table/Other");
        check(
            std::slice::from_ref(&allow_get),
            &[
                ("allowed", "dynamodb:GetItem", &music, &[], Allow),
                ("other action", "dynamodb:PutItem", &music, &[], ImplicitDeny),
                ("other table", "dynamodb:GetItem", &other, &[], ImplicitDeny),
            ],
        );
        check(
            std::slice::from_ref(&deny_get),
            &[("deny alone", "dynamodb:GetItem", &music, &[], ExplicitDeny)],
        );
        check(
            std::slice::from_ref(&both),
            &[
                ("allow rest", "dynamodb:Query", &music, &[], Allow),
                ("deny wins", "dynamodb:DeleteTable", &music, &[], ExplicitDeny),
            ],
        );
        check(
            &[allow_get.clone(), deny_get.clone()],
            &[("deny across policies", "dynamodb:GetItem", &music, &[], ExplicitDeny)],
        );
        check(
            &[deny_get, allow_get],
            &[("deny first", "dynamodb:GetItem", &music, &[], ExplicitDeny)],
        );
        check(&[], &[("no policies", "dynamodb:GetItem", &music, &[], ImplicitDeny)]);
    }

    #[test]
    #[rustfmt::skip]
    fn actions() {
        let music = arn("table/Music");
        let cases: &[(&str, &str, &str, Decision)] = &[
            (r#""dynamodb:*""#, "dynamodb:GetItem", "all of a service", Allow),
            (r#""dynamodb:*""#, "s3:GetObject", "other service", ImplicitDeny),
            (r#""*""#, "s3:GetObject", "star", Allow),
            (r#""dynamodb:Get*""#, "dynamodb:GetItem", "prefix", Allow),
            (r#""dynamodb:Get*""#, "dynamodb:PutItem", "prefix miss", ImplicitDeny),
            (r#""dynamodb:Batch*Item""#, "dynamodb:BatchWriteItem", "inner star", Allow),
            (r#""dynamodb:?etItem""#, "dynamodb:GetItem", "question", Allow),
            (r#""dynamodb:?etItem""#, "dynamodb:GGetItem", "question is one", ImplicitDeny),
            (r#""DynamoDB:getitem""#, "dynamodb:GetItem", "policy case", Allow),
            (r#""dynamodb:GetItem""#, "DYNAMODB:GETITEM", "request case", Allow),
            (r#"["s3:*","dynamodb:Query"]"#, "dynamodb:Query", "list", Allow),
            (r#""dynamodb:GetItem""#, "dynamodb:GetItems", "whole name", ImplicitDeny),
        ];
        for (action, request, name, want) in cases {
            let policy = doc(&[stmt("Allow", action, r#""*""#, "")]);
            check(&[policy], &[(name, request, &music, &[], *want)]);
        }
    }

    #[test]
    #[rustfmt::skip]
    fn not_action() {
        let music = arn("table/Music");
        let allow_but_deletes = doc(&[r#"{"Effect":"Allow","NotAction":"dynamodb:Delete*","Resource":"*"}"#.to_string()]);
        let deny_all_but_reads = doc(&[
            stmt("Allow", r#""dynamodb:*""#, r#""*""#, ""),
            r#"{"Effect":"Deny","NotAction":["dynamodb:Get*","dynamodb:Query"],"Resource":"*"}"#.to_string(),
        ]);
        check(
            &[allow_but_deletes],
            &[
                ("not listed", "dynamodb:GetItem", &music, &[], Allow),
                ("other service", "s3:GetObject", &music, &[], Allow),
                ("listed", "dynamodb:DeleteItem", &music, &[], ImplicitDeny),
                ("listed any case", "dynamodb:deletetable", &music, &[], ImplicitDeny),
            ],
        );
        check(
            &[deny_all_but_reads],
            &[
                ("read", "dynamodb:Query", &music, &[], Allow),
                ("write", "dynamodb:PutItem", &music, &[], ExplicitDeny),
            ],
        );
    }

    #[test]
    #[rustfmt::skip]
    fn resources() {
        let cases: &[(&str, &str, Decision)] = &[
            ("table/Music", "table/Music", Allow),
            ("table/Music", "table/music", ImplicitDeny),
            ("table/Music", "table/Music/index/ByArtist", ImplicitDeny),
            ("table/Music/index/*", "table/Music/index/ByArtist", Allow),
            ("table/Music/index/*", "table/Music", ImplicitDeny),
            ("table/Music/index/*", "table/Other/index/ByArtist", ImplicitDeny),
            ("table/Music/stream/*", "table/Music/stream/2026-01-01T00:00:00.000", Allow),
            ("table/Music/stream/*", "table/Music/index/x", ImplicitDeny),
            ("table/*", "table/Music/index/ByArtist", Allow),
            ("table/Mus?c", "table/Music", Allow),
            ("table/Mus?c", "table/Musc", ImplicitDeny),
        ];
        for (pattern, resource, want) in cases {
            let policy = doc(&[stmt("Allow", r#""dynamodb:*""#, &quoted(&arn(pattern)), "")]);
            check(&[policy], &[(pattern, "dynamodb:Query", &arn(resource), &[], *want)]);
        }
        let anywhere = doc(&[stmt(
            "Allow",
            r#""dynamodb:*""#,
            r#"["arn:aws:dynamodb:*:*:table/Music", "arn:aws:dynamodb:eu-west-1:*:table/*"]"#,
            "",
        )]);
        check(
            &[anywhere],
            &[
                ("any region", "dynamodb:Query", &arn("table/Music"), &[], Allow),
                (
                    "second entry",
                    "dynamodb:Query",
                    "arn:aws:dynamodb:eu-west-1:1:table/X",
                    &[],
                    Allow,
                ),
                ("neither", "dynamodb:Query", &arn("table/X"), &[], ImplicitDeny),
            ],
        );
        let star = doc(&[stmt("Allow", r#""dynamodb:*""#, r#""*""#, "")]);
        check(&[star], &[("star", "dynamodb:Query", "anything", &[], Allow)]);
    }

    #[test]
    #[rustfmt::skip]
    fn not_resource() {
        let secret = arn("table/Secret");
        let policy = doc(&[format!(
            r#"{{"Effect":"Allow","Action":"dynamodb:*","NotResource":["{secret}","{secret}/*"]}}"#
        )]);
        check(
            &[policy],
            &[
                ("other table", "dynamodb:Query", &arn("table/Music"), &[], Allow),
                ("excluded", "dynamodb:Query", &secret, &[], ImplicitDeny),
                ("excluded index", "dynamodb:Query", &arn("table/Secret/index/i"), &[], ImplicitDeny),
            ],
        );
        let deny_outside = doc(&[
            stmt("Allow", r#""dynamodb:*""#, r#""*""#, ""),
            format!(r#"{{"Effect":"Deny","Action":"dynamodb:*","NotResource":"{ACCOUNT}:table/App*"}}"#),
        ]);
        check(
            &[deny_outside],
            &[
                ("inside", "dynamodb:Query", &arn("table/AppUsers"), &[], Allow),
                ("outside", "dynamodb:Query", &arn("table/Music"), &[], ExplicitDeny),
            ],
        );
    }

    #[test]
    #[rustfmt::skip]
    fn resource_variables() {
        let own = |pattern: &str| {
            doc(&[stmt("Allow", r#""dynamodb:*""#, &quoted(&arn(pattern)), "")])
        };
        let q = "dynamodb:Query";
        check(
            &[own("table/${aws:username}")],
            &[
                ("own", q, &arn("table/alice"), &[("aws:username", &["alice"])], Allow),
                ("key name case", q, &arn("table/alice"), &[("AWS:UserName", &["alice"])], Allow),
                ("other's", q, &arn("table/bob"), &[("aws:username", &["alice"])], ImplicitDeny),
                ("missing key", q, &arn("table/alice"), &[], ImplicitDeny),
                ("multi-valued", q, &arn("table/a"), &[("aws:username", &["a", "b"])], ImplicitDeny),
                // A substituted `*` is a literal, never a wildcard.
                ("star user", q, &arn("table/Music"), &[("aws:username", &["*"])], ImplicitDeny),
                ("star user literal", q, &arn("table/*"), &[("aws:username", &["*"])], Allow),
            ],
        );
        let team = [("aws:PrincipalTag/Team", &["red"][..])];
        check(
            &[own("table/${aws:PrincipalTag/Team}-*")],
            &[
                ("tag", q, &arn("table/red-orders"), &team, Allow),
                ("tag key case", q, &arn("table/red-orders"), &[("aws:principaltag/team", &["red"])], Allow),
                ("other tag", q, &arn("table/blue-orders"), &team, ImplicitDeny),
                ("no tag", q, &arn("table/red-orders"), &[], ImplicitDeny),
            ],
        );
        check(
            &[own("table/${aws:PrincipalTag/Team, 'shared'}-*")],
            &[
                ("default", q, &arn("table/shared-x"), &[], Allow),
                ("value over default", q, &arn("table/red-x"), &team, Allow),
                ("default unused", q, &arn("table/shared-x"), &team, ImplicitDeny),
            ],
        );
        check(
            &[own("table/${aws:userid,'none'}")],
            &[("default without spaces", q, &arn("table/none"), &[], Allow)],
        );
        check(
            &[own("table/a${*}b${?}c${$}d")],
            &[
                ("escapes", q, &arn("table/a*b?c$d"), &[], Allow),
                ("escaped star literal", q, &arn("table/axb?c$d"), &[], ImplicitDeny),
                ("escaped question literal", q, &arn("table/a*bxc$d"), &[], ImplicitDeny),
            ],
        );
        check(
            &[own("table/${unclosed")],
            &[("unclosed is text", q, &arn("table/${unclosed"), &[], Allow)],
        );
        let not_own = doc(&[format!(
            r#"{{"Effect":"Allow","Action":"dynamodb:*","NotResource":"{ACCOUNT}:table/${{aws:username}}"}}"#
        )]);
        check(
            &[not_own],
            &[
                ("not own: own", q, &arn("table/alice"), &[("aws:username", &["alice"])], ImplicitDeny),
                ("not own: other", q, &arn("table/bob"), &[("aws:username", &["alice"])], Allow),
                ("not own: missing key", q, &arn("table/alice"), &[], Allow),
            ],
        );
    }

    #[test]
    #[rustfmt::skip]
    fn variables_are_text_before_2012_10_17() {
        for version in [r#""Version":"2008-10-17","#, ""] {
            let policy = format!(
                r#"{{{version}"Statement":{{"Effect":"Allow","Action":"dynamodb:*","Resource":"{ACCOUNT}:table/${{aws:username}}"}}}}"#
            );
            let alice: Keys = &[("aws:username", &["alice"])];
            check(
                std::slice::from_ref(&policy),
                &[
                    ("substituted", "dynamodb:Query", &arn("table/alice"), alice, ImplicitDeny),
                    ("literal", "dynamodb:Query", &arn("table/${aws:username}"), alice, Allow),
                ],
            );
            assert!(!parse(&policy).uses_condition_key("aws:username"));
        }
    }

    /// `(name, condition block, context, whether the condition holds)`.
    type ConditionCase<'a> = (&'a str, &'a str, Keys<'a>, bool);

    fn check_conditions(cases: &[ConditionCase]) {
        let resource = arn("table/Music");
        for (name, condition, keys, holds) in cases {
            let policy = parse(&doc(&[stmt(
                "Allow",
                r#""dynamodb:*""#,
                r#""*""#,
                condition,
            )]));
            let got = evaluate(&[policy], "dynamodb:Query", &resource, &context(keys));
            let want = if *holds { Allow } else { ImplicitDeny };
            assert_eq!(got, want, "case {name}: {condition} with {keys:?}");
        }
    }

    #[test]
    #[rustfmt::skip]
    fn string_conditions() {
        let select = r#"{"StringEquals":{"dynamodb:Select":"SPECIFIC_ATTRIBUTES"}}"#;
        let not_all = r#"{"StringNotEquals":{"dynamodb:Select":"ALL_ATTRIBUTES"}}"#;
        let returns = r#"{"StringEquals":{"dynamodb:ReturnValues":["NONE","ALL_OLD"]}}"#;
        let ic = r#"{"StringEqualsIgnoreCase":{"aws:username":"Alice"}}"#;
        let not_ic = r#"{"StringNotEqualsIgnoreCase":{"aws:username":"Alice"}}"#;
        let like = r#"{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/dev-?"}}"#;
        let not_like = r#"{"StringNotLike":{"dynamodb:Attributes":"secret*"}}"#;
        let leading = r#"{"StringEquals":{"dynamodb:LeadingKeys":"alice"}}"#;
        check_conditions(&[
            ("equals", select, &[("dynamodb:Select", &["SPECIFIC_ATTRIBUTES"])], true),
            ("key name any case", select, &[("DynamoDB:SELECT", &["SPECIFIC_ATTRIBUTES"])], true),
            ("values keep case", select, &[("dynamodb:Select", &["specific_attributes"])], false),
            ("other value", select, &[("dynamodb:Select", &["ALL_ATTRIBUTES"])], false),
            ("absent", select, &[], false),
            ("one of values", returns, &[("dynamodb:ReturnValues", &["ALL_OLD"])], true),
            ("none of values", returns, &[("dynamodb:ReturnValues", &["UPDATED_NEW"])], false),
            ("not equals differs", not_all, &[("dynamodb:Select", &["COUNT"])], true),
            ("not equals same", not_all, &[("dynamodb:Select", &["ALL_ATTRIBUTES"])], false),
            ("not equals absent", not_all, &[], false),
            ("ignore case", ic, &[("aws:username", &["aLiCe"])], true),
            ("ignore case other", ic, &[("aws:username", &["bob"])], false),
            ("not ignore case same", not_ic, &[("aws:username", &["ALICE"])], false),
            ("not ignore case other", not_ic, &[("aws:username", &["bob"])], true),
            ("like", like, &[("aws:PrincipalArn", &["arn:aws:iam::1:user/dev-1"])], true),
            ("like one char", like, &[("aws:PrincipalArn", &["arn:aws:iam::1:user/dev-12"])], false),
            ("like case", like, &[("aws:PrincipalArn", &["arn:aws:iam::1:user/DEV-1"])], false),
            ("not like", not_like, &[("dynamodb:Attributes", &["name"])], true),
            ("not like match", not_like, &[("dynamodb:Attributes", &["secretX"])], false),
            ("not like one of many", not_like, &[("dynamodb:Attributes", &["name", "secret1"])], false),
            ("not like absent", not_like, &[], false),
            ("multi-valued positive", leading, &[("dynamodb:LeadingKeys", &["bob", "alice"])], true),
            ("multi-valued positive miss", leading, &[("dynamodb:LeadingKeys", &["bob", "carol"])], false),
            ("empty is absent", leading, &[("dynamodb:LeadingKeys", &[])], false),
        ]);
    }

    #[test]
    #[rustfmt::skip]
    fn numeric_conditions() {
        let age = |op: &str, value: &str| format!(r#"{{"{op}":{{"aws:MultiFactorAuthAge":{value}}}}}"#);
        let eq = age("NumericEquals", "10");
        let ne = age("NumericNotEquals", r#""10""#);
        let lt = age("NumericLessThan", "10");
        let le = age("NumericLessThanEquals", r#""10""#);
        let gt = age("NumericGreaterThan", "10.5");
        let ge = age("NumericGreaterThanEquals", "[10, 20]");
        let k = "aws:MultiFactorAuthAge";
        check_conditions(&[
            ("equals", &eq, &[(k, &["10"])], true),
            ("equals decimal", &eq, &[(k, &["10.0"])], true),
            ("equals other", &eq, &[(k, &["11"])], false),
            ("equals unparsable", &eq, &[(k, &["ten"])], false),
            ("equals NaN", &eq, &[(k, &["NaN"])], false),
            ("not equals", &ne, &[(k, &["11"])], true),
            ("not equals same", &ne, &[(k, &["10"])], false),
            ("not equals unparsable", &ne, &[(k, &["ten"])], false),
            ("not equals absent", &ne, &[], false),
            ("less", &lt, &[(k, &["9.99"])], true),
            ("less not equal", &lt, &[(k, &["10"])], false),
            ("less negative", &lt, &[(k, &["-1e3"])], true),
            ("less equals", &le, &[(k, &["10"])], true),
            ("less equals over", &le, &[(k, &["10.01"])], false),
            ("greater", &gt, &[(k, &["11"])], true),
            ("greater not", &gt, &[(k, &["10.5"])], false),
            ("greater equals any", &ge, &[(k, &["15"])], true),
            ("greater equals none", &ge, &[(k, &["9"])], false),
        ]);
    }

    #[test]
    #[rustfmt::skip]
    fn date_conditions() {
        let after = r#"{"DateGreaterThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}"#;
        let before = r#"{"DateLessThan":{"aws:EpochTime":"2026-12-04T10:00:00Z"}}"#;
        let at = r#"{"DateEquals":{"aws:CurrentTime":"2026-12-04T12:30:00+02:30"}}"#;
        let not_at = r#"{"DateNotEquals":{"aws:CurrentTime":"1796378400"}}"#;
        let until = r#"{"DateLessThanEquals":{"aws:CurrentTime":"2026-12-04"}}"#;
        let from = r#"{"DateGreaterThanEquals":{"aws:EpochTime":1796378400}}"#;
        let now = "aws:CurrentTime";
        let epoch = "aws:EpochTime";
        check_conditions(&[
            ("after", after, &[(now, &["2026-06-01T00:00:00Z"])], true),
            ("not after", after, &[(now, &["2025-12-31T23:59:59Z"])], false),
            ("after equal", after, &[(now, &["2026-01-01T00:00:00Z"])], false),
            ("epoch before", before, &[(epoch, &["1796378399"])], true),
            ("epoch not before", before, &[(epoch, &["1796378400"])], false),
            ("offset equals", at, &[(now, &["2026-12-04T10:00:00.000Z"])], true),
            ("offset differs", at, &[(now, &["2026-12-04T10:00:00.001Z"])], false),
            ("not equals", not_at, &[(now, &["2026-12-04T10:00:01Z"])], true),
            ("not equals same", not_at, &[(now, &["2026-12-04T10:00:00Z"])], false),
            ("not equals unparsable", not_at, &[(now, &["yesterday"])], false),
            ("equals unparsable", at, &[(now, &["yesterday"])], false),
            ("until midnight", until, &[(now, &["2026-12-04T00:00:00Z"])], true),
            ("past midnight", until, &[(now, &["2026-12-04T00:00:01Z"])], false),
            ("from", from, &[(epoch, &["1796378400"])], true),
            ("from before", from, &[(epoch, &["1796378399"])], false),
            ("absent", after, &[], false),
        ]);
    }

    #[test]
    #[rustfmt::skip]
    fn bool_binary_and_ip_conditions() {
        let secure = r#"{"Bool":{"aws:SecureTransport":"true"}}"#;
        let insecure = r#"{"Bool":{"aws:SecureTransport":false}}"#;
        let binary = r#"{"BinaryEquals":{"custom:Blob":"QmluYXJ5"}}"#;
        let ip = r#"{"IpAddress":{"aws:SourceIp":["192.0.2.0/24","2001:db8::/32","203.0.113.5"]}}"#;
        let not_ip = r#"{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#;
        let any_v4 = r#"{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}"#;
        let t = "aws:SecureTransport";
        let s = "aws:SourceIp";
        check_conditions(&[
            ("bool", secure, &[(t, &["true"])], true),
            ("bool any case", secure, &[(t, &["TRUE"])], true),
            ("bool other", secure, &[(t, &["false"])], false),
            ("bool unparsable", secure, &[(t, &["yes"])], false),
            ("bool absent", secure, &[], false),
            ("json bool", insecure, &[(t, &["false"])], true),
            ("binary", binary, &[("custom:Blob", &["QmluYXJ5"])], true),
            ("binary other", binary, &[("custom:Blob", &["QmluYXJz"])], false),
            ("v4 in block", ip, &[(s, &["192.0.2.7"])], true),
            ("v4 outside", ip, &[(s, &["192.0.3.1"])], false),
            ("v4 single address", ip, &[(s, &["203.0.113.5"])], true),
            ("v4 next address", ip, &[(s, &["203.0.113.6"])], false),
            ("v6 in block", ip, &[(s, &["2001:db8::1"])], true),
            ("v6 outside", ip, &[(s, &["2001:db9::1"])], false),
            ("v4-mapped v6", ip, &[(s, &["::ffff:192.0.2.9"])], true),
            ("not an address", ip, &[(s, &["localhost"])], false),
            ("any v4", any_v4, &[(s, &["8.8.8.8"])], true),
            ("any v4 is not v6", any_v4, &[(s, &["2001:db8::1"])], false),
            ("not ip inside", not_ip, &[(s, &["10.1.2.3"])], false),
            ("not ip outside", not_ip, &[(s, &["192.0.2.1"])], true),
            ("not ip unparsable", not_ip, &[(s, &["bad"])], false),
            ("not ip absent", not_ip, &[], false),
        ]);
    }

    #[test]
    #[rustfmt::skip]
    fn arn_conditions() {
        let users = r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::123456789012:user/*"}}"#;
        let alice = r#"{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::*:user/alice"}}"#;
        let tables = r#"{"ArnLike":{"aws:SourceArn":"arn:aws:dynamodb:*:123456789012:table/*"}}"#;
        let not_admin = r#"{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/admin*"}}"#;
        let not_bob = r#"{"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::1:user/bob"}}"#;
        let short = r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:*"}}"#;
        let p = "aws:PrincipalArn";
        check_conditions(&[
            ("like", users, &[(p, &["arn:aws:iam::123456789012:user/alice"])], true),
            ("like role", users, &[(p, &["arn:aws:iam::123456789012:role/alice"])], false),
            ("like other account", users, &[(p, &["arn:aws:iam::999:user/alice"])], false),
            ("equals takes wildcards", alice, &[(p, &["arn:aws:iam::111:user/alice"])], true),
            ("equals case", alice, &[(p, &["arn:aws:iam::111:user/Alice"])], false),
            (
                "star stays in its part",
                tables,
                &[("aws:SourceArn", &["arn:aws:dynamodb:us-east-1:999:123456789012:table/x"])],
                false,
            ),
            (
                "parts",
                tables,
                &[("aws:SourceArn", &["arn:aws:dynamodb:us-east-1:123456789012:table/x"])],
                true,
            ),
            ("not like", not_admin, &[(p, &["arn:aws:iam::1:user/admin"])], true),
            ("not like match", not_admin, &[(p, &["arn:aws:iam::1:role/admin-ops"])], false),
            ("not equals", not_bob, &[(p, &["arn:aws:iam::1:user/alice"])], true),
            ("not equals same", not_bob, &[(p, &["arn:aws:iam::1:user/bob"])], false),
            ("short pattern whole", short, &[(p, &["arn:aws:iam::1:user/x"])], true),
            ("not an arn", users, &[(p, &["alice"])], false),
        ]);
    }

    #[test]
    #[rustfmt::skip]
    fn null_and_if_exists() {
        let no_tag = r#"{"Null":{"aws:PrincipalTag/Team":"true"}}"#;
        let has_tag = r#"{"Null":{"aws:PrincipalTag/Team":false}}"#;
        let select = r#"{"StringEqualsIfExists":{"dynamodb:Select":"SPECIFIC_ATTRIBUTES"}}"#;
        let not_select = r#"{"StringNotEqualsIfExists":{"dynamodb:Select":"ALL_ATTRIBUTES"}}"#;
        let age = r#"{"NumericLessThanIfExists":{"aws:MultiFactorAuthAge":"3600"}}"#;
        let secure = r#"{"BoolIfExists":{"aws:SecureTransport":"true"}}"#;
        let tag = "aws:PrincipalTag/Team";
        check_conditions(&[
            ("null absent", no_tag, &[], true),
            ("null empty", no_tag, &[(tag, &[])], true),
            ("null present", no_tag, &[(tag, &["red"])], false),
            ("not null present", has_tag, &[(tag, &["red"])], true),
            ("not null absent", has_tag, &[], false),
            ("if exists absent", select, &[], true),
            ("if exists match", select, &[("dynamodb:Select", &["SPECIFIC_ATTRIBUTES"])], true),
            ("if exists other", select, &[("dynamodb:Select", &["ALL_ATTRIBUTES"])], false),
            ("negated if exists absent", not_select, &[], true),
            ("negated if exists same", not_select, &[("dynamodb:Select", &["ALL_ATTRIBUTES"])], false),
            ("numeric if exists absent", age, &[], true),
            ("numeric if exists over", age, &[("aws:MultiFactorAuthAge", &["7200"])], false),
            ("bool if exists absent", secure, &[], true),
            ("bool if exists false", secure, &[("aws:SecureTransport", &["false"])], false),
        ]);
    }

    #[test]
    #[rustfmt::skip]
    fn set_qualifiers() {
        let only = r#"{"ForAllValues:StringEquals":{"dynamodb:Attributes":["id","name"]}}"#;
        let any = r#"{"ForAnyValue:StringEquals":{"dynamodb:Attributes":"secret"}}"#;
        let any_not = r#"{"ForAnyValue:StringNotEquals":{"dynamodb:Attributes":"secret"}}"#;
        let all_not_like = r#"{"ForAllValues:StringNotLike":{"dynamodb:Attributes":"secret*"}}"#;
        let any_if_exists = r#"{"ForAnyValue:StringEqualsIfExists":{"dynamodb:Attributes":"id"}}"#;
        let a = "dynamodb:Attributes";
        check_conditions(&[
            ("all: subset", only, &[(a, &["id"])], true),
            ("all: same set", only, &[(a, &["name", "id"])], true),
            ("all: one outside", only, &[(a, &["id", "secret"])], false),
            ("all: empty", only, &[(a, &[])], true),
            ("all: absent", only, &[], true),
            ("any: one", any, &[(a, &["id", "secret"])], true),
            ("any: none", any, &[(a, &["id"])], false),
            ("any: absent", any, &[], false),
            ("any: empty", any, &[(a, &[])], false),
            ("any not: one differs", any_not, &[(a, &["id", "secret"])], true),
            ("any not: all same", any_not, &[(a, &["secret"])], false),
            ("all not like", all_not_like, &[(a, &["id", "name"])], true),
            ("all not like: one", all_not_like, &[(a, &["id", "secret1"])], false),
            ("all not like: absent", all_not_like, &[], true),
            ("any if exists: absent", any_if_exists, &[], true),
            ("any if exists: other", any_if_exists, &[(a, &["x"])], false),
        ]);
    }

    #[test]
    #[rustfmt::skip]
    fn condition_logic_and_variables() {
        let two_keys = r#"{"StringEquals":{"aws:username":"alice","dynamodb:Select":"COUNT"}}"#;
        let two_ops = r#"{"StringEquals":{"aws:username":"alice"},"Bool":{"aws:SecureTransport":"true"}}"#;
        let owner = r#"{"StringEquals":{"aws:PrincipalTag/Owner":"${aws:username}"}}"#;
        let not_owner = r#"{"StringNotEquals":{"aws:PrincipalTag/Owner":"${aws:username}"}}"#;
        let prefixed = r#"{"StringLike":{"dynamodb:LeadingKeys":"${aws:username}-*"}}"#;
        let escapes = r#"{"StringEquals":{"custom:Note":"a${*}b${?}c${$}"}}"#;
        let like_escape = r#"{"StringLike":{"custom:Note":"a${*}"}}"#;
        let default = r#"{"StringEquals":{"aws:PrincipalTag/Team":"${aws:PrincipalTag/Default, 'shared'}"}}"#;
        let own_arn = r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/${aws:username}"}}"#;
        let u = "aws:username";
        let o = "aws:PrincipalTag/Owner";
        let l = "dynamodb:LeadingKeys";
        check_conditions(&[
            ("and keys", two_keys, &[(u, &["alice"]), ("dynamodb:Select", &["COUNT"])], true),
            ("and keys: one fails", two_keys, &[(u, &["alice"]), ("dynamodb:Select", &["ALL"])], false),
            ("and ops", two_ops, &[(u, &["alice"]), ("aws:SecureTransport", &["true"])], true),
            ("and ops: one fails", two_ops, &[(u, &["alice"]), ("aws:SecureTransport", &["false"])], false),
            ("variable", owner, &[(o, &["alice"]), (u, &["alice"])], true),
            ("variable other", owner, &[(o, &["alice"]), (u, &["bob"])], false),
            ("variable missing", owner, &[(o, &["alice"])], false),
            ("negated variable", not_owner, &[(o, &["alice"]), (u, &["bob"])], true),
            ("negated variable missing", not_owner, &[(o, &["alice"])], false),
            ("variable in pattern", prefixed, &[(l, &["alice-1"]), (u, &["alice"])], true),
            ("variable is literal", prefixed, &[(l, &["bob-1"]), (u, &["*"])], false),
            ("escapes", escapes, &[("custom:Note", &["a*b?c$"])], true),
            ("escaped star", like_escape, &[("custom:Note", &["a*"])], true),
            ("escaped star literal", like_escape, &[("custom:Note", &["ab"])], false),
            ("default", default, &[("aws:PrincipalTag/Team", &["shared"])], true),
            ("arn variable", own_arn, &[("aws:PrincipalArn", &["arn:aws:iam::1:user/alice"]), (u, &["alice"])], true),
            ("arn variable other", own_arn, &[("aws:PrincipalArn", &["arn:aws:iam::1:user/bob"]), (u, &["alice"])], false),
        ]);
    }

    #[test]
    #[rustfmt::skip]
    fn leading_keys_restricted_to_user() {
        let policy = doc(&[stmt(
            "Allow",
            r#""dynamodb:*""#,
            &quoted(&arn("table/Scores")),
            r#"{"ForAllValues:StringEquals":{"dynamodb:LeadingKeys":"${aws:username}"}}"#,
        )]);
        let table = arn("table/Scores");
        let q = "dynamodb:Query";
        let u = "aws:username";
        let l = "dynamodb:LeadingKeys";
        check(
            &[policy],
            &[
                ("own key", q, &table, &[(u, &["alice"]), (l, &["alice"])], Allow),
                ("other's key", q, &table, &[(u, &["alice"]), (l, &["bob"])], ImplicitDeny),
                ("both", q, &table, &[(u, &["alice"]), (l, &["alice", "bob"])], ImplicitDeny),
                ("no keys", q, &table, &[(u, &["alice"]), (l, &[])], Allow),
                ("no user", q, &table, &[(l, &["alice"])], ImplicitDeny),
            ],
        );
    }

    /// AWS's fine-grained access control example for DynamoDB, with the web identity
    /// variable replaced by `aws:username`.
    const FINE_GRAINED: &str = r#"{
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowAccessToOnlyItemsMatchingUserID",
                "Effect": "Allow",
                "Action": [
                    "dynamodb:GetItem",
                    "dynamodb:BatchGetItem",
                    "dynamodb:Query",
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                    "dynamodb:DeleteItem",
                    "dynamodb:BatchWriteItem"
                ],
                "Resource": [
                    "arn:aws:dynamodb:us-west-2:123456789012:table/GameScores"
                ],
                "Condition": {
                    "ForAllValues:StringEquals": {
                        "dynamodb:LeadingKeys": [
                            "${aws:username}"
                        ],
                        "dynamodb:Attributes": [
                            "UserId",
                            "GameTitle",
                            "Wins",
                            "Losses",
                            "TopScore",
                            "TopScoreDateTime"
                        ]
                    },
                    "StringEqualsIfExists": {
                        "dynamodb:Select": "SPECIFIC_ATTRIBUTES"
                    }
                }
            }
        ]
    }"#;

    #[test]
    #[rustfmt::skip]
    fn fine_grained_access_example() {
        let policy = parse(FINE_GRAINED);
        for key in ["dynamodb:LeadingKeys", "DYNAMODB:ATTRIBUTES", "dynamodb:Select", "aws:username"] {
            assert!(policy.uses_condition_key(key), "{key}");
        }
        assert!(!policy.uses_condition_key("dynamodb:ReturnValues"));
        let table = "arn:aws:dynamodb:us-west-2:123456789012:table/GameScores";
        let u = ("aws:username", &["alice"][..]);
        let own = ("dynamodb:LeadingKeys", &["alice"][..]);
        let attrs = ("dynamodb:Attributes", &["UserId", "TopScore"][..]);
        let specific = ("dynamodb:Select", &["SPECIFIC_ATTRIBUTES"][..]);
        check(
            &[FINE_GRAINED.to_string()],
            &[
                ("query own", "dynamodb:Query", table, &[u, own, attrs, specific], Allow),
                ("get own, no projection", "dynamodb:GetItem", table, &[u, own], Allow),
                (
                    "all attributes",
                    "dynamodb:Query",
                    table,
                    &[u, own, ("dynamodb:Select", &["ALL_ATTRIBUTES"])],
                    ImplicitDeny,
                ),
                (
                    "attribute outside",
                    "dynamodb:Query",
                    table,
                    &[u, own, ("dynamodb:Attributes", &["UserId", "Secret"]), specific],
                    ImplicitDeny,
                ),
                (
                    "other's items",
                    "dynamodb:Query",
                    table,
                    &[u, ("dynamodb:LeadingKeys", &["bob"]), attrs, specific],
                    ImplicitDeny,
                ),
                ("scan not granted", "dynamodb:Scan", table, &[u, own], ImplicitDeny),
                (
                    "other table",
                    "dynamodb:Query",
                    "arn:aws:dynamodb:us-west-2:123456789012:table/Other",
                    &[u, own],
                    ImplicitDeny,
                ),
            ],
        );
    }

    #[test]
    fn uses_condition_key() {
        let policy = parse(&doc(&[
            stmt(
                "Allow",
                r#""dynamodb:*""#,
                &quoted(&arn("table/${aws:PrincipalTag/Team}")),
                r#"{"StringEquals":{"AWS:PrincipalAccount":"${aws:userid}"}}"#,
            ),
            stmt(
                "Deny",
                r#""dynamodb:*""#,
                r#""*""#,
                r#"{"Null":{"dynamodb:LeadingKeys":"true"}}"#,
            ),
        ]));
        for (key, used) in [
            ("aws:principalaccount", true),
            ("aws:userid", true),
            ("aws:principaltag/team", true),
            ("Dynamodb:LeadingKeys", true),
            ("dynamodb:Attributes", false),
            ("aws:username", false),
        ] {
            assert_eq!(policy.uses_condition_key(key), used, "{key}");
        }
    }

    #[test]
    fn context_keys() {
        let mut keys = ContextKeys::default();
        keys.set("AWS:UserName", vec!["Alice".into()]);
        assert_eq!(keys.get("aws:username"), Some(&["Alice".to_string()][..]));
        keys.set("aws:USERNAME", vec![]);
        assert_eq!(keys.get("Aws:Username"), Some(&[][..]));
        assert_eq!(keys.get("aws:userid"), None);
    }

    #[test]
    #[rustfmt::skip]
    fn documents_that_parse() {
        let cases = [
            r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
            r#"{"Version":"2008-10-17","Id":"x","Statement":[{"Sid":"","Effect":"Deny","Action":"s3:*","Resource":"*"}]}"#,
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"A1","Effect":"Allow","Action":"dynamodb:*","Resource":"*"},{"Sid":"A2","Effect":"Allow","Action":"dynamodb:*","Resource":"*"}]}"#,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:*","Resource":"*","Condition":{}}]}"#,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:*","Resource":"*","Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":[1,2.5]},"Bool":{"aws:SecureTransport":true},"ForAnyValue:StringLike":{"dynamodb:Attributes":[]},"stringequals":{"dynamodb:Select":"COUNT"}}}]}"#,
        ];
        for json in cases {
            parse(json);
        }
        let single = parse(cases[0]);
        assert_eq!(single.statements.len(), 1);
        assert_eq!(Policy::parse(cases[0]), Policy::parse(cases[0]));
    }

    #[test]
    fn size_limit() {
        let base = r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;
        let padded = |total: usize| format!("{base}{}", " ".repeat(total - base.len()));
        assert!(Policy::parse(&padded(MAX_POLICY_BYTES)).is_ok());
        assert_eq!(
            Policy::parse(&padded(MAX_POLICY_BYTES + 1)),
            Err(PolicyError(
                "Policy document exceeds the maximum size.".into()
            ))
        );
    }

    #[test]
    #[rustfmt::skip]
    fn parse_errors() {
        let statement = |body: &str| format!(r#"{{"Version":"2012-10-17","Statement":[{{{body}}}]}}"#);
        let with_condition = |condition: &str| {
            statement(&format!(
                r#""Effect":"Allow","Action":"dynamodb:*","Resource":"*","Condition":{condition}"#
            ))
        };
        let ok = r#""Effect":"Allow","Action":"dynamodb:*","Resource":"*""#;
        const VENDOR: &str = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.";
        let cases: Vec<(String, &str)> = vec![
            ("{".into(), "Syntax errors in policy."),
            ("".into(), "Syntax errors in policy."),
            ("[]".into(), "Syntax errors in policy."),
            (r#""policy""#.into(), "Syntax errors in policy."),
            (r#"{"Version":"2012-10-17"}"#.into(), "Policy document must contain a Statement"),
            (r#"{"Statement":[]}"#.into(), "Policy document must contain a Statement"),
            (r#"{"Statement":"x"}"#.into(), "Syntax errors in policy."),
            (r#"{"Statement":["x"]}"#.into(), "Syntax errors in policy."),
            (format!(r#"{{"Foo":1,"Statement":{{{ok}}}}}"#), "Unknown field Foo"),
            (format!(r#"{{"Version":"2020-01-01","Statement":{{{ok}}}}}"#), "Invalid Version: 2020-01-01"),
            (format!(r#"{{"Version":1,"Statement":{{{ok}}}}}"#), "Syntax errors in policy."),
            (format!(r#"{{"Id":[],"Statement":{{{ok}}}}}"#), "Syntax errors in policy."),
            (statement(&format!(r#"{ok},"Foo":1"#)), "Unknown field Foo"),
            (statement(&format!(r#"{ok},"Principal":"*""#)), "Policy document should not specify a principal."),
            (statement(&format!(r#"{ok},"NotPrincipal":{{"AWS":"x"}}"#)), "Policy document should not specify a principal."),
            (statement(r#""Effect":"Maybe","Action":"dynamodb:*","Resource":"*""#), "Invalid Effect: Maybe"),
            (statement(r#""Effect":"allow","Action":"dynamodb:*","Resource":"*""#), "Invalid Effect: allow"),
            (statement(r#""Action":"dynamodb:*","Resource":"*""#), "Missing required field Effect"),
            (statement(r#""Effect":true,"Action":"dynamodb:*","Resource":"*""#), "Syntax errors in policy."),
            (statement(r#""Effect":"Allow","Resource":"*""#), "Policy statement must contain actions."),
            (statement(r#""Effect":"Allow","Action":[],"Resource":"*""#), "Policy statement must contain actions."),
            (statement(r#""Effect":"Allow","NotAction":[],"Resource":"*""#), "Policy statement must contain actions."),
            (statement(r#""Effect":"Allow","Action":[1],"Resource":"*""#), "Syntax errors in policy."),
            (statement(r#""Effect":"Allow","Action":{},"Resource":"*""#), "Syntax errors in policy."),
            (
                statement(r#""Effect":"Allow","Action":"s3:*","NotAction":"s3:Get*","Resource":"*""#),
                "Statement cannot contain both Action and NotAction.",
            ),
            (statement(r#""Effect":"Allow","Action":"GetItem","Resource":"*""#), VENDOR),
            (statement(r#""Effect":"Allow","Action":":GetItem","Resource":"*""#), VENDOR),
            (statement(r#""Effect":"Allow","Action":"","Resource":"*""#), VENDOR),
            (statement(r#""Effect":"Allow","Action":"dynamodb:*""#), "Policy statement must contain resources."),
            (statement(r#""Effect":"Allow","Action":"dynamodb:*","Resource":[]"#), "Policy statement must contain resources."),
            (statement(r#""Effect":"Allow","Action":"dynamodb:*","NotResource":[]"#), "Policy statement must contain resources."),
            (
                statement(r#""Effect":"Allow","Action":"dynamodb:*","Resource":"*","NotResource":"*""#),
                "Statement cannot contain both Resource and NotResource.",
            ),
            (statement(r#""Effect":"Allow","Action":"dynamodb:*","Resource":"table/Music""#), "Resource table/Music must be in ARN format or \"*\"."),
            (statement(r#""Effect":"Allow","Action":"dynamodb:*","Resource":null"#), "Syntax errors in policy."),
            (statement(&format!(r#"{ok},"Sid":"has space""#)), "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"),
            (statement(&format!(r#"{ok},"Sid":7"#)), "Syntax errors in policy."),
            (
                format!(r#"{{"Statement":[{{"Sid":"A",{ok}}},{{"Sid":"A",{ok}}}]}}"#),
                "Statement IDs (SID) in a single policy must be unique.",
            ),
            (with_condition(r#"{"StringEquals":{"username":"x"}}"#), VENDOR),
            (with_condition(r#"{"Foo":{"aws:username":"x"}}"#), "Condition operator Foo is not supported"),
            (with_condition(r#"{"StringEqualsMaybe":{"aws:username":"x"}}"#), "Condition operator StringEqualsMaybe is not supported"),
            (with_condition(r#"{"ForSomeValues:StringEquals":{"aws:username":"x"}}"#), "Condition operator ForSomeValues:StringEquals is not supported"),
            (with_condition(r#"{"NullIfExists":{"aws:username":"true"}}"#), "Condition operator NullIfExists is not supported"),
            (with_condition(r#"{"ForAllValues:Null":{"aws:username":"true"}}"#), "Condition operator ForAllValues:Null is not supported"),
            (with_condition(r#"{"IfExists":{"aws:username":"true"}}"#), "Condition operator IfExists is not supported"),
            (with_condition(r#""x""#), "Syntax errors in policy."),
            (with_condition(r#"{"StringEquals":"x"}"#), "Syntax errors in policy."),
            (with_condition(r#"{"StringEquals":{"aws:username":{"a":1}}}"#), "Syntax errors in policy."),
            (with_condition(r#"{"StringEquals":{"aws:username":null}}"#), "Syntax errors in policy."),
            (with_condition(r#"{"StringEquals":{"aws:username":[["x"]]}}"#), "Syntax errors in policy."),
            (with_condition(r#"{"NumericLessThan":{"aws:MultiFactorAuthAge":"ten"}}"#), "Invalid condition value for NumericLessThan: ten"),
            (with_condition(r#"{"NumericEquals":{"aws:MultiFactorAuthAge":"inf"}}"#), "Invalid condition value for NumericEquals: inf"),
            (with_condition(r#"{"DateLessThan":{"aws:CurrentTime":"2026-13-01T00:00:00Z"}}"#), "Invalid condition value for DateLessThan: 2026-13-01T00:00:00Z"),
            (with_condition(r#"{"Bool":{"aws:SecureTransport":"yes"}}"#), "Invalid condition value for Bool: yes"),
            (with_condition(r#"{"Null":{"aws:username":"maybe"}}"#), "Invalid condition value for Null: maybe"),
            (with_condition(r#"{"IpAddress":{"aws:SourceIp":"10.0.0.0/33"}}"#), "Invalid condition value for IpAddress: 10.0.0.0/33"),
            (with_condition(r#"{"NotIpAddress":{"aws:SourceIp":"example.com"}}"#), "Invalid condition value for NotIpAddress: example.com"),
        ];
        for (json, want) in cases {
            assert_eq!(Policy::parse(&json), Err(PolicyError(want.to_string())), "{json}");
        }
    }

    #[test]
    #[rustfmt::skip]
    fn dates() {
        let cases: &[(&str, Option<i64>)] = &[
            ("1970-01-01T00:00:00Z", Some(0)),
            ("2026-12-04T10:00:00Z", Some(1_796_378_400_000)),
            ("2026-12-04T10:00:00.5Z", Some(1_796_378_400_500)),
            ("2026-12-04T10:00:00.123456Z", Some(1_796_378_400_123)),
            ("2026-12-04T12:30:00+02:30", Some(1_796_378_400_000)),
            ("2026-12-04T07:00:00-0300", Some(1_796_378_400_000)),
            ("2026-12-04T10:00Z", Some(1_796_378_400_000)),
            ("2026-12-04T10:00:00", Some(1_796_378_400_000)),
            ("2000-02-29T23:59:59Z", Some(951_868_799_000)),
            ("1969-12-31T23:59:59Z", Some(-1000)),
            ("1796378400", Some(1_796_378_400_000)),
            ("2026-12-04", Some(1_796_342_400_000)),
            ("2023-02-29", None),
            ("2026-12-04T24:00:00Z", None),
            ("2026-12-04T10:00:00.Z", None),
            ("2026-12-04T10:00:00Zjunk", None),
            ("2026-12-4", None),
            ("99999999999999999999", None),
            ("", None),
            ("-5", None),
            ("2026-12-04T10:00:00+", None),
        ];
        for (text, want) in cases {
            assert_eq!(parse_date(text), *want, "{text}");
        }
    }

    #[test]
    #[rustfmt::skip]
    fn globs() {
        let cases: &[(&str, &str, bool)] = &[
            ("", "", true),
            ("", "a", false),
            ("*", "", true),
            ("**", "abc", true),
            ("a*", "a", true),
            ("*a", "ba", true),
            ("*a", "ab", false),
            ("a*b*c", "aXbYbZc", true),
            ("a*b*c", "aXbYbZ", false),
            ("?", "", false),
            ("??", "é!", true),
            ("a?c*", "abcdef", true),
        ];
        for (pattern, text, want) in cases {
            let text: Vec<char> = text.chars().collect();
            assert_eq!(Glob::pattern(pattern).matches(&text), *want, "{pattern}");
        }
        // Backtracking stays polynomial on a pattern built to defeat naive matchers.
        let text: Vec<char> = "a".repeat(20_000).chars().collect();
        assert!(!Glob::pattern(&format!("{}b", "*a".repeat(50))).matches(&text));
    }

    /// A cheap stand-in for the fuzzer: truncations and byte mutations of real documents
    /// must parse or fail cleanly, and whatever parses must evaluate.
    #[test]
    fn malformed_input_never_panics() {
        let seeds = [
            FINE_GRAINED.to_string(),
            doc(&[stmt(
                "Deny",
                r#"["dynamodb:*","s3:Get?"]"#,
                r#""arn:aws:dynamodb:*:*:table/${aws:username, 'x'}${*}""#,
                r#"{"ForAnyValue:DateLessThanIfExists":{"aws:CurrentTime":"2026-01-01T00:00:00+01:00"},"NotIpAddress":{"aws:SourceIp":["::/0","10.0.0.0/8"]},"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/?"},"Null":{"x:y":"false"}}"#,
            )]),
        ];
        let mut keys = context(&[
            ("aws:username", &["alice"]),
            ("dynamodb:LeadingKeys", &["alice", "bob"]),
            ("aws:CurrentTime", &["2025-01-01T00:00:00Z"]),
            ("aws:SourceIp", &["10.0.0.1"]),
            ("aws:PrincipalArn", &["arn:aws:iam::1:role/a"]),
        ]);
        let alphabet = b"{}[]\":,*?${}' \\0aZ-/.Tt";
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let run = |text: &str, keys: &ContextKeys| {
            if let Ok(policy) = Policy::parse(text) {
                for resource in [arn("table/alice*"), "*".to_string(), String::new()] {
                    evaluate(
                        std::slice::from_ref(&policy),
                        "dynamodb:Query",
                        &resource,
                        keys,
                    );
                }
            }
        };
        for seed in &seeds {
            for cut in 0..=seed.len() {
                if let Some(prefix) = seed.get(..cut) {
                    run(prefix, &keys);
                }
            }
            for round in 0..3000 {
                let mut bytes = seed.clone().into_bytes();
                for _ in 0..1 + next() % 4 {
                    let at = (next() % bytes.len() as u64) as usize;
                    let byte = alphabet[(next() % alphabet.len() as u64) as usize];
                    match next() % 3 {
                        0 => bytes[at] = byte,
                        1 => bytes.insert(at, byte),
                        _ => {
                            bytes.remove(at);
                        }
                    }
                }
                if round % 500 == 0 {
                    keys.set("aws:username", vec![format!("u{round}*")]);
                }
                if let Ok(text) = String::from_utf8(bytes) {
                    run(&text, &keys);
                }
            }
        }
    }
}
