//! The catalog object: which table incarnation a name stands for in each account, and the
//! lifecycle of incarnations. The data path does not come here once the request flow knows a
//! table's id.
//!
//! An incarnation is `creating` from the moment its name is reserved until its table object
//! has logged `TableCreated`, `deleting` from DeleteTable's start until its table object
//! has logged `TableDeleted`, then `deleted` until its table object retires its storage.
//! A crash (of a host, or of the request flow driving a creation or deletion) can leave an
//! incarnation `creating` or `deleting`: after a grace period the catalog rolls it forward
//! itself, sending the table object the command again (both are idempotent). A deleted
//! incarnation is kept until the time its table object named (its streams stay readable
//! that long); then the catalog asks the table object to retire and forgets it.

mod backups;
mod transfers;

use std::collections::HashMap;

use extenddo_log::sql::{in_transaction, RowExt};
use extenddo_log::{Sql, SqlValue};

use crate::api::catalog::{CatalogCommand, CatalogReply, Incarnation, IncarnationState as State};
use crate::api::codec;
use crate::api::command::{CreateTable, TableCommand};
use crate::api::ids::TableId;
use crate::api::object::{
    run_batch, Address, Call, Command, Effect, EffectId, Effects, Object, Outcome, Reply,
};
use crate::api::reply::TableReply;
use crate::config::Config;
use crate::error::{ApiError, Error, ErrorKind};

/// How long a creation or deletion may stay half done before the catalog finishes it itself.
pub const RECOVERY_GRACE_MS: i64 = 10_000;
/// After a failed roll-forward or retirement, try again this much later.
const RETRY_MS: i64 = 5_000;

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS incarnations (
    id TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    name TEXT NOT NULL,
    state TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    deleted_ms INTEGER,
    since_ms INTEGER NOT NULL,
    retire_at_ms INTEGER,
    create_command BLOB
)";

/// Pending work that is due: the incarnation, its state, its CreateTable command if any.
type Due = (TableId, State, Option<Vec<u8>>);

/// Work the catalog sent to a table object and awaits.
#[derive(Debug, Clone)]
enum Pending {
    Create(TableId),
    Delete(TableId),
    Retire(TableId),
    /// A backup taken again (its first taking was cut short).
    Backup(String),
    /// Deleting a deleted backup's objects.
    Objects(String),
    /// An export or import asked for again (its table may have been cut short).
    Job(String),
}

pub struct CatalogObject {
    cfg: Config,
    effects: Effects,
    in_flight: HashMap<EffectId, Pending>,
    next_due: Option<i64>,
    diagnostics: Vec<String>,
}

const COLUMNS: &str = "account, name, id, state, created_ms, deleted_ms";

fn incarnation(r: &[SqlValue]) -> Result<Incarnation, Error> {
    let state = r.text(3)?;
    Ok(Incarnation {
        account: r.text(0)?.to_owned(),
        name: r.text(1)?.to_owned(),
        id: TableId(r.text(2)?.to_owned()),
        state: State::parse(state)
            .ok_or_else(|| Error::Storage(format!("unknown incarnation state {state:?}")))?,
        created_ms: r.int(4)?,
        deleted_ms: match r.get(5) {
            Some(SqlValue::Integer(v)) => Some(*v),
            _ => None,
        },
    })
}

fn text(s: &str) -> SqlValue {
    SqlValue::Text(s.to_owned())
}

impl CatalogObject {
    pub fn open(sql: &dyn Sql, cfg: Config) -> Result<CatalogObject, Error> {
        in_transaction(sql, || -> Result<(), Error> {
            sql.exec(SCHEMA, &[])?;
            sql.exec(
                "CREATE UNIQUE INDEX IF NOT EXISTS current_names ON incarnations (account, name) WHERE state <> 'deleted'",
                &[],
            )?;
            sql.exec(
                "CREATE INDEX IF NOT EXISTS by_name ON incarnations (account, name, created_ms)",
                &[],
            )?;
            migrate_v0(sql, &cfg)?;
            sql.exec(backups::SCHEMA, &[])?;
            sql.exec(backups::INDEX, &[])?;
            sql.exec(transfers::SCHEMA, &[])?;
            sql.exec(transfers::INDEX, &[])?;
            transfers::due_now(sql)?;
            Ok(())
        })?;
        let mut c = CatalogObject {
            cfg,
            effects: Effects::default(),
            in_flight: HashMap::new(),
            next_due: None,
            diagnostics: Vec::new(),
        };
        c.refresh_due(sql);
        Ok(c)
    }

