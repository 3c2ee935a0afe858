//! Stage one of exports and imports: ExportTableToPointInTime, DescribeExport, ListExports,
//! ImportTable, DescribeImport, ListImports.

use serde_json::{Map, Value};

use super::backups::time_ms;
use super::common::required;
use crate::api::command::CreateTable;
use crate::api::transfer::{
    is_export_arn, is_import_arn, Compression, CsvOptions, ExportFormat, ExportKind, ExportTarget,
    ExportView, ImportSource, InputFormat,
};
use crate::error::ApiError;
use crate::formats::csv::DELIMITERS;
use crate::wire::params::{Constraints, Params};

/// ExportTableToPointInTime, decoded. A full export without ExportTime is of "now".
#[derive(Debug, Clone)]
pub struct ExportRequest {
    pub table_arn: String,
    pub table_name: String,
    pub client_token: Option<String>,
    pub target: ExportTarget,
    pub format: ExportFormat,
    /// `Full { at_ms: i64::MIN }` stands for "now" until the flow knows the time.
    pub kind: ExportKind,
    pub at_given: bool,
}

/// ImportTable, decoded.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    pub client_token: Option<String>,
    pub source: ImportSource,
    /// TableCreationParameters as given (echoed by DescribeImport).
    pub creation: Value,
    pub create: Box<CreateTable>,
}

fn enum_member<'a>(
    c: &mut Constraints,
    value: Option<&'a str>,
    at: &str,
    allowed: &[&str],
) -> Option<&'a str> {
    if let Some(v) = value.filter(|v| !allowed.contains(v)) {
        c.fail(
            Some(v),
            at,
            &format!(
                "Member must satisfy enum value set: [{}]",
                allowed.join(", ")
            ),
        );
    }
    value
}

fn check_token(c: &mut Constraints, token: Option<&str>, at: &str) {
    if let Some(t) = token {
        if t.is_empty() {
            c.fail(
                Some(t),
                at,
                "Member must have length greater than or equal to 1",
            );
        } else if t.len() > 36 {
            c.fail(
                Some(t),
                at,
                "Member must have length less than or equal to 36",
            );
        } else if !t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            c.fail(
                Some(t),
                at,
                "Member must satisfy regular expression pattern: ^[^\\$]+$",
            );
        }
    }
}

fn check_bucket(c: &mut Constraints, bucket: Option<&str>, at: &str) {
    let Some(b) = bucket else { return };
    let ok = (3..=63).contains(&b.len())
        && b.bytes()
            .all(|x| x.is_ascii_lowercase() || x.is_ascii_digit() || x == b'-' || x == b'.')
        && !b.starts_with(['-', '.'])
        && !b.ends_with(['-', '.']);
    if b.len() > 255 {
        c.fail(
            Some(b),
            at,
            "Member must have length less than or equal to 255",
        );
    } else if !ok {
        c.fail(
            Some(b),
            at,
            "Member must satisfy regular expression pattern: ^[a-z0-9A-Z]+[\\.\\-\\w]*[a-z0-9A-Z]+$",
        );
    }
}

/// A prefix or key is kept as the object store's key: `/`-separated, no empty, `.` or `..`
/// segment, no control characters.
fn check_prefix(c: &mut Constraints, prefix: Option<&str>, at: &str) {
    let Some(p) = prefix else { return };
    if p.len() > 1024 {
        c.fail(
            Some(p),
            at,
            "Member must have length less than or equal to 1024",
        );
    }
    let bad = p.split('/').enumerate().any(|(i, seg)| {
        (seg.is_empty() && i > 0 && i + 1 < p.split('/').count())
            || seg == "."
            || seg == ".."
            || seg.chars().any(|ch| ch.is_control() || ch == '\\')
    });
    if bad {
        c.fail(
            Some(p),
            at,
            "Member must satisfy the object store's key rules",
        );
    }
}

