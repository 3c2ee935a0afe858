//! Shard iterators: opaque to clients, shaped like AWS's (`<stream arn>|1|<base64>`), so
//! the table an iterator belongs to can be routed from the string alone.
//!
//! The base64 part is, little-endian: format version `2` (u8), the position LSN (u64), the
//! time it was issued (i64 ms), the shard id length (u8) and bytes, the table id length (u8)
//! and bytes, then a crc32 of the stream ARN followed by every preceding byte. Anything else
//! (version 1 included: it named no table incarnation) is malformed. The table id lets
//! GetRecords go straight to the table object that holds the shard, without the catalog,
//! also after the table was deleted and its name reused.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

const VERSION: u8 = 2;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ShardIterator {
    pub stream_arn: String,
    pub shard_id: String,
    /// The incarnation of the table whose log holds the shard.
    pub table_id: String,
    /// The next LSN to read.
    pub position: u64,
    pub issued_ms: i64,
}

fn checksum(arn: &str, body: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(arn.as_bytes());
    h.update(body);
    h.finalize()
}

impl ShardIterator {
    pub fn encode(&self) -> String {
        let id = self.shard_id.as_bytes();
        let id = &id[..id.len().min(255)];
        let table = self.table_id.as_bytes();
        let table = &table[..table.len().min(255)];
        let mut body = Vec::with_capacity(23 + id.len() + table.len());
        body.push(VERSION);
        body.extend_from_slice(&self.position.to_le_bytes());
        body.extend_from_slice(&self.issued_ms.to_le_bytes());
        body.push(id.len() as u8);
        body.extend_from_slice(id);
        body.push(table.len() as u8);
        body.extend_from_slice(table);
        let crc = checksum(&self.stream_arn, &body);
        body.extend_from_slice(&crc.to_le_bytes());
        format!("{}|1|{}", self.stream_arn, B64.encode(body))
    }

    pub fn decode(s: &str) -> Option<ShardIterator> {
        let mut parts = s.split('|');
        let (arn, version, blob) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || version != "1" || arn.is_empty() {
            return None;
        }
        let body = B64.decode(blob.as_bytes()).ok()?;
        if body.len() < 19 + 4 || body[0] != VERSION {
            return None;
        }
        let (data, crc) = body.split_at(body.len() - 4);
        if checksum(arn, data).to_le_bytes() != crc {
            return None;
        }
        let position = u64::from_le_bytes(data[1..9].try_into().ok()?);
        let issued_ms = i64::from_le_bytes(data[9..17].try_into().ok()?);
        let n = data[17] as usize;
        let shard_id = String::from_utf8(data.get(18..18 + n)?.to_vec()).ok()?;
        let m = *data.get(18 + n)? as usize;
        if data.len() != 19 + n + m {
            return None;
        }
        let table_id = String::from_utf8(data[19 + n..].to_vec()).ok()?;
        Some(ShardIterator {
            stream_arn: arn.to_owned(),
            shard_id,
            table_id,
            position,
            issued_ms,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper() {
        let it = ShardIterator {
            stream_arn:
                "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2026-11-27T14:00:00.123"
                    .into(),
            shard_id: "shardId-00000001795788000123-0a1b2c3d".into(),
            table_id: "0b6b0e0e-6a4e-4c1e-a8f1-3c2d1e0f9a8b".into(),
            position: 42,
            issued_ms: 1_795_788_000_123,
        };
        let s = it.encode();
        assert!(s.starts_with(&format!("{}|1|", it.stream_arn)));
        assert_eq!(ShardIterator::decode(&s), Some(it.clone()));
        // Another table's ARN in front of the same blob fails the checksum.
        let other = s.replacen("table/t/", "table/u/", 1);
        assert_eq!(ShardIterator::decode(&other), None);
        for bad in ["", "x", "a|1|", "a|2|AAAA", "a|1|!!!", &format!("{s}|x")] {
            assert_eq!(ShardIterator::decode(bad), None, "{bad}");
        }
        let mut chars: Vec<char> = s.chars().collect();
        let i = chars.len() - 3;
        chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
        assert_eq!(
            ShardIterator::decode(&chars.into_iter().collect::<String>()),
            None
        );
    }
}
