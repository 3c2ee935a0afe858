//! CreateTable, UpdateTable, DescribeTable and DeleteTable: everything checked before the
//! schema (all of CreateTable; UpdateTable's request shape and its own consistency).

use extenddo_projections::schema::{
    IndexKind, IndexProjection, IndexSchema, IndexStatus, ProjectionType, Throughput,
};
use extenddo_projections::streams::StreamViewType;
use extenddo_projections::{KeyAttr, KeySchema, KeyType, TableSchema};
use serde_json::Value;

use crate::api::command::{CreateTable, IndexUpdate, StreamChange, UpdateTable};
use crate::api::rules::{check_index_billing, MAX_GSIS, MAX_INDEX_KEY_PARTS, MAX_LSIS};
use crate::error::ApiError;
use crate::wire::decode::common::{check_table_name, required, table_name};
use crate::wire::params::{Constraints, Params};

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
pub fn create_table(p: &Params, now_ms: i64) -> Result<CreateTable, ApiError> {
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
        // AWS reports an element's type before its name (ACK's 2026 captures).
        let type_first = c.len();
        check_key_name(&mut c, n, &format!("{at}.attributeName"));
        let name_errors = c.split_off(type_first);
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
        c.extend(name_errors);
    }
    let mut key_elems: Vec<(String, String)> = Vec::new();
    for (i, k) in keys.into_iter().flatten().enumerate() {
        let k = Params::new(k)?;
        let (n, t) = (k.str("AttributeName")?, k.str("KeyType")?);
        let at = format!("keySchema.{}.member", i + 1);
        check_key_name(&mut c, n, &format!("{at}.attributeName"));
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
                indexes.push(parse_index(raw, kind, i, Some(&billing))?);
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
    // The table object opens the stream, at the LSN of its TableCreated.
    let stream = create_stream(p)?;
    let tags = crate::wire::decode::tags::create_table_tags(p)?;
    let schema = TableSchema {
        name: name.unwrap_or_default().to_owned(),
        // Minted by the request flow once the request is known to be valid.
        id: String::new(),
        created_ms: now_ms,
        key: KeySchema { hash, range },
        attributes,
        billing_mode,
        throughput: tp,
        indexes,
        stream: None,
        ttl: None,
        deleted_ms: None,
        pitr: None,
        restore: None,
        import: None,
        account: None,
        tags,
        stream_tags: Default::default(),
    };
    Ok(CreateTable { schema, stream })
}

/// A key attribute's name (AttributeDefinitions, KeySchema): 1 to 255 bytes.
fn check_key_name(c: &mut Constraints, name: Option<&str>, at: &str) {
    match name {
        None => c.fail(None, at, "Member must not be null"),
        Some("") => c.fail(
            Some(""),
            at,
            "Member must have length greater than or equal to 1",
        ),
        Some(n) if n.len() > 255 => c.fail(
            Some(n),
            at,
            "Member must have length less than or equal to 255",
        ),
        _ => {}
    }
}

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
    // A missing range key is reported before a different hash key (dynalite, as AWS).
    if ix.range.len() != 1 {
        return Err(ApiError::invalid_param(format!(
            "Index KeySchema does not have a range key for index: {}",
            ix.name
        )));
    }
    let ih = ix.hash.first().map(|a| a.name.as_str()).unwrap_or_default();
    if ix.hash.len() != 1 || ih != hash.name {
        return Err(ApiError::invalid_param(format!(
            "Index KeySchema does not have the same leading hash key as table KeySchema for index: {}. index hash key: {ih}, table hash key: {}",
            ix.name, hash.name
        )));
    }
    Ok(())
}

