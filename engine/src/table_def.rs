//! Table definitions: validating CreateTable input into a [`TableSchema`] and rendering the
//! TableDescription that CreateTable, DescribeTable and DeleteTable return.

use extenddo_projections::schema::{
    IndexKind, IndexProjection, IndexSchema, IndexStatus, ProjectionType, Throughput,
};
use extenddo_projections::{KeyAttr, KeySchema, KeyType, TableSchema};
use serde_json::{json, Value};

use crate::config::Config;
use crate::error::ApiError;
use crate::wire::{Constraints, Params};

/// Checks a TableName member as AWS's front end does, adding failures to `c`.
pub fn check_table_name(c: &mut Constraints, name: Option<&str>, at: &str) {
    match name {
        None => c.fail(None, at, "Member must not be null"),
        Some(n) => {
            if n.len() < 3 {
                c.fail(
                    Some(n),
                    at,
                    "Member must have length greater than or equal to 3",
                );
            }
            if n.len() > 255 {
                c.fail(
                    Some(n),
                    at,
                    "Member must have length less than or equal to 255",
                );
            }
            if !n
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
            {
                c.fail(
                    Some(n),
                    at,
                    "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
                );
            }
        }
    }
}

/// AWS's front end checks required members before any constraint.
pub fn required(p: &Params, member: &str) -> Result<(), ApiError> {
    if p.has(member) {
        return Ok(());
    }
    Err(ApiError::validation(format!(
        "The parameter '{member}' is required but was not present in the request"
    )))
}

/// The validated TableName of a request.
pub fn table_name(p: &Params) -> Result<String, ApiError> {
    required(p, "TableName")?;
    let name = p.str("TableName")?;
    let mut c = Constraints::default();
    check_table_name(&mut c, name, "tableName");
    c.check()?;
    Ok(name.unwrap_or_default().to_owned())
}

/// A KeySchema as AWS's Java front end prints it in constraint messages.
fn java_key_schema(k: &[Value]) -> String {
    let elems: Vec<String> = k
        .iter()
        .map(|e| {
            let f = |m: &str| {
                e.get(m)
                    .and_then(Value::as_str)
                    .unwrap_or("null")
                    .to_owned()
            };
            format!(
                "KeySchemaElement(attributeName={}, keyType={})",
                f("AttributeName"),
                f("KeyType")
            )
        })
        .collect();
    format!("[{}]", elems.join(", "))
}

fn key_type(t: &str) -> Option<KeyType> {
    match t {
        "S" => Some(KeyType::S),
        "N" => Some(KeyType::N),
        "B" => Some(KeyType::B),
        _ => None,
    }
}

