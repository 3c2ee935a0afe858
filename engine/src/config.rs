//! What a host tells the engine about where it runs.

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Config {
    pub region: String,
    pub account_id: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            region: "us-east-1".into(),
            account_id: "000000000000".into(),
        }
    }
}
