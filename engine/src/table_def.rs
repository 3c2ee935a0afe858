//! Table definitions: validating CreateTable input into a [`TableSchema`] and rendering the
//! TableDescription that CreateTable, DescribeTable and DeleteTable return.

use extenddo_projections::schema::Throughput;
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

/// The validated TableName of a request.
pub fn table_name(p: &Params) -> Result<String, ApiError> {
    let name = p.str("TableName")?;
    let mut c = Constraints::default();
    check_table_name(&mut c, name, "tableName");
    c.check()?;
    Ok(name.unwrap_or_default().to_owned())
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
            Some("[…]"),
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
            return Err(ApiError::invalid_param(format!(
                "Duplicate AttributeName in AttributeDefinitions: {}",
                a.name
            )));
        }
    }

    let (hash_name, range_name) = match key_elems.as_slice() {
        [(h, ht)] if ht == "HASH" => (h.clone(), None),
        [(h, ht), (r, rt)] if ht == "HASH" && rt == "RANGE" => {
            if h == r {
                return Err(ApiError::invalid_param(
                    "Both the Hash Key and the Range Key element in the KeySchema have the same name",
                ));
            }
            (h.clone(), Some(r.clone()))
        }
        [(_, t)] if t == "RANGE" => {
            return Err(ApiError::invalid_param(
                "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
            ))
        }
        [(_, t), _] if t != "HASH" => {
            return Err(ApiError::invalid_param(
                "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
            ))
        }
        _ => {
            return Err(ApiError::invalid_param(
                "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type",
            ))
        }
    };
    let find = |n: &str| attributes.iter().find(|a| a.name == n).cloned();
    let key_names: Vec<&str> = std::iter::once(hash_name.as_str())
        .chain(range_name.as_deref())
        .collect();
    if key_names.iter().any(|n| find(n).is_none()) {
        let defs: Vec<&str> = attributes.iter().map(|a| a.name.as_str()).collect();
        return Err(ApiError::invalid_param(format!(
            "Some index key attributes are not defined in AttributeDefinitions. Keys: [{}], AttributeDefinitions: [{}]",
            key_names.join(", "),
            defs.join(", ")
        )));
    }
    if attributes.len() != key_names.len() {
        return Err(ApiError::invalid_param(
            "Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions",
        ));
    }
    let hash = find(&hash_name).expect("checked above");
    let range = range_name.as_deref().and_then(find);
    Ok(TableSchema {
        name: name.unwrap_or_default().to_owned(),
        id,
        created_ms: now_ms,
        key: KeySchema { hash, range },
        attributes,
        billing_mode,
        throughput: tp,
        indexes: Vec::new(),
    })
}

/// Everything DescribeTable says that is not in the schema.
pub struct Live {
    pub status: &'static str,
    pub item_count: i64,
    pub size_bytes: i64,
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
    if s.billing_mode == "PAY_PER_REQUEST" {
        d["BillingModeSummary"] = json!({
            "BillingMode": "PAY_PER_REQUEST",
            "LastUpdateToPayPerRequestDateTime": created,
        });
    }
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
