//! Password hashes: argon2id with OWASP's parameters (19 MiB, 2 passes, 1 lane).
//!
//! Stored form: `argon2id$v=19$m=19456,t=2,p=1$<salt hex>$<hash hex>`. Parameters are read
//! back from the stored form, so they can change without invalidating older hashes.

use argon2::{Algorithm, Argon2, Params, Version};
use subtle::ConstantTimeEq;

const M_KIB: u32 = 19_456;
const T: u32 = 2;
const P: u32 = 1;
const OUT: usize = 32;

fn argon(m: u32, t: u32, p: u32) -> Option<Argon2<'static>> {
    let params = Params::new(m, t, p, Some(OUT)).ok()?;
    Some(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

pub fn hash(password: &str, salt: &[u8; 16]) -> String {
    let mut out = [0u8; OUT];
    if let Some(a) = argon(M_KIB, T, P) {
        // Only fails for out-of-range parameters, which these are not.
        let _ = a.hash_password_into(password.as_bytes(), salt, &mut out);
    }
    format!(
        "argon2id$v=19$m={M_KIB},t={T},p={P}${}${}",
        hex::encode(salt),
        hex::encode(out)
    )
}

/// Whether `password` matches a stored hash (false for anything malformed).
pub fn verify(password: &str, stored: &str) -> bool {
    let parts: Vec<&str> = stored.split('$').collect();
    if parts.len() != 5 || parts[0] != "argon2id" || parts[1] != "v=19" {
        return false;
    }
    let mut m = None;
    let mut t = None;
    let mut p = None;
    for kv in parts[2].split(',') {
        match kv.split_once('=') {
            Some(("m", v)) => m = v.parse::<u32>().ok(),
            Some(("t", v)) => t = v.parse::<u32>().ok(),
            Some(("p", v)) => p = v.parse::<u32>().ok(),
            _ => return false,
        }
    }
    let (Some(m), Some(t), Some(p)) = (m, t, p) else {
        return false;
    };
    // A stored hash asking for absurd work is refused rather than run.
    if m > 1 << 20 || t > 16 || p > 8 {
        return false;
    }
    let (Ok(salt), Ok(expected)) = (hex::decode(parts[3]), hex::decode(parts[4])) else {
        return false;
    };
    if expected.len() != OUT {
        return false;
    }
    let Some(a) = argon(m, t, p) else {
        return false;
    };
    let mut out = [0u8; OUT];
    if a.hash_password_into(password.as_bytes(), &salt, &mut out)
        .is_err()
    {
        return false;
    }
    out.ct_eq(&expected).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_only_their_password() {
        let h = hash("correct horse", &[3; 16]);
        assert!(h.starts_with("argon2id$v=19$m=19456,t=2,p=1$03030303"));
        assert!(verify("correct horse", &h));
        assert!(!verify("correct horsE", &h));
        assert!(!verify("correct horse", "argon2id$v=19$m=1,t=1,p=1$00$00"));
        assert!(!verify("x", ""));
    }
}
