//! Exports and imports as objects speak of them: the catalog's records of both, their ids
//! and ARNs, where their objects are, and the two AWS manifests an export leaves.
//!
//! An S3 bucket named by a request is a key prefix of the object store,
//! `buckets/<bucket>/`: natively a directory under the object store (or, with an S3 object
//! store, that bucket at the same endpoint), on the Worker a prefix of R2. Under it, an
//! export is laid out as AWS lays it out:
//! `<S3Prefix>/AWSDynamoDB/<ExportId>/{_started, manifest-summary.json, manifest-summary.md5,
//! manifest-files.json, manifest-files.md5, data/<name>.json.gz | .ion.gz}`.

use serde::{Deserialize, Serialize};

pub use crate::formats::compression::Compression;

use crate::api::ids::TableId;
use crate::error::{ApiError, ErrorKind};

/// The object-store key of `key` in bucket `bucket`.
pub fn bucket_key(bucket: &str, key: &str) -> String {
    format!("buckets/{bucket}/{key}")
}

/// Where the buckets of an account other than the host's configured one live, so that no
/// account reads or writes another's bucket of the same name.
pub fn account_bucket_root(account: &str, bucket: &str) -> String {
    format!("accounts/{account}/buckets/{bucket}/")
}

fn key_in(root: &Option<String>, bucket: &str, key: &str) -> String {
    match root {
        Some(r) => format!("{r}{key}"),
        None => bucket_key(bucket, key),
    }
}

/// `<ms:014>-<hex:8>`, the shape of AWS's export and import ids.
pub fn mint_job_id(now_ms: i64, entropy: u64) -> String {
    format!("{:014}-{:08x}", now_ms.max(0), entropy as u32)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobStatus {
    InProgress,
    Completed,
    Failed,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::InProgress => "IN_PROGRESS",
            JobStatus::Completed => "COMPLETED",
            JobStatus::Failed => "FAILED",
        }
    }

    /// A status only moves forward: IN_PROGRESS → COMPLETED or FAILED.
    pub fn rank(self) -> u8 {
        match self {
            JobStatus::InProgress => 0,
            JobStatus::Completed | JobStatus::Failed => 1,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExportFormat {
    DynamodbJson,
    Ion,
}

impl ExportFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::DynamodbJson => "DYNAMODB_JSON",
            ExportFormat::Ion => "ION",
        }
    }

    pub fn parse(s: &str) -> Option<ExportFormat> {
        Some(match s {
            "DYNAMODB_JSON" => ExportFormat::DynamodbJson,
            "ION" => ExportFormat::Ion,
            _ => return None,
        })
    }

    /// The data files' extension.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::DynamodbJson => "json.gz",
            ExportFormat::Ion => "ion.gz",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExportView {
    NewImage,
    NewAndOldImages,
}

impl ExportView {
    pub fn as_str(self) -> &'static str {
        match self {
            ExportView::NewImage => "NEW_IMAGE",
            ExportView::NewAndOldImages => "NEW_AND_OLD_IMAGES",
        }
    }
}

/// FULL_EXPORT at a time, or INCREMENTAL_EXPORT of a window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExportKind {
    Full {
        at_ms: i64,
    },
    Incremental {
        from_ms: i64,
        to_ms: i64,
        view: ExportView,
    },
}

/// Where an export's objects go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportTarget {
    pub bucket: String,
    /// The object-store prefix standing for the bucket when it is not `buckets/<bucket>/`
    /// ([`account_bucket_root`]).
    #[serde(default)]
    pub root: Option<String>,
    pub owner: Option<String>,
    pub prefix: Option<String>,
    pub sse_algorithm: Option<String>,
    pub kms_key: Option<String>,
}

impl ExportTarget {
    /// The object-store key of `key` in the bucket.
    pub fn key(&self, key: &str) -> String {
        key_in(&self.root, &self.bucket, key)
    }
}

/// What the catalog knows of an export (DescribeExport, ListExports) and what its table
/// object needs to write it again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportRecord {
    pub account: String,
    pub arn: String,
    pub table_arn: String,
    pub table_name: String,
    pub table_id: TableId,
    pub status: JobStatus,
    pub start_ms: i64,
    pub end_ms: Option<i64>,
    pub client_token: Option<String>,
    pub target: ExportTarget,
    pub format: ExportFormat,
    pub kind: ExportKind,
    /// Where the export starts reading the log (`start_lsn + 1` on): a position at or before
    /// its cut, which is a time (ExportTime; ExportFromTime) — records up to the cut are
    /// skipped. Records trimmed from the local log are read from the archive.
    pub start_lsn: u64,
    pub item_count: u64,
    pub billed_size_bytes: u64,
    pub failure: Option<(String, String)>,
}

impl ExportRecord {
    pub fn id(&self) -> &str {
        job_id(&self.arn)
    }

    /// `<S3Prefix>/AWSDynamoDB/<ExportId>/` within the bucket.
    pub fn dir(&self) -> String {
        match self.target.prefix.as_deref().map(|p| p.trim_matches('/')) {
            Some(p) if !p.is_empty() => format!("{p}/AWSDynamoDB/{}/", self.id()),
            _ => format!("AWSDynamoDB/{}/", self.id()),
        }
    }