/// The table name in a table ARN (`arn:aws:dynamodb:<region>:<account>:table/<name>`).
fn table_of_arn(arn: &str) -> Option<&str> {
    let rest = arn.strip_prefix("arn:")?;
    let parts: Vec<&str> = rest.splitn(5, ':').collect();
    if parts.len() != 5 || parts[1] != "dynamodb" {
        return None;
    }
    let name = parts[4].strip_prefix("table/")?;
    Some(name)
}

pub fn export_table(p: &Params) -> Result<ExportRequest, ApiError> {
    required(p, "TableArn")?;
    required(p, "S3Bucket")?;
    let arn = p.str("TableArn")?.unwrap_or_default();
    let bucket = p.str("S3Bucket")?;
    let owner = p.str("S3BucketOwner")?;
    let prefix = p.str("S3Prefix")?;
    let sse = p.str("S3SseAlgorithm")?;
    let kms = p.str("S3SseKmsKeyId")?;
    let token = p.str("ClientToken")?;
    let mut c = Constraints::default();
    if arn.is_empty() || arn.len() > 1024 {
        c.fail(
            Some(arn),
            "tableArn",
            if arn.is_empty() {
                "Member must have length greater than or equal to 1"
            } else {
                "Member must have length less than or equal to 1024"
            },
        );
    }
    check_bucket(&mut c, bucket, "s3Bucket");
    check_prefix(&mut c, prefix, "s3Prefix");
    check_token(&mut c, token, "clientToken");
    let format = enum_member(
        &mut c,
        p.str("ExportFormat")?,
        "exportFormat",
        &["DYNAMODB_JSON", "ION"],
    );
    let ty = enum_member(
        &mut c,
        p.str("ExportType")?,
        "exportType",
        &["FULL_EXPORT", "INCREMENTAL_EXPORT"],
    );
    enum_member(&mut c, sse, "s3SseAlgorithm", &["AES256", "KMS"]);
    let spec = p.object("IncrementalExportSpecification")?;
    let view = match spec.and_then(|s| s.get("ExportViewType")) {
        Some(Value::String(v)) => enum_member(
            &mut c,
            Some(v.as_str()),
            "incrementalExportSpecification.exportViewType",
            &["NEW_IMAGE", "NEW_AND_OLD_IMAGES"],
        ),
        _ => None,
    };
    c.check()?;
    let table_name = match table_of_arn(arn) {
        Some(name) if !name.is_empty() && !name.contains('/') => name.to_owned(),
        Some(_) => {
            return Err(ApiError::validation(
                "Invalid Request: Table ARN is invalid.",
            ))
        }
        None => {
            return Err(ApiError::validation(
                "One or more parameter values were invalid: tableArn is not a valid ARN",
            ))
        }
    };
    let kind = match (ty, spec) {
        (None, Some(_)) => {
            return Err(ApiError::validation(
                "Invalid Request: Export Type expected to be Incremental Export when incremental export specification is provided",
            ))
        }
        (Some("FULL_EXPORT"), Some(_)) => {
            return Err(ApiError::validation(
                "Invalid Request: When Export Type is Full Export , Incremental Export Specification should not be provided",
            ))
        }
        (Some("INCREMENTAL_EXPORT"), None) => {
            return Err(ApiError::validation(
                "Invalid Request: Incremental Export Specification expected when export type is set as Incremental Export",
            ))
        }
        (Some("INCREMENTAL_EXPORT"), Some(_)) => {
            let empty = Value::Object(Map::new());
            let spec_value = p.raw("IncrementalExportSpecification").unwrap_or(&empty);
            let sp = Params::new(spec_value)?;
            let from = time_ms(&sp, "ExportFromTime")?.ok_or_else(|| {
                ApiError::validation(
                    "Invalid Request: ExportFromTime must be provided in IncrementalExportSpecification",
                )
            })?;
            let to = time_ms(&sp, "ExportToTime")?.unwrap_or(i64::MIN);
            ExportKind::Incremental {
                from_ms: from,
                to_ms: to,
                view: match view {
                    Some("NEW_IMAGE") => ExportView::NewImage,
                    _ => ExportView::NewAndOldImages,
                },
            }
        }
        _ => ExportKind::Full {
            at_ms: time_ms(p, "ExportTime")?.unwrap_or(i64::MIN),
        },
    };
    Ok(ExportRequest {
        table_arn: arn.to_owned(),
        table_name,
        client_token: token.map(str::to_owned),
        target: ExportTarget {
            root: None,
            bucket: bucket.unwrap_or_default().to_owned(),
            owner: owner.map(str::to_owned),
            prefix: prefix.map(str::to_owned),
            sse_algorithm: sse.map(str::to_owned),
            kms_key: kms.map(str::to_owned),
        },
        format: format
            .and_then(ExportFormat::parse)
            .unwrap_or(ExportFormat::DynamodbJson),
        at_given: p.raw("ExportTime").is_some_and(|v| !v.is_null()),
        kind,
    })
}

