//! Reading runs of concatenated frames (log dumps, archived segments) and telling a torn
//! tail apart from corruption in the middle.

use crate::frame::{FrameError, Record};

#[derive(Debug, Clone, PartialEq)]
pub enum Tail {
    /// Every byte belonged to a whole, valid frame.
    Clean,
    /// The last frame is incomplete: a write was cut short. Safe to truncate at `offset`.
    Torn { offset: usize },
    /// A complete frame failed its checks: the data is damaged, not merely cut short.
    Corrupt { offset: usize, error: FrameError },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Scan {
    pub records: Vec<Record>,
    pub tail: Tail,
}

/// Decodes frames until the bytes end or a frame fails.
pub fn scan(bytes: &[u8]) -> Scan {
    let mut records = Vec::new();
    let mut offset = 0;
    while offset < bytes.len() {
        match Record::decode(&bytes[offset..]) {
            Ok((record, used)) => {
                records.push(record);
                offset += used;
            }
            Err(FrameError::Truncated { .. }) => {
                return Scan {
                    records,
                    tail: Tail::Torn { offset },
                }
            }
            Err(error) => {
                return Scan {
                    records,
                    tail: Tail::Corrupt { offset, error },
                }
            }
        }
    }
    Scan {
        records,
        tail: Tail::Clean,
    }
}
