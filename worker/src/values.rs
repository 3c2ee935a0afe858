//! How SQLite integers cross the JavaScript boundary of Durable Object SQL.
//!
//! `SqlStorage` binds and returns numbers as JS doubles: integers are exact only within
//! ±(2^53 - 1). Larger integers are bound as their decimal text, which SQLite converts back
//! to an exact INTEGER wherever numeric affinity applies (INTEGER columns, comparisons with
//! them, `LIMIT`). On the way out, an integer beyond that range arrives as an inexact double
//! and is reported as `Real`, so that typed reads fail loudly instead of returning a rounded
//! value.

/// `Number.MAX_SAFE_INTEGER`.
pub const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

#[derive(Debug, Clone, PartialEq)]
pub enum IntBinding {
    /// Bound as a JS number; exact.
    Number(f64),
    /// Bound as decimal text; exact where SQLite applies numeric affinity.
    Decimal(String),
}

pub fn integer_binding(i: i64) -> IntBinding {
    if (-MAX_SAFE_INTEGER..=MAX_SAFE_INTEGER).contains(&i) {
        IntBinding::Number(i as f64)
    } else {
        IntBinding::Decimal(i.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_integers_are_numbers_others_decimal_text() {
        assert_eq!(integer_binding(0), IntBinding::Number(0.0));
        assert_eq!(
            integer_binding(-MAX_SAFE_INTEGER),
            IntBinding::Number(-9007199254740991.0)
        );
        assert_eq!(
            integer_binding(MAX_SAFE_INTEGER + 1),
            IntBinding::Decimal("9007199254740992".into())
        );
        assert_eq!(
            integer_binding(i64::MAX),
            IntBinding::Decimal("9223372036854775807".into())
        );
        assert_eq!(
            integer_binding(i64::MIN),
            IntBinding::Decimal("-9223372036854775808".into())
        );
    }
}