pub fn export_arn(p: &Params) -> Result<String, ApiError> {
    required(p, "ExportArn")?;
    let arn = p.str("ExportArn")?.unwrap_or_default();
    let mut c = Constraints::default();
    if arn.len() < 37 || arn.len() > 1024 {
        c.fail(
            Some(arn),
            "exportArn",
            if arn.len() < 37 {
                "Member must have length greater than or equal to 37"
            } else {
                "Member must have length less than or equal to 1024"
            },
        );
    }
    c.check()?;
    if !is_export_arn(arn) {
        return Err(ApiError::validation("Invalid Export ARN"));
    }
    Ok(arn.to_owned())
}

pub fn import_arn(p: &Params) -> Result<String, ApiError> {
    required(p, "ImportArn")?;
    let arn = p.str("ImportArn")?.unwrap_or_default();
    let mut c = Constraints::default();
    if arn.len() < 37 || arn.len() > 1024 {
        c.fail(
            Some(arn),
            "importArn",
            if arn.len() < 37 {
                "Member must have length greater than or equal to 37"
            } else {
                "Member must have length less than or equal to 1024"
            },
        );
    }
    c.check()?;
    if !is_import_arn(arn) {
        return Err(ApiError::validation("Invalid Import ARN"));
    }
    Ok(arn.to_owned())
}

/// ListExports and ListImports: (TableArn, page size, NextToken).
pub fn list_jobs(
    p: &Params,
    size_member: &str,
) -> Result<(Option<String>, usize, Option<String>), ApiError> {
    let table = p.str("TableArn")?;
    let size = p.int(size_member)?;
    let next = p.str("NextToken")?;
    let mut c = Constraints::default();
    let at = if size_member == "MaxResults" {
        "maxResults"
    } else {
        "pageSize"
    };
    if let Some(n) = size {
        if n < 1 {
            c.fail(
                Some(&n.to_string()),
                at,
                "Member must have value greater than or equal to 1",
            );
        } else if n > 25 {
            c.fail(
                Some(&n.to_string()),
                at,
                "Member must have value less than or equal to 25",
            );
        }
    }
    if let Some(t) = table.filter(|t| t.is_empty() || t.len() > 1024) {
        c.fail(
            Some(t),
            "tableArn",
            "Member must have length greater than or equal to 1",
        );
    }
    c.check()?;
    if let Some(t) = next {
        if !(is_export_arn(t) || is_import_arn(t)) {
            return Err(ApiError::validation(format!(
                "Invalid Request: Provided nextToken is invalid: {t}"
            )));
        }
    }
    let default = if size_member == "MaxResults" { 10 } else { 25 };
    Ok((
        table.map(str::to_owned),
        size.unwrap_or(default) as usize,
        next.map(str::to_owned),
    ))
}

