//! Who is calling, and whether they may: the gate every DynamoDB request passes when the
//! host enforces authentication (`AuthConfig::enforce`).
//!
//! 1. The `Authorization` header is read and the request's date checked (no secret needed).
//! 2. The access key is looked up — in the host's cache, else from the identity object — and
//!    its sealed secret opened with the deployment's key-encryption key.
//! 3. The signature is recomputed over what was received (`auth::sigv4`).
//! 4. After the request decodes, each (action, resource) it amounts to is checked against the
//!    caller's inline policies (`auth::policy`), with the condition keys DynamoDB defines,
//!    read from the request body. `dynamodb:LeadingKeys` needs the tables' partition key
//!    names: only when a policy of the caller names that key does the flow ask the tables.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::Value;
use subtle::ConstantTimeEq;

use crate::api::identity::{IdentityCommand, IdentityReply, Principal};
use crate::api::object::{Address, Call, Command, Outcome, Reply};
use crate::auth::policy::{self, ContextKeys, Decision, Policy};
use crate::auth::sigv4::{self, Authorization, Received};
use crate::config::Config;
use crate::error::{ApiError, Error, ErrorKind};
use crate::flow::auth_cache::{get, master_key, put, Caller, KeyNames};
use crate::flow::front::FrontEnd;
use crate::flow::request::HttpRequest;
use crate::wire::target::Op;

impl Caller {
    pub fn arn(&self) -> String {
        format!("arn:aws:iam::{}:user/{}", self.account, self.user)
    }

    fn from_principal(cfg: &Config, p: Principal) -> Result<Caller, ApiError> {
        let key = master_key(cfg).ok_or_else(sigv4::unrecognized_client)?;
        let secret = key
            .open(&p.key.id, &p.sealed_secret)
            .ok_or_else(sigv4::unrecognized_client)?;
        // A stored policy always parsed when it was put; one that no longer does (a newer
        // build reading an older store) grants nothing rather than failing every request.
        let policies: Vec<Policy> = p
            .policies
            .iter()
            .filter_map(|(_, doc)| Policy::parse(doc).ok())
            .collect();
        let uses = crate::flow::auth_cache::Uses::of(&policies);
        let mut caller = Caller {
            account: p.key.account,
            user: p.key.user,
            user_id: p.user_id,
            key_id: p.key.id,
            secret,
            session_token: p.session_token,
            tags: p.user_tags,
            policies,
            base_keys: ContextKeys::default(),
            uses,
        };
        caller.base_keys = base_keys(&caller);
        Ok(caller)
    }

    /// The signature, then the session token the key requires (or none if it has none).
    fn verify(&self, pending: &Pending) -> Result<(), ApiError> {
        let sent = pending
            .received
            .headers
            .iter()
            .find(|(n, _)| n == "x-amz-security-token")
            .map(|(_, v)| v.as_str())
            .or(pending.token.as_deref());
        match (&self.session_token, sent) {
            (None, None) => {}
            (Some(t), Some(s)) if bool::from(t.as_bytes().ct_eq(s.as_bytes())) => {}
            _ => return Err(sigv4::unrecognized_client()),
        }
        sigv4::verify(
            &pending.auth,
            &pending.received,
            &self.secret,
            self.session_token.as_deref(),
        )
    }
}

/// A request waiting for its access key to be looked up.
pub struct Pending {
    auth: Authorization,
    received: Received,
    /// `X-Amz-Security-Token`, when the client sent one without signing it.
    token: Option<String>,
    /// The operation and the parsed body, or why they could not be (reported only once
    /// the caller is known, as AWS reports authentication first).
    pub parsed: Result<(Op, Value), ApiError>,
}

