//! Backups and point-in-time recovery as objects speak of them: the catalog's backup records,
//! the manifest a backup leaves in the object store, object keys and backup ARNs, and what a
//! table answers about its recovery window.
//!
//! A backup is two objects under `backups/<backup id>/`: `snapshot.snp`
//! (the table's items and schema at one LSN, `extenddo_log::snapshot`) and `manifest.json`
//! (written last: a backup without its manifest is not a backup). Both formats are in
//! docs/log-format.md; either host restores what the other wrote: a backup its catalog does
//! not know is found by its ARN's backup id in the object store.

use extenddo_projections::schema::Pitr;
use extenddo_projections::TableSchema;
use serde::{Deserialize, Serialize};

use crate::api::ids::TableId;
use crate::error::{ApiError, ErrorKind};

pub const MANIFEST_FORMAT: &str = "extenddo-backup";
pub const MANIFEST_VERSION: u32 = 1;

/// The longest RecoveryPeriodInDays (and the default).
pub const MAX_RECOVERY_DAYS: u32 = 35;
pub const DAY_MS: i64 = 86_400_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BackupStatus {
    Creating,
    Available,
    Deleted,
}

impl BackupStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BackupStatus::Creating => "CREATING",
            BackupStatus::Available => "AVAILABLE",
            BackupStatus::Deleted => "DELETED",
        }
    }

    pub fn parse(s: &str) -> Option<BackupStatus> {
        Some(match s {
            "CREATING" => BackupStatus::Creating,
            "AVAILABLE" => BackupStatus::Available,
            "DELETED" => BackupStatus::Deleted,
            _ => return None,
        })
    }
}

/// What the catalog knows of a backup (DescribeBackup, ListBackups, restores).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupRecord {
    pub account: String,
    pub arn: String,
    pub name: String,
    pub table_name: String,
    pub table_id: TableId,
    pub table_arn: String,
    pub status: BackupStatus,
    pub created_ms: i64,
    pub size_bytes: i64,
    pub item_count: i64,
    /// The table's schema as the backup holds it.
    pub schema: TableSchema,
    /// The LSN of the table's log the backup is consistent at.
    pub lsn: u64,
}

impl BackupRecord {
    pub fn manifest_key(&self) -> String {
        manifest_key(backup_id(&self.arn))
    }

    pub fn snapshot_key(&self) -> String {
        backup_snapshot_key(backup_id(&self.arn))
    }

    /// The record of a backup found in the object store (taken by another host).
    pub fn from_manifest(account: &str, m: &Manifest) -> BackupRecord {
        BackupRecord {
            account: account.to_owned(),
            arn: m.backup_arn.clone(),
            name: m.backup_name.clone(),
            table_name: m.table_name.clone(),
            table_id: TableId(m.table_id.clone()),
            table_arn: m.table_arn.clone(),
            status: BackupStatus::Available,
            created_ms: m.created_ms,
            size_bytes: m.table_size_bytes,
            item_count: m.item_count as i64,
            schema: m.schema.clone(),
            lsn: m.lsn,
        }
    }
}

/// The manifest of a backup, as stored (JSON, camelCase). The snapshot's own header and
/// checksums guard its bytes; the manifest names its size and crc32 as well, so that a
/// truncated or swapped snapshot is refused before it is opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Manifest {
    pub format: String,
    pub version: u32,
    pub backup_arn: String,
    pub backup_name: String,
    pub created_ms: i64,
    pub table_name: String,
    pub table_id: String,
    pub table_arn: String,
    pub lsn: u64,
    pub item_count: u64,
    pub table_size_bytes: i64,
    pub snapshot_key: String,
    pub snapshot_bytes: u64,
    pub snapshot_crc32: u32,
    pub schema: TableSchema,
}

impl Manifest {
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).expect("a manifest always serializes")
    }

    /// Parses and checks a stored manifest.
    pub fn parse(key: &str, bytes: &[u8]) -> Result<Manifest, String> {
        let m: Manifest = serde_json::from_slice(bytes)
            .map_err(|e| format!("backup manifest {key} is not valid: {e}"))?;
        if m.format != MANIFEST_FORMAT || m.version != MANIFEST_VERSION {
            return Err(format!(
                "backup manifest {key}: format {} version {} is not {MANIFEST_FORMAT} version {MANIFEST_VERSION}",
                m.format, m.version
            ));
        }
        Ok(m)
    }

    /// Checks the snapshot's bytes against what the manifest says of them.
    pub fn check_snapshot(&self, bytes: &[u8]) -> Result<(), String> {
        if bytes.len() as u64 != self.snapshot_bytes {
            return Err(format!(
                "snapshot {}: {} bytes, the manifest says {}",
                self.snapshot_key,
                bytes.len(),
                self.snapshot_bytes
            ));
        }
        let crc = crc32fast::hash(bytes);
        if crc != self.snapshot_crc32 {
            return Err(format!(
                "snapshot {}: crc32 {crc:08x}, the manifest says {:08x}",
                self.snapshot_key, self.snapshot_crc32
            ));
        }
        Ok(())
    }
}

