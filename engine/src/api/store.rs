//! The object-store port: what an object may ask its host to do with bytes kept outside its
//! own SQLite (sealed log segments now; snapshots and backups next). Natively a directory
//! under the data dir; on Cloudflare the R2 bucket bound as `BUCKET`. Keys are
//! `/`-separated paths; writes replace whole objects.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StoreRequest {
    /// Store `bytes` under `key` (replacing what was there), durably.
    Put {
        key: String,
        bytes: Vec<u8>,
    },
    Get {
        key: String,
    },
    /// Every key that starts with `prefix`, with its size, in key order.
    List {
        prefix: String,
    },
    /// Delete `key` (nothing to delete is not an error).
    Delete {
        key: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StoreReply {
    Stored,
    Got(Option<Vec<u8>>),
    Listed(Vec<(String, u64)>),
    Deleted,
}

/// An object store in memory (the in-memory hosts): keys in order, so a listing is a range.
pub type MemoryStore = std::collections::BTreeMap<String, Vec<u8>>;

/// Carries out a request on a [`MemoryStore`].
pub fn in_memory(store: &mut MemoryStore, request: StoreRequest) -> StoreReply {
    match request {
        StoreRequest::Put { key, bytes } => {
            store.insert(key, bytes);
            StoreReply::Stored
        }
        StoreRequest::Get { key } => StoreReply::Got(store.get(&key).cloned()),
        StoreRequest::List { prefix } => StoreReply::Listed(
            store
                .range(prefix.clone()..)
                .take_while(|(k, _)| k.starts_with(&prefix))
                .map(|(k, v)| (k.clone(), v.len() as u64))
                .collect(),
        ),
        StoreRequest::Delete { key } => {
            store.remove(&key);
            StoreReply::Deleted
        }
    }
}

/// The key of a table's sealed log segment `first ..= last` (zero-padded, so that key order
/// is LSN order).
pub fn segment_key(table_id: &str, first: u64, last: u64) -> String {
    format!("tables/{table_id}/log/{first:020}-{last:020}.seg")
}

/// Where a table's sealed segments are.
pub fn segment_prefix(table_id: &str) -> String {
    format!("tables/{table_id}/log/")
}

/// A key is a relative `/`-separated path of non-empty segments, none `.` or `..`, without
/// control characters or backslashes: safe as a file path under a directory and as an R2 or
/// S3 key. (The engine's own keys use `[A-Za-z0-9._-]`; the keys of exports and imports
/// carry the S3 prefixes users give.)
pub fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 1100
        && key.split('/').all(|part| {
            !part.is_empty()
                && part != "."
                && part != ".."
                && !part.chars().any(|c| c.is_control() || c == '\\')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        let k = segment_key("0b6b0e0e-6a4e-4c1e-a8f1-3c2d1e0f9a8b", 1, 300);
        assert_eq!(
            k,
            "tables/0b6b0e0e-6a4e-4c1e-a8f1-3c2d1e0f9a8b/log/00000000000000000001-00000000000000000300.seg"
        );
        assert!(valid_key(&k));
        assert!(k.starts_with(&segment_prefix("0b6b0e0e-6a4e-4c1e-a8f1-3c2d1e0f9a8b")));
        for bad in ["", "/a", "a/", "a//b", "a/../b", "..", "a\nb", "a\\b"] {
            assert!(!valid_key(bad), "{bad:?}");
        }
    }
}