    fn current(
        &self,
        sql: &dyn Sql,
        account: &str,
        name: &str,
    ) -> Result<Option<Incarnation>, Error> {
        sql.query(
            &format!("SELECT {COLUMNS} FROM incarnations WHERE account = ?1 AND name = ?2 AND state <> 'deleted'"),
            &[text(account), text(name)],
        )?
        .first()
        .map(|r| incarnation(r))
        .transpose()
    }

    fn run(
        &mut self,
        sql: &dyn Sql,
        now_ms: i64,
        cmd: CatalogCommand,
    ) -> Result<CatalogReply, Error> {
        match cmd {
            CatalogCommand::Resolve {
                account,
                name,
                at_ms,
            } => {
                let found = match at_ms {
                    None => self.current(sql, &account, &name)?,
                    // The incarnation that existed at `at`: the newest created by then.
                    Some(at) => sql
                        .query(
                            &format!("SELECT {COLUMNS} FROM incarnations WHERE account = ?1 AND name = ?2 AND created_ms <= ?3 ORDER BY created_ms DESC LIMIT 1"),
                            &[text(&account), text(&name), SqlValue::Integer(at)],
                        )?
                        .first()
                        .map(|r| incarnation(r))
                        .transpose()?,
                };
                Ok(found.map_or(CatalogReply::NotFound, CatalogReply::Resolved))
            }
            CatalogCommand::List {
                account,
                start,
                limit,
            } => {
                // One extra row tells whether another page exists.
                let rows = sql.query(
                    "SELECT name FROM incarnations WHERE account = ?1 AND state <> 'deleted' AND name > ?2 ORDER BY name LIMIT ?3",
                    &[
                        text(&account),
                        SqlValue::Text(start.unwrap_or_default()),
                        SqlValue::Integer(limit as i64 + 1),
                    ],
                )?;
                let mut names = rows
                    .iter()
                    .map(|r| r.text(0).map(str::to_owned))
                    .collect::<Result<Vec<_>, _>>()?;
                let mut last_evaluated = None;
                if names.len() > limit {
                    names.truncate(limit);
                    last_evaluated = names.last().cloned();
                }
                Ok(CatalogReply::Tables {
                    names,
                    last_evaluated,
                })
            }
            CatalogCommand::ListIncarnations {
                account,
                after,
                limit,
            } => {
                let (name, created) = after.unwrap_or((String::new(), i64::MIN));
                let rows = sql.query(
                    &format!("SELECT {COLUMNS} FROM incarnations WHERE account = ?1 AND (name, created_ms) > (?2, ?3) ORDER BY name, created_ms LIMIT ?4"),
                    &[
                        text(&account),
                        SqlValue::Text(name),
                        SqlValue::Integer(created),
                        SqlValue::Integer(limit as i64),
                    ],
                )?;
                Ok(CatalogReply::Incarnations(
                    rows.iter()
                        .map(|r| incarnation(r))
                        .collect::<Result<_, _>>()?,
                ))
            }
            CatalogCommand::Reserve {
                account,
                name,
                create,
            } => {
                if self.current(sql, &account, &name)?.is_some() {
                    return Err(ApiError::new(
                        ErrorKind::ResourceInUse,
                        format!("Table already exists: {name}"),
                    )
                    .into());
                }
                let id = create.schema.id.clone();
                sql.exec(
                    "INSERT INTO incarnations (id, account, name, state, created_ms, since_ms, create_command) VALUES (?1, ?2, ?3, 'creating', ?4, ?5, ?6)",
                    &[
                        SqlValue::Text(id),
                        text(&account),
                        text(&name),
                        SqlValue::Integer(create.schema.created_ms),
                        SqlValue::Integer(now_ms),
                        SqlValue::Blob(codec::encode_stored(&*create)?),
                    ],
                )?;
                Ok(CatalogReply::Done)
            }
            CatalogCommand::Activate { id, .. } => {
                activate(sql, &id)?;
                Ok(CatalogReply::Done)
            }
            CatalogCommand::Release { id, .. } => {
                sql.exec(
                    "DELETE FROM incarnations WHERE id = ?1 AND state = 'creating'",
                    &[text(id.as_str())],
                )?;
                Ok(CatalogReply::Done)
            }
            CatalogCommand::BeginDelete { account, name } => {
                let Some(inc) = self.current(sql, &account, &name)? else {
                    return Ok(CatalogReply::NotFound);
                };
                match inc.state {
                    State::Creating => Err(ApiError::new(
                        ErrorKind::ResourceInUse,
                        format!("Attempt to change a resource which is still in use: Table is being created: {name}"),
                    )
                    .into()),
                    // A deletion cut short is finished by whoever asks again.
                    State::Deleting => Ok(CatalogReply::Deleting(inc)),
                    State::Active => {
                        sql.exec(
                            "UPDATE incarnations SET state = 'deleting', since_ms = ?2 WHERE id = ?1",
                            &[text(inc.id.as_str()), SqlValue::Integer(now_ms)],
                        )?;
                        Ok(CatalogReply::Deleting(Incarnation {
                            state: State::Deleting,
                            ..inc
                        }))
                    }
                    State::Deleted => Err(Error::bug("a deleted incarnation is current")),
                }
            }
            CatalogCommand::FinishDelete {
                id,
                deleted_ms,
                retain_until_ms,
                ..
            } => {
                finish_delete(sql, &id, deleted_ms, retain_until_ms)?;
                Ok(CatalogReply::Done)
            }
            CatalogCommand::AbortDelete { id, .. } => {
                sql.exec(
                    "UPDATE incarnations SET state = 'active', since_ms = ?2 WHERE id = ?1 AND state = 'deleting'",
                    &[text(id.as_str()), SqlValue::Integer(now_ms)],
                )?;
                Ok(CatalogReply::Done)
            }
            CatalogCommand::Incarnations => {
                let rows = sql.query(
                    &format!(
                        "SELECT {COLUMNS} FROM incarnations ORDER BY account, name, created_ms"
                    ),
                    &[],
                )?;
                Ok(CatalogReply::Incarnations(
                    rows.iter()
                        .map(|r| incarnation(r))
                        .collect::<Result<_, _>>()?,
                ))
            }
            CatalogCommand::PutBackup(b) => {
                backups::put(sql, now_ms, &b)?;
                Ok(CatalogReply::Done)
            }
            CatalogCommand::GetBackup { account, arn } => backups::get(sql, &account, &arn)?
                .map(|b| CatalogReply::Backup(Box::new(b)))
                .ok_or_else(|| backups::backup_not_found(&arn).into()),
            CatalogCommand::ListBackups { account, filter } => {
                let (backups, last_evaluated) = backups::list(sql, &account, &filter)?;
                Ok(CatalogReply::Backups {
                    backups,
                    last_evaluated,
                })
            }
            CatalogCommand::PutExport(e) => {
                transfers::put(sql, now_ms, &*e)?;
                Ok(CatalogReply::Done)
            }
            CatalogCommand::GetExport { account, arn } => transfers::get(sql, &account, &arn)?
                .map(|e| CatalogReply::Export(Box::new(e)))
                .ok_or_else(|| crate::api::transfer::export_not_found(&arn).into()),
            CatalogCommand::ListExports {
                account,
                table_arn,
                limit,
                next,
            } => {
                let (exports, next) =
                    transfers::list(sql, &account, table_arn.as_deref(), limit, next.as_deref())?;
                Ok(CatalogReply::Exports { exports, next })
            }
            CatalogCommand::ExportByToken { account, token } => {
                Ok(match transfers::by_token(sql, &account, &token)? {
                    Some(e) => CatalogReply::Export(Box::new(e)),
                    None => CatalogReply::NotFound,
                })
            }
            CatalogCommand::PutImport(i) => {
                transfers::put(sql, now_ms, &*i)?;
                Ok(CatalogReply::Done)
            }
            CatalogCommand::GetImport { account, arn } => transfers::get(sql, &account, &arn)?
                .map(|i| CatalogReply::Import(Box::new(i)))
                .ok_or_else(|| crate::api::transfer::import_not_found(&arn).into()),
            CatalogCommand::ListImports {
                account,
                table_arn,
                limit,
                next,
            } => {
                let (imports, next) =
                    transfers::list(sql, &account, table_arn.as_deref(), limit, next.as_deref())?;
                Ok(CatalogReply::Imports { imports, next })
            }
            CatalogCommand::ImportByToken { account, token } => {
                Ok(match transfers::by_token(sql, &account, &token)? {
                    Some(i) => CatalogReply::Import(Box::new(i)),
                    None => CatalogReply::NotFound,
                })
            }
            CatalogCommand::DeleteBackup { account, arn } => {
                let b = backups::delete(sql, &account, &arn)?;
                // The manifest first: without it what is left is not a backup.
                for key in [b.manifest_key(), b.snapshot_key()] {
                    let eid =
                        self.effects
                            .push(Effect::Store(crate::api::store::StoreRequest::Delete {
                                key: key.clone(),
                            }));
                    self.in_flight.insert(eid, Pending::Objects(key));
                }
                Ok(CatalogReply::Backup(Box::new(b)))
            }
        }
    }

