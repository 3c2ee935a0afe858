//! Backups and restores: the choreography between the request, the catalog and the tables.
//!
//! CreateBackup: the table takes the backup (a snapshot at its last LSN, stored in the
//! background), then the catalog records it as `CREATING`; the table tells the catalog when
//! it is `AVAILABLE`. DescribeBackup, ListBackups, DeleteBackup: the catalog.
//! RestoreTableFromBackup: the catalog's record of the backup; RestoreTableToPointInTime:
//! the source table checks the instant. Either way the restore is then a CreateTable of
//! the source's schema with the request's overrides and a `restore` the new table object
//! carries out by itself.

use serde_json::{json, Value};

use crate::api::backup::{backup_arn, mint_backup_id, BackupStatus};
use crate::api::catalog::{CatalogCommand, CatalogReply};
use crate::api::command::{CreateTable, TableCommand, TakeBackup};
use crate::api::ids::TableId;
use crate::api::object::{Call, Outcome, Reply};
use crate::api::reply::TableReply;
use crate::api::streams::table_arn;
use crate::config::Config;
use crate::error::{ApiError, Error, ErrorKind};
use crate::flow::directory::Directory;
use crate::flow::lifecycle;
use crate::flow::route::{self, Routed};
use crate::flow::unexpected::unexpected;
use crate::wire::decode::backups::{restore_create, RestoreRequest, RestoreSource};
use crate::wire::render::backups::{backup_description, backup_details, backup_summary};

pub(crate) enum Next {
    Call(Call),
    Done(Result<Value, ApiError>),
}

/// What backups and PITR answer for a missing source table ("Table not found: NAME").
fn table_not_found(name: &str) -> ApiError {
    crate::wire::decode::table_not_found(crate::wire::target::Op::CreateBackup, name)
}

/// CreateBackup.
pub(crate) enum CreateBackup {
    Taking(Box<Routed>),
    Recording(Value),
}

impl CreateBackup {
    pub(crate) fn start(
        cfg: &Config,
        account: String,
        table: String,
        backup: String,
        now_ms: i64,
        entropy: u64,
        dir: &Directory,
    ) -> (CreateBackup, Next) {
        let arn = backup_arn(
            &cfg.region,
            &account,
            &table,
            &mint_backup_id(now_ms, entropy),
        );
        let take = TakeBackup {
            arn,
            name: backup,
            created_ms: now_ms,
        };
        let not_found = table_not_found(&table);
        let mut r = Routed::new(
            account,
            table,
            None,
            TableCommand::TakeBackup(Box::new(take)),
            not_found,
        );
        let next = from_route(r.first(dir));
        (CreateBackup::Taking(Box::new(r)), next)
    }

    pub(crate) fn step(&mut self, dir: &Directory, outcome: Outcome) -> Next {
        match self {
            CreateBackup::Taking(r) => match r.step(dir, outcome) {
                route::Next::Call(c) => Next::Call(c),
                route::Next::Done(Ok(TableReply::BackupTaken(b))) => {
                    *self = CreateBackup::Recording(json!({ "BackupDetails": backup_details(&b) }));
                    Next::Call(Call::catalog(CatalogCommand::PutBackup(b)))
                }
                route::Next::Done(Ok(other)) => Next::Done(Err(Error::bug(format!(
                    "TakeBackup answered {other:?}"
                ))
                .into_api())),
                route::Next::Done(Err(e)) => Next::Done(Err(e)),
            },
            CreateBackup::Recording(v) => match outcome {
                Ok(Reply::Catalog(CatalogReply::Done)) => Next::Done(Ok(v.take())),
                other => Next::Done(Err(unexpected("PutBackup", other))),
            },
        }
    }
}

fn from_route(n: route::Next) -> Next {
    match n {
        route::Next::Call(c) => Next::Call(c),
        route::Next::Done(Ok(_)) => {
            Next::Done(Err(Error::bug("a route done before its call").into_api()))
        }
        route::Next::Done(Err(e)) => Next::Done(Err(e)),
    }
}

/// DescribeBackup, DeleteBackup and ListBackups: one catalog call each.
pub(crate) fn catalog_call(
    account: String,
    request: &crate::wire::decode::Request,
) -> Option<Call> {
    use crate::wire::decode::Request;
    Some(Call::catalog(match request {
        Request::DescribeBackup { arn } => CatalogCommand::GetBackup {
            account,
            arn: arn.clone(),
        },
        Request::DeleteBackup { arn } => CatalogCommand::DeleteBackup {
            account,
            arn: arn.clone(),
        },
        Request::ListBackups(filter) => CatalogCommand::ListBackups {
            account,
            filter: Box::new(filter.clone()),
        },
        _ => return None,
    }))
}

