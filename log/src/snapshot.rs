//! Table snapshots: a table's items and schema as of one LSN of its log, compressed and
//! checked end to end — what a backup holds, and what a restore or point-in-time restore
//! starts from before it replays later segments.
//!
//! Layout (little-endian), pinned by `log/tests/golden.rs` and documented in
//! docs/log-format.md: a header (magic, format version, compression, table id, LSN and time
//! of the last record included, item count, raw and body lengths, body crc32) protected by
//! its own crc32, then the zstd-compressed body: the schema JSON, then each item in the log's
//! own item encoding, each behind its length.

use crate::frame::{decode_item_bytes, encode_item_bytes};
use crate::value::Item;

pub const MAGIC: &[u8; 8] = b"EXDOSNP\x00";
pub const SNAPSHOT_VERSION: u16 = 1;
pub const COMPRESSION_ZSTD: u8 = 1;
pub const ZSTD_LEVEL: i32 = 3;
pub const MAX_TABLE_ID: usize = 64;
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
    #[error("not a snapshot (bad magic)")]
    BadMagic,
    #[error("snapshot format version {0} is not supported (this build reads {SNAPSHOT_VERSION})")]
    UnsupportedVersion(u16),
    #[error("unknown body compression {0}")]
    UnknownCompression(u8),
    #[error("truncated: {needed} bytes needed, {have} present")]
    Truncated { needed: u64, have: u64 },
    #[error("header checksum mismatch (stored {stored:08x}, computed {computed:08x})")]
    HeaderChecksum { stored: u32, computed: u32 },
    #[error("body checksum mismatch (stored {stored:08x}, computed {computed:08x})")]
    BodyChecksum { stored: u32, computed: u32 },
    #[error("{0} bytes after the body")]
    TrailingBytes(u64),
    #[error("body does not decompress: {0}")]
    Decompress(String),
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
    let mut push = |bytes: &[u8]| -> Result<(), SnapshotError> {
        let n = u32::try_from(bytes.len())
            .map_err(|_| SnapshotError::Write("an entry over 4 GB".into()))?;
        raw.extend_from_slice(&n.to_le_bytes());
        raw.extend_from_slice(bytes);
        Ok(())
    };
    push(schema_json.as_bytes())?;
    for item in encoded_items {
        push(item)?;
    }
    let body = zstd::bulk::compress(&raw, ZSTD_LEVEL)
        .map_err(|e| SnapshotError::Write(format!("zstd: {e}")))?;
    let header = SnapshotHeader {
        table_id: table_id.to_owned(),
        lsn,
        ts_ms,
        items: encoded_items.len() as u64,
        raw_len: raw.len() as u64,
        body_len: body.len() as u64,
        body_crc: crc32fast::hash(&body),
    };
    let mut out = encode_header(&header);
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

fn encode_header(h: &SnapshotHeader) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&SNAPSHOT_VERSION.to_le_bytes());
    out.push(COMPRESSION_ZSTD);
    out.push(h.table_id.len() as u8);
    out.extend_from_slice(h.table_id.as_bytes());
    out.extend_from_slice(&h.lsn.to_le_bytes());
    out.extend_from_slice(&h.ts_ms.to_le_bytes());
    out.extend_from_slice(&h.items.to_le_bytes());
    out.extend_from_slice(&h.raw_len.to_le_bytes());
    out.extend_from_slice(&h.body_len.to_le_bytes());
    out.extend_from_slice(&h.body_crc.to_le_bytes());
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], SnapshotError> {
        let end = self.at.checked_add(n).filter(|e| *e <= self.bytes.len());
        let Some(end) = end else {
            return Err(SnapshotError::Truncated {
                needed: (self.at + n) as u64,
                have: self.bytes.len() as u64,
            });
        };
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], SnapshotError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }
}

