//! Sealed segments: a run of a table's log records, compressed, as it is stored in the
//! object store (archiving, backups, point-in-time restore read them back).
//!
//! A segment is self-describing and checked end to end: a fixed header (magic, format
//! version, table id, LSN and time range, counts, lengths) protected by its own crc32, then
//! the zstd-compressed frames, protected by a crc32 of the compressed bytes; each frame
//! inside keeps its own crc32 as well. A damaged or truncated segment is an error that says
//! what failed; it is never partly replayed. The byte layout is documented in
//! docs/log-format.md and pinned by `log/tests/golden.rs`.

use crate::container::{self, ContainerError, Reader};
use crate::frame::{FrameError, Record};
use crate::segment::{scan, Tail};

pub use crate::container::{COMPRESSION_ZSTD, MAX_TABLE_ID, ZSTD_LEVEL};

/// The first bytes of every sealed segment.
pub const MAGIC: &[u8; 8] = b"EXDOSEG\x00";
/// The segment format this code writes (and the only one it reads).
pub const SEGMENT_VERSION: u16 = 1;
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
    #[error(transparent)]
    Container(#[from] ContainerError),
    #[error("frame at body offset {offset}: {error}")]
    Frame { offset: usize, error: FrameError },
    #[error("the header does not match the frames: {0}")]
    Mismatch(String),
    #[error("cannot seal: {0}")]
    Seal(String),
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
    let (body, body_crc) = container::compress(&raw).map_err(SegmentError::Seal)?;
    let mut out = container::begin_header(MAGIC, SEGMENT_VERSION, table_id);
    out.extend_from_slice(&first.lsn.to_le_bytes());
    out.extend_from_slice(&last.lsn.to_le_bytes());
    let times = records.iter().map(|r| r.ts_ms);
    out.extend_from_slice(&times.clone().min().unwrap_or(first.ts_ms).to_le_bytes());
    out.extend_from_slice(&times.max().unwrap_or(last.ts_ms).to_le_bytes());
    for n in [records.len(), raw.len(), body.len()] {
        out.extend_from_slice(&(n as u32).to_le_bytes());
    }
    out.extend_from_slice(&body_crc.to_le_bytes());
    container::end_header(&mut out);
    out.extend_from_slice(&body);
    Ok(out)
}

/// Reads and checks a segment's header; returns it and where the body starts. The body is
/// not read (listing an archive needs only headers).
pub fn read_header(bytes: &[u8]) -> Result<(SegmentHeader, usize), SegmentError> {
    let mut r = Reader::new(bytes);
    let (compression, id) =
        container::read_start(&mut r, MAGIC, "sealed segment", SEGMENT_VERSION)?;
    let (first_lsn, last_lsn) = (r.u64()?, r.u64()?);
    let (first_ts_ms, last_ts_ms) = (r.i64()?, r.i64()?);
    let (records, raw_len, body_len, body_crc) = (r.u32()?, r.u32()?, r.u32()?, r.u32()?);
    let table_id = container::check_header(&mut r, bytes, compression, id)?;
    let header = SegmentHeader {
        table_id,
        first_lsn,
        last_lsn,
        first_ts_ms,
        last_ts_ms,
        records,
        raw_len,
        body_len,
        body_crc,
    };
    Ok((header, r.at()))
}

/// Reads a whole segment: header, body checksum, decompression, every frame, and that the
/// frames are what the header says (count, dense LSNs, range, times).
pub fn open(bytes: &[u8]) -> Result<Segment, SegmentError> {
    let (header, start) = read_header(bytes)?;
    let raw = container::open_body(
        bytes,
        start,
        header.body_len.into(),
        header.body_crc,
        header.raw_len.into(),
        MAX_RAW_BYTES as u64,
    )?;
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
                    matches!(
                        err,
                        SegmentError::Container(ContainerError::BodyChecksum { .. })
                    ),
                    "{i}: {err}"
                );
            } else {
                assert!(
                    matches!(
                        err,
                        SegmentError::Container(
                            ContainerError::HeaderChecksum { .. }
                                | ContainerError::BadMagic(_)
                                | ContainerError::UnsupportedVersion { .. }
                        )
                    ),
                    "{i}: {err}"
                );
            }
        }
        for cut in [0, 5, body_at - 1, body_at, bytes.len() - 1] {
            let err = open(&bytes[..cut]).unwrap_err();
            assert!(
                matches!(
                    err,
                    SegmentError::Container(ContainerError::Truncated { .. })
                ),
                "{cut}: {err}"
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(
            open(&longer).unwrap_err(),
            SegmentError::Container(ContainerError::TrailingBytes(1))
        );
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