/// Validates a CreateTable request into the schema the table object will log.
pub fn parse_create_table(p: &Params, id: String, now_ms: i64) -> Result<TableSchema, ApiError> {
    required(p, "TableName")?;
    let name = p.str("TableName")?;
    let defs = p.array("AttributeDefinitions")?;
    let keys = p.array("KeySchema")?;
    let billing = p.str("BillingMode")?;
    let mut c = Constraints::default();
    if defs.is_none() {
        c.fail(None, "attributeDefinitions", "Member must not be null");
    }
    check_table_name(&mut c, name, "tableName");
    match keys {
        None => c.fail(None, "keySchema", "Member must not be null"),
        Some(k) if k.is_empty() => c.fail(
            Some("[]"),
            "keySchema",
            "Member must have length greater than or equal to 1",
        ),
        Some(k) if k.len() > 2 => c.fail(
            Some(&java_key_schema(k)),
            "keySchema",
            "Member must have length less than or equal to 2",
        ),
        _ => {}
    }
    if let Some(b) = billing {
        if b != "PROVISIONED" && b != "PAY_PER_REQUEST" {
            c.fail(
                Some(b),
                "billingMode",
                "Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]",
            );
        }
    }
    // Element-level constraints, reported with their member index as AWS does.
    let mut attributes = Vec::new();
    for (i, d) in defs.into_iter().flatten().enumerate() {
        let d = Params::new(d)?;
        let (n, t) = (d.str("AttributeName")?, d.str("AttributeType")?);
        let at = format!("attributeDefinitions.{}.member", i + 1);
        match n {
            None => c.fail(
                None,
                &format!("{at}.attributeName"),
                "Member must not be null",
            ),
            Some(n) if n.is_empty() => c.fail(
                Some(n),
                &format!("{at}.attributeName"),
                "Member must have length greater than or equal to 1",
            ),
            _ => {}
        }
        match t.map(|t| (t, key_type(t))) {
            None => c.fail(
                None,
                &format!("{at}.attributeType"),
                "Member must not be null",
            ),
            Some((t, None)) => c.fail(
                Some(t),
                &format!("{at}.attributeType"),
                "Member must satisfy enum value set: [B, N, S]",
            ),
            Some((_, Some(ty))) => {
                if let Some(n) = n.filter(|n| !n.is_empty()) {
                    attributes.push(KeyAttr {
                        name: n.to_owned(),
                        ty,
                    });
                }
            }
        }
    }
    let mut key_elems: Vec<(String, String)> = Vec::new();
    for (i, k) in keys.into_iter().flatten().enumerate() {
        let k = Params::new(k)?;
        let (n, t) = (k.str("AttributeName")?, k.str("KeyType")?);
        let at = format!("keySchema.{}.member", i + 1);
        if n.is_none() {
            c.fail(
                None,
                &format!("{at}.attributeName"),
                "Member must not be null",
            );
        }
        match t {
            None => c.fail(None, &format!("{at}.keyType"), "Member must not be null"),
            Some(t) if t != "HASH" && t != "RANGE" => c.fail(
                Some(t),
                &format!("{at}.keyType"),
                "Member must satisfy enum value set: [HASH, RANGE]",
            ),
            _ => {}
        }
        if let (Some(n), Some(t)) = (n, t) {
            key_elems.push((n.to_owned(), t.to_owned()));
        }
    }
    let throughput = p.object("ProvisionedThroughput")?;
    let mut tp = None;
    if let Some(raw) = p
        .raw("ProvisionedThroughput")
        .filter(|_| throughput.is_some())
    {
        let t = Params::new(raw)?;
        let (r, w) = (t.int("ReadCapacityUnits")?, t.int("WriteCapacityUnits")?);
        for (v, at) in [
            (r, "provisionedThroughput.readCapacityUnits"),
            (w, "provisionedThroughput.writeCapacityUnits"),
        ] {
            match v {
                None => c.fail(None, at, "Member must not be null"),
                Some(v) if v < 1 => c.fail(
                    Some(&v.to_string()),
                    at,
                    "Member must have value greater than or equal to 1",
                ),
                _ => {}
            }
        }
        if let (Some(r), Some(w)) = (r, w) {
            tp = Some(Throughput { read: r, write: w });
        }
    }
    c.check()?;

    let billing_mode = billing.unwrap_or("PROVISIONED").to_owned();
    if billing_mode == "PROVISIONED" && throughput.is_none() {
        return Err(ApiError::invalid_param(
            "ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED",
        ));
    }
    if billing_mode == "PAY_PER_REQUEST" && throughput.is_some() {
        return Err(ApiError::invalid_param(
            "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
        ));
    }

    // Duplicate definitions.
    for (i, a) in attributes.iter().enumerate() {
        if attributes[..i].iter().any(|b| b.name == a.name) {
            return Err(ApiError::validation(format!(
                "Attribute Name is duplicated: {}",
                a.name
            )));
        }
    }

    let (hash_name, range_name) = match key_elems.as_slice() {
        [(h, ht)] if ht == "HASH" => (h.clone(), None),
        [(h, ht), (r, rt)] if ht == "HASH" && rt == "RANGE" => (h.clone(), Some(r.clone())),
        [(_, t)] if t == "RANGE" => {
            return Err(ApiError::validation(
                "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
            ))
        }
        [(_, t), _] if t != "HASH" => {
            return Err(ApiError::validation(
                "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
            ))
        }
        _ => {
            return Err(ApiError::validation(
                "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type",
            ))
        }
    };
    let billing = billing_mode.clone();
    let mut indexes = Vec::new();
    for (member, kind) in [
        ("GlobalSecondaryIndexes", IndexKind::Global),
        ("LocalSecondaryIndexes", IndexKind::Local),
    ] {
        if let Some(list) = p.array(member)? {
            if list.is_empty() {
                return Err(ApiError::invalid_param(format!(
                    "List of {member} is empty"
                )));
            }
            for (i, raw) in list.iter().enumerate() {
                indexes.push(parse_index(raw, kind, i, &billing)?);
            }
        }
    }
    let globals = indexes
        .iter()
        .filter(|i| i.kind == IndexKind::Global)
        .count();
    let locals = indexes.len() - globals;
    if globals > MAX_GSIS {
        return Err(ApiError::invalid_param(format!(
            "GlobalSecondaryIndex count exceeds the per-table limit of {MAX_GSIS}"
        )));
    }
    if locals > MAX_LSIS {
        return Err(ApiError::invalid_param(format!(
            "Number of LocalSecondaryIndexes exceeds per-table limit of {MAX_LSIS}"
        )));
    }
    for (i, ix) in indexes.iter().enumerate() {
        if indexes[..i].iter().any(|o| o.name == ix.name) {
            return Err(ApiError::invalid_param(format!(
                "Duplicate index name: {}",
                ix.name
            )));
        }
    }
    // Key names used by the table and every index, each once.
    // The table's own key names count twice when the hash and range key share a name, as
    // AWS counts them.
    let mut used: Vec<String> = vec![hash_name.clone()];
    used.extend(range_name.clone());
    for ix in &indexes {
        for n in ix.key_names() {
            if !used.iter().any(|u| u == n) {
                used.push(n.to_owned());
            }
        }
    }
    check_definitions(&attributes, &used, !indexes.is_empty())?;
    if range_name.as_ref() == Some(&hash_name) {
        return Err(ApiError::invalid_param(
            "Both the Hash Key and the Range Key element in the KeySchema have the same name",
        ));
    }
    let find = |n: &str| attributes.iter().find(|a| a.name == n).cloned();
    let hash = find(&hash_name).ok_or_else(|| ApiError::internal("hash key undefined"))?;
    let range = range_name.as_deref().and_then(find);
    // Index key attributes take their types from the definitions.
    for ix in &mut indexes {
        for a in ix.hash.iter_mut().chain(ix.range.iter_mut()) {
            if let Some(def) = find(&a.name) {
                a.ty = def.ty;
            }
        }
        if ix.kind == IndexKind::Local {
            check_local_index(ix, &hash, range.as_ref())?;
        }
    }
    // StreamSpecification is checked here so a bad one fails before the name is reserved;
    // the table object opens the stream (streams::on_create).
    crate::streams::create_spec(p)?;
    Ok(TableSchema {
        name: name.unwrap_or_default().to_owned(),
        id,
        created_ms: now_ms,
        key: KeySchema { hash, range },
        attributes,
        billing_mode,
        throughput: tp,
        indexes,
        stream: None,
        ttl: None,
    })
}