impl Pending {
    /// Reads and checks what needs no secret.
    pub fn read(
        cfg: &Config,
        req: &HttpRequest<'_>,
        now_ms: i64,
        parsed: Result<(Op, Value), ApiError>,
    ) -> Result<Pending, ApiError> {
        let auth = Authorization::parse(req.authorization)?;
        let header = |name: &str| {
            req.headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| *v)
        };
        let amz_date = header("x-amz-date");
        let at = sigv4::check_request(&auth, amz_date, &cfg.region, now_ms)?;
        let mut headers = Vec::with_capacity(auth.signed_headers.len());
        for (n, v) in req.headers {
            if auth
                .signed_headers
                .iter()
                .any(|h| h.eq_ignore_ascii_case(n))
            {
                headers.push((n.to_ascii_lowercase(), (*v).to_owned()));
            }
        }
        Ok(Pending {
            received: Received {
                method: req.method.to_owned(),
                path: req.path.to_owned(),
                query: req.query.to_owned(),
                headers,
                payload_hash: sigv4::payload_hash(req.body),
                signed_at_ms: at,
                amz_date: amz_date.unwrap_or_default().to_owned(),
            },
            token: header("x-amz-security-token").map(str::to_owned),
            auth,
            parsed,
        })
    }

    pub fn key_id(&self) -> &str {
        &self.auth.key_id
    }

    pub fn lookup(&self) -> Call {
        Call {
            to: Address::Identity,
            command: Command::Identity(IdentityCommand::Lookup {
                key_id: self.auth.key_id.clone(),
            }),
        }
    }
}

/// The caller, from the cache if it is there.
pub fn cached(front: &FrontEnd, key_id: &str, now_ms: i64) -> Option<Arc<Caller>> {
    get(&front.auth.callers, &key_id.to_owned(), now_ms)
}

/// The caller from the identity object's answer, verified against the request.
pub fn verified(
    front: &FrontEnd,
    pending: &Pending,
    caller: Option<Arc<Caller>>,
    outcome: Option<Outcome>,
    now_ms: i64,
) -> Result<Arc<Caller>, ApiError> {
    let caller = match (caller, outcome) {
        (Some(c), _) => c,
        (None, Some(Ok(Reply::Identity(IdentityReply::Principal(p))))) => {
            let p = p.ok_or_else(sigv4::unrecognized_client)?;
            let c = Arc::new(Caller::from_principal(&front.cfg, *p)?);
            put(
                &front.auth.callers,
                c.key_id.clone(),
                c.clone(),
                now_ms + front.cfg.auth.cache_ms,
            );
            c
        }
        (None, Some(Err(e))) => return Err(e.into_api()),
        (None, other) => {
            return Err(Error::bug(format!("a key lookup answered {other:?}")).into_api())
        }
    };
    caller.verify(pending)?;
    Ok(caller)
}

// ---- authorization ------------------------------------------------------------------------

/// One (action, resource) a request amounts to, with its condition keys.
#[derive(Debug)]
struct Check {
    action: String,
    resource: String,
    keys: ContextKeys,
}

fn table_arn(cfg: &Config, account: &str, table: &str) -> String {
    format!("arn:aws:dynamodb:{}:{account}:table/{table}", cfg.region)
}

fn s(v: &Value) -> Option<&str> {
    v.as_str()
}

/// The tables whose partition key names `dynamodb:LeadingKeys` needs for this request.
pub fn tables_needing_keys(
    front: &FrontEnd,
    caller: &Caller,
    op: Op,
    body: &Value,
    now_ms: i64,
) -> Vec<String> {
    if !caller.uses.leading_keys {
        return Vec::new();
    }
    let mut names = BTreeSet::new();
    match op {
        Op::GetItem | Op::PutItem | Op::UpdateItem | Op::DeleteItem | Op::Query => {
            if let Some(t) = body.get("TableName").and_then(s) {
                names.insert(t.to_owned());
            }
        }
        Op::BatchGetItem | Op::BatchWriteItem => {
            if let Some(m) = body.get("RequestItems").and_then(Value::as_object) {
                names.extend(m.keys().cloned());
            }
        }
        Op::TransactGetItems | Op::TransactWriteItems => {
            for (_, _, inner) in transact_items(op, body) {
                if let Some(t) = inner.get("TableName").and_then(s) {
                    names.insert(t.to_owned());
                }
            }
        }
        _ => {}
    }
    names
        .into_iter()
        .filter(|n| key_names(front, &caller.account, n, now_ms).is_none())
        .collect()
}