/// The response to one of [`catalog_call`]'s calls.
pub(crate) fn catalog_answer(outcome: Outcome) -> Result<Value, ApiError> {
    match outcome {
        Ok(Reply::Catalog(CatalogReply::Backup(b))) => {
            Ok(json!({ "BackupDescription": backup_description(&b) }))
        }
        Ok(Reply::Catalog(CatalogReply::Backups {
            backups,
            last_evaluated,
        })) => {
            let mut v = json!({
                "BackupSummaries": backups.iter().map(backup_summary).collect::<Vec<_>>()
            });
            if let Some(last) = last_evaluated {
                v["LastEvaluatedBackupArn"] = json!(last);
            }
            Ok(v)
        }
        other => Err(unexpected("a backup request", other)),
    }
}

enum RestoreStage {
    /// RestoreTableFromBackup: the catalog's record of the backup.
    Backup,
    /// The catalog does not know the backup: its manifest in the object store (a backup
    /// taken by another host that shares the store, or copied into this one's).
    Finding(String),
    /// A backup found in the store is recorded in the catalog, then restored.
    Recording(Box<crate::api::backup::BackupRecord>),
    /// RestoreTableToPointInTime: the source table checks the instant. `resolved_at`: the
    /// incarnation asked was the one that existed at the instant (if none did, the current
    /// one is asked next: it answers whether the instant is in its window).
    Source(Box<Routed>, bool),
    Creating(Box<lifecycle::Create>),
}

/// RestoreTableFromBackup and RestoreTableToPointInTime.
pub(crate) struct Restore {
    account: String,
    request: RestoreRequest,
    now_ms: i64,
    entropy: u64,
    stage: RestoreStage,
}

impl Restore {
    pub(crate) fn start(
        account: String,
        request: RestoreRequest,
        now_ms: i64,
        entropy: u64,
        dir: &Directory,
    ) -> (Restore, Next) {
        let (stage, next) = match &request.source {
            RestoreSource::Backup(arn) => (
                RestoreStage::Backup,
                Next::Call(Call::catalog(CatalogCommand::GetBackup {
                    account: account.clone(),
                    arn: arn.clone(),
                })),
            ),
            RestoreSource::PointInTime { table, at_ms } => {
                // At a time: the incarnation that existed then (it may have been deleted
                // since); at the latest time: the current one.
                let mut r = Routed::new(
                    account.clone(),
                    table.clone(),
                    *at_ms,
                    TableCommand::PitrPoint { at_ms: *at_ms },
                    table_not_found(table),
                );
                let next = from_route(r.first(dir));
                (RestoreStage::Source(Box::new(r), at_ms.is_some()), next)
            }
        };
        let r = Restore {
            account,
            request,
            now_ms,
            entropy,
            stage,
        };
        (r, next)
    }

    /// The CreateTable of the restored table, and its first call.
    fn create(
        &mut self,
        source: &extenddo_projections::TableSchema,
        restore: extenddo_projections::schema::Restore,
    ) -> Next {
        let create: Result<CreateTable, ApiError> = restore_create(
            source,
            &self.request.target,
            &self.request.overrides,
            self.now_ms,
        );
        let mut create = match create {
            Ok(c) => c,
            Err(e) => return Next::Done(Err(e)),
        };
        create.schema.id = TableId::mint(
            &self.account,
            &create.schema.name,
            self.now_ms,
            self.entropy,
        )
        .0;
        create.schema.restore = Some(restore);
        let (c, call) = lifecycle::Create::start(self.account.clone(), Box::new(create));
        self.stage = RestoreStage::Creating(Box::new(c));
        Next::Call(call)
    }

