//! Identities: table incarnations and request ids.

use serde::{Deserialize, Serialize};

/// One incarnation of a table (AWS's `TableId`): minted by CreateTable, never reused. A
/// table object is addressed by it on both hosts, so a table deleted and created again under
/// the same name is a new object with a fresh log.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TableId(pub String);

impl TableId {
    /// A new id in UUID shape from the account, the name, the time and the host's entropy.
    /// The catalog's name reservation makes (account, name, time) unique already; the
    /// entropy keeps ids of different deployments apart.
    pub fn mint(account: &str, name: &str, now_ms: i64, entropy: u64) -> TableId {
        let mut h: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
        let bytes = account
            .bytes()
            .chain([0])
            .chain(name.bytes())
            .chain(now_ms.to_le_bytes())
            .chain(entropy.to_le_bytes());
        for b in bytes {
            h ^= u128::from(b);
            h = h.wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013B);
        }
        let x = format!("{h:032x}");
        TableId(format!(
            "{}-{}-4{}-a{}-{}",
            &x[0..8],
            &x[8..12],
            &x[13..16],
            &x[17..20],
            &x[20..32]
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `s` has the shape of a minted id (and so may name a file or an object).
    pub fn is_well_formed(s: &str) -> bool {
        s.len() == 36
            && s.bytes().enumerate().all(|(i, b)| match i {
                8 | 13 | 18 | 23 => b == b'-',
                _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
            })
    }
}

impl std::fmt::Display for TableId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A request id in DynamoDB's shape: 52 characters of `[A-Z0-9]`, from 64 bits of the
/// host's entropy and the time.
pub fn request_id(now_ms: i64, entropy: u64) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    // splitmix64: every output bit depends on every input bit.
    let mut state = entropy ^ (now_ms as u64).rotate_left(32);
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let mut out = String::with_capacity(52);
    while out.len() < 52 {
        let mut word = next();
        for _ in 0..12 {
            if out.len() == 52 {
                break;
            }
            out.push(ALPHABET[(word % 36) as usize] as char);
            word /= 36;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_ids_are_uuid_shaped_and_distinct() {
        let a = TableId::mint("000000000000", "Music", 1, 7);
        let b = TableId::mint("000000000000", "Music", 2, 7);
        let c = TableId::mint("000000000000", "Music", 1, 8);
        let d = TableId::mint("111111111111", "Music", 1, 7);
        assert!(TableId::is_well_formed(a.as_str()), "{a}");
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
        assert!(!TableId::is_well_formed("../etc/passwd"));
        assert!(!TableId::is_well_formed(&a.as_str().to_uppercase()));
    }

    #[test]
    fn request_ids_have_dynamodb_shape() {
        let a = request_id(1_700_000_000_000, 1);
        assert_eq!(a.len(), 52);
        assert!(a
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()));
        assert_ne!(a, request_id(1_700_000_000_000, 2));
        assert_ne!(a, request_id(1_700_000_000_001, 1));
    }
}
