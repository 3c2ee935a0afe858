//! The Worker's configuration: wrangler `vars`, with the same defaults as the native host.

use extenddo_engine::config::{AuthConfig, Secret};
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
/// wrangler var: archived records between two snapshots of a table's log (native:
/// `serve --snapshot-records`).
pub const VAR_SNAPSHOT_RECORDS: &str = "SNAPSHOT_RECORDS";
/// wrangler var: how old archived records must be before the local log drops them behind a
/// snapshot, ms (native: `serve --log-retention-ms`).
pub const VAR_LOG_RETENTION_MS: &str = "LOG_RETENTION_MS";
/// wrangler var: the shortest incremental export window, ms (AWS's 15 minutes by default;
/// native: `serve --incremental-export-min-ms`).
pub const VAR_INCREMENTAL_EXPORT_MIN_MS: &str = "INCREMENTAL_EXPORT_MIN_MS";

/// wrangler var: `true` lets unsigned and unverifiable requests through, as the native
/// server on loopback does (never in a public deployment).
pub const VAR_ALLOW_UNAUTHENTICATED: &str = "EXTENDDO_ALLOW_UNAUTHENTICATED";
/// Secrets: the bootstrap admin of the management API, valid until an admin is stored.
pub const SECRET_ADMIN_USER: &str = "EXTENDDO_ADMIN_USER";
pub const SECRET_ADMIN_PASSWORD: &str = "EXTENDDO_ADMIN_PASSWORD";
/// Secret: what secret access keys are sealed under (at least 16 characters).
pub const SECRET_KEY_ENCRYPTION_KEY: &str = "EXTENDDO_KEY_ENCRYPTION_KEY";
/// wrangler var: how long an isolate trusts a looked-up access key or login, ms.
pub const VAR_AUTH_CACHE_MS: &str = "AUTH_CACHE_MS";

/// Builds the engine configuration from the raw var values (`var(name)`); unset, blank or
/// unparsable vars take the defaults (`us-east-1`, `000000000000`, 5000 ms, …); a
/// non-positive recovery delay also takes the default.
pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Config {
    let d = Config::default();
    let text = |name: &str, default: &str| match var(name) {
        Some(s) if !s.trim().is_empty() => s.trim().to_owned(),
        _ => default.to_owned(),
    };
    let num = |name: &str| var(name).and_then(|v| v.trim().parse::<i64>().ok());
    Config {
        region: text(VAR_REGION, &d.region),
        account_id: text(VAR_ACCOUNT_ID, &d.account_id),
        tx_recovery_ms: num(VAR_TX_RECOVERY_MS)
            .filter(|ms| *ms > 0)
            .unwrap_or(d.tx_recovery_ms),
        archive_records: num(VAR_ARCHIVE_RECORDS)
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(d.archive_records),
        snapshot_records: num(VAR_SNAPSHOT_RECORDS)
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(d.snapshot_records),
        log_retention_ms: num(VAR_LOG_RETENTION_MS)
            .filter(|ms| *ms >= 0)
            .unwrap_or(d.log_retention_ms),
        incremental_export_min_ms: num(VAR_INCREMENTAL_EXPORT_MIN_MS)
            .filter(|ms| *ms >= 0)
            .unwrap_or(d.incremental_export_min_ms),
        auth: auth(&var, &d.auth),
        ..d.clone()
    }
}

fn auth(var: &impl Fn(&str) -> Option<String>, d: &AuthConfig) -> AuthConfig {
    let set = |name: &str| var(name).filter(|v| !v.trim().is_empty());
    let allow = set(VAR_ALLOW_UNAUTHENTICATED)
        .is_some_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "true" | "1" | "yes"));
    AuthConfig {
        enforce: !allow,
        bootstrap_admin: match (set(SECRET_ADMIN_USER), set(SECRET_ADMIN_PASSWORD)) {
            (Some(u), Some(p)) => Some((u.trim().to_owned(), Secret(p))),
            _ => None,
        },
        key_encryption_secret: set(SECRET_KEY_ENCRYPTION_KEY).map(Secret),
        cache_ms: set(VAR_AUTH_CACHE_MS)
            .and_then(|v| v.trim().parse::<i64>().ok())
            .filter(|ms| *ms >= 0)
            .unwrap_or(d.cache_ms),
        local_operator: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + '_ {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn auth_is_enforced_unless_allowed() {
        let c = from_vars(vars(&[]));
        assert!(c.auth.enforce);
        assert!(c.auth.bootstrap_admin.is_none());
        let c = from_vars(vars(&[
            (VAR_ALLOW_UNAUTHENTICATED, "true"),
            (SECRET_ADMIN_USER, "root"),
            (SECRET_ADMIN_PASSWORD, "pw"),
            (SECRET_KEY_ENCRYPTION_KEY, "0123456789abcdef"),
        ]));
        assert!(!c.auth.enforce);
        assert_eq!(c.auth.bootstrap_admin.unwrap().0, "root");
        assert!(c.auth.key_encryption_secret.is_some());
    }

    #[test]
    fn defaults_and_overrides() {
        let d = Config::default();
        let c = from_vars(vars(&[
            (VAR_ACCOUNT_ID, "  "),
            (VAR_TX_RECOVERY_MS, "soon"),
        ]));
        assert_eq!(
            (c.region.as_str(), c.account_id.as_str(), c.tx_recovery_ms),
            ("us-east-1", "000000000000", d.tx_recovery_ms)
        );
        assert_eq!(
            (c.snapshot_records, c.log_retention_ms),
            (d.snapshot_records, d.log_retention_ms)
        );
        let c = from_vars(vars(&[
            (VAR_REGION, "eu-west-1"),
            (VAR_ACCOUNT_ID, "123456789012"),
            (VAR_TX_RECOVERY_MS, "750"),
            (VAR_ARCHIVE_RECORDS, "100"),
            (VAR_SNAPSHOT_RECORDS, "400"),
            (VAR_LOG_RETENTION_MS, "0"),
            (VAR_INCREMENTAL_EXPORT_MIN_MS, "1000"),
        ]));
        assert_eq!(c.incremental_export_min_ms, 1000);
        assert_eq!(
            from_vars(vars(&[])).incremental_export_min_ms,
            extenddo_engine::config::INCREMENTAL_EXPORT_MIN_MS
        );
        assert_eq!(
            (c.archive_records, c.snapshot_records, c.log_retention_ms),
            (100, 400, 0)
        );
        assert_eq!(
            (c.region.as_str(), c.account_id.as_str(), c.tx_recovery_ms),
            ("eu-west-1", "123456789012", 750)
        );
    }
}
