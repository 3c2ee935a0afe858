//! What every request flow of a host shares.

use crate::config::Config;
use crate::flow::auth_cache::AuthCache;
use crate::flow::directory::Directory;

/// What a request flow runs with: the configuration and the name cache, shared by every
/// request of a host.
pub struct FrontEnd {
    pub cfg: Config,
    pub directory: Directory,
    /// Callers, logins and partition key names remembered between requests.
    pub auth: AuthCache,
}

impl FrontEnd {
    pub fn new(cfg: Config) -> FrontEnd {
        FrontEnd {
            cfg,
            directory: Directory::default(),
            auth: AuthCache::default(),
        }
    }
}
