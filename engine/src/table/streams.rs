//! A table's streams as its schema records them: opening a stream (CreateTable,
//! UpdateTable), closing it, rolling its open shard over, and forgetting what has aged out.
//! Each change is part of a logged schema, so replay reproduces it.

use extenddo_projections::streams::{ShardState, StreamState, StreamViewType, Streams};
use extenddo_projections::TableSchema;

use crate::api::streams::RETENTION_MS;
use crate::api::time;

/// `shardId-<20-digit creation ms>-<8 hex>`, as AWS's shard ids look.
fn shard_id(table_id: &str, label: &str, first_lsn: u64, created_ms: i64) -> String {
    let mut h = crc32fast::Hasher::new();
    h.update(table_id.as_bytes());
    h.update(label.as_bytes());
    h.update(&first_lsn.to_le_bytes());
    format!("shardId-{:020}-{:08x}", created_ms.max(0), h.finalize())
}

/// A shard opened by the record logged as `lsn`: it starts at the LSN after.
pub(crate) fn new_shard(
    table_id: &str,
    label: &str,
    parent: Option<String>,
    lsn: u64,
    now_ms: i64,
) -> ShardState {
    ShardState {
        id: shard_id(table_id, label, lsn + 1, now_ms),
        parent,
        first_lsn: lsn + 1,
        last_lsn: None,
        created_ms: now_ms,
        closed_ms: None,
    }
}

/// Opens a new stream, by the schema record that will be logged as `lsn`. Its first shard's
/// parent is the table's last shard, if any.
pub(crate) fn open(s: &mut TableSchema, view: StreamViewType, lsn: u64, now_ms: i64) {
    let table_id = s.id.clone();
    let streams = s.stream.get_or_insert_with(Streams::default);
    let parent = streams
        .latest()
        .and_then(|st| st.shards.last())
        .map(|sh| sh.id.clone());
    // Labels must differ from every earlier one's.
    let created_ms = streams
        .latest()
        .map_or(now_ms, |l| now_ms.max(l.created_ms + 1));
    let label = time::iso_label(created_ms);
    let shard = new_shard(&table_id, &label, parent, lsn, now_ms);
    streams.streams.push(StreamState {
        label,
        created_ms,
        view_type: view,
        shards: vec![shard],
        disabled_ms: None,
    });
    prune(streams, now_ms);
}

/// Disables the enabled stream, by the schema record that will be logged as `lsn`.
pub(crate) fn close(s: &mut TableSchema, lsn: u64, now_ms: i64) {
    if let Some(streams) = s.stream.as_mut() {
        streams.disable_enabled(lsn, now_ms);
        prune(streams, now_ms);
    }
}

/// Forgets shards closed, and streams disabled, longer ago than the retention period (they
/// are invisible anyway); the latest stream is kept for DescribeTable.
pub(crate) fn prune(streams: &mut Streams, now_ms: i64) {
    let horizon = now_ms - RETENTION_MS;
    let n = streams.streams.len();
    let mut i = 0;
    streams.streams.retain(|st| {
        i += 1;
        i == n || st.disabled_ms.is_none_or(|d| d >= horizon)
    });
    for st in &mut streams.streams {
        st.shards
            .retain(|sh| sh.closed_ms.is_none_or(|c| c >= horizon));
    }
}

/// Whether a stream is still visible (enabled, or disabled within the retention period).
pub(crate) fn visible(st: &StreamState, now_ms: i64) -> bool {
    st.disabled_ms.is_none_or(|d| d >= now_ms - RETENTION_MS)
}

/// Whether a shard is still visible (open, or closed within the retention period).
pub(crate) fn shard_visible(sh: &ShardState, now_ms: i64) -> bool {
    sh.closed_ms.is_none_or(|c| c >= now_ms - RETENTION_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_ids_look_like_aws() {
        let id = shard_id("t", "l", 5, 1_795_788_000_123);
        assert_eq!(id.len(), "shardId-00000001550719748929-e0a2afc5".len());
        assert!(id.starts_with("shardId-00000001795788000123-"));
    }
}
