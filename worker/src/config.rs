//! The Worker's configuration: wrangler `vars`, with the same defaults as the native host.

use extenddo_engine::Config;

/// wrangler var holding the AWS region reported in ARNs and descriptions.
pub const VAR_REGION: &str = "REGION";
/// wrangler var holding the 12-digit account id (also the prefix of table object names).
pub const VAR_ACCOUNT_ID: &str = "ACCOUNT_ID";

/// Builds the engine configuration from the raw var values; unset or blank vars take the
/// defaults (`us-east-1`, `000000000000`).
pub fn from_vars(region: Option<String>, account_id: Option<String>) -> Config {
    let d = Config::default();
    let pick = |v: Option<String>, default: String| match v {
        Some(s) if !s.trim().is_empty() => s.trim().to_owned(),
        _ => default,
    };
    Config {
        region: pick(region, d.region.clone()),
        account_id: pick(account_id, d.account_id.clone()),
        ..d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let c = from_vars(None, Some("  ".into()));
        assert_eq!(
            (c.region.as_str(), c.account_id.as_str()),
            ("us-east-1", "000000000000")
        );
        let c = from_vars(Some("eu-west-1".into()), Some("123456789012".into()));
        assert_eq!(
            (c.region.as_str(), c.account_id.as_str()),
            ("eu-west-1", "123456789012")
        );
    }
}
