//! The Worker's configuration: wrangler `vars`, with the same defaults as the native host.

use extenddo_engine::Config;

/// wrangler var holding the AWS region reported in ARNs and descriptions.
pub const VAR_REGION: &str = "REGION";
/// wrangler var holding the 12-digit account id (also the prefix of table object names).
pub const VAR_ACCOUNT_ID: &str = "ACCOUNT_ID";
/// wrangler var: milliseconds an undecided transaction may stay in doubt before the
/// coordinator or a participant recovers it (native: `serve --tx-recovery-ms`).
pub const VAR_TX_RECOVERY_MS: &str = "TX_RECOVERY_MS";
/// wrangler var: log archiving threshold (records waiting before a segment is sealed into
/// R2; native: `serve --archive-records`); 0 or unset turns archiving off.
pub const VAR_ARCHIVE_RECORDS: &str = "ARCHIVE_RECORDS";

/// Builds the engine configuration from the raw var values; unset or blank vars take the
/// defaults (`us-east-1`, `000000000000`, 5000 ms); an unparsable or non-positive
/// recovery delay also takes the default.
pub fn from_vars(
    region: Option<String>,
    account_id: Option<String>,
    tx_recovery_ms: Option<String>,
    archive_records: Option<String>,
) -> Config {
    let d = Config::default();
    let pick = |v: Option<String>, default: String| match v {
        Some(s) if !s.trim().is_empty() => s.trim().to_owned(),
        _ => default,
    };
    Config {
        region: pick(region, d.region.clone()),
        account_id: pick(account_id, d.account_id.clone()),
        tx_recovery_ms: tx_recovery_ms
            .and_then(|v| v.trim().parse::<i64>().ok())
            .filter(|ms| *ms > 0)
            .unwrap_or(d.tx_recovery_ms),
        archive_records: archive_records
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(d.archive_records),
        ..d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let c = from_vars(None, Some("  ".into()), Some("soon".into()), None);
        assert_eq!(
            (c.region.as_str(), c.account_id.as_str(), c.tx_recovery_ms),
            (
                "us-east-1",
                "000000000000",
                Config::default().tx_recovery_ms
            )
        );
        let c = from_vars(
            Some("eu-west-1".into()),
            Some("123456789012".into()),
            Some("750".into()),
            Some("100".into()),
        );
        assert_eq!(c.archive_records, 100);
        assert_eq!(
            (c.region.as_str(), c.account_id.as_str(), c.tx_recovery_ms),
            ("eu-west-1", "123456789012", 750)
        );
    }
}