    /// When the next half-done creation or deletion, or the next retirement, is due.
    fn refresh_due(&mut self, sql: &dyn Sql) {
        let busy: Vec<String> = self
            .in_flight
            .values()
            .filter_map(|p| match p {
                Pending::Create(id) | Pending::Delete(id) | Pending::Retire(id) => {
                    Some(id.0.clone())
                }
                Pending::Backup(_) | Pending::Objects(_) | Pending::Job(_) => None,
            })
            .collect();
        let rows = sql.query(
            "SELECT id, CASE WHEN state = 'deleted' THEN retire_at_ms ELSE since_ms + ?1 END FROM incarnations WHERE state IN ('creating', 'deleting', 'deleted')",
            &[SqlValue::Integer(RECOVERY_GRACE_MS)],
        );
        match rows {
            Ok(rows) => {
                let jobs = match transfers::next_due(sql) {
                    Ok(due) => due,
                    Err(e) => {
                        self.diagnostics.push(format!("reading jobs: {e}"));
                        None
                    }
                };
                let backups = match backups::next_due(sql) {
                    Ok(due) => due,
                    Err(e) => {
                        self.diagnostics.push(format!("reading backups: {e}"));
                        None
                    }
                };
                self.next_due = rows
                    .iter()
                    .filter(|r| r.text(0).is_ok_and(|id| !busy.iter().any(|b| b == id)))
                    .filter_map(|r| r.int(1).ok())
                    .chain(backups)
                    .chain(jobs)
                    .min();
            }
            Err(e) => {
                self.diagnostics.push(format!("reading pending work: {e}"));
                self.next_due = None;
            }
        }
    }

