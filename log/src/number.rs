//! DynamoDB numbers: exact decimals with up to 38 significant digits and a magnitude between
//! 1E-130 and 9.99…E+125, never floating point.

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

pub const MAX_DIGITS: usize = 38;
/// Largest exponent in the normalized form `0.d1d2… × 10^exp` (9.99…E+125).
const MAX_EXP: i32 = 126;
/// Smallest exponent in the normalized form (1E-130 = 0.1 × 10^-129).
const MIN_EXP: i32 = -129;

#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
pub enum NumberError {
    #[error("The parameter cannot be converted to a numeric value")]
    NotANumber,
    #[error("Attempting to store more than 38 significant digits in a Number")]
    Precision,
    #[error(
        "Number overflow. Attempting to store a number with magnitude larger than supported range"
    )]
    Overflow,
    #[error("Number underflow. Attempting to store a number with magnitude smaller than supported range")]
    Underflow,
}

/// A normalized decimal: `(-1)^neg × 0.d1d2…dn × 10^exp` with `d1 ≠ 0` and `dn ≠ 0`.
/// Zero has no digits. Normalization makes equal values structurally equal.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Number {
    neg: bool,
    digits: Vec<u8>,
    exp: i32,
}

impl Number {
    pub fn zero() -> Number {
        Number {
            neg: false,
            digits: Vec::new(),
            exp: 0,
        }
    }

    pub fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    pub fn is_negative(&self) -> bool {
        self.neg
    }

    /// Bytes DynamoDB charges for this number: it stores base-100 digits aligned on the
    /// decimal point (so `1.5` takes two, `100` one), plus one byte of exponent, plus one
    /// for a negative sign.
    pub fn storage_size(&self) -> usize {
        if self.is_zero() {
            return 1;
        }
        // Digit i (from 1) of 0.d1d2… × 10^exp has weight 10^(exp - i).
        let first = i64::from(self.exp) - 1;
        let last = i64::from(self.exp) - self.digits.len() as i64;
        let pairs = (first.div_euclid(2) - last.div_euclid(2) + 1) as usize;
        1 + pairs + usize::from(self.neg)
    }

    /// Number of significant digits (what the 38-digit limit counts).
    pub fn significant_digits(&self) -> usize {
        self.digits.len()
    }

    /// Parses DynamoDB's number syntax (Java `BigDecimal` literals) and checks precision
    /// and range.
    pub fn parse(text: &str) -> Result<Number, NumberError> {
        let n = Self::parse_unchecked(text)?;
        n.check()?;
        Ok(n)
    }

    fn check(&self) -> Result<(), NumberError> {
        if self.is_zero() {
            return Ok(());
        }
        // Range first: an out-of-range result (9.9…E+125 + 1E+125) is an overflow to AWS,
        // even when it also has too many digits.
        if self.exp > MAX_EXP {
            return Err(NumberError::Overflow);
        }
        if self.exp < MIN_EXP {
            return Err(NumberError::Underflow);
        }
        if self.digits.len() > MAX_DIGITS {
            return Err(NumberError::Precision);
        }
        Ok(())
    }

    fn parse_unchecked(text: &str) -> Result<Number, NumberError> {
        let bytes = text.as_bytes();
        let mut i = 0;
        let mut neg = false;
        if let Some(&c) = bytes.first() {
            if c == b'+' || c == b'-' {
                neg = c == b'-';
                i = 1;
            }
        }
        let mut digits: Vec<u8> = Vec::with_capacity(bytes.len());
        let mut int_digits: i64 = 0;
        let mut seen_point = false;
        let mut seen_digit = false;
        while i < bytes.len() {
            match bytes[i] {
                c @ b'0'..=b'9' => {
                    seen_digit = true;
                    digits.push(c - b'0');
                    if !seen_point {
                        int_digits += 1;
                    }
                }
                b'.' if !seen_point => seen_point = true,
                b'e' | b'E' => break,
                _ => return Err(NumberError::NotANumber),
            }
            i += 1;
        }
        if !seen_digit {
            return Err(NumberError::NotANumber);
        }
        let mut exp10: i64 = 0;
        if i < bytes.len() {
            i += 1; // the 'e'
            let mut exp_neg = false;
            if i < bytes.len() && (bytes[i] == b'+' || bytes[i] == b'-') {
                exp_neg = bytes[i] == b'-';
                i += 1;
            }
            if i >= bytes.len() {
                return Err(NumberError::NotANumber);
            }
            while i < bytes.len() {
                match bytes[i] {
                    c @ b'0'..=b'9' => {
                        // Saturate: anything this large is out of range anyway.
                        exp10 = (exp10 * 10 + i64::from(c - b'0')).min(1 << 40);
                    }
                    _ => return Err(NumberError::NotANumber),
                }
                i += 1;
            }
            if exp_neg {
                exp10 = -exp10;
            }
        }
        let lead = digits.iter().take_while(|&&d| d == 0).count();
        if lead == digits.len() {
            return Ok(Number::zero());
        }
        let trail = digits.iter().rev().take_while(|&&d| d == 0).count();
        digits.truncate(digits.len() - trail);
        digits.drain(..lead);
        let exp = int_digits - lead as i64 + exp10;
        let exp = exp.clamp(i64::from(i32::MIN / 2), i64::from(i32::MAX / 2)) as i32;
        Ok(Number { neg, digits, exp })
    }

