//! Calendar formatting without a date library: stream labels and AWS's iterator messages.

/// (year, month 1-12, day 1-31) of a day counted from 1970-01-01 (H. Hinnant's algorithm).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

struct Parts {
    year: i64,
    month: u32,
    day: u32,
    hour: i64,
    minute: i64,
    second: i64,
    millis: i64,
    weekday: usize,
}

fn parts(ms: i64) -> Parts {
    let days = ms.div_euclid(86_400_000);
    let in_day = ms.rem_euclid(86_400_000);
    let (year, month, day) = civil(days);
    Parts {
        year,
        month,
        day,
        hour: in_day / 3_600_000,
        minute: in_day / 60_000 % 60,
        second: in_day / 1000 % 60,
        millis: in_day % 1000,
        // 1970-01-01 was a Thursday; 0 is Sunday.
        weekday: (days + 4).rem_euclid(7) as usize,
    }
}

/// `2026-11-27T14:00:00.123` (UTC): the shape of a DynamoDB stream label.
pub fn iso_label(ms: i64) -> String {
    let p = parts(ms);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}",
        p.year, p.month, p.day, p.hour, p.minute, p.second, p.millis
    )
}

/// `2026-11-27T14:00:00.123Z` (UTC, ISO 8601 with milliseconds).
pub fn iso_millis(ms: i64) -> String {
    format!("{}Z", iso_label(ms))
}

/// Days from 1970-01-01 to a civil date (the inverse of `civil`).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The time a stream label stands for: the inverse of [`iso_label`], for exactly that shape.
pub fn parse_label(label: &str) -> Option<i64> {
    let b = label.as_bytes();
    if b.len() != 23
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'.'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = label.get(r)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s, ms) = (num(11..13)?, num(14..16)?, num(17..19)?, num(20..23)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 59 {
        return None;
    }
    let days = days_from_civil(y, mo as u32, d as u32);
    let t = days * 86_400_000 + h * 3_600_000 + mi * 60_000 + s * 1000 + ms;
    // A day past the month's end is not a date.
    (iso_label(t) == label).then_some(t)
}

/// `Fri Nov 27 14:00:00 UTC 2026`: Java's `Date.toString()` in UTC, as AWS's iterator
/// expiry messages print times.
pub fn java_date(ms: i64) -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let p = parts(ms);
    format!(
        "{} {} {:02} {:02}:{:02}:{:02} UTC {}",
        DAYS[p.weekday],
        MONTHS[(p.month - 1) as usize],
        p.day,
        p.hour,
        p.minute,
        p.second,
        p.year
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(iso_label(0), "1970-01-01T00:00:00.000");
        // 2026-11-27T14:00:00.123Z
        let t = 1_795_788_000_123;
        assert_eq!(iso_label(t), "2026-11-27T14:00:00.123");
        assert_eq!(java_date(t), "Fri Nov 27 14:00:00 UTC 2026");
        assert_eq!(iso_label(951_782_400_000), "2000-02-29T00:00:00.000");
        assert_eq!(java_date(951_782_400_000), "Tue Feb 29 00:00:00 UTC 2000");
    }

    #[test]
    fn labels_parse_back() {
        for t in [0, 1_795_788_000_123, 951_782_400_000, 4_102_444_799_999] {
            assert_eq!(parse_label(&iso_label(t)), Some(t));
        }
        for bad in [
            "",
            "2026-02-30T00:00:00.000",
            "2026-11-27 14:00:00.123",
            "x026-11-27T14:00:00.123",
        ] {
            assert_eq!(parse_label(bad), None, "{bad}");
        }
    }
}
