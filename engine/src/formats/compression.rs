//! Compression of export and import files: gzip (exports, and GZIP imports), zstd and none.

use std::io::{BufRead, BufReader, Read, Write};

use serde::{Deserialize, Serialize};

/// InputCompressionType.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Compression {
    Gzip,
    Zstd,
    None,
}

impl Compression {
    pub fn as_str(self) -> &'static str {
        match self {
            Compression::Gzip => "GZIP",
            Compression::Zstd => "ZSTD",
            Compression::None => "NONE",
        }
    }

    pub fn parse(s: &str) -> Option<Compression> {
        Some(match s {
            "GZIP" => Compression::Gzip,
            "ZSTD" => Compression::Zstd,
            "NONE" => Compression::None,
            _ => return None,
        })
    }
}

/// Gzip of `bytes` (exports' data files), at the fastest level: at level 6 compressing was
/// half of an export's time, for files about a fifth smaller.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    // Writing to a Vec cannot fail.
    let _ = e.write_all(bytes);
    e.finish().unwrap_or_default()
}

/// A reader of an object's lines, decompressing as it goes (a multi-member gzip file, as
/// concatenated gzip files are, is read whole).
pub fn reader(compression: Compression, bytes: Vec<u8>) -> std::io::Result<Box<dyn BufRead>> {
    let cursor = std::io::Cursor::new(bytes);
    Ok(match compression {
        Compression::Gzip => Box::new(BufReader::with_capacity(
            1 << 16,
            flate2::read::MultiGzDecoder::new(cursor),
        )),
        Compression::Zstd => Box::new(BufReader::with_capacity(
            1 << 16,
            zstd::stream::read::Decoder::new(cursor)?,
        )),
        Compression::None => Box::new(cursor),
    })
}

/// Everything `r` yields (tests and small objects).
pub fn read_all(mut r: impl Read) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    r.read_to_end(&mut out)?;
    Ok(out)
}