fn key_names(front: &FrontEnd, account: &str, table: &str, now_ms: i64) -> Option<KeyNames> {
    get(
        &front.auth.hash_keys,
        &(account.to_owned(), table.to_owned()),
        now_ms,
    )
}

/// Remembers a table's partition key names, its own and its indexes' (from its
/// DescribeTable).
pub fn remember_key_names(
    front: &FrontEnd,
    account: &str,
    table: &str,
    schema: &extenddo_projections::TableSchema,
    now_ms: i64,
) {
    let names = KeyNames {
        table: vec![schema.key.hash.name.clone()],
        indexes: schema
            .indexes
            .iter()
            .map(|ix| {
                (
                    ix.name.clone(),
                    ix.hash.iter().map(|a| a.name.clone()).collect(),
                )
            })
            .collect(),
    };
    put(
        &front.auth.hash_keys,
        (account.to_owned(), table.to_owned()),
        names,
        now_ms + front.cfg.auth.cache_ms,
    );
}

/// `dynamodb:LeadingKeys` when a request's partition key value cannot be known (its table
/// did not answer, or the key is not where the table's schema says): a value no policy
/// names, so that a condition on the key fails closed instead of passing as "no values".
const UNKNOWN_LEADING_KEY: &str = "\u{0}unknown partition key";

/// (action, table name, the action's own member) of each item of a transaction.
fn transact_items(op: Op, body: &Value) -> Vec<(&'static str, Option<&str>, &Value)> {
    let mut out = Vec::new();
    for item in body
        .get("TransactItems")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let kinds: &[(&str, &'static str)] = if op == Op::TransactGetItems {
            &[("Get", "GetItem")]
        } else {
            &[
                ("Put", "PutItem"),
                ("Update", "UpdateItem"),
                ("Delete", "DeleteItem"),
                ("ConditionCheck", "ConditionCheckItem"),
            ]
        };
        for (member, action) in kinds {
            if let Some(inner) = item.get(*member) {
                out.push((*action, inner.get("TableName").and_then(s), inner));
            }
        }
    }
    out
}

/// An attribute value as a condition key sees it: S and N as their text, B as base64.
fn scalar(v: &Value) -> Option<String> {
    let m = v.as_object()?;
    for t in ["S", "N", "B"] {
        if let Some(x) = m.get(t).and_then(Value::as_str) {
            return Some(x.to_owned());
        }
    }
    None
}

fn resolve<'a>(name: &'a str, names: Option<&'a Value>) -> &'a str {
    if name.starts_with('#') {
        names
            .and_then(|n| n.get(name))
            .and_then(Value::as_str)
            .unwrap_or(name)
    } else {
        name
    }
}

/// The first element of each path in a projection expression.
fn projection_names(expr: &str, names: Option<&Value>, out: &mut BTreeSet<String>) {
    for path in expr.split(',') {
        let first = path.trim().split(['.', '[']).next().unwrap_or("").trim();
        if !first.is_empty() {
            out.insert(resolve(first, names).to_owned());
        }
    }
}

/// The attributes an update expression writes or removes (the first element of each
/// action's path).
fn update_names(expr: &str, names: Option<&Value>, out: &mut BTreeSet<String>) {
    let mut clause_start = true;
    let mut depth = 0usize;
    let mut token = String::new();
    let mut tokens: Vec<(String, bool)> = Vec::new();
    for c in expr.chars().chain(std::iter::once(' ')) {
        match c {
            '(' => {
                depth += 1;
                token.clear();
            }
            ')' => {
                depth = depth.saturating_sub(1);
                token.clear();
            }
            ',' if depth == 0 => {
                if !token.is_empty() {
                    tokens.push((std::mem::take(&mut token), clause_start));
                }
                clause_start = true;
            }
            c if c.is_whitespace() || c == '=' || c == '+' || c == '-' => {
                if !token.is_empty() {
                    let t = std::mem::take(&mut token);
                    let keyword = ["SET", "REMOVE", "ADD", "DELETE"]
                        .iter()
                        .any(|k| t.eq_ignore_ascii_case(k));
                    if keyword {
                        clause_start = true;
                        continue;
                    }
                    tokens.push((t, clause_start));
                    clause_start = false;
                }
                if c == '=' {
                    clause_start = false;
                }
            }
            c if depth == 0 => token.push(c),
            _ => {}
        }
    }
    for (t, first) in tokens {
        if first && !t.starts_with(':') {
            let head = t.split(['.', '[']).next().unwrap_or("");
            if !head.is_empty() {
                out.insert(resolve(head, names).to_owned());
            }
        }
    }
}

