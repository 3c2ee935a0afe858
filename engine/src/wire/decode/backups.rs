//! Stage one of the backup and point-in-time recovery operations, and the CreateTable a
//! restore amounts to (the source's schema with the request's overrides, validated as
//! CreateTable validates).

use serde_json::{json, Map, Value};

use extenddo_projections::schema::IndexKind;
use extenddo_projections::TableSchema;

use super::common::{check_table_name, required, table_name};
use crate::api::backup::MAX_RECOVERY_DAYS;
use crate::api::catalog::BackupFilter;
use crate::api::command::{CreateTable, UpdateContinuousBackups};
use crate::error::ApiError;
use crate::wire::params::{Constraints, Params};
use crate::wire::render::{index_definition, table_key_schema};

/// Where a restore's items come from.
#[derive(Debug, Clone)]
pub enum RestoreSource {
    Backup(String),
    /// A table by name (SourceTableName, or the name in SourceTableArn), at a time (`None`:
    /// the latest restorable time).
    PointInTime {
        table: String,
        at_ms: Option<i64>,
    },
}

#[derive(Debug, Clone)]
pub struct RestoreRequest {
    pub target: String,
    pub source: RestoreSource,
    /// The request's `…Override` members, applied to the source's schema.
    pub overrides: Map<String, Value>,
}

const OVERRIDES: [&str; 4] = [
    "BillingModeOverride",
    "GlobalSecondaryIndexOverride",
    "LocalSecondaryIndexOverride",
    "ProvisionedThroughputOverride",
];

/// A timestamp member: seconds since the epoch (the JSON protocol's shape), as ms.
pub(super) fn time_ms(p: &Params, name: &str) -> Result<Option<i64>, ApiError> {
    match p.raw(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64().map(|s| (s * 1000.0).round() as i64)),
        Some(_) => Err(ApiError::serialization(format!(
            "class java.lang.String can not be converted to milliseconds since epoch: {name}"
        ))),
    }
}

pub fn create_backup(p: &Params) -> Result<(String, String), ApiError> {
    required(p, "TableName")?;
    required(p, "BackupName")?;
    let table = p.str("TableName")?;
    let backup = p.str("BackupName")?;
    let mut c = Constraints::default();
    check_table_name(&mut c, table, "tableName");
    check_table_name(&mut c, backup, "backupName");
    c.check()?;
    Ok((
        table.unwrap_or_default().to_owned(),
        backup.unwrap_or_default().to_owned(),
    ))
}

pub fn backup_arn(p: &Params) -> Result<String, ApiError> {
    required(p, "BackupArn")?;
    let arn = p.str("BackupArn")?.unwrap_or_default();
    let mut c = Constraints::default();
    if arn.len() < 37 {
        c.fail(
            Some(arn),
            "backupArn",
            "Member must have length greater than or equal to 37",
        );
    }
    if arn.len() > 1024 {
        c.fail(
            Some(arn),
            "backupArn",
            "Member must have length less than or equal to 1024",
        );
    }
    c.check()?;
    Ok(arn.to_owned())
}

pub fn list_backups(p: &Params) -> Result<BackupFilter, ApiError> {
    let table = p.str("TableName")?;
    let limit = p.int("Limit")?;
    let ty = p.str("BackupType")?;
    let start = p.str("ExclusiveStartBackupArn")?;
    let mut c = Constraints::default();
    if table.is_some() {
        check_table_name(&mut c, table, "tableName");
    }
    super::common::check_limit(&mut c, limit, 100);
    if let Some(t) = ty.filter(|t| !["USER", "SYSTEM", "AWS_BACKUP", "ALL"].contains(t)) {
        c.fail(
            Some(t),
            "backupType",
            "Member must satisfy enum value set: [USER, SYSTEM, AWS_BACKUP, ALL]",
        );
    }
    if let Some(s) = start.filter(|s| s.len() < 37 || s.len() > 1024) {
        c.fail(
            Some(s),
            "exclusiveStartBackupArn",
            if s.len() < 37 {
                "Member must have length greater than or equal to 37"
            } else {
                "Member must have length less than or equal to 1024"
            },
        );
    }
    c.check()?;
    let (lower_ms, upper_ms) = (
        time_ms(p, "TimeRangeLowerBound")?,
        time_ms(p, "TimeRangeUpperBound")?,
    );
    if let (Some(l), Some(u)) = (lower_ms, upper_ms) {
        if l > u {
            return Err(ApiError::validation(
                "TimeRangeUpperBound must be greater than TimeRangeLowerBound",
            ));
        }
    }
    Ok(BackupFilter {
        table_name: table.map(str::to_owned),
        lower_ms,
        upper_ms,
        user: matches!(ty, None | Some("USER") | Some("ALL")),
        start: start.map(str::to_owned),
        limit: limit.unwrap_or(100) as usize,
    })
}