    /// Appends an encoding whose byte order (memcmp) is numeric order.
    pub fn write_order_key(&self, out: &mut Vec<u8>) {
        if self.is_zero() {
            out.push(0x02);
            return;
        }
        let biased = (self.exp - MIN_EXP).clamp(0, 255) as u8;
        if self.neg {
            out.push(0x01);
            out.push(255 - biased);
            out.extend(self.digits.iter().map(|d| b'9' - d));
            // Inverted digits sort shorter-first; the terminator makes the shorter
            // (larger, since negative) magnitude sort last instead.
            out.push(0xFF);
        } else {
            out.push(0x03);
            out.push(biased);
            out.extend(self.digits.iter().map(|d| b'0' + d));
        }
    }

    /// Reads back what [`Number::write_order_key`] wrote.
    pub fn from_order_key(bytes: &[u8]) -> Option<Number> {
        match bytes.first()? {
            0x02 if bytes.len() == 1 => Some(Number::zero()),
            0x03 => {
                let exp = i32::from(*bytes.get(1)?) + MIN_EXP;
                let digits = bytes[2..]
                    .iter()
                    .map(|b| b.checked_sub(b'0').filter(|d| *d <= 9))
                    .collect::<Option<Vec<u8>>>()?;
                Self::from_parts(false, digits, exp)
            }
            0x01 => {
                let exp = i32::from(255 - *bytes.get(1)?) + MIN_EXP;
                let body = bytes.get(2..bytes.len() - 1)?;
                if bytes.last() != Some(&0xFF) {
                    return None;
                }
                let digits = body
                    .iter()
                    .map(|b| b'9'.checked_sub(*b).filter(|d| *d <= 9))
                    .collect::<Option<Vec<u8>>>()?;
                Self::from_parts(true, digits, exp)
            }
            _ => None,
        }
    }

    fn from_parts(neg: bool, digits: Vec<u8>, exp: i32) -> Option<Number> {
        if digits.first() == Some(&0) || digits.last() == Some(&0) || digits.is_empty() {
            return None;
        }
        Some(Number { neg, digits, exp })
    }

    pub fn negate(&self) -> Number {
        if self.is_zero() {
            return self.clone();
        }
        Number {
            neg: !self.neg,
            digits: self.digits.clone(),
            exp: self.exp,
        }
    }

    /// Exact sum, checked against DynamoDB's precision and range. A sum that needs more
    /// than 38 digits is an overflow, as DynamoDB words it for arithmetic (alternator's
    /// test_update_expression_plus_imprecise, run against AWS); only a literal with too many
    /// digits is a precision error.
    pub fn checked_add(&self, other: &Number) -> Result<Number, NumberError> {
        if self.is_zero() {
            return Ok(other.clone());
        }
        if other.is_zero() {
            return Ok(self.clone());
        }
        // Place both on a common grid of digit positions: position p has weight 10^(exp-1-p)
        // relative to the larger exponent.
        let top = self.exp.max(other.exp);
        let a = Self::aligned(self, top);
        let b = Self::aligned(other, top);
        let width = a.len().max(b.len());
        if width > 400 {
            // One operand is below the other's last digit by far more than 38 places: the
            // exact sum cannot fit in 38 digits.
            return Err(NumberError::Overflow);
        }
        let pad = |v: Vec<u8>| {
            let mut v = v;
            v.resize(width, 0);
            v
        };
        let (a, b) = (pad(a), pad(b));
        let (neg, mag) = if self.neg == other.neg {
            (self.neg, add_mag(&a, &b))
        } else {
            match cmp_mag(&a, &b) {
                Ordering::Equal => return Ok(Number::zero()),
                Ordering::Greater => (self.neg, sub_mag(&a, &b)),
                Ordering::Less => (other.neg, sub_mag(&b, &a)),
            }
        };
        // `mag` has one extra leading position for a carry.
        let n = Number::normalize(neg, mag, top + 1);
        match n.check() {
            Err(NumberError::Precision) => Err(NumberError::Overflow),
            other => other.map(|()| n),
        }
    }