/// Parses one index definition (CreateTable's GlobalSecondaryIndexes / LocalSecondaryIndexes
/// member, or UpdateTable's Create). Key attribute types are filled in by the caller. With
/// the table's billing mode known (`Some`), the throughput is checked against it here, in
/// AWS's order; otherwise the table object checks it ([`check_index_billing`]).
pub fn parse_index(
    raw: &Value,
    kind: IndexKind,
    i: usize,
    billing: Option<&str>,
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
    for (j, k) in keys.into_iter().flatten().enumerate() {
        let n = Params::new(k)?.str("AttributeName")?;
        if n.is_some_and(|n| n.len() > 255) {
            check_key_name(
                &mut c,
                n,
                &format!("{at}.keySchema.{}.member.attributeName", j + 1),
            );
        }
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
    let given = ip.raw("ProvisionedThroughput");
    if let (IndexKind::Global, Some(billing)) = (kind, billing) {
        let probe = IndexSchema {
            name: name.clone(),
            kind,
            hash: Vec::new(),
            range: Vec::new(),
            projection: IndexProjection {
                ty: ProjectionType::All,
                non_key: Vec::new(),
            },
            status: IndexStatus::Active,
            backfilled_upto: None,
            throughput: given.map(|_| Throughput { read: 1, write: 1 }),
        };
        check_index_billing(&probe, billing)?;
    }
    let throughput = match (kind, given) {
        (IndexKind::Local, _) => None,
        (IndexKind::Global, Some(raw)) => {
            let t = Params::new(raw)?;
            let (r, w) = (t.int("ReadCapacityUnits")?, t.int("WriteCapacityUnits")?);
            let mut c = Constraints::default();
            for (v, m) in [(r, "readCapacityUnits"), (w, "writeCapacityUnits")] {
                match v {
                    None => c.fail(
                        None,
                        &format!("{at}.provisionedThroughput.{m}"),
                        "Member must not be null",
                    ),
                    Some(v) if v < 1 => c.fail(
                        Some(&v.to_string()),
                        &format!("{at}.provisionedThroughput.{m}"),
                        "Member must have value greater than or equal to 1",
                    ),
                    _ => {}
                }
            }
            c.check()?;
            Some(Throughput {
                read: r.unwrap_or(1),
                write: w.unwrap_or(1),
            })
        }
        (IndexKind::Global, None) => None,
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

const VIEW_TYPES: &str = "[NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES, KEYS_ONLY]";

/// A StreamSpecification member, shape-checked: `(StreamEnabled, StreamViewType)`.
fn stream_spec(p: &Params) -> Result<Option<(bool, Option<StreamViewType>)>, ApiError> {
    if p.object("StreamSpecification")?.is_none() {
        return Ok(None);
    }
    let sp = Params::new(p.raw("StreamSpecification").unwrap_or(&Value::Null))?;
    let enabled = sp.bool("StreamEnabled")?;
    let view = sp.str("StreamViewType")?;
    let mut c = Constraints::default();
    if enabled.is_none() {
        c.fail(
            None,
            "streamSpecification.streamEnabled",
            "Member must not be null",
        );
    }
    let parsed = view.map(|v| (v, StreamViewType::parse(v)));
    if let Some((v, None)) = parsed {
        c.fail(
            Some(v),
            "streamSpecification.streamViewType",
            &format!("Member must satisfy enum value set: {VIEW_TYPES}"),
        );
    }
    c.check()?;
    Ok(Some((
        enabled.unwrap_or(false),
        parsed.and_then(|(_, t)| t),
    )))
}

/// CreateTable's StreamSpecification: the view type of a stream to enable.
fn create_stream(p: &Params) -> Result<Option<StreamViewType>, ApiError> {
    match stream_spec(p)? {
        None | Some((false, None)) => Ok(None),
        Some((true, Some(view))) => Ok(Some(view)),
        Some((true, None)) => Err(ApiError::invalid_param(
            "Table is being created with a stream enabled, UpdateViewType is required",
        )),
        Some((false, Some(_))) => Err(ApiError::invalid_param(
            "Table is being created with a stream disabled, UpdateViewType should not be specified",
        )),
    }
}

/// UpdateTable's StreamSpecification: enable (with a view type) or disable.
fn update_stream(p: &Params) -> Result<Option<StreamChange>, ApiError> {
    match stream_spec(p)? {
        None => Ok(None),
        Some((true, None)) => Err(ApiError::invalid_param(
            "If stream is being enabled then UpdateViewType is required",
        )),
        Some((false, Some(_))) => Err(ApiError::invalid_param(
            "If stream is being disabled, then UpdateViewType must not be specified",
        )),
        Some((true, Some(view))) => Ok(Some(StreamChange::Enable(view))),
        Some((false, None)) => Ok(Some(StreamChange::Disable)),
    }
}

/// Members of UpdateTable that ask for a change, as AWS lists them when none is given.
const UPDATE_MEMBERS: [&str; 13] = [
    "ProvisionedThroughput",
    "BillingMode",
    "StreamSpecification",
    "GlobalSecondaryIndexUpdates",
    "SSESpecification",
    "ReplicaUpdates",
    "MultiAccountReplicaReady",
    "ReplicaTransitRoleArn",
    "MultiRegionConsistency",
    "DeletionProtectionEnabled",
    "OnDemandThroughput",
    "WarmThroughput",
    "TableClass",
];

/// A ProvisionedThroughput member at `at`.
pub fn throughput(raw: &Value, at: &str) -> Result<Throughput, ApiError> {
    let t = Params::new(raw)?;
    let (r, w) = (t.int("ReadCapacityUnits")?, t.int("WriteCapacityUnits")?);
    let mut c = Constraints::default();
    for (v, m) in [(r, "readCapacityUnits"), (w, "writeCapacityUnits")] {
        match v {
            None => c.fail(None, &format!("{at}.{m}"), "Member must not be null"),
            Some(v) if v < 1 => c.fail(
                Some(&v.to_string()),
                &format!("{at}.{m}"),
                "Member must have value greater than or equal to 1",
            ),
            _ => {}
        }
    }
    c.check()?;
    Ok(Throughput {
        read: r.unwrap_or(1),
        write: w.unwrap_or(1),
    })
}

pub fn update_table(p: &Params) -> Result<(String, UpdateTable), ApiError> {
    let name = table_name(p)?;
    // An empty GlobalSecondaryIndexUpdates on its own is no change at all.
    let given = |m: &&str| {
        p.has(m)
            && !(*m == "GlobalSecondaryIndexUpdates"
                && p.raw(m)
                    .and_then(Value::as_array)
                    .is_some_and(Vec::is_empty))
    };
    if !UPDATE_MEMBERS.iter().any(given) {
        return Err(ApiError::validation(
            "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates, SSESpecification, ReplicaUpdates, MultiAccountReplicaReady, ReplicaTransitRoleArn, MultiRegionConsistency, DeletionProtectionEnabled, OnDemandThroughput, WarmThroughput or TableClass is required",
        ));
    }
    let billing = p.str("BillingMode")?;
    if let Some(b) = billing.filter(|b| *b != "PROVISIONED" && *b != "PAY_PER_REQUEST") {
        let mut c = Constraints::default();
        c.fail(
            Some(b),
            "billingMode",
            "Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]",
        );
        c.check()?;
    }
    let requested_tp = p
        .raw("ProvisionedThroughput")
        .map(|r| throughput(r, "provisionedThroughput"))
        .transpose()?;
    let mut definitions = Vec::new();
    let mut c = Constraints::default();
    for (i, d) in p
        .array("AttributeDefinitions")?
        .into_iter()
        .flatten()
        .enumerate()
    {
        let d = Params::new(d)?;
        let (n, ty) = (d.str("AttributeName")?, d.str("AttributeType")?);
        let at = format!("attributeDefinitions.{}.member", i + 1);
        // As in CreateTable: an element's type is reported before its name.
        let ty = match (ty, ty.and_then(key_type)) {
            (_, Some(t)) => t,
            (None, None) => {
                c.fail(
                    None,
                    &format!("{at}.attributeType"),
                    "Member must not be null",
                );
                KeyType::S
            }
            (Some(t), None) => {
                c.fail(
                    Some(t),
                    &format!("{at}.attributeType"),
                    "Member must satisfy enum value set: [B, N, S]",
                );
                KeyType::S
            }
        };
        check_key_name(&mut c, n, &format!("{at}.attributeName"));
        definitions.push(KeyAttr {
            name: n.unwrap_or_default().to_owned(),
            ty,
        });
    }
    c.check()?;
    let index_updates = match p.array("GlobalSecondaryIndexUpdates")? {
        None => None,
        Some(updates) if updates.is_empty() => {
            return Err(ApiError::invalid_param(
                "List of GlobalSecondaryIndexUpdates is empty",
            ))
        }
        Some(updates) => Some(
            updates
                .iter()
                .enumerate()
                .map(|(i, u)| index_update(u, i))
                .collect::<Result<Vec<_>, _>>()?,
        ),
    };
    let stream = update_stream(p)?;
    Ok((
        name,
        UpdateTable {
            billing_mode: billing.map(str::to_owned),
            throughput: requested_tp,
            attribute_definitions: definitions,
            index_updates,
            stream,
        },
    ))
}

/// One GlobalSecondaryIndexUpdate: exactly one of Create, Update, Delete.
fn index_update(u: &Value, i: usize) -> Result<IndexUpdate, ApiError> {
    let up = Params::new(u)?;
    let actions = ["Create", "Update", "Delete"]
        .iter()
        .filter(|a| up.has(a))
        .count();
    if actions == 0 {
        return Err(ApiError::invalid_param(
            "One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Delete must not be null",
        ));
    }
    if actions > 1 {
        return Err(ApiError::invalid_param(
            "Only one global secondary index action is allowed per GlobalSecondaryIndexUpdate object",
        ));
    }
    let ix_name = |raw: &Value| -> Result<String, ApiError> {
        Ok(Params::new(raw)?
            .str("IndexName")?
            .unwrap_or_default()
            .to_owned())
    };
    if let Some(raw) = up.raw("Create") {
        let mut ix = parse_index(raw, IndexKind::Global, i, None)?;
        ix.status = IndexStatus::Creating;
        return Ok(IndexUpdate::Create(ix));
    }
    if let Some(raw) = up.raw("Delete") {
        return Ok(IndexUpdate::Delete {
            name: ix_name(raw)?,
        });
    }
    let raw = up.raw("Update").unwrap_or(&Value::Null);
    let name = ix_name(raw)?;
    let throughput = Params::new(raw)?
        .raw("ProvisionedThroughput")
        .map(|r| {
            throughput(
                r,
                "globalSecondaryIndexUpdates.member.update.provisionedThroughput",
            )
        })
        .transpose()?;
    Ok(IndexUpdate::Update { name, throughput })
}