fn overrides(p: &Params) -> Map<String, Value> {
    OVERRIDES
        .iter()
        .filter_map(|k| {
            p.raw(k)
                .filter(|v| !v.is_null())
                .map(|v| (k.to_string(), v.clone()))
        })
        .collect()
}

fn target(p: &Params) -> Result<String, ApiError> {
    required(p, "TargetTableName")?;
    let t = p.str("TargetTableName")?;
    let mut c = Constraints::default();
    check_table_name(&mut c, t, "targetTableName");
    c.check()?;
    Ok(t.unwrap_or_default().to_owned())
}

pub fn restore_from_backup(p: &Params) -> Result<RestoreRequest, ApiError> {
    required(p, "TargetTableName")?;
    required(p, "BackupArn")?;
    let target = target(p)?;
    let arn = backup_arn(p)?;
    Ok(RestoreRequest {
        target,
        source: RestoreSource::Backup(arn),
        overrides: overrides(p),
    })
}

pub fn restore_to_point_in_time(p: &Params) -> Result<RestoreRequest, ApiError> {
    required(p, "TargetTableName")?;
    let target = target(p)?;
    let (by_name, by_arn) = (p.str("SourceTableName")?, p.str("SourceTableArn")?);
    let table = match (by_name, by_arn) {
        (Some(n), None) => {
            let mut c = Constraints::default();
            check_table_name(&mut c, Some(n), "sourceTableName");
            c.check()?;
            n.to_owned()
        }
        (None, Some(a)) => crate::api::streams::table_resource(a)
            .filter(|name| !name.is_empty() && !name.contains('/'))
            .ok_or_else(|| ApiError::validation(format!("Invalid TableArn: {a}")))?
            .to_owned(),
        _ => {
            return Err(ApiError::validation(
                "Must provide exactly one of: sourceTableArn, sourceTableName",
            ))
        }
    };
    let at = time_ms(p, "RestoreDateTime")?;
    let latest = p.bool("UseLatestRestorableTime")?.unwrap_or(false);
    if at.is_some() == latest {
        return Err(ApiError::validation(
            "Invalid Request: Either one of RestoreDateTime or UseLatestRestorableTime must be specified, but not both",
        ));
    }
    Ok(RestoreRequest {
        target,
        source: RestoreSource::PointInTime { table, at_ms: at },
        overrides: overrides(p),
    })
}

pub fn update_continuous_backups(
    p: &Params,
) -> Result<(String, UpdateContinuousBackups), ApiError> {
    let name = table_name(p)?;
    required(p, "PointInTimeRecoverySpecification")?;
    let spec = Params::new(
        p.raw("PointInTimeRecoverySpecification")
            .unwrap_or(&Value::Null),
    )?;
    let enabled = spec.bool("PointInTimeRecoveryEnabled")?;
    let days = spec.int("RecoveryPeriodInDays")?;
    let mut c = Constraints::default();
    if enabled.is_none() {
        c.fail(
            None,
            "pointInTimeRecoverySpecification.pointInTimeRecoveryEnabled",
            "Member must not be null",
        );
    }
    if let Some(d) = days {
        if d < 1 {
            c.fail(
                Some(&d.to_string()),
                "pointInTimeRecoverySpecification.recoveryPeriodInDays",
                "Member must have value greater than or equal to 1",
            );
        } else if d > i64::from(MAX_RECOVERY_DAYS) {
            c.fail(
                Some(&d.to_string()),
                "pointInTimeRecoverySpecification.recoveryPeriodInDays",
                "Member must have value less than or equal to 35",
            );
        }
    }
    c.check()?;
    let enabled = enabled.unwrap_or(false);
    if days.is_some() && !enabled {
        return Err(ApiError::validation(
            "RecoveryPeriodInDays can only be set when PointInTimeRecoveryEnabled is true",
        ));
    }
    Ok((
        name,
        UpdateContinuousBackups {
            enabled,
            recovery_days: days.map(|d| d as u32),
        },
    ))
}

