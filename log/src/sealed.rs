//! Sealed segments: a run of a table's log records, compressed, as it is stored in the
//! object store (archiving, backups, point-in-time restore read them back).
//!
//! A segment is self-describing and checked end to end: a fixed header (magic, format
//! version, table id, LSN and time range, counts, lengths) protected by its own crc32, then
//! the zstd-compressed frames, protected by a crc32 of the compressed bytes; each frame
//! inside keeps its own crc32 as well. A damaged or truncated segment is an error that says
//! what failed; it is never partly replayed. The byte layout is documented in
//! docs/log-format.md and pinned by `log/tests/golden.rs`.

use crate::frame::{FrameError, Record};
use crate::segment::{scan, Tail};

/// The first bytes of every sealed segment.
pub const MAGIC: &[u8; 8] = b"EXDOSEG\x00";
/// The segment format this code writes (and the only one it reads).
pub const SEGMENT_VERSION: u16 = 1;
/// Body compression: zstd.
pub const COMPRESSION_ZSTD: u8 = 1;
/// The zstd level segments are written with.
pub const ZSTD_LEVEL: i32 = 3;
/// A table id is at most this many bytes.
pub const MAX_TABLE_ID: usize = 64;
/// A segment's frames are at most this many bytes before compression.
pub const MAX_RAW_BYTES: usize = 256 * 1024 * 1024;

/// What a segment's header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentHeader {
    pub table_id: String,
    pub first_lsn: u64,
    pub last_lsn: u64,
    pub first_ts_ms: i64,
    pub last_ts_ms: i64,
    pub records: u32,
    /// Bytes of the frames before compression.
    pub raw_len: u32,
    /// Bytes of the compressed body that follows the header.
    pub body_len: u32,
    /// crc32 of the compressed body.
    pub body_crc: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub header: SegmentHeader,
    pub records: Vec<Record>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SegmentError {
    #[error("not a sealed segment (bad magic)")]
    BadMagic,
    #[error("segment format version {0} is not supported (this build reads {SEGMENT_VERSION})")]
    UnsupportedVersion(u16),
    #[error("unknown body compression {0}")]
    UnknownCompression(u8),
    #[error("truncated: {needed} bytes needed, {have} present")]
    Truncated { needed: usize, have: usize },
    #[error("header checksum mismatch (stored {stored:08x}, computed {computed:08x})")]
    HeaderChecksum { stored: u32, computed: u32 },
    #[error("body checksum mismatch (stored {stored:08x}, computed {computed:08x})")]
    BodyChecksum { stored: u32, computed: u32 },
    #[error("{0} bytes after the body")]
    TrailingBytes(usize),
    #[error("body does not decompress: {0}")]
    Decompress(String),
    #[error("frame at body offset {offset}: {error}")]
    Frame { offset: usize, error: FrameError },
    #[error("the header does not match the frames: {0}")]
    Mismatch(String),
    #[error("cannot seal: {0}")]
    Seal(String),
}

fn header_len(table_id_len: usize) -> usize {
    // magic, version, compression, id length, id, 2 LSNs, 2 times, 4 u32s, header crc
    8 + 2 + 1 + 1 + table_id_len + 8 + 8 + 8 + 8 + 4 + 4 + 4 + 4 + 4
}

/// Seals records — consecutive LSNs, in order, at least one — into a segment.
pub fn seal(table_id: &str, records: &[Record]) -> Result<Vec<u8>, SegmentError> {
    let (Some(first), Some(last)) = (records.first(), records.last()) else {
        return Err(SegmentError::Seal("no records".into()));
    };
    if table_id.is_empty() || table_id.len() > MAX_TABLE_ID {
        return Err(SegmentError::Seal(format!(
            "table id of {} bytes",
            table_id.len()
        )));
    }
    for (i, r) in records.iter().enumerate() {
        if r.lsn != first.lsn + i as u64 {
            return Err(SegmentError::Seal(format!(
                "LSN {} where {} was due",
                r.lsn,
                first.lsn + i as u64
            )));
        }
    }
    let mut raw = Vec::new();
    for r in records {
        raw.extend_from_slice(&r.encode());
    }
    if raw.len() > MAX_RAW_BYTES {
        return Err(SegmentError::Seal(format!("{} bytes of frames", raw.len())));
    }
    let body = zstd::bulk::compress(&raw, ZSTD_LEVEL)
        .map_err(|e| SegmentError::Seal(format!("zstd: {e}")))?;
    let header = SegmentHeader {
        table_id: table_id.to_owned(),
        first_lsn: first.lsn,
        last_lsn: last.lsn,
        first_ts_ms: records.iter().map(|r| r.ts_ms).min().unwrap_or(first.ts_ms),
        last_ts_ms: records.iter().map(|r| r.ts_ms).max().unwrap_or(last.ts_ms),
        records: records.len() as u32,
        raw_len: raw.len() as u32,
        body_len: body.len() as u32,
        body_crc: crc32fast::hash(&body),
    };
    let mut out = encode_header(&header);
    out.extend_from_slice(&body);
    Ok(out)
}

