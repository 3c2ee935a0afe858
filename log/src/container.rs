//! What sealed segments and snapshots share: a header that starts with a magic, a format
//! version, the body's compression and the table id, and ends with a crc32 of itself; then
//! a zstd-compressed body checked by its own crc32. Each format puts its own fields in
//! between (their widths are part of each format).

/// The one body compression there is: zstd.
pub const COMPRESSION_ZSTD: u8 = 1;
/// The zstd level bodies are written with.
pub const ZSTD_LEVEL: i32 = 3;
/// A table id is at most this many bytes.
pub const MAX_TABLE_ID: usize = 64;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ContainerError {
    #[error("bad magic: not a {0}")]
    BadMagic(&'static str),
    #[error("format version {found} is not supported (this build reads {supported})")]
    UnsupportedVersion { found: u16, supported: u16 },
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
    #[error("the body is {found} bytes, the header says {expected}")]
    RawLength { found: u64, expected: u64 },
    #[error("the header claims {0} bytes of body, over the limit")]
    TooLarge(u64),
    #[error("table id is not UTF-8")]
    TableId,
}

/// Starts a header: magic, version, compression, table id. The caller appends its fields,
/// then [`end_header`].
pub(crate) fn begin_header(magic: &[u8; 8], version: u16, table_id: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(96);
    out.extend_from_slice(magic);
    out.extend_from_slice(&version.to_le_bytes());
    out.push(COMPRESSION_ZSTD);
    out.push(table_id.len() as u8);
    out.extend_from_slice(table_id.as_bytes());
    out
}

/// Ends a header with the crc32 of everything before.
pub(crate) fn end_header(out: &mut Vec<u8>) {
    let crc = crc32fast::hash(out);
    out.extend_from_slice(&crc.to_le_bytes());
}

/// The compressed body and its crc32.
pub(crate) fn compress(raw: &[u8]) -> Result<(Vec<u8>, u32), String> {
    let body = zstd::bulk::compress(raw, ZSTD_LEVEL).map_err(|e| format!("zstd: {e}"))?;
    let crc = crc32fast::hash(&body);
    Ok((body, crc))
}

/// Reads little-endian fields from the front of a byte slice.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, at: 0 }
    }

    pub(crate) fn at(&self) -> usize {
        self.at
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], ContainerError> {
        match self.at.checked_add(n).filter(|e| *e <= self.bytes.len()) {
            Some(end) => {
                let s = &self.bytes[self.at..end];
                self.at = end;
                Ok(s)
            }
            None => Err(ContainerError::Truncated {
                needed: self.at as u64 + n as u64,
                have: self.bytes.len() as u64,
            }),
        }
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], ContainerError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    pub(crate) fn u32(&mut self) -> Result<u32, ContainerError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    pub(crate) fn u64(&mut self) -> Result<u64, ContainerError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    pub(crate) fn i64(&mut self) -> Result<i64, ContainerError> {
        Ok(i64::from_le_bytes(self.array()?))
    }
}

/// Reads the start of a header — magic (`what` names the format in the error), version,
/// compression, table id — leaving `r` at the format's own fields. The compression is
/// returned unchecked: it is trusted only once [`check_header`] has checked the crc.
pub(crate) fn read_start(
    r: &mut Reader,
    magic: &[u8; 8],
    what: &'static str,
    version: u16,
) -> Result<(u8, Vec<u8>), ContainerError> {
    if r.take(8)? != magic {
        return Err(ContainerError::BadMagic(what));
    }
    let found = u16::from_le_bytes(r.array()?);
    if found != version {
        return Err(ContainerError::UnsupportedVersion {
            found,
            supported: version,
        });
    }
    let compression = r.array::<1>()?[0];
    let id_len = r.array::<1>()?[0] as usize;
    Ok((compression, r.take(id_len)?.to_vec()))
}

/// Reads the header crc (after the format's fields) and checks it, then the compression
/// and the table id; returns the table id.
pub(crate) fn check_header(
    r: &mut Reader,
    bytes: &[u8],
    compression: u8,
    table_id: Vec<u8>,
) -> Result<String, ContainerError> {
    let covered = r.at();
    let stored = r.u32()?;
    let computed = crc32fast::hash(&bytes[..covered]);
    if stored != computed {
        return Err(ContainerError::HeaderChecksum { stored, computed });
    }
    if compression != COMPRESSION_ZSTD {
        return Err(ContainerError::UnknownCompression(compression));
    }
    String::from_utf8(table_id).map_err(|_| ContainerError::TableId)
}

/// The body after a header ending at `start`: exactly `body_len` bytes with crc32
/// `body_crc`, decompressed to exactly `raw_len` bytes (at most `max_raw`).
pub(crate) fn open_body(
    bytes: &[u8],
    start: usize,
    body_len: u64,
    body_crc: u32,
    raw_len: u64,
    max_raw: u64,
) -> Result<Vec<u8>, ContainerError> {
    let have = bytes.len() as u64;
    let end = (start as u64).saturating_add(body_len);
    if end > have {
        return Err(ContainerError::Truncated { needed: end, have });
    }
    if end < have {
        return Err(ContainerError::TrailingBytes(have - end));
    }
    let body = &bytes[start..end as usize];
    let computed = crc32fast::hash(body);
    if computed != body_crc {
        return Err(ContainerError::BodyChecksum {
            stored: body_crc,
            computed,
        });
    }
    if raw_len > max_raw {
        return Err(ContainerError::TooLarge(raw_len));
    }
    let raw = zstd::bulk::decompress(body, raw_len as usize)
        .map_err(|e| ContainerError::Decompress(e.to_string()))?;
    if raw.len() as u64 != raw_len {
        return Err(ContainerError::RawLength {
            found: raw.len() as u64,
            expected: raw_len,
        });
    }
    Ok(raw)
}