pub const MAX_GSIS: usize = 20;
pub const MAX_LSIS: usize = 5;
/// A global index key may have up to this many partition-key and sort-key attributes each.
pub const MAX_INDEX_KEY_PARTS: usize = 4;

fn sorted(names: impl Iterator<Item = String>) -> String {
    let mut v: Vec<String> = names.collect();
    v.sort();
    v.join(", ")
}

/// AttributeDefinitions must name exactly the key attributes of the table and its indexes;
/// AWS words the mismatch by comparing the two sets' sizes and whether indexes exist.
pub fn check_definitions(
    defs: &[KeyAttr],
    used: &[String],
    has_indexes: bool,
) -> Result<(), ApiError> {
    let defined = || sorted(defs.iter().map(|a| a.name.clone()));
    let keys = || {
        let mut u: Vec<String> = used.to_vec();
        u.dedup();
        sorted(u.into_iter())
    };
    let all_defined = used.iter().all(|u| defs.iter().any(|d| &d.name == u));
    match defs.len().cmp(&used.len()) {
        std::cmp::Ordering::Equal if all_defined => Ok(()),
        std::cmp::Ordering::Greater if has_indexes => Err(ApiError::invalid_param(format!(
            "Some AttributeDefinitions are not used. AttributeDefinitions: [{}], keys used: [{}]",
            defined(),
            keys()
        ))),
        std::cmp::Ordering::Greater => Err(ApiError::invalid_param(
            "Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions",
        )),
        std::cmp::Ordering::Less if !has_indexes => {
            Err(ApiError::validation("Invalid KeySchema: Some index key attribute have no definition"))
        }
        _ => Err(ApiError::invalid_param(format!(
            "Some index key attributes are not defined in AttributeDefinitions. Keys: [{}], AttributeDefinitions: [{}]",
            keys(),
            defined()
        ))),
    }
}

