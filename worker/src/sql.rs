//! The engine's [`Sql`] port over a Durable Object's SQLite storage.
//!
//! - Statements go through `ctx.storage.sql.exec` (worker's [`SqlStorage`]).
//! - Transactions go through `ctx.storage.transactionSync(callback)`: the only way to group
//!   statements atomically in a Durable Object (`BEGIN`/`COMMIT` in `exec` are refused). The
//!   callback commits when it returns and rolls everything back when it throws, which it
//!   does whenever the engine's body returns `Err`. workers-rs 0.8.7 has no binding for it,
//!   so a minimal one is declared here.
//! - Values: BLOBs cross as `Uint8Array`/`ArrayBuffer` bytes; integers as JS numbers, with
//!   the out-of-range rule described in [`crate::values`].

use extenddo_log::{Row, Sql, SqlError, SqlValue};
use worker::js_sys;
use worker::wasm_bindgen::prelude::*;
use worker::wasm_bindgen::JsCast;
use worker::{SqlStorage, SqlStorageValue, Storage};

use crate::values::{integer_binding, IntBinding};

#[wasm_bindgen(wasm_bindgen = ::worker::wasm_bindgen)]
extern "C" {
    /// `DurableObjectStorage`, seen only through `transactionSync`.
    #[wasm_bindgen(extends = ::worker::js_sys::Object)]
    type SyncStorage;

    /// `storage.transactionSync(callback)`: runs `callback` in one SQLite transaction,
    /// committed if it returns, rolled back (and the exception rethrown) if it throws.
    #[wasm_bindgen(method, catch, js_name = transactionSync)]
    fn transaction_sync_raw(
        this: &SyncStorage,
        callback: &mut dyn FnMut() -> Result<JsValue, JsValue>,
    ) -> Result<JsValue, JsValue>;
}

/// One Durable Object's SQLite database.
pub struct DoSql {
    storage: Storage,
    sql: SqlStorage,
    in_transaction: std::cell::Cell<bool>,
}

impl DoSql {
    pub fn new(storage: Storage) -> DoSql {
        let sql = storage.sql();
        DoSql {
            storage,
            sql,
            in_transaction: std::cell::Cell::new(false),
        }
    }

    fn run(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, SqlError> {
        let bindings: Vec<SqlStorageValue> = params.iter().map(bind).collect();
        let cursor = self.sql.exec(sql, bindings).map_err(backend)?;
        cursor
            .raw()
            .map(|row| {
                row.map(|values| values.into_iter().map(column).collect())
                    .map_err(backend)
            })
            .collect()
    }
}

impl Sql for DoSql {
    fn exec(&self, sql: &str, params: &[SqlValue]) -> Result<(), SqlError> {
        // Drain the cursor so that the statement runs to completion (and returns to
        // workerd's statement cache) even if it produces rows.
        self.run(sql, params).map(drop)
    }

    fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, SqlError> {
        self.run(sql, params)
    }

    fn in_transaction(&self) -> bool {
        self.in_transaction.get()
    }

    fn transaction(&self, body: &mut dyn FnMut() -> Result<(), SqlError>) -> Result<(), SqlError> {
        let raw: &SyncStorage = self.storage.as_raw().unchecked_ref();
        let mut outcome: Option<Result<(), SqlError>> = None;
        let thrown = {
            let mut callback = || -> Result<JsValue, JsValue> {
                if outcome.is_some() {
                    return Err(js_sys::Error::new("extenddo: transaction body re-entered").into());
                }
                self.in_transaction.set(true);
                let r = body();
                self.in_transaction.set(false);
                let failed = r.is_err();
                outcome = Some(r);
                if failed {
                    // Throwing is what makes transactionSync roll back.
                    Err(js_sys::Error::new("extenddo: transaction rolled back").into())
                } else {
                    Ok(JsValue::UNDEFINED)
                }
            };
            raw.transaction_sync_raw(&mut callback)
        };
        match (thrown, outcome) {
            (Ok(_), Some(Ok(()))) => Ok(()),
            (_, Some(Err(e))) => Err(e),
            (Err(js), Some(Ok(()))) => Err(SqlError::Backend(format!(
                "commit failed: {}",
                js_text(&js)
            ))),
            (Err(js), None) => Err(SqlError::Backend(format!(
                "transaction failed: {}",
                js_text(&js)
            ))),
            (Ok(_), None) => Err(SqlError::Backend("transaction body did not run".into())),
        }
    }
}

fn bind(v: &SqlValue) -> SqlStorageValue {
    match v {
        SqlValue::Null => SqlStorageValue::Null,
        SqlValue::Integer(i) => match integer_binding(*i) {
            // Converted back to a JS number by worker; exact in this range.
            IntBinding::Number(_) => SqlStorageValue::Integer(*i),
            IntBinding::Decimal(text) => SqlStorageValue::String(text),
        },
        SqlValue::Real(f) => SqlStorageValue::Float(*f),
        SqlValue::Text(s) => SqlStorageValue::String(s.clone()),
        SqlValue::Blob(b) => SqlStorageValue::Blob(b.clone()),
    }
}

fn column(v: SqlStorageValue) -> SqlValue {
    match v {
        SqlStorageValue::Null => SqlValue::Null,
        SqlStorageValue::Boolean(b) => SqlValue::Integer(b as i64),
        // worker reports a double as Integer only when it is a safe integer.
        SqlStorageValue::Integer(i) => SqlValue::Integer(i),
        SqlStorageValue::Float(f) => SqlValue::Real(f),
        SqlStorageValue::String(s) => SqlValue::Text(s),
        SqlStorageValue::Blob(b) => SqlValue::Blob(b),
    }
}

fn backend(e: worker::Error) -> SqlError {
    SqlError::Backend(e.to_string())
}

/// The message of a thrown JS value.
pub fn js_text(js: &JsValue) -> String {
    if let Some(e) = js.dyn_ref::<js_sys::Error>() {
        return String::from(e.message());
    }
    js.as_string().unwrap_or_else(|| format!("{js:?}"))
}