    fn due_work(&self, sql: &dyn Sql, now_ms: i64) -> Result<Vec<Due>, Error> {
        sql.query(
            "SELECT id, state, create_command FROM incarnations WHERE (state IN ('creating', 'deleting') AND since_ms + ?1 <= ?2) OR (state = 'deleted' AND retire_at_ms <= ?2)",
            &[SqlValue::Integer(RECOVERY_GRACE_MS), SqlValue::Integer(now_ms)],
        )?
        .iter()
        .map(|r| {
            let state = r.text(1)?;
            Ok((
                TableId(r.text(0)?.to_owned()),
                State::parse(state)
                    .ok_or_else(|| Error::Storage(format!("unknown incarnation state {state:?}")))?,
                r.opt_blob(2)?.map(<[u8]>::to_vec),
            ))
        })
        .collect()
    }

    /// Puts pending work of `id` off until the retry interval has passed.
    fn defer(&mut self, sql: &dyn Sql, now_ms: i64, id: &TableId) {
        if let Err(e) = sql.exec(
            "UPDATE incarnations SET since_ms = ?2 WHERE id = ?1 AND state IN ('creating', 'deleting')",
            &[text(id.as_str()), SqlValue::Integer(now_ms - RECOVERY_GRACE_MS + RETRY_MS)],
        ) {
            self.diagnostics.push(format!("deferring {id}: {e}"));
        }
    }