fn encode_header(h: &SegmentHeader) -> Vec<u8> {
    let mut out = Vec::with_capacity(header_len(h.table_id.len()));
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&SEGMENT_VERSION.to_le_bytes());
    out.push(COMPRESSION_ZSTD);
    out.push(h.table_id.len() as u8);
    out.extend_from_slice(h.table_id.as_bytes());
    out.extend_from_slice(&h.first_lsn.to_le_bytes());
    out.extend_from_slice(&h.last_lsn.to_le_bytes());
    out.extend_from_slice(&h.first_ts_ms.to_le_bytes());
    out.extend_from_slice(&h.last_ts_ms.to_le_bytes());
    out.extend_from_slice(&h.records.to_le_bytes());
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
    fn take(&mut self, n: usize) -> Result<&'a [u8], SegmentError> {
        let end = self.at + n;
        if end > self.bytes.len() {
            return Err(SegmentError::Truncated {
                needed: end,
                have: self.bytes.len(),
            });
        }
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], SegmentError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }
    fn u32(&mut self) -> Result<u32, SegmentError> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64, SegmentError> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    fn i64(&mut self) -> Result<i64, SegmentError> {
        Ok(i64::from_le_bytes(self.array()?))
    }
}

/// Reads and checks a segment's header; returns it and where the body starts. The body is
/// not read (listing an archive needs only headers).
pub fn read_header(bytes: &[u8]) -> Result<(SegmentHeader, usize), SegmentError> {
    let mut r = Reader { bytes, at: 0 };
    if r.take(8)? != MAGIC {
        return Err(SegmentError::BadMagic);
    }
    let version = u16::from_le_bytes(r.array()?);
    if version != SEGMENT_VERSION {
        return Err(SegmentError::UnsupportedVersion(version));
    }
    let compression = r.array::<1>()?[0];
    let id_len = r.array::<1>()?[0] as usize;
    let id = r.take(id_len)?;
    let header = SegmentHeader {
        table_id: String::new(),
        first_lsn: r.u64()?,
        last_lsn: r.u64()?,
        first_ts_ms: r.i64()?,
        last_ts_ms: r.i64()?,
        records: r.u32()?,
        raw_len: r.u32()?,
        body_len: r.u32()?,
        body_crc: r.u32()?,
    };
    let covered = r.at;
    let stored = r.u32()?;
    let computed = crc32fast::hash(&bytes[..covered]);
    if stored != computed {
        return Err(SegmentError::HeaderChecksum { stored, computed });
    }
    // Checked by the crc above, so these are what the writer wrote.
    if compression != COMPRESSION_ZSTD {
        return Err(SegmentError::UnknownCompression(compression));
    }
    let table_id = String::from_utf8(id.to_vec())
        .map_err(|_| SegmentError::Mismatch("table id is not UTF-8".into()))?;
    Ok((SegmentHeader { table_id, ..header }, r.at))
}