    pub fn checked_sub(&self, other: &Number) -> Result<Number, NumberError> {
        self.checked_add(&other.negate())
    }

    fn aligned(n: &Number, top: i32) -> Vec<u8> {
        let shift = (top - n.exp) as usize;
        let mut v = vec![0u8; shift];
        v.extend_from_slice(&n.digits);
        v
    }

    fn normalize(neg: bool, mut digits: Vec<u8>, mut exp: i32) -> Number {
        let lead = digits.iter().take_while(|&&d| d == 0).count();
        if lead == digits.len() {
            return Number::zero();
        }
        digits.drain(..lead);
        exp -= lead as i32;
        while digits.last() == Some(&0) {
            digits.pop();
        }
        Number { neg, digits, exp }
    }
}

/// Adds two equal-length digit vectors (most significant first); the result has one more
/// leading digit for the carry.
fn add_mag(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; a.len() + 1];
    let mut carry = 0u8;
    for i in (0..a.len()).rev() {
        let s = a[i] + b[i] + carry;
        out[i + 1] = s % 10;
        carry = s / 10;
    }
    out[0] = carry;
    out
}

/// `a - b` for equal-length vectors with `a >= b`, with a leading zero for symmetry with
/// [`add_mag`].
fn sub_mag(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; a.len() + 1];
    let mut borrow = 0i8;
    for i in (0..a.len()).rev() {
        let mut d = a[i] as i8 - b[i] as i8 - borrow;
        if d < 0 {
            d += 10;
            borrow = 1;
        } else {
            borrow = 0;
        }
        out[i + 1] = d as u8;
    }
    out
}

fn cmp_mag(a: &[u8], b: &[u8]) -> Ordering {
    a.cmp(b)
}

impl Ord for Number {
    fn cmp(&self, other: &Self) -> Ordering {
        let sign = |n: &Number| {
            if n.is_zero() {
                0
            } else if n.neg {
                -1
            } else {
                1
            }
        };
        let (sa, sb) = (sign(self), sign(other));
        if sa != sb || sa == 0 {
            return sa.cmp(&sb);
        }
        let mag = self
            .exp
            .cmp(&other.exp)
            .then_with(|| self.digits.cmp(&other.digits));
        if self.neg {
            mag.reverse()
        } else {
            mag
        }
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Canonical text: plain decimal notation without redundant zeros, as DynamoDB returns
/// numbers (`1.50` → `1.5`, `1E+2` → `100`).
impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_zero() {
            return f.write_str("0");
        }
        let mut s = String::with_capacity(self.digits.len() + 8);
        if self.neg {
            s.push('-');
        }
        let ds = |s: &mut String, d: &[u8]| s.extend(d.iter().map(|d| char::from(b'0' + d)));
        let n = self.digits.len() as i32;
        if self.exp <= 0 {
            s.push_str("0.");
            s.extend(std::iter::repeat_n('0', (-self.exp) as usize));
            ds(&mut s, &self.digits);
        } else if self.exp < n {
            ds(&mut s, &self.digits[..self.exp as usize]);
            s.push('.');
            ds(&mut s, &self.digits[self.exp as usize..]);
        } else {
            ds(&mut s, &self.digits);
            s.extend(std::iter::repeat_n('0', (self.exp - n) as usize));
        }
        f.write_str(&s)
    }
}

impl fmt::Debug for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "N({self})")
    }
}

impl std::str::FromStr for Number {
    type Err = NumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Number::parse(s)
    }
}

