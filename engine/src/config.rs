//! What a host tells the engine about where it runs.

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Config {
    pub region: String,
    pub account_id: String,
    /// How long after its expiry time an expired item is deleted by the TTL sweeper (ms).
    /// 0 deletes it at its expiry time (give or take the host's timer); DynamoDB itself
    /// takes up to a few days.
    #[serde(default)]
    pub ttl_sweep_delay_ms: i64,
    /// An open stream shard that holds records is closed, and a child shard opened, once it
    /// is this old (ms). DynamoDB rolls shards over about every four hours.
    #[serde(default = "default_rollover")]
    pub stream_shard_rollover_ms: i64,
    /// Items indexed per background backfill step of a new global secondary index: small
    /// enough that writes flow between steps.
    #[serde(default = "default_backfill_chunk")]
    pub backfill_chunk: usize,
    /// How long a deleted table keeps its storage (ms): its streams stay readable this
    /// long, as DynamoDB keeps a deleted table's stream for 24 hours.
    #[serde(default = "default_retention")]
    pub deleted_table_retention_ms: i64,
    /// A transaction over several tables that has not been decided this long after it
    /// began (ms) is aborted by its coordinator; a table holding a prepared transaction this
    /// long asks the coordinator for the outcome.
    #[serde(default = "default_tx_recovery")]
    pub tx_recovery_ms: i64,
    /// Log archiving: once this many records are not yet in the object store, a table seals
    /// them into a segment and uploads it (at most `MAX_SEGMENT_RECORDS` per segment).
    /// 0 turns archiving off.
    #[serde(default)]
    pub archive_records: u64,
    /// A table whose log is archived writes a snapshot to the object store once this many
    /// records were archived since its last one (0: never).
    #[serde(default = "default_snapshot_records")]
    pub snapshot_records: u64,
    /// Archived records older than this (ms), behind a stored snapshot, are trimmed from the
    /// local log. Streams read records this young, so it is at least their 24 hours by
    /// default.
    #[serde(default = "default_retention")]
    pub log_retention_ms: i64,
    /// The shortest window of an incremental export (AWS: 15 minutes; tests shorten it).
    #[serde(default = "default_incremental_min")]
    pub incremental_export_min_ms: i64,
    /// Items an export or import step reads (and an export's data file holds).
    #[serde(default = "default_transfer_chunk")]
    pub transfer_chunk: usize,
    /// Who may call: SigV4 against stored keys and IAM policies, or any credentials.
    #[serde(default)]
    pub auth: AuthConfig,
}

/// A configured secret: never shown by `Debug`.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct AuthConfig {
    /// Verify every DynamoDB request's SigV4 signature against stored access keys and
    /// evaluate the caller's policies. Off, any SigV4-shaped credentials act in
    /// `Config::account_id` with every permission (as DynamoDB Local).
    #[serde(default)]
    pub enforce: bool,
    /// The bootstrap admin (`EXTENDDO_ADMIN_USER` / `EXTENDDO_ADMIN_PASSWORD`): valid for
    /// the management API until an admin is stored.
    #[serde(default)]
    pub bootstrap_admin: Option<(String, Secret)>,
    /// The secret that secret access keys are sealed under (`EXTENDDO_KEY_ENCRYPTION_KEY`,
    /// natively a key file). Without it no access key can be created or used.
    #[serde(default)]
    pub key_encryption_secret: Option<Secret>,
    /// How long a host trusts what it looked up (an access key and its policies, a
    /// verified password) before asking the identity object again (ms). Changes made
    /// through the same host take effect at once.
    #[serde(default = "default_auth_cache")]
    pub cache_ms: i64,
    /// An in-process operator credential (`Basic operator:<token>`) the native CLI's
    /// `extenddo admin` uses on a data directory it has opened itself; never set by a
    /// server.
    #[serde(default)]
    pub local_operator: Option<Secret>,
}

fn default_auth_cache() -> i64 {
    30_000
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            enforce: false,
            bootstrap_admin: None,
            key_encryption_secret: None,
            cache_ms: default_auth_cache(),
            local_operator: None,
        }
    }
}

fn default_transfer_chunk() -> usize {
    10_000
}

/// AWS's shortest incremental export window, and its longest.
pub const INCREMENTAL_EXPORT_MIN_MS: i64 = 15 * 60 * 1000;
pub const INCREMENTAL_EXPORT_MAX_MS: i64 = 24 * 3600 * 1000;

fn default_incremental_min() -> i64 {
    INCREMENTAL_EXPORT_MIN_MS
}

/// A table with point-in-time recovery on archives its log in segments of about this many
/// records when archiving is not configured otherwise.
pub const PITR_ARCHIVE_RECORDS: u64 = 1000;

fn default_snapshot_records() -> u64 {
    100_000
}

/// Five seconds.
pub const DEFAULT_TX_RECOVERY_MS: i64 = 5000;

fn default_tx_recovery() -> i64 {
    DEFAULT_TX_RECOVERY_MS
}

/// Stream records older than this are trimmed (not returned, not addressable); a deleted
/// table's streams stay readable this long after the deletion.
pub const STREAM_RETENTION_MS: i64 = 24 * 3600 * 1000;

fn default_retention() -> i64 {
    STREAM_RETENTION_MS
}

fn default_backfill_chunk() -> usize {
    512
}

/// Four hours.
pub const DEFAULT_STREAM_SHARD_ROLLOVER_MS: i64 = 4 * 3600 * 1000;

fn default_rollover() -> i64 {
    DEFAULT_STREAM_SHARD_ROLLOVER_MS
}

impl Default for Config {
    fn default() -> Self {
        Config {
            region: "us-east-1".into(),
            account_id: "000000000000".into(),
            ttl_sweep_delay_ms: 0,
            stream_shard_rollover_ms: DEFAULT_STREAM_SHARD_ROLLOVER_MS,
            backfill_chunk: default_backfill_chunk(),
            deleted_table_retention_ms: default_retention(),
            tx_recovery_ms: DEFAULT_TX_RECOVERY_MS,
            archive_records: 0,
            snapshot_records: default_snapshot_records(),
            log_retention_ms: default_retention(),
            incremental_export_min_ms: INCREMENTAL_EXPORT_MIN_MS,
            transfer_chunk: default_transfer_chunk(),
            auth: AuthConfig::default(),
        }
    }
}
