//! Table snapshots: a table's items and schema as of one LSN of its log, compressed and
//! checked end to end — what a backup holds, and what a restore or point-in-time restore
//! starts from before it replays later segments.
//!
//! Layout (little-endian), pinned by `log/tests/golden.rs` and documented in
//! docs/log-format.md: a header (magic, format version, compression, table id, LSN and time
//! of the last record included, item count, raw and body lengths, body crc32) protected by
//! its own crc32, then the zstd-compressed body: the schema JSON, then each item in the log's
//! own item encoding, each behind its length.

use crate::container::{self, ContainerError, Reader};
use crate::frame::{decode_item_bytes, encode_item_bytes};
use crate::value::Item;

pub use crate::container::{COMPRESSION_ZSTD, MAX_TABLE_ID, ZSTD_LEVEL};

pub const MAGIC: &[u8; 8] = b"EXDOSNP\x00";
pub const SNAPSHOT_VERSION: u16 = 1;
/// A snapshot's body is at most this many bytes before compression.
pub const MAX_RAW_BYTES: u64 = 64 * 1024 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotHeader {
    pub table_id: String,
    /// The state includes every record up to and including this LSN.
    pub lsn: u64,
    /// The time of that record (ms since the epoch).
    pub ts_ms: i64,
    pub items: u64,
    pub raw_len: u64,
    pub body_len: u64,
    pub body_crc: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub header: SnapshotHeader,
    pub schema_json: String,
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SnapshotError {
    #[error(transparent)]
    Container(#[from] ContainerError),
    #[error("the body does not match the header: {0}")]
    Mismatch(String),
    #[error("cannot write a snapshot: {0}")]
    Write(String),
}

/// Writes a snapshot of `items` (already in the log's item encoding, in key order) and the
/// schema, as of `lsn` (whose record was written at `ts_ms`).
pub fn write(
    table_id: &str,
    lsn: u64,
    ts_ms: i64,
    schema_json: &str,
    encoded_items: &[Vec<u8>],
) -> Result<Vec<u8>, SnapshotError> {
    if table_id.is_empty() || table_id.len() > MAX_TABLE_ID {
        return Err(SnapshotError::Write(format!(
            "table id of {} bytes",
            table_id.len()
        )));
    }
    let mut raw = Vec::new();
    for entry in
        std::iter::once(schema_json.as_bytes()).chain(encoded_items.iter().map(Vec::as_slice))
    {
        let n = u32::try_from(entry.len())
            .map_err(|_| SnapshotError::Write("an entry over 4 GB".into()))?;
        raw.extend_from_slice(&n.to_le_bytes());
        raw.extend_from_slice(entry);
    }
    let (body, body_crc) = container::compress(&raw).map_err(SnapshotError::Write)?;
    let mut out = container::begin_header(MAGIC, SNAPSHOT_VERSION, table_id);
    out.extend_from_slice(&lsn.to_le_bytes());
    out.extend_from_slice(&ts_ms.to_le_bytes());
    for n in [encoded_items.len(), raw.len(), body.len()] {
        out.extend_from_slice(&(n as u64).to_le_bytes());
    }
    out.extend_from_slice(&body_crc.to_le_bytes());
    container::end_header(&mut out);
    out.extend_from_slice(&body);
    Ok(out)
}

/// [`write`] from items not yet encoded.
pub fn write_items(
    table_id: &str,
    lsn: u64,
    ts_ms: i64,
    schema_json: &str,
    items: &[Item],
) -> Result<Vec<u8>, SnapshotError> {
    let encoded: Vec<Vec<u8>> = items.iter().map(encode_item_bytes).collect();
    write(table_id, lsn, ts_ms, schema_json, &encoded)
}

/// Reads and checks a snapshot's header; returns it and where the body starts.
pub fn read_header(bytes: &[u8]) -> Result<(SnapshotHeader, usize), SnapshotError> {
    let mut r = Reader::new(bytes);
    let (compression, id) = container::read_start(&mut r, MAGIC, "snapshot", SNAPSHOT_VERSION)?;
    let (lsn, ts_ms) = (r.u64()?, r.i64()?);
    let (items, raw_len, body_len, body_crc) = (r.u64()?, r.u64()?, r.u64()?, r.u32()?);
    let table_id = container::check_header(&mut r, bytes, compression, id)?;
    let header = SnapshotHeader {
        table_id,
        lsn,
        ts_ms,
        items,
        raw_len,
        body_len,
        body_crc,
    };
    Ok((header, r.at()))
}

/// A checked snapshot whose items are decoded one at a time (a restore loads them in
/// bounded steps without holding every decoded item at once).
pub struct Entries {
    pub header: SnapshotHeader,
    pub schema_json: String,
    raw: Vec<u8>,
    at: usize,
    read: u64,
}

impl Entries {
    /// The next item; `None` once every item the header counts has been read.
    pub fn next_item(&mut self) -> Result<Option<Item>, SnapshotError> {
        if self.at >= self.raw.len() {
            if self.read != self.header.items {
                return Err(SnapshotError::Mismatch(format!(
                    "{} items, header says {}",
                    self.read, self.header.items
                )));
            }
            return Ok(None);
        }
        let mut r = Reader::new(&self.raw[self.at..]);
        let n = r.u32()? as usize;
        let b = r.take(n)?;
        let item = decode_item_bytes(b).map_err(|e| {
            SnapshotError::Mismatch(format!("item {} does not decode: {e}", self.read))
        })?;
        self.at += 4 + n;
        self.read += 1;
        Ok(Some(item))
    }

    /// Items read so far.
    pub fn read(&self) -> u64 {
        self.read
    }
}

/// Opens a snapshot: header, body checksum, decompression to the stated length and the
/// schema are checked now, each item as it is read.
pub fn entries(bytes: &[u8]) -> Result<Entries, SnapshotError> {
    let (header, start) = read_header(bytes)?;
    let raw = container::open_body(
        bytes,
        start,
        header.body_len,
        header.body_crc,
        header.raw_len,
        MAX_RAW_BYTES,
    )?;
    let mut r = Reader::new(&raw);
    let n = r.u32()? as usize;
    let schema_json = String::from_utf8(r.take(n)?.to_vec())
        .map_err(|_| SnapshotError::Mismatch("schema is not UTF-8".into()))?;
    let at = r.at();
    Ok(Entries {
        header,
        schema_json,
        raw,
        at,
        read: 0,
    })
}

/// Reads a whole snapshot, checking everything: header, body checksum, decompression to
/// the stated length, the item count, and that every item decodes.
pub fn open(bytes: &[u8]) -> Result<Snapshot, SnapshotError> {
    let mut e = entries(bytes)?;
    let mut items = Vec::new();
    while let Some(item) = e.next_item()? {
        items.push(item);
    }
    Ok(Snapshot {
        header: e.header,
        schema_json: e.schema_json,
        items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::AttributeValue;

    fn items(n: usize) -> Vec<Item> {
        (0..n)
            .map(|i| {
                let mut it = Item::new();
                it.insert("pk".into(), AttributeValue::S(format!("k{i}")));
                it.insert("v".into(), AttributeValue::S("x".repeat(i % 50)));
                it
            })
            .collect()
    }

    #[test]
    fn write_then_open_round_trips() {
        let bytes = write_items("t-1", 42, 1_700_000_000_042, r#"{"a":1}"#, &items(300)).unwrap();
        let s = open(&bytes).unwrap();
        assert_eq!(s.items, items(300));
        assert_eq!(s.schema_json, r#"{"a":1}"#);
        assert_eq!(
            (s.header.lsn, s.header.ts_ms, s.header.items),
            (42, 1_700_000_000_042, 300)
        );
        let empty = write_items("t-1", 1, 0, "{}", &[]).unwrap();
        assert!(open(&empty).unwrap().items.is_empty());
    }

    #[test]
    fn every_damage_is_named() {
        let bytes = write_items("t", 7, 0, "{}", &items(40)).unwrap();
        let (_, body_at) = read_header(&bytes).unwrap();
        for i in (0..bytes.len()).step_by(5) {
            let mut b = bytes.clone();
            b[i] ^= 0x20;
            let err = open(&b).unwrap_err();
            if i >= body_at {
                assert!(
                    matches!(
                        err,
                        SnapshotError::Container(ContainerError::BodyChecksum { .. })
                    ),
                    "{i}: {err}"
                );
            } else {
                assert!(
                    matches!(
                        err,
                        SnapshotError::Container(
                            ContainerError::HeaderChecksum { .. }
                                | ContainerError::BadMagic(_)
                                | ContainerError::UnsupportedVersion { .. }
                                | ContainerError::Truncated { .. }
                        )
                    ),
                    "{i}: {err}"
                );
            }
        }
        for cut in [0, 9, body_at - 1, body_at, bytes.len() - 1] {
            assert!(
                matches!(
                    open(&bytes[..cut]),
                    Err(SnapshotError::Container(ContainerError::Truncated { .. }))
                ),
                "{cut}"
            );
        }
        let mut longer = bytes.clone();
        longer.extend_from_slice(b"xy");
        assert_eq!(
            open(&longer).unwrap_err(),
            SnapshotError::Container(ContainerError::TrailingBytes(2))
        );
    }
}