    /// Asks the tables of backups cut short to take them again.
    fn retake_backups(&mut self, sql: &dyn Sql, now_ms: i64) {
        let overdue = match backups::overdue(sql, now_ms) {
            Ok(o) => o,
            Err(e) => {
                self.diagnostics.push(format!("reading backups: {e}"));
                return;
            }
        };
        for b in overdue {
            if let Err(e) = backups::touch(sql, &b.arn, now_ms) {
                self.diagnostics.push(format!("backup {}: {e}", b.arn));
                continue;
            }
            let take = crate::api::command::TakeBackup {
                arn: b.arn.clone(),
                name: b.name.clone(),
                created_ms: b.created_ms,
            };
            self.send(
                &b.table_id,
                TableCommand::TakeBackup(Box::new(take)),
                Pending::Backup(b.arn),
            );
        }
    }

    /// Asks the tables of exports and imports still in progress after their grace period
    /// how they stand (an export cut short is written again).
    fn ask_jobs(&mut self, sql: &dyn Sql, now_ms: i64) {
        let (exports, imports) = match transfers::overdue(sql, now_ms) {
            Ok(o) => o,
            Err(e) => {
                self.diagnostics.push(format!("reading jobs: {e}"));
                return;
            }
        };
        for e in exports {
            let id = e.table_id.clone();
            let arn = e.arn.clone();
            self.send(
                &id,
                TableCommand::StartExport {
                    record: Box::new(e),
                    resume: true,
                },
                Pending::Job(arn),
            );
        }
        for i in imports {
            self.send(&i.table_id, TableCommand::ImportStatus, Pending::Job(i.arn));
        }
    }

    fn send(&mut self, id: &TableId, command: TableCommand, pending: Pending) {
        let eid = self.effects.push(Effect::Call(Call {
            to: Address::Table(id.clone()),
            command: Command::Table(command),
        }));
        self.in_flight.insert(eid, pending);
    }

