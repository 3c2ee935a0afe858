//! A table's DynamoDB Streams state, as kept in its [`TableSchema`](crate::TableSchema).
//!
//! Stream records are not a projection of their own: they are a *view* of the log. What the
//! schema holds is the shape of that view — which streams the table has had, which view type
//! each one promises, and which spans of LSNs each shard covers. It changes only through
//! logged `TableCreated` / `TableUpdated` events, so replaying the log reproduces it exactly.

use serde::{Deserialize, Serialize};

/// What a stream record carries besides the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StreamViewType {
    KeysOnly,
    NewImage,
    OldImage,
    NewAndOldImages,
}

impl StreamViewType {
    pub fn as_str(self) -> &'static str {
        match self {
            StreamViewType::KeysOnly => "KEYS_ONLY",
            StreamViewType::NewImage => "NEW_IMAGE",
            StreamViewType::OldImage => "OLD_IMAGE",
            StreamViewType::NewAndOldImages => "NEW_AND_OLD_IMAGES",
        }
    }

    pub fn parse(s: &str) -> Option<StreamViewType> {
        Some(match s {
            "KEYS_ONLY" => StreamViewType::KeysOnly,
            "NEW_IMAGE" => StreamViewType::NewImage,
            "OLD_IMAGE" => StreamViewType::OldImage,
            "NEW_AND_OLD_IMAGES" => StreamViewType::NewAndOldImages,
            _ => return None,
        })
    }

    pub fn new_image(self) -> bool {
        matches!(
            self,
            StreamViewType::NewImage | StreamViewType::NewAndOldImages
        )
    }

    pub fn old_image(self) -> bool {
        matches!(
            self,
            StreamViewType::OldImage | StreamViewType::NewAndOldImages
        )
    }
}

/// A shard: the item events of the log whose LSN lies in `first_lsn ..= last_lsn`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardState {
    pub id: String,
    #[serde(default)]
    pub parent: Option<String>,
    /// The first LSN of the shard: the one after the record that opened it.
    pub first_lsn: u64,
    /// The last LSN of a closed shard (the one before the record that closed it).
    #[serde(default)]
    pub last_lsn: Option<u64>,
    pub created_ms: i64,
    #[serde(default)]
    pub closed_ms: Option<i64>,
}

/// One stream of a table (a new one each time streaming is enabled).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamState {
    /// `2026-11-27T14:00:00.123`: the stream's label, derived from `created_ms`.
    pub label: String,
    pub created_ms: i64,
    pub view_type: StreamViewType,
    /// Shards in creation order; the last one is open while the stream is enabled.
    pub shards: Vec<ShardState>,
    /// When the stream was disabled (`None`: enabled).
    #[serde(default)]
    pub disabled_ms: Option<i64>,
}

impl ShardState {
    /// Closes the shard by the record logged as `lsn`: it ends at the LSN before.
    pub fn close(&mut self, lsn: u64, now_ms: i64) {
        if self.last_lsn.is_none() {
            self.last_lsn = Some(lsn.saturating_sub(1));
            self.closed_ms = Some(now_ms);
        }
    }
}

impl StreamState {
    pub fn enabled(&self) -> bool {
        self.disabled_ms.is_none()
    }

    /// Disables the stream by the record logged as `lsn`, closing its open shard.
    pub fn disable(&mut self, lsn: u64, now_ms: i64) {
        if let Some(sh) = self.shards.last_mut() {
            sh.close(lsn, now_ms);
        }
        if self.disabled_ms.is_none() {
            self.disabled_ms = Some(now_ms);
        }
    }

    pub fn open_shard(&self) -> Option<&ShardState> {
        self.shards.last().filter(|s| s.last_lsn.is_none())
    }

    pub fn shard(&self, id: &str) -> Option<&ShardState> {
        self.shards.iter().find(|s| s.id == id)
    }
}

/// The table's streams, oldest first. Streams and shards that ended more than the retention
/// period before a stream change are pruned when the next change is logged; the latest
/// stream is always kept (DescribeTable reports it as LatestStreamArn).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Streams {
    pub streams: Vec<StreamState>,
}

impl Streams {
    pub fn latest(&self) -> Option<&StreamState> {
        self.streams.last()
    }

    /// The enabled stream, if any (only the latest can be).
    pub fn enabled(&self) -> Option<&StreamState> {
        self.latest().filter(|s| s.enabled())
    }

    pub fn by_label(&self, label: &str) -> Option<&StreamState> {
        self.streams.iter().find(|s| s.label == label)
    }

    /// Disables the enabled stream, if any, by the record logged as `lsn`.
    pub fn disable_enabled(&mut self, lsn: u64, now_ms: i64) {
        if let Some(st) = self.streams.last_mut().filter(|st| st.enabled()) {
            st.disable(lsn, now_ms);
        }
    }
}

/// Time to live: items whose `attribute` is a number (epoch seconds) expire then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TtlState {
    pub attribute: String,
}