/// `dynamodb:Attributes` of one request (or one item of a batch or transaction).
fn attributes(op_body: &Value) -> Vec<String> {
    let mut out = BTreeSet::new();
    let names = op_body.get("ExpressionAttributeNames");
    for member in ["Item", "Key", "AttributeUpdates"] {
        if let Some(m) = op_body.get(member).and_then(Value::as_object) {
            out.extend(m.keys().cloned());
        }
    }
    if let Some(a) = op_body.get("AttributesToGet").and_then(Value::as_array) {
        out.extend(a.iter().filter_map(Value::as_str).map(str::to_owned));
    }
    if let Some(p) = op_body.get("ProjectionExpression").and_then(s) {
        projection_names(p, names, &mut out);
    }
    if let Some(u) = op_body.get("UpdateExpression").and_then(s) {
        update_names(u, names, &mut out);
    }
    out.into_iter().collect()
}

/// The partition key values of a Query (its key condition's equality on the hash key).
fn query_leading_keys(body: &Value, hash_key: &str) -> Vec<String> {
    if let Some(conds) = body.get("KeyConditions").and_then(Value::as_object) {
        return conds
            .get(hash_key)
            .and_then(|c| c.get("AttributeValueList"))
            .and_then(Value::as_array)
            .and_then(|l| l.first())
            .and_then(scalar)
            .into_iter()
            .collect();
    }
    let names = body.get("ExpressionAttributeNames");
    let values = body.get("ExpressionAttributeValues");
    let Some(expr) = body.get("KeyConditionExpression").and_then(s) else {
        return Vec::new();
    };
    // Any run of whitespace is one space, so that " AND " finds every conjunction.
    let expr = &expr.split_whitespace().collect::<Vec<_>>().join(" ");
    let upper = expr.to_ascii_uppercase();
    let mut out = Vec::new();
    let mut rest: &str = expr;
    let mut offset = 0;
    // Split on AND outside parentheses, case-insensitively.
    let mut parts = Vec::new();
    while let Some(i) = upper[offset..].find(" AND ") {
        parts.push(&rest[..i]);
        rest = &rest[i + 5..];
        offset += i + 5;
    }
    parts.push(rest);
    for part in parts {
        let part = part.trim().trim_start_matches('(').trim_end_matches(')');
        if let Some((l, r)) = part.split_once('=') {
            let (l, r) = (l.trim(), r.trim());
            let (path, value) = if r.starts_with(':') { (l, r) } else { (r, l) };
            if resolve(path, names) == hash_key {
                if let Some(v) = values.and_then(|v| v.get(value)).and_then(scalar) {
                    out.push(v);
                }
            }
        }
    }
    out
}

/// The partition key values one item operation (or a Query) names, for the partition key
/// attributes `attrs`; [`UNKNOWN_LEADING_KEY`] for any it does not name.
fn leading_keys_of(query: bool, op_body: &Value, attrs: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for attr in attrs {
        let found: Vec<String> = if query {
            query_leading_keys(op_body, attr)
        } else {
            ["Key", "Item"]
                .iter()
                .filter_map(|m| op_body.get(*m))
                .filter_map(|m| m.get(attr))
                .filter_map(scalar)
                .collect()
        };
        if found.is_empty() {
            out.push(UNKNOWN_LEADING_KEY.to_owned());
        }
        out.extend(found);
    }
    if attrs.is_empty() {
        out.push(UNKNOWN_LEADING_KEY.to_owned());
    }
    out
}

