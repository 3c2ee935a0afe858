//! CreateTable and DeleteTable: the choreography between the catalog and the table object.
//!
//! CreateTable: reserve the name (with the command, so that a crash can be rolled forward),
//! create the table object (idempotent), activate the name. DeleteTable: mark the name as
//! being deleted, delete the table object (idempotent), release the name while the
//! incarnation is kept for what may still read it. A step cut short leaves the catalog
//! entry `creating` or `deleting`, which the catalog finishes by itself after a grace period
//! (see `catalog`), or the next DeleteTable of the name finishes at once.

use crate::api::catalog::{CatalogCommand, CatalogReply, Incarnation};
use crate::api::command::{CreateTable, TableCommand};
use crate::api::ids::TableId;
use crate::api::object::{Call, Outcome, Reply};
use crate::api::reply::TableReply;
use crate::config::Config;
use crate::error::{ApiError, Error};
use crate::flow::directory::Directory;
use crate::flow::unexpected::unexpected;

pub(crate) enum Next {
    Call(Call),
    Done(Result<TableReply, ApiError>),
}

fn catalog(command: CatalogCommand) -> Next {
    Next::Call(Call::catalog(command))
}

fn table(id: &TableId, command: TableCommand) -> Next {
    Next::Call(Call::table(id, command))
}

enum CreateStage {
    Reserving(Box<CreateTable>),
    Creating,
    Activating(TableReply),
    Releasing(ApiError),
}

pub(crate) struct Create {
    account: String,
    name: String,
    id: TableId,
    stage: CreateStage,
}

impl Create {
    pub(crate) fn start(account: String, mut create: Box<CreateTable>) -> (Create, Call) {
        // The table carries its account, so that its own ARNs (streams, backups) name it.
        create.schema.account = Some(account.clone());
        let name = create.schema.name.clone();
        let id = TableId(create.schema.id.clone());
        let reserve = CatalogCommand::Reserve {
            account: account.clone(),
            name: name.clone(),
            create: create.clone(),
        };
        let c = Create {
            account,
            name,
            id,
            stage: CreateStage::Reserving(create),
        };
        (c, Call::catalog(reserve))
    }

    pub(crate) fn step(&mut self, dir: &Directory, outcome: Outcome) -> Next {
        match std::mem::replace(&mut self.stage, CreateStage::Creating) {
            CreateStage::Reserving(create) => match outcome {
                Ok(Reply::Catalog(CatalogReply::Done)) => {
                    table(&self.id, TableCommand::CreateTable(create))
                }
                other => Next::Done(Err(unexpected("Reserve", other))),
            },
            CreateStage::Creating => match outcome {
                Ok(Reply::Table(reply @ TableReply::Description(_))) => {
                    self.stage = CreateStage::Activating(reply);
                    catalog(CatalogCommand::Activate {
                        account: self.account.clone(),
                        name: self.name.clone(),
                        id: self.id.clone(),
                    })
                }
                // Refused: the name goes back.
                Err(Error::Client(e)) => {
                    self.stage = CreateStage::Releasing(e);
                    catalog(CatalogCommand::Release {
                        account: self.account.clone(),
                        name: self.name.clone(),
                        id: self.id.clone(),
                    })
                }
                // Unknown whether the table object created it: the catalog rolls the
                // creation forward later.
                other => Next::Done(Err(unexpected("CreateTable", other))),
            },
            // The table exists; an activation that did not reach the catalog is rolled
            // forward by the catalog itself.
            CreateStage::Activating(reply) => {
                if matches!(outcome, Ok(Reply::Catalog(CatalogReply::Done))) {
                    dir.put(&self.account, &self.name, self.id.clone());
                }
                Next::Done(Ok(reply))
            }
            CreateStage::Releasing(e) => Next::Done(Err(e)),
        }
    }
}

enum DeleteStage {
    Beginning,
    Deleting(Incarnation),
    Finishing(Result<TableReply, ApiError>),
    Aborting(ApiError),
}

pub(crate) struct Delete {
    account: String,
    name: String,
    stage: DeleteStage,
}

impl Delete {
    pub(crate) fn start(account: String, name: String) -> (Delete, Call) {
        let begin = CatalogCommand::BeginDelete {
            account: account.clone(),
            name: name.clone(),
        };
        let d = Delete {
            account,
            name,
            stage: DeleteStage::Beginning,
        };
        (d, Call::catalog(begin))
    }

    fn finish(&mut self, id: &TableId, deleted_ms: i64, retain_until_ms: i64) -> Next {
        catalog(CatalogCommand::FinishDelete {
            account: self.account.clone(),
            name: self.name.clone(),
            id: id.clone(),
            deleted_ms,
            retain_until_ms,
        })
    }

    pub(crate) fn step(
        &mut self,
        dir: &Directory,
        cfg: &Config,
        now_ms: i64,
        outcome: Outcome,
    ) -> Next {
        match std::mem::replace(&mut self.stage, DeleteStage::Beginning) {
            DeleteStage::Beginning => match outcome {
                Ok(Reply::Catalog(CatalogReply::Deleting(inc))) => {
                    let next = table(&inc.id, TableCommand::DeleteTable);
                    self.stage = DeleteStage::Deleting(inc);
                    next
                }
                Ok(Reply::Catalog(CatalogReply::NotFound)) => {
                    Next::Done(Err(ApiError::table_not_found(&self.name)))
                }
                other => Next::Done(Err(unexpected("BeginDelete", other))),
            },
            DeleteStage::Deleting(inc) => {
                dir.forget(&self.account, &self.name, Some(&inc.id));
                match outcome {
                    Ok(Reply::Table(TableReply::Deleted {
                        description,
                        deleted_ms,
                        retain_until_ms,
                    })) => {
                        let next = self.finish(&inc.id, deleted_ms, retain_until_ms);
                        self.stage = DeleteStage::Finishing(Ok(TableReply::Deleted {
                            description,
                            deleted_ms,
                            retain_until_ms,
                        }));
                        next
                    }
                    // Deleted before, by a deletion cut short: finish it; the table is gone.
                    Err(Error::Gone) => {
                        let until = now_ms.saturating_add(cfg.deleted_table_retention_ms.max(0));
                        let next = self.finish(&inc.id, now_ms, until);
                        self.stage =
                            DeleteStage::Finishing(Err(ApiError::table_not_found(&self.name)));
                        next
                    }
                    Err(Error::Client(e)) => {
                        self.stage = DeleteStage::Aborting(e);
                        catalog(CatalogCommand::AbortDelete {
                            account: self.account.clone(),
                            name: self.name.clone(),
                            id: inc.id.clone(),
                        })
                    }
                    other => Next::Done(Err(unexpected("DeleteTable", other))),
                }
            }
            // A release that did not reach the catalog is finished by the catalog itself.
            DeleteStage::Finishing(result) => Next::Done(result),
            DeleteStage::Aborting(e) => Next::Done(Err(e)),
        }
    }
}
