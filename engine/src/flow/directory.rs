//! Which incarnation a table name stands for, remembered between requests so that the data
//! path goes straight to the table object. An entry may go stale (the table was deleted and
//! created again, possibly through another host instance): the old table object then answers
//! `Gone` and the request flow asks the catalog again.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::api::ids::TableId;

/// More names than this and the cache starts over (it is only a cache).
const MAX_ENTRIES: usize = 16_384;

#[derive(Default)]
pub struct Directory {
    map: Mutex<HashMap<(String, String), TableId>>,
}

impl Directory {
    pub fn get(&self, account: &str, name: &str) -> Option<TableId> {
        let map = self.map.lock().ok()?;
        map.get(&(account.to_owned(), name.to_owned())).cloned()
    }

    pub fn put(&self, account: &str, name: &str, id: TableId) {
        if let Ok(mut map) = self.map.lock() {
            if map.len() >= MAX_ENTRIES {
                map.clear();
            }
            map.insert((account.to_owned(), name.to_owned()), id);
        }
    }

    /// Forgets `name`, if it still stands for `id` (`None`: whatever it stands for).
    pub fn forget(&self, account: &str, name: &str, id: Option<&TableId>) {
        if let Ok(mut map) = self.map.lock() {
            let key = (account.to_owned(), name.to_owned());
            if id.is_none() || map.get(&key) == id {
                map.remove(&key);
            }
        }
    }
}