/// `dynamodb:LeadingKeys` of one item operation or Query on `table` (its index `index`),
/// when a policy of the caller names the key.
fn leading_keys(
    front: &FrontEnd,
    caller: &Caller,
    table: &str,
    index: Option<&str>,
    query: bool,
    op_body: &Value,
    now_ms: i64,
) -> Option<Vec<String>> {
    if !caller.uses.leading_keys {
        return None;
    }
    let attrs = key_names(front, &caller.account, table, now_ms).and_then(|k| match index {
        Some(ix) => k.indexes.get(ix).cloned(),
        None => Some(k.table),
    });
    Some(match attrs {
        Some(a) => leading_keys_of(query, op_body, &a),
        None => vec![UNKNOWN_LEADING_KEY.to_owned()],
    })
}

fn base_keys(caller: &Caller) -> ContextKeys {
    let mut k = ContextKeys::default();
    k.set("aws:username", vec![caller.user.clone()]);
    k.set("aws:userid", vec![caller.user_id.clone()]);
    k.set("aws:PrincipalAccount", vec![caller.account.clone()]);
    k.set("aws:PrincipalArn", vec![caller.arn()]);
    k.set("aws:PrincipalType", vec!["User".to_owned()]);
    for (t, v) in &caller.tags {
        k.set(&format!("aws:PrincipalTag/{t}"), vec![v.clone()]);
    }
    k
}

