//! The identity object: one per deployment (natively `identity.sqlite`, on Cloudflare the
//! `IdentityObjectDo` Durable Object named `identity`). It stores accounts, users, access
//! keys (their secrets sealed by the request flow before they arrive), inline policies and
//! admins, and answers lookups. It has no background work.

use extenddo_log::sql::{in_transaction, RowExt, Sql, SqlValue};

use crate::api::identity::{
    AccountRecord, IdentityCommand as C, IdentityReply as R, KeyMeta, Principal, UserRecord,
    MAX_POLICY_CHARS,
};
use crate::api::object::{run_batch, Command, Effect, EffectId, Object, Outcome, Reply};
use crate::error::{ApiError, Error, ErrorKind};

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS admins (name TEXT PRIMARY KEY, password_hash TEXT NOT NULL, created_ms INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS accounts (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_ms INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS users (account TEXT NOT NULL, name TEXT NOT NULL, password_hash TEXT, tags TEXT NOT NULL, created_ms INTEGER NOT NULL, PRIMARY KEY (account, name))",
    "CREATE TABLE IF NOT EXISTS access_keys (id TEXT PRIMARY KEY, account TEXT NOT NULL, user TEXT NOT NULL, secret BLOB NOT NULL, session_token TEXT, created_ms INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS keys_of_user ON access_keys (account, user)",
    "CREATE TABLE IF NOT EXISTS policies (account TEXT NOT NULL, user TEXT NOT NULL, name TEXT NOT NULL, document TEXT NOT NULL, PRIMARY KEY (account, user, name))",
];

/// AWS's limits on an IAM user: two access keys, and inline policies of 2,048 characters
/// in all (whitespace not counted).
pub const MAX_KEYS_PER_USER: usize = 2;

pub struct IdentityObject;

fn text(s: &str) -> SqlValue {
    SqlValue::Text(s.to_owned())
}

fn not_found(what: impl Into<String>) -> Error {
    Error::Client(ApiError::new(ErrorKind::ResourceNotFound, what))
}

fn conflict(what: impl Into<String>) -> Error {
    Error::Client(ApiError::new(ErrorKind::ResourceInUse, what))
}

fn opt_text(r: &[SqlValue], i: usize) -> Option<String> {
    match r.get(i) {
        Some(SqlValue::Text(t)) => Some(t.clone()),
        _ => None,
    }
}

impl IdentityObject {
    pub fn open(sql: &dyn Sql) -> Result<IdentityObject, Error> {
        in_transaction(sql, || -> Result<(), Error> {
            for s in SCHEMA {
                sql.exec(s, &[])?;
            }
            Ok(())
        })?;
        Ok(IdentityObject)
    }

    fn account(sql: &dyn Sql, id: &str) -> Result<AccountRecord, Error> {
        let rows = sql.query(
            "SELECT id, name, created_ms FROM accounts WHERE id = ?1",
            &[text(id)],
        )?;
        let r = rows
            .first()
            .ok_or_else(|| not_found(format!("Account {id} not found")))?;
        Ok(AccountRecord {
            id: r.text(0)?.to_owned(),
            name: r.text(1)?.to_owned(),
            created_ms: r.int(2)?,
        })
    }

    fn users(sql: &dyn Sql, account: &str, name: Option<&str>) -> Result<Vec<UserRecord>, Error> {
        let rows = match name {
            Some(n) => sql.query(
                "SELECT account, name, password_hash, tags, created_ms FROM users WHERE account = ?1 AND name = ?2",
                &[text(account), text(n)],
            )?,
            None => sql.query(
                "SELECT account, name, password_hash, tags, created_ms FROM users WHERE account = ?1 ORDER BY name",
                &[text(account)],
            )?,
        };
        rows.iter()
            .map(|r| {
                Ok(UserRecord {
                    account: r.text(0)?.to_owned(),
                    name: r.text(1)?.to_owned(),
                    password_hash: opt_text(r, 2),
                    tags: serde_json::from_str(r.text(3)?)
                        .map_err(|e| Error::Storage(format!("user tags: {e}")))?,
                    created_ms: r.int(4)?,
                })
            })
            .collect()
    }

    fn user(sql: &dyn Sql, account: &str, name: &str) -> Result<UserRecord, Error> {
        Self::account(sql, account)?;
        Self::users(sql, account, Some(name))?
            .pop()
            .ok_or_else(|| not_found(format!("User {name} not found in account {account}")))
    }

    fn policies(sql: &dyn Sql, account: &str, user: &str) -> Result<Vec<(String, String)>, Error> {
        sql.query(
            "SELECT name, document FROM policies WHERE account = ?1 AND user = ?2 ORDER BY name",
            &[text(account), text(user)],
        )?
        .iter()
        .map(|r| Ok((r.text(0)?.to_owned(), r.text(1)?.to_owned())))
        .collect()
    }

    fn keys(sql: &dyn Sql, account: &str, user: &str) -> Result<Vec<KeyMeta>, Error> {
        sql.query(
            "SELECT id, account, user, created_ms, session_token IS NOT NULL FROM access_keys WHERE account = ?1 AND user = ?2 ORDER BY created_ms, id",
            &[text(account), text(user)],
        )?
        .iter()
        .map(|r| key_meta(r))
        .collect()
    }

    fn run(&self, sql: &dyn Sql, now_ms: i64, c: C) -> Result<R, Error> {
        Ok(match c {
            C::Lookup { key_id } => {
                let rows = sql.query(
                    "SELECT id, account, user, created_ms, session_token IS NOT NULL, secret, session_token FROM access_keys WHERE id = ?1",
                    &[text(&key_id)],
                )?;
                let Some(r) = rows.first() else {
                    return Ok(R::Principal(None));
                };
                let key = key_meta(r)?;
                let user = Self::users(sql, &key.account, Some(&key.user))?.pop();
                let Some(user) = user else {
                    return Ok(R::Principal(None));
                };
                R::Principal(Some(Box::new(Principal {
                    policies: Self::policies(sql, &key.account, &key.user)?,
                    sealed_secret: r.blob(5)?.to_vec(),
                    session_token: opt_text(r, 6),
                    user_id: user.unique_id(),
                    user_tags: user.tags,
                    key,
                })))
            }
            C::Admin { name } => {
                let hash = sql
                    .query(
                        "SELECT password_hash FROM admins WHERE name = ?1",
                        &[text(&name)],
                    )?
                    .first()
                    .map(|r| r.text(0).map(str::to_owned))
                    .transpose()?;
                let any = !sql.query("SELECT 1 FROM admins LIMIT 1", &[])?.is_empty();
                R::Admin {
                    password_hash: hash,
                    any_stored: any,
                }
            }
            C::CreateAdmin {
                name,
                password_hash,
            } => {
                let n = sql.query(
                    "INSERT INTO admins (name, password_hash, created_ms) VALUES (?1, ?2, ?3) ON CONFLICT (name) DO NOTHING RETURNING 1",
                    &[text(&name), text(&password_hash), SqlValue::Integer(now_ms)],
                )?;
                if n.is_empty() {
                    return Err(conflict(format!("Admin {name} already exists")));
                }
                R::Done
            }
            C::ListAdmins => R::Admins(
                sql.query("SELECT name FROM admins ORDER BY name", &[])?
                    .iter()
                    .map(|r| Ok(r.text(0)?.to_owned()))
                    .collect::<Result<_, Error>>()?,
            ),
            C::DeleteAdmin { name } => {
                let count = sql.query("SELECT count(*) FROM admins", &[])?;
                if count.first().map(|r| r.int(0)).transpose()? == Some(1)
                    && !sql
                        .query("SELECT 1 FROM admins WHERE name = ?1", &[text(&name)])?
                        .is_empty()
                {
                    return Err(conflict(
                        "Cannot delete the last admin (the bootstrap admin would work again): create another first",
                    ));
                }
                if sql
                    .query(
                        "DELETE FROM admins WHERE name = ?1 RETURNING 1",
                        &[text(&name)],
                    )?
                    .is_empty()
                {
                    return Err(not_found(format!("Admin {name} not found")));
                }
                R::Done
            }
            C::CreateAccount { id, name } => {
                let n = sql.query(
                    "INSERT INTO accounts (id, name, created_ms) VALUES (?1, ?2, ?3) ON CONFLICT (id) DO NOTHING RETURNING 1",
                    &[text(&id), text(&name), SqlValue::Integer(now_ms)],
                )?;
                if n.is_empty() {
                    return Err(conflict(format!("Account {id} already exists")));
                }
                R::Account(Self::account(sql, &id)?)
            }
            C::ListAccounts => R::Accounts(
                sql.query("SELECT id, name, created_ms FROM accounts ORDER BY id", &[])?
                    .iter()
                    .map(|r| {
                        Ok(AccountRecord {
                            id: r.text(0)?.to_owned(),
                            name: r.text(1)?.to_owned(),
                            created_ms: r.int(2)?,
                        })
                    })
                    .collect::<Result<_, Error>>()?,
            ),
            C::GetAccount { id } => R::Account(Self::account(sql, &id)?),
            C::DeleteAccount { id } => {
                Self::account(sql, &id)?;
                if !Self::users(sql, &id, None)?.is_empty() {
                    return Err(conflict(format!(
                        "Account {id} still has users: delete them first"
                    )));
                }
                sql.exec("DELETE FROM accounts WHERE id = ?1", &[text(&id)])?;
                R::Done
            }
            C::CreateUser {
                account,
                name,
                password_hash,
                tags,
            } => {
                Self::account(sql, &account)?;
                let tags_json = serde_json::to_string(&tags).map_err(Error::bug)?;
                let n = sql.query(
                    "INSERT INTO users (account, name, password_hash, tags, created_ms) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (account, name) DO NOTHING RETURNING 1",
                    &[
                        text(&account),
                        text(&name),
                        password_hash.as_deref().map_or(SqlValue::Null, text),
                        text(&tags_json),
                        SqlValue::Integer(now_ms),
                    ],
                )?;
                if n.is_empty() {
                    return Err(conflict(format!(
                        "User {name} already exists in account {account}"
                    )));
                }
                R::User(Self::user(sql, &account, &name)?)
            }
            C::ListUsers { account } => {
                Self::account(sql, &account)?;
                R::Users(Self::users(sql, &account, None)?)
            }
            C::GetUser { account, name } => R::User(Self::user(sql, &account, &name)?),
            C::DeleteUser { account, name } => {
                Self::user(sql, &account, &name)?;
                let k = [text(&account), text(&name)];
                sql.exec(
                    "DELETE FROM access_keys WHERE account = ?1 AND user = ?2",
                    &k,
                )?;
                sql.exec("DELETE FROM policies WHERE account = ?1 AND user = ?2", &k)?;
                sql.exec("DELETE FROM users WHERE account = ?1 AND name = ?2", &k)?;
                R::Done
            }
            C::SetPassword {
                account,
                name,
                password_hash,
            } => {
                Self::user(sql, &account, &name)?;
                sql.exec(
                    "UPDATE users SET password_hash = ?3 WHERE account = ?1 AND name = ?2",
                    &[text(&account), text(&name), text(&password_hash)],
                )?;
                R::Done
            }
            C::CreateKey {
                account,
                user,
                key_id,
                sealed_secret,
                session_token,
            } => {
                Self::user(sql, &account, &user)?;
                if Self::keys(sql, &account, &user)?.len() >= MAX_KEYS_PER_USER {
                    return Err(Error::Client(ApiError::new(
                        ErrorKind::LimitExceeded,
                        format!("Cannot exceed quota for AccessKeysPerUser: {MAX_KEYS_PER_USER}"),
                    )));
                }
                let n = sql.query(
                    "INSERT INTO access_keys (id, account, user, secret, session_token, created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (id) DO NOTHING RETURNING 1",
                    &[
                        text(&key_id),
                        text(&account),
                        text(&user),
                        SqlValue::Blob(sealed_secret),
                        session_token.as_deref().map_or(SqlValue::Null, text),
                        SqlValue::Integer(now_ms),
                    ],
                )?;
                if n.is_empty() {
                    return Err(conflict(format!("Access key {key_id} already exists")));
                }
                R::Keys(
                    Self::keys(sql, &account, &user)?
                        .into_iter()
                        .filter(|k| k.id == key_id)
                        .collect(),
                )
            }
            C::ListKeys { account, user } => {
                Self::user(sql, &account, &user)?;
                R::Keys(Self::keys(sql, &account, &user)?)
            }
            C::DeleteKey {
                account,
                user,
                key_id,
            } => {
                Self::user(sql, &account, &user)?;
                let n = sql.query(
                    "DELETE FROM access_keys WHERE id = ?1 AND account = ?2 AND user = ?3 RETURNING 1",
                    &[text(&key_id), text(&account), text(&user)],
                )?;
                if n.is_empty() {
                    return Err(not_found(format!("Access key {key_id} not found")));
                }
                R::Done
            }
            C::PutPolicy {
                account,
                user,
                name,
                document,
            } => {
                Self::user(sql, &account, &user)?;
                let chars = |d: &str| d.chars().filter(|c| !c.is_whitespace()).count();
                let others: usize = Self::policies(sql, &account, &user)?
                    .iter()
                    .filter(|(n, _)| *n != name)
                    .map(|(_, d)| chars(d))
                    .sum();
                if others + chars(&document) > MAX_POLICY_CHARS {
                    return Err(Error::Client(ApiError::new(
                        ErrorKind::LimitExceeded,
                        format!("Maximum policy size of {MAX_POLICY_CHARS} bytes exceeded for user {user}"),
                    )));
                }
                sql.exec(
                    "INSERT INTO policies (account, user, name, document) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (account, user, name) DO UPDATE SET document = excluded.document",
                    &[text(&account), text(&user), text(&name), text(&document)],
                )?;
                R::Done
            }
            C::GetPolicy {
                account,
                user,
                name,
            } => {
                Self::user(sql, &account, &user)?;
                let doc = Self::policies(sql, &account, &user)?
                    .into_iter()
                    .find(|(n, _)| *n == name)
                    .ok_or_else(|| not_found(format!("Policy {name} not found")))?;
                R::Policy(doc.1)
            }
            C::DeletePolicy {
                account,
                user,
                name,
            } => {
                Self::user(sql, &account, &user)?;
                let n = sql.query(
                    "DELETE FROM policies WHERE account = ?1 AND user = ?2 AND name = ?3 RETURNING 1",
                    &[text(&account), text(&user), text(&name)],
                )?;
                if n.is_empty() {
                    return Err(not_found(format!("Policy {name} not found")));
                }
                R::Done
            }
            C::ListPolicies { account, user } => {
                Self::user(sql, &account, &user)?;
                R::Policies(
                    Self::policies(sql, &account, &user)?
                        .into_iter()
                        .map(|(n, _)| n)
                        .collect(),
                )
            }
        })
    }
}

fn key_meta(r: &[SqlValue]) -> Result<KeyMeta, Error> {
    Ok(KeyMeta {
        id: r.text(0)?.to_owned(),
        account: r.text(1)?.to_owned(),
        user: r.text(2)?.to_owned(),
        created_ms: r.int(3)?,
        has_session_token: r.int(4)? != 0,
    })
}

impl Object for IdentityObject {
    fn handle(&mut self, sql: &dyn Sql, now_ms: i64, commands: Vec<Command>) -> Vec<Outcome> {
        let n = commands.len();
        let outcome = run_batch(sql, commands, |cmd| match cmd {
            Command::Identity(c) => self.run(sql, now_ms, c).map(Reply::Identity),
            _ => Err(Error::bug("a command for another object sent to identity")),
        });
        match outcome {
            Ok(v) => v,
            Err(e) => vec![Err(e); n],
        }
    }

    fn handle_timeout(&mut self, _sql: &dyn Sql, _now_ms: i64) {}

    fn handle_result(&mut self, _sql: &dyn Sql, _now_ms: i64, _id: EffectId, _result: Outcome) {}

    fn poll_timeout(&self) -> Option<i64> {
        None
    }

    fn poll_effect(&mut self) -> Option<(EffectId, Effect)> {
        None
    }

    fn take_diagnostics(&mut self) -> Vec<String> {
        Vec::new()
    }
}