    fn settle(
        &mut self,
        sql: &dyn Sql,
        now_ms: i64,
        pending: Pending,
        result: Outcome,
    ) -> Result<(), Error> {
        let retry = |id: &TableId| -> Result<(), Error> {
            sql.exec(
                "UPDATE incarnations SET since_ms = ?2 WHERE id = ?1 AND state IN ('creating', 'deleting')",
                &[text(id.as_str()), SqlValue::Integer(now_ms - RECOVERY_GRACE_MS + RETRY_MS)],
            )?;
            sql.exec(
                "UPDATE incarnations SET retire_at_ms = ?2 WHERE id = ?1 AND state = 'deleted'",
                &[text(id.as_str()), SqlValue::Integer(now_ms + RETRY_MS)],
            )?;
            Ok(())
        };
        match (pending, result) {
            (Pending::Create(id), Ok(Reply::Table(TableReply::Description(_)))) => {
                activate(sql, &id)
            }
            // The creation cannot succeed (the request was refused): forget the name.
            (Pending::Create(id), Err(Error::Client(_))) => {
                sql.exec(
                    "DELETE FROM incarnations WHERE id = ?1 AND state = 'creating'",
                    &[text(id.as_str())],
                )?;
                Ok(())
            }
            (
                Pending::Delete(id),
                Ok(Reply::Table(TableReply::Deleted {
                    retain_until_ms, ..
                })),
            ) => finish_delete(sql, &id, now_ms, retain_until_ms),
            // Deleted before (the reply was lost): its table object names its retention
            // when it is asked to retire.
            (Pending::Delete(id), Err(Error::Gone)) => {
                let until = now_ms.saturating_add(self.cfg.deleted_table_retention_ms.max(0));
                finish_delete(sql, &id, now_ms, until)
            }
            (Pending::Delete(id), Err(Error::Client(_))) => {
                sql.exec(
                    "UPDATE incarnations SET state = 'active', since_ms = ?2 WHERE id = ?1 AND state = 'deleting'",
                    &[text(id.as_str()), SqlValue::Integer(now_ms)],
                )?;
                Ok(())
            }
            (Pending::Retire(id), Ok(Reply::Table(TableReply::Retired))) => {
                sql.exec(
                    "DELETE FROM incarnations WHERE id = ?1 AND state = 'deleted'",
                    &[text(id.as_str())],
                )?;
                Ok(())
            }
            (Pending::Retire(id), Ok(Reply::Table(TableReply::RetainUntil(until)))) => {
                sql.exec(
                    "UPDATE incarnations SET retire_at_ms = ?2 WHERE id = ?1 AND state = 'deleted'",
                    &[text(id.as_str()), SqlValue::Integer(until)],
                )?;
                Ok(())
            }
            (Pending::Backup(_), Ok(Reply::Table(TableReply::BackupTaken(_)))) => Ok(()),
            // The table is gone: the backup cannot be taken.
            (Pending::Backup(arn), Err(Error::Gone | Error::Client(_))) => {
                self.diagnostics
                    .push(format!("backup {arn} cannot be taken: its table is gone"));
                backups::forget(sql, &arn)
            }
            (Pending::Backup(arn), other) => {
                self.diagnostics
                    .push(format!("taking backup {arn} again: {other:?}"));
                Ok(())
            }
            (Pending::Job(_), Ok(Reply::Table(TableReply::Export(e)))) => {
                transfers::put(sql, now_ms, &*e)
            }
            (Pending::Job(_), Ok(Reply::Table(TableReply::Import(i)))) => {
                transfers::put(sql, now_ms, &*i)
            }
            (Pending::Job(arn), Err(Error::Gone)) => transfers::fail_gone(sql, &arn, now_ms),
            (Pending::Job(arn), other) => {
                self.diagnostics
                    .push(format!("asking after {arn}: {other:?}"));
                Ok(())
            }
            (Pending::Objects(_), Ok(Reply::Store(_))) => Ok(()),
            (Pending::Objects(key), other) => {
                self.diagnostics
                    .push(format!("deleting {key} from the object store: {other:?}"));
                Ok(())
            }
            (Pending::Create(id) | Pending::Delete(id) | Pending::Retire(id), other) => {
                self.diagnostics.push(format!(
                    "table {id} did not finish its pending work: {other:?}"
                ));
                retry(&id)
            }
        }
    }
}

fn activate(sql: &dyn Sql, id: &TableId) -> Result<(), Error> {
    sql.exec(
        "UPDATE incarnations SET state = 'active', create_command = NULL WHERE id = ?1 AND state = 'creating'",
        &[text(id.as_str())],
    )?;
    Ok(())
}

fn finish_delete(
    sql: &dyn Sql,
    id: &TableId,
    deleted_ms: i64,
    retain_until_ms: i64,
) -> Result<(), Error> {
    sql.exec(
        "UPDATE incarnations SET state = 'deleted', deleted_ms = ?2, retire_at_ms = ?3, since_ms = ?2 WHERE id = ?1 AND state = 'deleting'",
        &[
            text(id.as_str()),
            SqlValue::Integer(deleted_ms),
            SqlValue::Integer(retain_until_ms),
        ],
    )?;
    Ok(())
}

/// Catalogs written before table incarnations (`tables (name, id, created_ms)`) become
/// active incarnations of the configured account.
fn migrate_v0(sql: &dyn Sql, cfg: &Config) -> Result<(), Error> {
    let old = !sql
        .query(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'tables'",
            &[],
        )?
        .is_empty();
    if old {
        sql.exec(
            "INSERT OR IGNORE INTO incarnations (id, account, name, state, created_ms, since_ms) SELECT id, ?1, name, 'active', created_ms, created_ms FROM tables",
            &[text(&cfg.account_id)],
        )?;
        sql.exec("DROP TABLE tables", &[])?;
    }
    Ok(())
}

impl Object for CatalogObject {
    fn handle(&mut self, sql: &dyn Sql, now_ms: i64, commands: Vec<Command>) -> Vec<Outcome> {
        let n = commands.len();
        let outcome = run_batch(sql, commands, |cmd| match cmd {
            Command::Catalog(c) => self.run(sql, now_ms, c).map(Reply::Catalog),
            _ => Err(Error::bug(
                "a table or coordinator command sent to the catalog",
            )),
        });
        let results = match outcome {
            Ok(r) => r,
            Err(e) => return vec![Err(e); n],
        };
        self.refresh_due(sql);
        results
    }