pub fn backup_not_found(arn: &str) -> ApiError {
    ApiError::new(
        ErrorKind::BackupNotFound,
        format!("Backup not found: {arn}"),
    )
}

/// A backup still being created can be neither deleted nor restored.
pub fn backup_in_use(arn: &str) -> ApiError {
    ApiError::new(
        ErrorKind::BackupInUse,
        format!("Backup is being created: {arn}"),
    )
}

/// `<14-digit ms>-<8 hex digits>`, as AWS's backup ARNs end.
pub fn mint_backup_id(now_ms: i64, entropy: u64) -> String {
    format!("{:014}-{:08x}", now_ms.max(0), (entropy >> 16) as u32)
}

pub fn backup_arn(region: &str, account: &str, table: &str, backup_id: &str) -> String {
    format!("arn:aws:dynamodb:{region}:{account}:table/{table}/backup/{backup_id}")
}

/// The backup id at the end of a backup ARN (the whole string if it has none).
pub fn backup_id(arn: &str) -> &str {
    arn.rsplit_once("/backup/").map_or(arn, |(_, id)| id)
}

/// Whether `arn` has the shape `arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/backup/ID`.
pub fn is_backup_arn(arn: &str) -> bool {
    crate::api::streams::table_resource(arn)
        .and_then(|r| r.split_once("/backup/"))
        .is_some_and(|(name, id)| {
            !name.is_empty() && !id.contains('/') && crate::api::store::valid_key(id)
        })
}

/// Where a backup's manifest is (backup ids are unique: time and entropy).
pub fn manifest_key(backup_id: &str) -> String {
    format!("backups/{backup_id}/manifest.json")
}

pub fn backup_snapshot_key(backup_id: &str) -> String {
    format!("backups/{backup_id}/snapshot.snp")
}

/// A periodic snapshot of a table's log (zero-padded: key order is LSN order).
pub fn log_snapshot_key(table_id: &str, lsn: u64) -> String {
    format!("tables/{table_id}/snapshots/{lsn:020}.snp")
}

/// A table's answer about its continuous backups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContinuousBackups {
    pub pitr: Option<Pitr>,
    /// The recovery window (ms), when PITR is on.
    pub earliest_ms: i64,
    pub latest_ms: i64,
}

/// A source table's answer to a point-in-time restore: the instant, and the table as the
/// restored one starts from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PitrPoint {
    pub at_ms: i64,
    pub schema: TableSchema,
}

/// What a restored table reads from the object store to rebuild the source at a time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestorePlan {
    /// Every record up to the instant is in the object store. If not, the source has begun
    /// archiving the rest: ask again a little later.
    pub ready: bool,
    /// Snapshots: (LSN, time of that record, key), in LSN order.
    pub snapshots: Vec<(u64, i64, String)>,
    /// Segments: (first LSN, last LSN, key), in LSN order.
    pub segments: Vec<(u64, u64, String)>,
}

/// The recovery window of a table with PITR on, at `now_ms`: (earliest, latest).
pub fn window(p: &Pitr, now_ms: i64, deleted_ms: Option<i64>) -> (i64, i64) {
    let latest = deleted_ms.unwrap_or(now_ms);
    let earliest = p
        .since_ms
        .max(now_ms - i64::from(p.recovery_days) * DAY_MS)
        .min(latest);
    (earliest, latest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_and_keys() {
        let id = mint_backup_id(1_733_300_000_123, 0xdead_beef_cafe_f00d);
        assert_eq!(id, "01733300000123-beefcafe");
        let arn = backup_arn("us-east-1", "000000000000", "Music", &id);
        assert_eq!(
            arn,
            "arn:aws:dynamodb:us-east-1:000000000000:table/Music/backup/01733300000123-beefcafe"
        );
        assert!(is_backup_arn(&arn));
        assert_eq!(backup_id(&arn), id);
        for bad in [
            "",
            "arn:aws:dynamodb:us-east-1:000000000000:table/Music",
            "arn:aws:dynamodb:us-east-1:000000000000:table/Music/backup/",
            "arn:aws:s3:us-east-1:000000000000:table/Music/backup/x",
            "arn:aws:dynamodb:us-east-1:000000000000:table/Music/backup/a/../b",
        ] {
            assert!(!is_backup_arn(bad), "{bad}");
        }
        assert_eq!(
            manifest_key(&id),
            "backups/01733300000123-beefcafe/manifest.json"
        );
        assert_eq!(
            log_snapshot_key("t", 42),
            "tables/t/snapshots/00000000000000000042.snp"
        );
    }

    #[test]
    fn the_window_starts_at_enabling_and_reaches_back_at_most_the_period() {
        let p = Pitr {
            since_ms: 1000,
            recovery_days: 1,
        };
        assert_eq!(window(&p, 5000, None), (1000, 5000));
        assert_eq!(window(&p, 3 * DAY_MS, None), (2 * DAY_MS, 3 * DAY_MS));
        assert_eq!(window(&p, 5000, Some(4000)), (1000, 4000));
    }
}
