//! Record framing, the unit of the log on disk and on the wire.
//!
//! ```text
//! offset  size  field
//! 0       1     format version (FRAME_VERSION)
//! 1       8     lsn, u64 little-endian
//! 9       8     timestamp, ms since the Unix epoch, i64 little-endian
//! 17      4     payload length n, u32 little-endian
//! 21      n     payload: the Event, bincode 2 standard configuration
//! 21+n    4     crc32 (crc32fast) of bytes 0..21+n, little-endian
//! ```

use thiserror::Error;

use crate::event::Event;

pub const FRAME_VERSION: u8 = 1;
pub const HEADER_LEN: usize = 21;
pub const TRAILER_LEN: usize = 4;
/// Far above any legal record (an item is at most 400 KB, a record holds two images).
pub const MAX_PAYLOAD: usize = 16 << 20;

#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub lsn: u64,
    pub ts_ms: i64,
    pub event: Event,
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// Fewer bytes than the frame says it has: a torn write at the tail.
    #[error("truncated frame: need {needed} bytes, have {have}")]
    Truncated { needed: usize, have: usize },
    #[error("unknown frame version {0}")]
    Version(u8),
    #[error("checksum mismatch: stored {stored:#010x}, computed {computed:#010x}")]
    Checksum { stored: u32, computed: u32 },
    #[error("payload of {0} bytes exceeds the limit")]
    TooLarge(usize),
    #[error("undecodable payload: {0}")]
    Payload(String),
}

fn config() -> impl bincode::config::Config {
    bincode::config::standard()
}

pub fn encode_event(event: &Event) -> Vec<u8> {
    bincode::serde::encode_to_vec(event, config()).expect("events always encode")
}

/// An item in the log's own encoding (as inside events; also the items projection's and
/// snapshots').
pub fn encode_item_bytes(item: &crate::value::Item) -> Vec<u8> {
    bincode::serde::encode_to_vec(item, config()).expect("items always encode")
}

pub fn decode_item_bytes(bytes: &[u8]) -> Result<crate::value::Item, FrameError> {
    let limited = bincode::config::standard().with_limit::<MAX_PAYLOAD>();
    let (item, used) = bincode::serde::decode_from_slice(bytes, limited)
        .map_err(|e| FrameError::Payload(e.to_string()))?;
    if used != bytes.len() {
        return Err(FrameError::Payload(format!(
            "{} trailing bytes",
            bytes.len() - used
        )));
    }
    Ok(item)
}

pub fn decode_event(payload: &[u8]) -> Result<Event, FrameError> {
    // The limit bounds what a length prefix may make the decoder allocate (strings and byte
    // strings claim their length up front); a legal payload never claims more than its size.
    let limited = bincode::config::standard().with_limit::<MAX_PAYLOAD>();
    let (event, used) = bincode::serde::decode_from_slice::<Event, _>(payload, limited)
        .map_err(|e| FrameError::Payload(e.to_string()))?;
    if used != payload.len() {
        return Err(FrameError::Payload(format!(
            "{} trailing bytes",
            payload.len() - used
        )));
    }
    Ok(event)
}

impl Record {
    pub fn encode(&self) -> Vec<u8> {
        let payload = encode_event(&self.event);
        encode_frame(self.lsn, self.ts_ms, &payload)
    }

    /// Decodes one frame from the front of `bytes`, returning it and the bytes it used.
    pub fn decode(bytes: &[u8]) -> Result<(Record, usize), FrameError> {
        let truncated = |needed| FrameError::Truncated {
            needed,
            have: bytes.len(),
        };
        if bytes.len() < HEADER_LEN {
            return Err(truncated(HEADER_LEN));
        }
        if bytes[0] != FRAME_VERSION {
            return Err(FrameError::Version(bytes[0]));
        }
        let lsn = u64::from_le_bytes(bytes[1..9].try_into().unwrap());
        let ts_ms = i64::from_le_bytes(bytes[9..17].try_into().unwrap());
        let len = u32::from_le_bytes(bytes[17..21].try_into().unwrap()) as usize;
        if len > MAX_PAYLOAD {
            return Err(FrameError::TooLarge(len));
        }
        let end = HEADER_LEN + len;
        if bytes.len() < end + TRAILER_LEN {
            return Err(truncated(end + TRAILER_LEN));
        }
        let stored = u32::from_le_bytes(bytes[end..end + TRAILER_LEN].try_into().unwrap());
        let computed = crc32fast::hash(&bytes[..end]);
        if stored != computed {
            return Err(FrameError::Checksum { stored, computed });
        }
        let event = decode_event(&bytes[HEADER_LEN..end])?;
        Ok((Record { lsn, ts_ms, event }, end + TRAILER_LEN))
    }
}

pub fn encode_frame(lsn: u64, ts_ms: i64, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len() + TRAILER_LEN);
    out.push(FRAME_VERSION);
    out.extend_from_slice(&lsn.to_le_bytes());
    out.extend_from_slice(&ts_ms.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(payload);
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}