/// The checks of a request: one per (action, resource) it amounts to.
fn checks(
    front: &FrontEnd,
    caller: &Caller,
    op: Op,
    body: &Value,
    iterator_stream: Option<&str>,
    now_ms: i64,
) -> Vec<Check> {
    let cfg = &front.cfg;
    let account = caller.account.as_str();
    let mut base = caller.base_keys.clone();
    if caller.uses.time {
        base.set(
            "aws:CurrentTime",
            vec![crate::api::time::iso_millis(now_ms)],
        );
        base.set("aws:EpochTime", vec![(now_ms / 1000).to_string()]);
    }
    let with_request_keys =
        |action: &str, resource: String, op_body: &Value, table: Option<&str>| {
            let mut keys = base.clone();
            let members: &[(&str, &str)] = if caller.uses.request_members {
                &[
                    ("Select", "dynamodb:Select"),
                    ("ReturnValues", "dynamodb:ReturnValues"),
                    ("ReturnConsumedCapacity", "dynamodb:ReturnConsumedCapacity"),
                ]
            } else {
                &[]
            };
            for (member, key) in members.iter().copied() {
                if let Some(v) = op_body
                    .get(member)
                    .and_then(s)
                    .or(body.get(member).and_then(s))
                {
                    keys.set(key, vec![v.to_owned()]);
                }
            }
            if caller.uses.attributes {
                let attrs = attributes(op_body);
                if !attrs.is_empty() {
                    keys.set("dynamodb:Attributes", attrs);
                }
            }
            if let Some(t) = table {
                let query = action == "dynamodb:Query";
                let index = op_body.get("IndexName").and_then(s).filter(|_| query);
                if let Some(lk) = leading_keys(front, caller, t, index, query, op_body, now_ms) {
                    keys.set("dynamodb:LeadingKeys", lk);
                }
            }
            Check {
                action: action.to_owned(),
                resource,
                keys,
            }
        };
    let action = format!("dynamodb:{op:?}");
    let table = |name: &str| table_arn(cfg, account, name);
    let str_member = |m: &str| body.get(m).and_then(s).unwrap_or("").to_owned();
    match op {
        Op::ListTables
        | Op::DescribeLimits
        | Op::DescribeEndpoints
        | Op::ListStreams
        | Op::ListBackups
        | Op::ListExports
        | Op::ListImports => {
            vec![with_request_keys(&action, "*".to_owned(), body, None)]
        }
        Op::Query | Op::Scan => {
            let name = str_member("TableName");
            let mut resource = table(&name);
            if let Some(ix) = body.get("IndexName").and_then(s) {
                resource = format!("{resource}/index/{ix}");
            }
            let leading = (op == Op::Query).then_some(name.as_str());
            vec![with_request_keys(&action, resource, body, leading)]
        }
        Op::BatchGetItem | Op::BatchWriteItem => {
            let mut out = Vec::new();
            for (name, v) in body
                .get("RequestItems")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                // Each key or write of the table adds its attributes and partition keys.
                let mut shares: Vec<Value> = Vec::new();
                if let Some(keys) = v.get("Keys").and_then(Value::as_array) {
                    for k in keys {
                        let mut one = v.clone();
                        if let Some(o) = one.as_object_mut() {
                            o.remove("Keys");
                            o.insert("Key".into(), k.clone());
                        }
                        shares.push(one);
                    }
                }
                if let Some(writes) = v.as_array() {
                    for w in writes {
                        if let Some(p) = w.get("PutRequest") {
                            shares.push(p.clone());
                        }
                        if let Some(d) = w.get("DeleteRequest") {
                            shares.push(d.clone());
                        }
                    }
                }
                let mut check = with_request_keys(&action, table(name), &Value::Null, None);
                let mut attrs = BTreeSet::new();
                let mut leading = BTreeSet::new();
                for share in &shares {
                    attrs.extend(attributes(share));
                    if let Some(lk) = leading_keys(front, caller, name, None, false, share, now_ms)
                    {
                        leading.extend(lk);
                    }
                }
                if !attrs.is_empty() {
                    check
                        .keys
                        .set("dynamodb:Attributes", attrs.into_iter().collect());
                }
                if !leading.is_empty() {
                    check
                        .keys
                        .set("dynamodb:LeadingKeys", leading.into_iter().collect());
                }
                out.push(check);
            }
            out
        }
        Op::TransactGetItems | Op::TransactWriteItems => transact_items(op, body)
            .into_iter()
            .map(|(action, name, inner)| {
                let name = name.unwrap_or("");
                with_request_keys(
                    &format!("dynamodb:{action}"),
                    table(name),
                    inner,
                    Some(name),
                )
            })
            .collect(),
        Op::DescribeStream | Op::GetShardIterator => {
            vec![with_request_keys(
                &action,
                str_member("StreamArn"),
                body,
                None,
            )]
        }
        Op::TagResource | Op::UntagResource | Op::ListTagsOfResource => {
            vec![with_request_keys(
                &action,
                str_member("ResourceArn"),
                body,
                None,
            )]
        }
        Op::GetRecords => vec![with_request_keys(
            &action,
            iterator_stream.unwrap_or("*").to_owned(),
            body,
            None,
        )],
        Op::DescribeBackup | Op::DeleteBackup | Op::RestoreTableFromBackup => {
            let mut out = vec![with_request_keys(
                &action,
                str_member("BackupArn"),
                body,
                None,
            )];
            if op == Op::RestoreTableFromBackup {
                out[0].resource = str_member("BackupArn");
                out.push(with_request_keys(
                    &action,
                    table(&str_member("TargetTableName")),
                    body,
                    None,
                ));
            }
            out
        }
        Op::RestoreTableToPointInTime => {
            let source = body
                .get("SourceTableArn")
                .and_then(s)
                .map(str::to_owned)
                .unwrap_or_else(|| table(&str_member("SourceTableName")));
            vec![
                with_request_keys(&action, source, body, None),
                with_request_keys(&action, table(&str_member("TargetTableName")), body, None),
            ]
        }
        Op::ExportTableToPointInTime => {
            vec![with_request_keys(
                &action,
                str_member("TableArn"),
                body,
                None,
            )]
        }
        Op::DescribeExport => vec![with_request_keys(
            &action,
            str_member("ExportArn"),
            body,
            None,
        )],
        Op::DescribeImport => vec![with_request_keys(
            &action,
            str_member("ImportArn"),
            body,
            None,
        )],
        Op::ImportTable => {
            let name = body
                .get("TableCreationParameters")
                .and_then(|p| p.get("TableName"))
                .and_then(s)
                .unwrap_or("");
            vec![with_request_keys(&action, table(name), body, None)]
        }
        _ => {
            let name = str_member("TableName");
            // Only item operations name partition keys (DescribeTable and the like have none).
            let item = matches!(
                op,
                Op::GetItem | Op::PutItem | Op::UpdateItem | Op::DeleteItem
            );
            vec![with_request_keys(
                &action,
                table(&name),
                body,
                item.then_some(name.as_str()),
            )]
        }
    }
}