/// The CreateTable a restore amounts to, validated as any CreateTable (see
/// [`create_request`]).
pub fn restore_create(
    source: &TableSchema,
    target: &str,
    overrides: &Map<String, Value>,
    now_ms: i64,
) -> Result<CreateTable, ApiError> {
    let body = create_request(source, target, overrides);
    let p = Params::new(&body)?;
    super::tables::create_table(&p, now_ms)
}

/// The CreateTable request body (DynamoDB JSON) for a copy of `source` named `target`: its
/// keys, attribute definitions, billing and indexes, with a restore's `…Override` members;
/// no stream, no TTL (AWS restores neither).
pub fn create_request(source: &TableSchema, target: &str, overrides: &Map<String, Value>) -> Value {
    let tp = |t: &Option<extenddo_projections::schema::Throughput>| {
        t.as_ref()
            .map(|t| json!({"ReadCapacityUnits": t.read, "WriteCapacityUnits": t.write}))
    };
    let index = |ix: &extenddo_projections::schema::IndexSchema| {
        let mut v = index_definition(ix);
        if let Some(t) = tp(&ix.throughput) {
            v["ProvisionedThroughput"] = t;
        }
        v
    };
    let of_kind = |k: IndexKind| -> Vec<Value> {
        source
            .indexes
            .iter()
            .filter(|i| i.kind == k)
            .map(index)
            .collect()
    };
    let mut req = Map::new();
    req.insert("TableName".into(), json!(target));
    req.insert("KeySchema".into(), table_key_schema(&source.key));
    let billing = overrides
        .get("BillingModeOverride")
        .and_then(Value::as_str)
        .unwrap_or(&source.billing_mode)
        .to_owned();
    req.insert("BillingMode".into(), json!(billing));
    let mut gsis = of_kind(IndexKind::Global);
    let mut lsis = of_kind(IndexKind::Local);
    if let Some(Value::Array(o)) = overrides.get("GlobalSecondaryIndexOverride") {
        gsis = o.clone();
    }
    if let Some(Value::Array(o)) = overrides.get("LocalSecondaryIndexOverride") {
        lsis = o.clone();
    }
    let provisioned = billing == "PROVISIONED";
    if provisioned {
        let table_tp = overrides
            .get("ProvisionedThroughputOverride")
            .cloned()
            .or_else(|| tp(&source.throughput))
            .unwrap_or_else(|| json!({"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}));
        req.insert("ProvisionedThroughput".into(), table_tp.clone());
        // Indexes of an on-demand source need throughput of their own now.
        for g in gsis.iter_mut() {
            if g.get("ProvisionedThroughput").is_none() {
                g["ProvisionedThroughput"] = table_tp.clone();
            }
        }
    } else {
        for g in gsis.iter_mut() {
            if let Some(o) = g.as_object_mut() {
                o.remove("ProvisionedThroughput");
            }
        }
    }
    // Only the definitions some key uses: CreateTable refuses the others.
    let mut used: Vec<&str> = vec![source.key.hash.name.as_str()];
    used.extend(source.key.range.as_ref().map(|r| r.name.as_str()));
    for ix in gsis.iter().chain(&lsis) {
        if let Some(Value::Array(keys)) = ix.get("KeySchema") {
            used.extend(keys.iter().filter_map(|k| k.get("AttributeName")?.as_str()));
        }
    }
    req.insert(
        "AttributeDefinitions".into(),
        Value::Array(
            source
                .attributes
                .iter()
                .filter(|a| used.contains(&a.name.as_str()))
                .map(|a| json!({"AttributeName": a.name, "AttributeType": a.ty.as_str()}))
                .collect(),
        ),
    );
    if !gsis.is_empty() {
        req.insert("GlobalSecondaryIndexes".into(), Value::Array(gsis));
    }
    if !lsis.is_empty() {
        req.insert("LocalSecondaryIndexes".into(), Value::Array(lsis));
    }
    Value::Object(req)
}