    fn handle_timeout(&mut self, sql: &dyn Sql, now_ms: i64) {
        let work = match self.due_work(sql, now_ms) {
            Ok(w) => w,
            Err(e) => {
                self.diagnostics.push(format!("reading pending work: {e}"));
                return;
            }
        };
        self.retake_backups(sql, now_ms);
        self.ask_jobs(sql, now_ms);
        let busy: Vec<TableId> = self
            .in_flight
            .values()
            .filter_map(|p| match p {
                Pending::Create(id) | Pending::Delete(id) | Pending::Retire(id) => Some(id.clone()),
                Pending::Backup(_) | Pending::Objects(_) | Pending::Job(_) => None,
            })
            .collect();
        for (id, state, create) in work {
            if busy.contains(&id) {
                continue;
            }
            match state {
                State::Creating => {
                    let cmd = create
                        .ok_or_else(|| Error::Storage("a creation without its command".into()))
                        .and_then(|b| codec::decode_stored::<CreateTable>(&b));
                    match cmd {
                        Ok(c) => self.send(
                            &id,
                            TableCommand::CreateTable(Box::new(c)),
                            Pending::Create(id.clone()),
                        ),
                        Err(e) => {
                            self.diagnostics.push(format!("rolling {id} forward: {e}"));
                            self.defer(sql, now_ms, &id);
                        }
                    }
                }
                State::Deleting => {
                    self.send(&id, TableCommand::DeleteTable, Pending::Delete(id.clone()))
                }
                State::Deleted => self.send(&id, TableCommand::Retire, Pending::Retire(id.clone())),
                State::Active => {}
            }
        }
        self.refresh_due(sql);
    }

    fn handle_result(&mut self, sql: &dyn Sql, now_ms: i64, id: EffectId, result: Outcome) {
        let Some(pending) = self.in_flight.remove(&id) else {
            self.diagnostics
                .push(format!("a result for unknown effect {id:?}"));
            return;
        };
        if let Err(e) = in_transaction(sql, || self.settle(sql, now_ms, pending, result)) {
            self.diagnostics.push(format!("settling pending work: {e}"));
        }
        self.refresh_due(sql);
    }

    fn poll_timeout(&self) -> Option<i64> {
        self.next_due
    }

    fn poll_effect(&mut self) -> Option<(EffectId, Effect)> {
        self.effects.pop()
    }

    fn take_diagnostics(&mut self) -> Vec<String> {
        std::mem::take(&mut self.diagnostics)
    }
}

/// The incarnations of a table name, newest first (of every account when `account` is
/// `None`), read without changing anything: for tools that open a data directory.
pub fn incarnations_of(
    sql: &dyn Sql,
    account: Option<&str>,
    name: &str,
) -> Result<Vec<Incarnation>, Error> {
    let v0 = !sql
        .query(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'tables'",
            &[],
        )?
        .is_empty();
    if v0 {
        // A catalog from before incarnations: (name, id, created_ms), all active.
        return sql
            .query(
                "SELECT name, id, created_ms FROM tables WHERE name = ?1",
                &[text(name)],
            )?
            .iter()
            .map(|r| {
                Ok(Incarnation {
                    account: account.unwrap_or_default().to_owned(),
                    name: r.text(0)?.to_owned(),
                    id: TableId(r.text(1)?.to_owned()),
                    state: State::Active,
                    created_ms: r.int(2)?,
                    deleted_ms: None,
                })
            })
            .collect();
    }
    let rows = match account {
        Some(a) => sql.query(
            &format!("SELECT {COLUMNS} FROM incarnations WHERE account = ?1 AND name = ?2 ORDER BY created_ms DESC"),
            &[text(a), text(name)],
        )?,
        None => sql.query(
            &format!("SELECT {COLUMNS} FROM incarnations WHERE name = ?1 ORDER BY created_ms DESC"),
            &[text(name)],
        )?,
    };
    rows.iter().map(|r| incarnation(r)).collect()
}