fn check_local_index(
    ix: &IndexSchema,
    hash: &KeyAttr,
    range: Option<&KeyAttr>,
) -> Result<(), ApiError> {
    if range.is_none() {
        return Err(ApiError::invalid_param(
            "Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex",
        ));
    }
    let ih = ix.hash.first().map(|a| a.name.as_str()).unwrap_or_default();
    if ix.hash.len() != 1 || ih != hash.name {
        return Err(ApiError::invalid_param(format!(
            "Index KeySchema does not have the same leading hash key as table KeySchema for index: {}. index hash key: {ih}, table hash key: {}",
            ix.name, hash.name
        )));
    }
    if ix.range.len() != 1 {
        return Err(ApiError::invalid_param(format!(
            "Index KeySchema does not have a range key for index: {}",
            ix.name
        )));
    }
    Ok(())
}

/// Parses one index definition (CreateTable's GlobalSecondaryIndexes / LocalSecondaryIndexes
/// member, or UpdateTable's Create). Key attribute types are filled in by the caller.
pub fn parse_index(
    raw: &Value,
    kind: IndexKind,
    i: usize,
    billing: &str,
) -> Result<IndexSchema, ApiError> {
    let ip = Params::new(raw)?;
    let member = match kind {
        IndexKind::Global => "globalSecondaryIndexes",
        IndexKind::Local => "localSecondaryIndexes",
    };
    let at = format!("{member}.{}.member", i + 1);
    let name = ip.str("IndexName")?;
    let keys = ip.array("KeySchema")?;
    let projection = ip.object("Projection")?;
    let mut c = Constraints::default();
    check_table_name(&mut c, name, &format!("{at}.indexName"));
    if keys.is_none() {
        c.fail(None, &format!("{at}.keySchema"), "Member must not be null");
    }
    if projection.is_none() {
        c.fail(None, &format!("{at}.projection"), "Member must not be null");
    }
    c.check()?;
    let name = name.unwrap_or_default().to_owned();
    let (mut hash, mut range) = (Vec::new(), Vec::new());
    for k in keys.into_iter().flatten() {
        let k = Params::new(k)?;
        let (n, t) = (
            k.str("AttributeName")?.unwrap_or_default(),
            k.str("KeyType")?.unwrap_or_default(),
        );
        let attr = KeyAttr {
            name: n.to_owned(),
            ty: KeyType::S,
        };
        match t {
            "HASH" if range.is_empty() => hash.push(attr),
            "HASH" => {
                return Err(ApiError::invalid_param(
                    "All HASH key attributes must precede RANGE key attributes in the KeySchema",
                ))
            }
            "RANGE" => range.push(attr),
            other => {
                let mut c = Constraints::default();
                c.fail(
                    Some(other),
                    &format!("{at}.keySchema.member.keyType"),
                    "Member must satisfy enum value set: [HASH, RANGE]",
                );
                c.check()?;
            }
        }
    }
    if hash.is_empty() {
        return Err(ApiError::validation(
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
        ));
    }
    let max = if kind == IndexKind::Global {
        MAX_INDEX_KEY_PARTS
    } else {
        1
    };
    if hash.len() > max {
        return Err(ApiError::invalid_param(
            "The KeySchema exceeds the maximum allowed number of HASH key attributes",
        ));
    }
    if range.len() > max {
        return Err(ApiError::invalid_param(
            "The KeySchema exceeds the maximum allowed number of RANGE key attributes",
        ));
    }
    let names: Vec<&str> = hash.iter().chain(&range).map(|a| a.name.as_str()).collect();
    if names
        .iter()
        .enumerate()
        .any(|(i, n)| names[..i].contains(n))
    {
        return Err(ApiError::validation(
            "The KeySchema contains multiple key attributes with the same name",
        ));
    }
    let pp = Params::new(ip.raw("Projection").unwrap_or(&Value::Null))?;
    let non_key = pp.array("NonKeyAttributes")?;
    let ty = match pp.str("ProjectionType")? {
        Some("ALL") => ProjectionType::All,
        Some("KEYS_ONLY") => ProjectionType::KeysOnly,
        Some("INCLUDE") => ProjectionType::Include,
        None => return Err(ApiError::invalid_param("Unknown ProjectionType: null")),
        Some(other) => {
            let mut c = Constraints::default();
            c.fail(
                Some(other),
                &format!("{at}.projection.projectionType"),
                "Member must satisfy enum value set: [ALL, INCLUDE, KEYS_ONLY]",
            );
            c.check()?;
            ProjectionType::All
        }
    };
    let non_key: Vec<String> = non_key
        .map(|v| {
            v.iter()
                .map(|x| {
                    x.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| ApiError::serialization("NonKeyAttributes must be strings"))
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?
        .unwrap_or_default();
    match (ty, non_key.is_empty()) {
        (ProjectionType::Include, true) => {
            return Err(ApiError::invalid_param(
                "ProjectionType is INCLUDE, but NonKeyAttributes is not specified",
            ))
        }
        (ProjectionType::All | ProjectionType::KeysOnly, false) => {
            return Err(ApiError::invalid_param(format!(
                "ProjectionType is {}, but NonKeyAttributes is specified",
                ty.as_str()
            )))
        }
        _ => {}
    }
    if let Some(d) = non_key
        .iter()
        .enumerate()
        .find(|(i, n)| non_key[..*i].contains(n))
    {
        return Err(ApiError::invalid_param(format!(
            "Duplicate element in NonKeyAttributes: {}",
            d.1
        )));
    }
    let throughput = match (kind, ip.raw("ProvisionedThroughput"), billing) {
        (IndexKind::Local, _, _) => None,
        (IndexKind::Global, None, "PROVISIONED") => {
            return Err(ApiError::invalid_param(format!("ProvisionedThroughput is not specified for index: {name}")))
        }
        (IndexKind::Global, Some(_), "PAY_PER_REQUEST") => {
            return Err(ApiError::invalid_param(format!(
                "ProvisionedThroughput should not be specified for index: {name} when BillingMode is PAY_PER_REQUEST"
            )))
        }
        (IndexKind::Global, Some(raw), _) => {
            let t = Params::new(raw)?;
            let (r, w) = (t.int("ReadCapacityUnits")?, t.int("WriteCapacityUnits")?);
            let mut c = Constraints::default();
            for (v, m) in [(r, "readCapacityUnits"), (w, "writeCapacityUnits")] {
                match v {
                    None => c.fail(None, &format!("{at}.provisionedThroughput.{m}"), "Member must not be null"),
                    Some(v) if v < 1 => c.fail(Some(&v.to_string()), &format!("{at}.provisionedThroughput.{m}"), "Member must have value greater than or equal to 1"),
                    _ => {}
                }
            }
            c.check()?;
            Some(Throughput { read: r.unwrap_or(1), write: w.unwrap_or(1) })
        }
        (IndexKind::Global, None, _) => None,
    };
    Ok(IndexSchema {
        name,
        kind,
        hash,
        range,
        projection: IndexProjection { ty, non_key },
        status: IndexStatus::Active,
        backfilled_upto: None,
        throughput,
    })
}

/// Everything DescribeTable says that is not in the schema.
pub struct Live {
    pub status: &'static str,
    pub item_count: i64,
    pub size_bytes: i64,
    /// (index name, item count, bytes) per index.
    pub indexes: Vec<(String, i64, i64)>,
}

fn key_schema_json(hash: &[KeyAttr], range: &[KeyAttr]) -> Value {
    let h = hash
        .iter()
        .map(|a| json!({"AttributeName": a.name, "KeyType": "HASH"}));
    let r = range
        .iter()
        .map(|a| json!({"AttributeName": a.name, "KeyType": "RANGE"}));
    Value::Array(h.chain(r).collect())
}

fn index_json(cfg: &Config, s: &TableSchema, ix: &IndexSchema, live: &Live) -> Value {
    let (count, bytes) = live
        .indexes
        .iter()
        .find(|(n, _, _)| *n == ix.name)
        .map(|(_, c, b)| (*c, *b))
        .unwrap_or((0, 0));
    let mut projection = json!({ "ProjectionType": ix.projection.ty.as_str() });
    if !ix.projection.non_key.is_empty() {
        projection["NonKeyAttributes"] = json!(ix.projection.non_key);
    }
    let mut v = json!({
        "IndexName": ix.name,
        "KeySchema": key_schema_json(&ix.hash, &ix.range),
        "Projection": projection,
        "IndexSizeBytes": bytes,
        "ItemCount": count,
        "IndexArn": format!("{}/index/{}", table_arn(cfg, &s.name), ix.name),
    });
    if ix.kind == IndexKind::Global {
        let creating = ix.status == IndexStatus::Creating;
        v["IndexStatus"] = json!(if creating { "CREATING" } else { "ACTIVE" });
        if creating {
            v["Backfilling"] = json!(true);
        }
        let (r, w) = ix
            .throughput
            .as_ref()
            .map(|t| (t.read, t.write))
            .unwrap_or((0, 0));
        v["ProvisionedThroughput"] =
            json!({ "NumberOfDecreasesToday": 0, "ReadCapacityUnits": r, "WriteCapacityUnits": w });
    }
    v
}

pub fn table_arn(cfg: &Config, name: &str) -> String {
    format!(
        "arn:aws:dynamodb:{}:{}:table/{}",
        cfg.region, cfg.account_id, name
    )
}

pub fn describe(cfg: &Config, s: &TableSchema, live: &Live) -> Value {
    let mut key_schema = vec![json!({"AttributeName": s.key.hash.name, "KeyType": "HASH"})];
    if let Some(r) = &s.key.range {
        key_schema.push(json!({"AttributeName": r.name, "KeyType": "RANGE"}));
    }
    let defs: Vec<Value> = s
        .attributes
        .iter()
        .map(|a| json!({"AttributeName": a.name, "AttributeType": a.ty.as_str()}))
        .collect();
    let created = s.created_ms as f64 / 1000.0;
    let (r, w) = s
        .throughput
        .as_ref()
        .map(|t| (t.read, t.write))
        .unwrap_or((0, 0));
    let mut d = json!({
        "TableName": s.name,
        "TableStatus": live.status,
        "KeySchema": key_schema,
        "AttributeDefinitions": defs,
        "CreationDateTime": created,
        "ProvisionedThroughput": {
            "NumberOfDecreasesToday": 0,
            "ReadCapacityUnits": r,
            "WriteCapacityUnits": w,
        },
        "TableSizeBytes": live.size_bytes,
        "ItemCount": live.item_count,
        "TableArn": table_arn(cfg, &s.name),
        "TableId": s.id,
        "DeletionProtectionEnabled": false,
    });
    for (member, kind) in [
        ("GlobalSecondaryIndexes", IndexKind::Global),
        ("LocalSecondaryIndexes", IndexKind::Local),
    ] {
        let list: Vec<Value> = s
            .indexes
            .iter()
            .filter(|i| i.kind == kind)
            .map(|i| index_json(cfg, s, i, live))
            .collect();
        if !list.is_empty() {
            d[member] = Value::Array(list);
        }
    }
    if s.billing_mode == "PAY_PER_REQUEST" {
        d["BillingModeSummary"] = json!({
            "BillingMode": "PAY_PER_REQUEST",
            "LastUpdateToPayPerRequestDateTime": created,
        });
    }
    crate::streams::describe_into(cfg, s, &mut d);
    d
}

/// A TableId in UUID shape, derived from the name and creation time (no randomness is
/// available on every host, and uniqueness per name and millisecond is all that is needed).
pub fn table_id(name: &str, now_ms: i64) -> String {
    let mut h: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    for b in name.bytes().chain(now_ms.to_le_bytes()) {
        h ^= u128::from(b);
        h = h.wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013B);
    }
    let x = format!("{h:032x}");
    format!(
        "{}-{}-4{}-a{}-{}",
        &x[0..8],
        &x[8..12],
        &x[13..16],
        &x[17..20],
        &x[20..32]
    )
}

pub fn key_type_of(schema: &TableSchema, name: &str) -> Option<KeyType> {
    schema
        .attributes
        .iter()
        .find(|a| a.name == name)
        .map(|a| a.ty)
}
