//! What a host remembers about callers between requests, and the key their secrets are
//! sealed under.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use crate::auth::policy::Policy;
use crate::auth::secrets::MasterKey;
use crate::config::Config;

/// More entries than this and a cache starts over (it is only a cache).
const MAX_CACHED: usize = 4096;

/// A verified caller.
#[derive(Debug)]
pub struct Caller {
    pub account: String,
    pub user: String,
    /// The user's unique id (`aws:userid`): a user deleted and created again gets another.
    pub user_id: String,
    pub key_id: String,
    pub(crate) secret: String,
    pub(crate) session_token: Option<String>,
    pub tags: BTreeMap<String, String>,
    pub policies: Vec<Policy>,
    /// The condition keys every request of the caller has (user, account, tags), built once.
    pub(crate) base_keys: crate::auth::policy::ContextKeys,
    /// Which request-dependent condition keys the caller's policies read: only those are
    /// computed for its requests.
    pub(crate) uses: Uses,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Uses {
    pub time: bool,
    pub attributes: bool,
    pub leading_keys: bool,
    pub request_members: bool,
}

impl Uses {
    pub fn of(policies: &[Policy]) -> Uses {
        let any = |k: &str| policies.iter().any(|p| p.uses_condition_key(k));
        Uses {
            time: any("aws:CurrentTime") || any("aws:EpochTime"),
            attributes: any("dynamodb:Attributes"),
            leading_keys: any("dynamodb:LeadingKeys"),
            request_members: any("dynamodb:Select")
                || any("dynamodb:ReturnValues")
                || any("dynamodb:ReturnConsumedCapacity"),
        }
    }
}

/// A table's partition key attribute names, and each index's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyNames {
    pub table: Vec<String>,
    pub indexes: BTreeMap<String, Vec<String>>,
}

/// Who logged in to the management API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Login {
    Admin(String),
    User { account: String, name: String },
}

pub fn master_key(cfg: &Config) -> Option<MasterKey> {
    cfg.auth
        .key_encryption_secret
        .as_ref()
        .and_then(|s| MasterKey::from_secret(&s.0))
}

/// What a host remembers between requests: callers by access key, verified management
/// logins, failed logins, and tables' partition key names.
#[derive(Default)]
pub struct AuthCache {
    pub(crate) callers: Mutex<HashMap<String, (Arc<Caller>, i64)>>,
    logins: Mutex<HashMap<[u8; 32], (Login, i64)>>,
    failures: Mutex<HashMap<String, (u32, i64)>>,
    pub(crate) hash_keys: Mutex<HashMap<(String, String), (KeyNames, i64)>>,
}

pub(crate) fn get<K: std::hash::Hash + Eq, V: Clone>(
    m: &Mutex<HashMap<K, (V, i64)>>,
    k: &K,
    now_ms: i64,
) -> Option<V> {
    let map = m.lock().ok()?;
    map.get(k)
        .filter(|(_, until)| *until > now_ms)
        .map(|(v, _)| v.clone())
}

pub(crate) fn put<K: std::hash::Hash + Eq, V>(
    m: &Mutex<HashMap<K, (V, i64)>>,
    k: K,
    v: V,
    until: i64,
) {
    if let Ok(mut map) = m.lock() {
        if map.len() >= MAX_CACHED {
            map.clear();
        }
        map.insert(k, (v, until));
    }
}

/// A failed management login counts; this many within the window and the name is refused
/// until the window has passed.
pub const MAX_FAILED_LOGINS: u32 = 5;
pub const FAILED_LOGIN_WINDOW_MS: i64 = 60_000;

impl AuthCache {
    /// Everything an identity change may have made stale (changes through this host take
    /// effect at once; other hosts' caches expire after `AuthConfig::cache_ms`).
    pub fn forget_all(&self) {
        if let Ok(mut m) = self.callers.lock() {
            m.clear();
        }
        if let Ok(mut m) = self.logins.lock() {
            m.clear();
        }
    }

    pub(crate) fn login(&self, k: &[u8; 32], now_ms: i64) -> Option<Login> {
        get(&self.logins, k, now_ms)
    }

    pub(crate) fn remember_login(&self, k: [u8; 32], l: Login, until: i64) {
        put(&self.logins, k, l, until);
    }

    /// Whether `who` is locked out by failed logins.
    pub fn locked_out(&self, who: &str, now_ms: i64) -> bool {
        self.failures.lock().is_ok_and(|m| {
            m.get(who).is_some_and(|(n, since)| {
                *n >= MAX_FAILED_LOGINS && now_ms - since < FAILED_LOGIN_WINDOW_MS
            })
        })
    }

    pub fn failed_login(&self, who: &str, now_ms: i64) {
        if let Ok(mut m) = self.failures.lock() {
            if m.len() >= MAX_CACHED {
                // Forget what has expired and what is not locked out; never a lock-out, or
                // a flood of made-up names would lift it.
                m.retain(|_, (n, since)| {
                    *n >= MAX_FAILED_LOGINS && now_ms - *since < FAILED_LOGIN_WINDOW_MS
                });
                if m.len() >= MAX_CACHED {
                    return;
                }
            }
            let e = m.entry(who.to_owned()).or_insert((0, now_ms));
            if now_ms - e.1 >= FAILED_LOGIN_WINDOW_MS {
                *e = (0, now_ms);
            }
            e.0 += 1;
        }
    }
}