/// Reads a whole segment: header, body checksum, decompression, every frame, and that the
/// frames are what the header says (count, dense LSNs, range, times, length).
pub fn open(bytes: &[u8]) -> Result<Segment, SegmentError> {
    let (header, start) = read_header(bytes)?;
    let end = start + header.body_len as usize;
    if end > bytes.len() {
        return Err(SegmentError::Truncated {
            needed: end,
            have: bytes.len(),
        });
    }
    if end < bytes.len() {
        return Err(SegmentError::TrailingBytes(bytes.len() - end));
    }
    let body = &bytes[start..end];
    let computed = crc32fast::hash(body);
    if computed != header.body_crc {
        return Err(SegmentError::BodyChecksum {
            stored: header.body_crc,
            computed,
        });
    }
    let raw_len = header.raw_len as usize;
    if raw_len > MAX_RAW_BYTES {
        return Err(SegmentError::Mismatch(format!("{raw_len} raw bytes")));
    }
    let raw = zstd::bulk::decompress(body, raw_len)
        .map_err(|e| SegmentError::Decompress(e.to_string()))?;
    if raw.len() != raw_len {
        return Err(SegmentError::Mismatch(format!(
            "{} bytes of frames, header says {raw_len}",
            raw.len()
        )));
    }
    let scanned = scan(&raw);
    match scanned.tail {
        Tail::Clean => {}
        Tail::Torn { offset } => {
            return Err(SegmentError::Frame {
                offset,
                error: FrameError::Truncated {
                    needed: raw.len() - offset + 1,
                    have: raw.len() - offset,
                },
            })
        }
        Tail::Corrupt { offset, error } => return Err(SegmentError::Frame { offset, error }),
    }
    let records = scanned.records;
    let mismatch = |what: String| Err(SegmentError::Mismatch(what));
    if records.len() != header.records as usize {
        return mismatch(format!(
            "{} frames, header says {}",
            records.len(),
            header.records
        ));
    }
    for (i, r) in records.iter().enumerate() {
        if r.lsn != header.first_lsn + i as u64 {
            return mismatch(format!("LSN {} at position {i}", r.lsn));
        }
    }
    let last = records.last().map(|r| r.lsn);
    if last != Some(header.last_lsn) {
        return mismatch(format!(
            "last LSN {last:?}, header says {}",
            header.last_lsn
        ));
    }
    let (lo, hi) = (
        records.iter().map(|r| r.ts_ms).min(),
        records.iter().map(|r| r.ts_ms).max(),
    );
    if (lo, hi) != (Some(header.first_ts_ms), Some(header.last_ts_ms)) {
        return mismatch(format!("time range {lo:?}..{hi:?}"));
    }
    Ok(Segment { header, records })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;

    fn records(first: u64, n: u64) -> Vec<Record> {
        (first..first + n)
            .map(|lsn| Record {
                lsn,
                ts_ms: 1_700_000_000_000 + lsn as i64,
                event: Event::TableUpdated {
                    schema_json: format!("{{\"n\":{lsn}}}"),
                },
            })
            .collect()
    }

    #[test]
    fn seal_then_open_round_trips() {
        let recs = records(5, 100);
        let bytes = seal("0b6b0e0e-6a4e-4c1e-a8f1-3c2d1e0f9a8b", &recs).unwrap();
        let seg = open(&bytes).unwrap();
        assert_eq!(seg.records, recs);
        assert_eq!((seg.header.first_lsn, seg.header.last_lsn), (5, 104));
        assert_eq!(seg.header.records, 100);
        assert!(bytes.len() < seg.header.raw_len as usize, "compressed");
    }

    #[test]
    fn every_damage_is_named() {
        let bytes = seal("t", &records(1, 20)).unwrap();
        let (_, body_at) = read_header(&bytes).unwrap();
        // Any flipped bit anywhere fails, with a checksum (or magic/version) error.
        for i in (0..bytes.len()).step_by(3) {
            let mut b = bytes.clone();
            b[i] ^= 0x10;
            let err = open(&b).unwrap_err();
            if i >= body_at {
                assert!(
                    matches!(err, SegmentError::BodyChecksum { .. }),
                    "{i}: {err}"
                );
            } else {
                assert!(
                    matches!(
                        err,
                        SegmentError::HeaderChecksum { .. }
                            | SegmentError::BadMagic
                            | SegmentError::UnsupportedVersion(_)
                    ),
                    "{i}: {err}"
                );
            }
        }
        for cut in [0, 5, body_at - 1, body_at, bytes.len() - 1] {
            let err = open(&bytes[..cut]).unwrap_err();
            assert!(
                matches!(err, SegmentError::Truncated { .. }),
                "{cut}: {err}"
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(open(&longer).unwrap_err(), SegmentError::TrailingBytes(1));
    }

    #[test]
    fn only_dense_runs_seal() {
        let mut recs = records(1, 3);
        recs[2].lsn = 9;
        assert!(matches!(seal("t", &recs), Err(SegmentError::Seal(_))));
        assert!(matches!(seal("t", &[]), Err(SegmentError::Seal(_))));
        assert!(matches!(
            seal(&"x".repeat(65), &records(1, 1)),
            Err(SegmentError::Seal(_))
        ));
    }
}