pub fn import_table(p: &Params, now_ms: i64) -> Result<ImportRequest, ApiError> {
    required(p, "S3BucketSource")?;
    required(p, "InputFormat")?;
    required(p, "TableCreationParameters")?;
    let token = p.str("ClientToken")?;
    let format = p.str("InputFormat")?;
    let compression = p.str("InputCompressionType")?;
    let src_value = p.raw("S3BucketSource").cloned().unwrap_or(Value::Null);
    let src = Params::new(&src_value)?;
    let bucket = src.str("S3Bucket")?;
    let owner = src.str("S3BucketOwner")?;
    let prefix = src.str("S3KeyPrefix")?;
    let mut c = Constraints::default();
    check_token(&mut c, token, "clientToken");
    if bucket.is_none() {
        c.fail(None, "s3BucketSource.s3Bucket", "Member must not be null");
    }
    check_bucket(&mut c, bucket, "s3BucketSource.s3Bucket");
    check_prefix(&mut c, prefix, "s3BucketSource.s3KeyPrefix");
    let format = enum_member(
        &mut c,
        format,
        "inputFormat",
        &["DYNAMODB_JSON", "ION", "CSV"],
    );
    let compression = enum_member(
        &mut c,
        compression,
        "inputCompressionType",
        &["ZSTD", "NONE", "GZIP"],
    );
    let options = p.object("InputFormatOptions")?;
    let csv = options.and_then(|o| o.get("Csv")).filter(|v| !v.is_null());
    let mut csv_options = None;
    if let Some(csv) = csv {
        let cp = Params::new(csv)?;
        let delimiter = cp.str("Delimiter")?;
        if let Some(d) = delimiter {
            let mut chars = d.chars();
            let one = chars.next().filter(|_| chars.next().is_none());
            if !one.is_some_and(|ch| DELIMITERS.contains(&ch)) {
                c.fail(
                    Some(d),
                    "inputFormatOptions.csv.delimiter",
                    "Member must satisfy regular expression pattern: [,;:|\\t ]",
                );
            }
        }
        let header =
            match cp.array("HeaderList")? {
                Some(list) => {
                    if list.is_empty() || list.len() > 255 {
                        c.fail(
                            None,
                            "inputFormatOptions.csv.headerList",
                            if list.is_empty() {
                                "Member must have length greater than or equal to 1"
                            } else {
                                "Member must have length less than or equal to 255"
                            },
                        );
                    }
                    let names: Option<Vec<String>> =
                        list.iter().map(|v| v.as_str().map(str::to_owned)).collect();
                    Some(names.ok_or_else(|| {
                        ApiError::serialization("Unexpected value type in payload")
                    })?)
                }
                None => None,
            };
        csv_options = Some(CsvOptions {
            delimiter: delimiter.and_then(|d| d.chars().next()),
            header,
        });
    }
    c.check()?;
    let format = format
        .and_then(InputFormat::parse)
        .unwrap_or(InputFormat::DynamodbJson);
    if csv_options.is_some() && format != InputFormat::Csv {
        return Err(ApiError::validation(format!(
            "Invalid Request: Unsupported InputFormatOptions for the given input format: {}.",
            format.as_str()
        )));
    }
    let creation = p
        .raw("TableCreationParameters")
        .cloned()
        .unwrap_or(Value::Null);
    let create = super::tables::create_table(&Params::new(&creation)?, now_ms)?;
    Ok(ImportRequest {
        client_token: token.map(str::to_owned),
        source: ImportSource {
            root: None,
            bucket: bucket.unwrap_or_default().to_owned(),
            owner: owner.map(str::to_owned),
            key_prefix: prefix.map(str::to_owned),
            format,
            csv: csv_options,
            compression: compression
                .and_then(Compression::parse)
                .unwrap_or(Compression::None),
        },
        creation,
        create: Box::new(create),
    })
}