    /// Where the data files go within the bucket: a full export's under its directory;
    /// incremental exports share `<S3Prefix>/AWSDynamoDB/data/`, as AWS lays them out (their
    /// manifest names each export's files).
    pub fn data_dir(&self) -> String {
        match self.kind {
            ExportKind::Full { .. } => format!("{}data/", self.dir()),
            ExportKind::Incremental { .. } => {
                let dir = self.dir();
                let root = dir.trim_end_matches('/').trim_end_matches(self.id());
                format!("{root}data/")
            }
        }
    }

    /// The object-store key of `name` in the export's directory.
    pub fn key(&self, name: &str) -> String {
        self.target.key(&format!("{}{name}", self.dir()))
    }

    /// The manifest-summary key within the bucket (ExportManifest).
    pub fn manifest_summary(&self) -> String {
        format!("{}manifest-summary.json", self.dir())
    }

    /// Whether a request with the same ClientToken asks for the same export.
    pub fn same_request(&self, other: &ExportRecord) -> bool {
        self.table_arn == other.table_arn
            && self.target == other.target
            && self.format == other.format
            && match (&self.kind, &other.kind) {
                // Without ExportTime the export is of "now": a retry names another now.
                (ExportKind::Full { .. }, ExportKind::Full { .. }) => true,
                (a, b) => a == b,
            }
    }
}

/// The id at the end of an export or import ARN.
pub fn job_id(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

pub fn export_arn(table_arn: &str, id: &str) -> String {
    format!("{table_arn}/export/{id}")
}

pub fn import_arn(table_arn: &str, id: &str) -> String {
    format!("{table_arn}/import/{id}")
}

/// `arn:aws:dynamodb:<region>:<account>:table/<name>/export/<id>`.
pub fn is_export_arn(arn: &str) -> bool {
    job_arn_table(arn, "export").is_some()
}

pub fn is_import_arn(arn: &str) -> bool {
    job_arn_table(arn, "import").is_some()
}

fn job_arn_table<'a>(arn: &'a str, kind: &str) -> Option<&'a str> {
    let rest = arn.strip_prefix("arn:")?;
    let parts: Vec<&str> = rest.splitn(5, ':').collect();
    if parts.len() != 5 || parts[1] != "dynamodb" {
        return None;
    }
    let res: Vec<&str> = parts[4].split('/').collect();
    (res.len() == 4
        && res[0] == "table"
        && !res[1].is_empty()
        && res[2] == kind
        && !res[3].is_empty())
    .then_some(res[1])
}

pub fn export_not_found(arn: &str) -> ApiError {
    ApiError::new(
        ErrorKind::ExportNotFound,
        format!("Export not found: {arn}"),
    )
}

pub fn import_not_found(arn: &str) -> ApiError {
    ApiError::new(
        ErrorKind::ImportNotFound,
        format!("Import not found: {arn}"),
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InputFormat {
    DynamodbJson,
    Ion,
    Csv,
}

impl InputFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            InputFormat::DynamodbJson => "DYNAMODB_JSON",
            InputFormat::Ion => "ION",
            InputFormat::Csv => "CSV",
        }
    }

    pub fn parse(s: &str) -> Option<InputFormat> {
        Some(match s {
            "DYNAMODB_JSON" => InputFormat::DynamodbJson,
            "ION" => InputFormat::Ion,
            "CSV" => InputFormat::Csv,
            _ => return None,
        })
    }
}

/// CsvOptions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsvOptions {
    pub delimiter: Option<char>,
    pub header: Option<Vec<String>>,
}

/// What an import reads, as the request named it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportSource {
    pub bucket: String,
    /// As [`ExportTarget::root`].
    #[serde(default)]
    pub root: Option<String>,
    pub owner: Option<String>,
    pub key_prefix: Option<String>,
    pub format: InputFormat,
    pub csv: Option<CsvOptions>,
    pub compression: Compression,
}

impl ImportSource {
    /// The object-store prefix of the objects read (one object, or every one under it).
    pub fn store_prefix(&self) -> String {
        self.key(self.key_prefix.as_deref().unwrap_or(""))
    }

    /// The object-store key of `key` in the bucket.
    pub fn key(&self, key: &str) -> String {
        key_in(&self.root, &self.bucket, key)
    }
}

/// What the catalog knows of an import (DescribeImport, ListImports). The table object
/// that imports keeps the import's progress in its schema and reports its end here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRecord {
    pub account: String,
    pub arn: String,
    pub table_arn: String,
    pub table_id: TableId,
    pub status: JobStatus,
    pub start_ms: i64,
    pub end_ms: Option<i64>,
    pub client_token: Option<String>,
    pub source: ImportSource,
    /// TableCreationParameters as the request gave them, as JSON (echoed by DescribeImport).
    pub creation: String,
    pub table_name: String,
    pub processed_bytes: u64,
    pub processed_items: u64,
    pub imported_items: u64,
    pub errors: u64,
    pub failure: Option<(String, String)>,
}