/// Reads and checks a snapshot's header; returns it and where the body starts.
pub fn read_header(bytes: &[u8]) -> Result<(SnapshotHeader, usize), SnapshotError> {
    let mut r = Reader { bytes, at: 0 };
    if r.take(8)? != MAGIC {
        return Err(SnapshotError::BadMagic);
    }
    let version = u16::from_le_bytes(r.array()?);
    if version != SNAPSHOT_VERSION {
        return Err(SnapshotError::UnsupportedVersion(version));
    }
    let compression = r.array::<1>()?[0];
    let id_len = r.array::<1>()?[0] as usize;
    let id = r.take(id_len)?;
    let lsn = u64::from_le_bytes(r.array()?);
    let ts_ms = i64::from_le_bytes(r.array()?);
    let items = u64::from_le_bytes(r.array()?);
    let raw_len = u64::from_le_bytes(r.array()?);
    let body_len = u64::from_le_bytes(r.array()?);
    let body_crc = u32::from_le_bytes(r.array()?);
    let covered = r.at;
    let stored = u32::from_le_bytes(r.array()?);
    let computed = crc32fast::hash(&bytes[..covered]);
    if stored != computed {
        return Err(SnapshotError::HeaderChecksum { stored, computed });
    }
    if compression != COMPRESSION_ZSTD {
        return Err(SnapshotError::UnknownCompression(compression));
    }
    let table_id = String::from_utf8(id.to_vec())
        .map_err(|_| SnapshotError::Mismatch("table id is not UTF-8".into()))?;
    Ok((
        SnapshotHeader {
            table_id,
            lsn,
            ts_ms,
            items,
            raw_len,
            body_len,
            body_crc,
        },
        r.at,
    ))
}

/// Reads a whole snapshot, checking everything: header, body checksum, decompression to
/// the stated length, the item count, and that every item decodes.
pub fn open(bytes: &[u8]) -> Result<Snapshot, SnapshotError> {
    let (header, start) = read_header(bytes)?;
    let have = bytes.len() as u64;
    let end = (start as u64).saturating_add(header.body_len);
    if end > have {
        return Err(SnapshotError::Truncated { needed: end, have });
    }
    if end < have {
        return Err(SnapshotError::TrailingBytes(have - end));
    }
    let body = &bytes[start..end as usize];
    let computed = crc32fast::hash(body);
    if computed != header.body_crc {
        return Err(SnapshotError::BodyChecksum {
            stored: header.body_crc,
            computed,
        });
    }
    if header.raw_len > MAX_RAW_BYTES {
        return Err(SnapshotError::Mismatch(format!(
            "{} raw bytes",
            header.raw_len
        )));
    }
    let raw = zstd::bulk::decompress(body, header.raw_len as usize)
        .map_err(|e| SnapshotError::Decompress(e.to_string()))?;
    if raw.len() as u64 != header.raw_len {
        return Err(SnapshotError::Mismatch(format!(
            "{} raw bytes, header says {}",
            raw.len(),
            header.raw_len
        )));
    }
    let mut r = Reader { bytes: &raw, at: 0 };
    let entry = |r: &mut Reader| -> Result<Vec<u8>, SnapshotError> {
        let n = u32::from_le_bytes(r.array()?) as usize;
        Ok(r.take(n)?.to_vec())
    };
    let schema_json = String::from_utf8(entry(&mut r)?)
        .map_err(|_| SnapshotError::Mismatch("schema is not UTF-8".into()))?;
    let mut items = Vec::new();
    while r.at < raw.len() {
        let b = entry(&mut r)?;
        let item = decode_item_bytes(&b).map_err(|e| {
            SnapshotError::Mismatch(format!("item {} does not decode: {e}", items.len()))
        })?;
        items.push(item);
    }
    if items.len() as u64 != header.items {
        return Err(SnapshotError::Mismatch(format!(
            "{} items, header says {}",
            items.len(),
            header.items
        )));
    }
    Ok(Snapshot {
        header,
        schema_json,
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
                    matches!(err, SnapshotError::BodyChecksum { .. }),
                    "{i}: {err}"
                );
            } else {
                assert!(
                    matches!(
                        err,
                        SnapshotError::HeaderChecksum { .. }
                            | SnapshotError::BadMagic
                            | SnapshotError::UnsupportedVersion(_)
                            | SnapshotError::Truncated { .. }
                    ),
                    "{i}: {err}"
                );
            }
        }
        for cut in [0, 9, body_at - 1, body_at, bytes.len() - 1] {
            assert!(
                matches!(open(&bytes[..cut]), Err(SnapshotError::Truncated { .. })),
                "{cut}"
            );
        }
        let mut longer = bytes.clone();
        longer.extend_from_slice(b"xy");
        assert_eq!(open(&longer).unwrap_err(), SnapshotError::TrailingBytes(2));
    }
}