impl From<i64> for Number {
    fn from(v: i64) -> Self {
        Number::parse_unchecked(&v.to_string()).expect("an integer is a number")
    }
}

impl Serialize for Number {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Number::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn n(s: &str) -> Number {
        Number::parse(s).unwrap()
    }

    #[test]
    fn canonical_text() {
        assert_eq!(n("1.50").to_string(), "1.5");
        assert_eq!(n("1E+2").to_string(), "100");
        assert_eq!(n("-0.000120").to_string(), "-0.00012");
        assert_eq!(n("000").to_string(), "0");
        assert_eq!(n("-0").to_string(), "0");
        assert_eq!(n("12.5e-1").to_string(), "1.25");
        assert_eq!(n(".5").to_string(), "0.5");
        assert_eq!(n("5.").to_string(), "5");
    }

    #[test]
    fn rejects_what_dynamodb_rejects() {
        for bad in [
            "", "-", "abc", "1e", "1.2.3", " 1", "1 ", "NaN", "Infinity", "0x10", "1e+",
        ] {
            assert_eq!(Number::parse(bad), Err(NumberError::NotANumber), "{bad:?}");
        }
        assert_eq!(Number::parse(&"1".repeat(39)), Err(NumberError::Precision));
        assert!(Number::parse(&"1".repeat(38)).is_ok());
        assert!(Number::parse(&format!("1{}", "0".repeat(60))).is_ok());
        assert_eq!(Number::parse("1e126"), Err(NumberError::Overflow));
        assert!(Number::parse("9.9999999999999999999999999999999999999e125").is_ok());
        assert!(Number::parse("1e-130").is_ok());
        assert_eq!(Number::parse("1e-131"), Err(NumberError::Underflow));
        assert_eq!(
            Number::parse("1e99999999999999999999"),
            Err(NumberError::Overflow)
        );
    }

    #[test]
    fn storage_size_counts_base_100_digits() {
        for (text, size) in [
            ("1.5", 3),
            ("100", 2),
            ("3.14159", 5),
            ("-42", 3),
            ("0", 1),
            ("1", 2),
            ("12", 2),
            ("123", 3),
            ("0.01", 2),
        ] {
            assert_eq!(n(text).storage_size(), size, "{text}");
        }
    }

    #[test]
    fn overflow_wins_over_precision() {
        let max = n("9.9999999999999999999999999999999999999E+125");
        assert_eq!(max.checked_add(&n("1E+125")), Err(NumberError::Overflow));
    }

    #[test]
    fn exact_arithmetic() {
        assert_eq!(n("0.1").checked_add(&n("0.2")).unwrap(), n("0.3"));
        assert_eq!(n("5").checked_sub(&n("7")).unwrap(), n("-2"));
        assert_eq!(n("-5").checked_add(&n("5")).unwrap(), Number::zero());
        assert_eq!(n("999").checked_add(&n("1")).unwrap(), n("1000"));
        assert_eq!(
            n("1e100").checked_add(&n("1")),
            Err(NumberError::Overflow),
            "101 significant digits: an overflow to DynamoDB's arithmetic"
        );
    }

    fn arb_number() -> impl Strategy<Value = Number> {
        (
            any::<bool>(),
            proptest::collection::vec(0u8..10, 1..38),
            -129i32..=126,
        )
            .prop_map(|(neg, mut digits, exp)| {
                if digits[0] == 0 {
                    digits[0] = 1;
                }
                Number::normalize(neg, digits, exp)
            })
    }

    proptest! {
        #[test]
        fn order_key_preserves_order(a in arb_number(), b in arb_number()) {
            let (mut ka, mut kb) = (Vec::new(), Vec::new());
            a.write_order_key(&mut ka);
            b.write_order_key(&mut kb);
            prop_assert_eq!(ka.cmp(&kb), a.cmp(&b));
            prop_assert_eq!(Number::from_order_key(&ka), Some(a.clone()));
        }

        #[test]
        fn text_round_trips(a in arb_number()) {
            prop_assert_eq!(Number::parse(&a.to_string()), Ok(a));
        }

        #[test]
        fn addition_matches_i128(x in -1_000_000_000_000i64..1_000_000_000_000, y in -1_000_000_000_000i64..1_000_000_000_000) {
            let s = Number::from(x).checked_add(&Number::from(y)).unwrap();
            prop_assert_eq!(s, Number::from(x + y));
        }
    }
}