fn denied(caller: &Caller, check: &Check, explicit: bool) -> ApiError {
    let why = if explicit {
        "with an explicit deny in an identity-based policy".to_owned()
    } else {
        format!(
            "because no identity-based policy allows the {} action",
            check.action
        )
    };
    ApiError::new(
        ErrorKind::AccessDenied,
        format!(
            "User: {} is not authorized to perform: {} on resource: {} {why}",
            caller.arn(),
            check.action,
            check.resource
        ),
    )
}

/// Whether the caller may do everything the request amounts to.
pub fn authorize(
    front: &FrontEnd,
    caller: &Caller,
    op: Op,
    body: &Value,
    iterator_stream: Option<&str>,
    now_ms: i64,
) -> Result<(), ApiError> {
    let all = checks(front, caller, op, body, iterator_stream, now_ms);
    if all.is_empty() {
        return Err(Error::bug(format!("{op:?} amounts to no authorization check")).into_api());
    }
    for check in all {
        // Another account's (or region's) resource: only a resource-based policy could
        // allow it, and there are none.
        let mut parts = check.resource.split(':');
        let (region, owner) = (parts.nth(3), parts.next());
        if let (Some(region), Some(owner)) = (region, owner) {
            if check.resource.starts_with("arn:")
                && (owner != caller.account || region != front.cfg.region)
            {
                return Err(ApiError::new(
                    ErrorKind::AccessDenied,
                    format!(
                        "User: {} is not authorized to perform: {} on resource: {} because no resource-based policy allows the {} action",
                        caller.arn(),
                        check.action,
                        check.resource,
                        check.action
                    ),
                ));
            }
        }
        match policy::evaluate(
            &caller.policies,
            &check.action,
            &check.resource,
            &check.keys,
        ) {
            Decision::Allow => {}
            Decision::ExplicitDeny => return Err(denied(caller, &check, true)),
            Decision::ImplicitDeny => return Err(denied(caller, &check, false)),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(f: impl Fn(&mut BTreeSet<String>)) -> Vec<String> {
        let mut out = BTreeSet::new();
        f(&mut out);
        out.into_iter().collect()
    }

    #[test]
    fn update_expressions_name_what_they_write() {
        let n = serde_json::json!({"#n": "name"});
        assert_eq!(
            names(|o| update_names(
                "SET #n = :v, b.c = b.c + :one REMOVE d[0], e ADD f :x DELETE g :s",
                Some(&n),
                o
            )),
            ["b", "d", "e", "f", "g", "name"]
        );
        assert_eq!(
            names(|o| update_names(
                "set a = if_not_exists(z, :v), q = list_append(q, :l)",
                None,
                o
            )),
            ["a", "q"]
        );
    }

    #[test]
    fn projections_and_key_conditions() {
        let n = serde_json::json!({"#p": "pk"});
        assert_eq!(
            names(|o| projection_names("a.b, #p, c[1]", Some(&n), o)),
            ["a", "c", "pk"]
        );
        let body = serde_json::json!({
            "KeyConditionExpression": "#p = :v AND sk BETWEEN :a AND :b",
            "ExpressionAttributeNames": {"#p": "pk"},
            "ExpressionAttributeValues": {":v": {"S": "alice"}, ":a": {"S": "1"}, ":b": {"S": "2"}}
        });
        assert_eq!(query_leading_keys(&body, "pk"), ["alice"]);
        let legacy = serde_json::json!({"KeyConditions": {"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "7"}]}}});
        assert_eq!(query_leading_keys(&legacy, "pk"), ["7"]);
    }
}
