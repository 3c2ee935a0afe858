//! Secret access keys at rest, and new keys.
//!
//! A secret is sealed with ChaCha20-Poly1305 under the deployment's key-encryption key (a
//! Worker secret, natively a key file), so the identity store never holds a usable secret.
//! Sealed form (version 1): `[1] ‖ nonce (12 bytes) ‖ ciphertext ‖ tag (16 bytes)`; the key
//! id is the associated data, so a sealed secret moved to another key does not open.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::ChaCha20Poly1305;
use sha2::{Digest, Sha256};

const VERSION: u8 = 1;

/// The key-encryption key. Debug never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct MasterKey([u8; 32]);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

impl MasterKey {
    /// From the configured secret: any string of at least 16 characters (64 hex digits
    /// from `openssl rand -hex 32` is what the docs suggest), stretched with SHA-256 under
    /// a fixed label so that the same string always gives the same key.
    pub fn from_secret(secret: &str) -> Option<MasterKey> {
        let s = secret.trim();
        if s.chars().count() < 16 {
            return None;
        }
        let mut h = Sha256::new();
        h.update(b"extenddo key-encryption key v1\0");
        h.update(s.as_bytes());
        Some(MasterKey(h.finalize().into()))
    }

    pub fn seal(&self, key_id: &str, secret: &str, nonce: [u8; 12]) -> Vec<u8> {
        let cipher = ChaCha20Poly1305::new((&self.0).into());
        let body = cipher
            .encrypt(
                (&nonce).into(),
                Payload {
                    msg: secret.as_bytes(),
                    aad: key_id.as_bytes(),
                },
            )
            // Encryption of a short message cannot fail (only over-long input can).
            .unwrap_or_default();
        let mut out = Vec::with_capacity(1 + 12 + body.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&body);
        out
    }

    /// The secret, if `sealed` is intact and was sealed under this key for this key id.
    pub fn open(&self, key_id: &str, sealed: &[u8]) -> Option<String> {
        if sealed.len() < 1 + 12 + 16 || sealed[0] != VERSION {
            return None;
        }
        let nonce: [u8; 12] = sealed[1..13].try_into().ok()?;
        let cipher = ChaCha20Poly1305::new((&self.0).into());
        let plain = cipher
            .decrypt(
                (&nonce).into(),
                Payload {
                    msg: &sealed[13..],
                    aad: key_id.as_bytes(),
                },
            )
            .ok()?;
        String::from_utf8(plain).ok()
    }
}

const KEY_ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const SECRET_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// A new access key id (`AKIA` and 16 characters, as AWS's) and secret (40 characters).
pub fn new_key(random: &[u8; 32]) -> (String, String) {
    let mut id = String::from("AKIA");
    for b in &random[..16] {
        id.push(KEY_ID_ALPHABET[usize::from(b & 31)] as char);
    }
    // 40 characters of 6 bits from the other 16 bytes and a hash of all 32 (240 bits).
    let mut bits: Vec<u8> = random[16..].to_vec();
    bits.extend_from_slice(&Sha256::digest(random)[..14]);
    let mut secret = String::with_capacity(40);
    let mut acc: u32 = 0;
    let mut n = 0;
    for b in bits {
        acc = (acc << 8) | u32::from(b);
        n += 8;
        while n >= 6 && secret.len() < 40 {
            n -= 6;
            secret.push(SECRET_ALPHABET[((acc >> n) & 63) as usize] as char);
        }
    }
    (id, secret)
}

/// A session token for a key that requires one (opaque to clients).
pub fn new_session_token(random: &[u8; 32]) -> String {
    let digest = Sha256::digest([&random[..], b"session"].concat());
    format!("EXTENDDO{}", hex::encode(digest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_key_id() {
        let k = MasterKey::from_secret("0123456789abcdef0123456789abcdef").unwrap();
        let other = MasterKey::from_secret("another secret of some length").unwrap();
        let sealed = k.seal("AKIAXYZ", "s3cret", [7; 12]);
        assert_eq!(k.open("AKIAXYZ", &sealed).as_deref(), Some("s3cret"));
        assert_eq!(k.open("AKIAXYA", &sealed), None);
        assert_eq!(other.open("AKIAXYZ", &sealed), None);
        let mut flipped = sealed.clone();
        flipped[20] ^= 1;
        assert_eq!(k.open("AKIAXYZ", &flipped), None);
        assert!(!sealed.windows(6).any(|w| w == b"s3cret"));
        assert!(MasterKey::from_secret("short").is_none());
    }

    /// The sealed format is pinned: version, nonce, then ChaCha20-Poly1305's output.
    #[test]
    fn golden_sealed_bytes() {
        let k = MasterKey::from_secret("0123456789abcdef0123456789abcdef").unwrap();
        let sealed = k.seal("AKIA0000000000000000", "secret", [0; 12]);
        assert_eq!(sealed.len(), 1 + 12 + 6 + 16);
        assert_eq!(&sealed[..13], &[1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(hex::encode(&sealed[13..]), GOLDEN_BODY);
    }
    // Cross-checked with Python's `cryptography` ChaCha20Poly1305 over the same key and nonce.
    const GOLDEN_BODY: &str = "d9da7d0fb98e950aaea90e37c823d5ed3d9b205a5b41";

    #[test]
    fn new_keys_have_aws_shapes() {
        let (id, secret) = new_key(&[0xA5; 32]);
        assert_eq!(id.len(), 20);
        assert!(id.starts_with("AKIA"));
        assert_eq!(secret.len(), 40);
        let (id2, secret2) = new_key(&[0x5A; 32]);
        assert_ne!(id, id2);
        assert_ne!(secret, secret2);
    }
}