    pub(crate) fn step(&mut self, cfg: &Config, dir: &Directory, outcome: Outcome) -> Next {
        use extenddo_projections::schema::{Restore as R, RestoreFrom};
        match &mut self.stage {
            RestoreStage::Backup => match outcome {
                Err(Error::Client(e)) if e.kind == ErrorKind::BackupNotFound => {
                    let RestoreSource::Backup(arn) = &self.request.source else {
                        return Next::Done(Err(e));
                    };
                    if !crate::api::backup::is_backup_arn(arn) {
                        return Next::Done(Err(e));
                    }
                    let key = crate::api::backup::manifest_key(crate::api::backup::backup_id(arn));
                    self.stage = RestoreStage::Finding(key.clone());
                    Next::Call(Call::store(crate::api::store::StoreRequest::Get { key }))
                }
                Ok(Reply::Catalog(CatalogReply::Backup(b))) => {
                    if b.status != BackupStatus::Available {
                        return Next::Done(Err(crate::api::backup::backup_in_use(&b.arn)));
                    }
                    let restore = R {
                        source_table_arn: b.table_arn.clone(),
                        source_backup_arn: Some(b.arn.clone()),
                        restore_ms: b.created_ms,
                        from: RestoreFrom::Backup {
                            manifest: b.manifest_key(),
                        },
                        based: true,
                        base: Some((b.snapshot_key(), b.lsn)),
                        loaded: 0,
                        through: 0,
                        done: false,
                        failed: None,
                    };
                    self.create(&b.schema, restore)
                }
                other => Next::Done(Err(unexpected("GetBackup", other))),
            },
            RestoreStage::Finding(key) => {
                let RestoreSource::Backup(arn) = &self.request.source else {
                    return Next::Done(Err(Error::bug("finding a backup without one").into_api()));
                };
                let not_found = || {
                    ApiError::new(
                        ErrorKind::BackupNotFound,
                        format!("Backup not found: {arn}"),
                    )
                };
                match outcome {
                    Ok(Reply::Store(crate::api::store::StoreReply::Got(Some(bytes)))) => {
                        match crate::api::backup::Manifest::parse(key, &bytes) {
                            Ok(m) if m.backup_arn == *arn => {
                                let b = crate::api::backup::BackupRecord::from_manifest(
                                    &self.account,
                                    &m,
                                );
                                self.stage = RestoreStage::Recording(Box::new(b.clone()));
                                Next::Call(Call::catalog(CatalogCommand::PutBackup(Box::new(b))))
                            }
                            Ok(_) => Next::Done(Err(not_found())),
                            Err(why) => Next::Done(Err(ApiError::internal(why))),
                        }
                    }
                    Ok(Reply::Store(crate::api::store::StoreReply::Got(None))) => {
                        Next::Done(Err(not_found()))
                    }
                    other => Next::Done(Err(unexpected("the object store", other))),
                }
            }
            RestoreStage::Recording(b) => match outcome {
                Ok(Reply::Catalog(CatalogReply::Done)) => {
                    let b = b.clone();
                    self.stage = RestoreStage::Backup;
                    self.step(cfg, dir, Ok(Reply::Catalog(CatalogReply::Backup(b))))
                }
                other => Next::Done(Err(unexpected("PutBackup", other))),
            },
            RestoreStage::Source(r, resolved_at) => match r.step(dir, outcome) {
                route::Next::Done(Err(e)) if *resolved_at && e.kind == ErrorKind::TableNotFound => {
                    let RestoreSource::PointInTime { table, at_ms } = &self.request.source else {
                        return Next::Done(Err(e));
                    };
                    let mut current = Routed::new(
                        self.account.clone(),
                        table.clone(),
                        None,
                        TableCommand::PitrPoint { at_ms: *at_ms },
                        table_not_found(table),
                    );
                    let next = from_route(current.first(dir));
                    self.stage = RestoreStage::Source(Box::new(current), false);
                    next
                }
                route::Next::Call(c) => Next::Call(c),
                route::Next::Done(Ok(TableReply::PitrPoint(p))) => {
                    let restore = R {
                        source_table_arn: table_arn(cfg, &p.schema.name),
                        source_backup_arn: None,
                        restore_ms: p.at_ms,
                        from: RestoreFrom::PointInTime {
                            table_id: p.schema.id.clone(),
                            at_ms: p.at_ms,
                        },
                        based: false,
                        base: None,
                        loaded: 0,
                        through: 0,
                        done: false,
                        failed: None,
                    };
                    self.create(&p.schema, restore)
                }
                route::Next::Done(Ok(other)) => Next::Done(Err(Error::bug(format!(
                    "PitrPoint answered {other:?}"
                ))
                .into_api())),
                route::Next::Done(Err(e)) => Next::Done(Err(e)),
            },
            RestoreStage::Creating(c) => match c.step(dir, outcome) {
                lifecycle::Next::Call(call) => Next::Call(call),
                lifecycle::Next::Done(Ok(TableReply::Description(d))) => Next::Done(Ok(json!({
                    "TableDescription": crate::wire::render::describe(cfg, &d)
                }))),
                lifecycle::Next::Done(Ok(other)) => Next::Done(Err(Error::bug(format!(
                    "a restore's CreateTable answered {other:?}"
                ))
                .into_api())),
                // The target name is taken.
                lifecycle::Next::Done(Err(e)) if e.kind == ErrorKind::ResourceInUse => {
                    Next::Done(Err(ApiError::new(
                        ErrorKind::TableAlreadyExists,
                        format!("Table already exists: {}", self.request.target),
                    )))
                }
                lifecycle::Next::Done(Err(e)) => Next::Done(Err(e)),
            },
        }
    }
}
