//! One command to one table, by name: from the directory if it knows the name, else through
//! the catalog; a table object that answers `Gone` to a remembered id makes the flow ask the
//! catalog once more (the name was deleted and maybe reused since).

use crate::api::catalog::{CatalogCommand, CatalogReply, IncarnationState};
use crate::api::command::TableCommand;
use crate::api::ids::TableId;
use crate::api::object::{Address, Call, Command, Outcome, Reply};
use crate::api::reply::TableReply;
use crate::error::{ApiError, Error};
use crate::flow::directory::Directory;

pub(crate) enum Next {
    Call(Call),
    Done(Result<TableReply, ApiError>),
}

impl Next {
    /// Lets `f` see a DescribeTable answer as it passes.
    pub(crate) fn and_then_described(
        self,
        f: impl FnOnce(&crate::api::reply::Description),
    ) -> Next {
        if let Next::Done(Ok(TableReply::Description(d))) = &self {
            f(d);
        }
        self
    }
}

enum Awaiting {
    Resolve,
    /// The table object `id`; `cached` if the id came from the directory.
    Table {
        id: TableId,
        cached: bool,
    },
}

pub(crate) struct Routed {
    account: String,
    name: String,
    /// Resolve the incarnation that existed at this time (streams), not the current one.
    at_ms: Option<i64>,
    command: Option<TableCommand>,
    /// What the client hears when there is no such table.
    not_found: ApiError,
    /// Route straight to this incarnation (GetRecords: its iterator names it).
    fixed: Option<TableId>,
    awaiting: Awaiting,
}

impl Routed {
    pub(crate) fn new(
        account: String,
        name: String,
        at_ms: Option<i64>,
        command: TableCommand,
        not_found: ApiError,
    ) -> Routed {
        Routed {
            account,
            name,
            at_ms,
            command: Some(command),
            not_found,
            fixed: None,
            awaiting: Awaiting::Resolve,
        }
    }

    /// A command for a known incarnation.
    pub(crate) fn to(id: TableId, command: TableCommand, not_found: ApiError) -> Routed {
        Routed {
            account: String::new(),
            name: String::new(),
            at_ms: None,
            command: Some(command),
            not_found,
            fixed: Some(id),
            awaiting: Awaiting::Resolve,
        }
    }

    fn resolve(&mut self) -> Call {
        self.awaiting = Awaiting::Resolve;
        Call {
            to: Address::Catalog,
            command: Command::Catalog(CatalogCommand::Resolve {
                account: self.account.clone(),
                name: self.name.clone(),
                at_ms: self.at_ms,
            }),
        }
    }

    /// Sends the command to `id`, keeping a copy while a stale id may make it go again.
    fn send(&mut self, id: TableId, cached: bool) -> Next {
        let command = if cached {
            self.command.clone()
        } else {
            self.command.take()
        };
        match command {
            Some(c) => {
                let call = Call::table(&id, c);
                self.awaiting = Awaiting::Table { id, cached };
                Next::Call(call)
            }
            None => Next::Done(Err(Error::bug("a command routed twice").into_api())),
        }
    }

    /// The first step.
    pub(crate) fn first(&mut self, dir: &Directory) -> Next {
        if let Some(id) = self.fixed.clone() {
            return self.send(id, false);
        }
        match self.at_ms {
            None => match dir.get(&self.account, &self.name) {
                Some(id) => self.send(id, true),
                None => Next::Call(self.resolve()),
            },
            Some(_) => Next::Call(self.resolve()),
        }
    }

    pub(crate) fn step(&mut self, dir: &Directory, outcome: Outcome) -> Next {
        match std::mem::replace(&mut self.awaiting, Awaiting::Resolve) {
            Awaiting::Resolve => match outcome {
                Ok(Reply::Catalog(CatalogReply::Resolved(inc))) => {
                    if self.at_ms.is_none() && inc.state == IncarnationState::Active {
                        dir.put(&self.account, &self.name, inc.id.clone());
                    }
                    self.send(inc.id, false)
                }
                Ok(Reply::Catalog(CatalogReply::NotFound)) => {
                    Next::Done(Err(self.not_found.clone()))
                }
                Ok(other) => Next::Done(Err(
                    Error::bug(format!("Resolve answered {other:?}")).into_api()
                )),
                Err(e) => Next::Done(Err(e.into_api())),
            },
            Awaiting::Table { id, cached } => match outcome {
                Ok(Reply::Table(reply)) => Next::Done(Ok(reply)),
                Err(Error::Gone) if cached => {
                    dir.forget(&self.account, &self.name, Some(&id));
                    Next::Call(self.resolve())
                }
                Err(Error::Gone) => Next::Done(Err(self.not_found.clone())),
                Ok(other) => Next::Done(Err(Error::bug(format!(
                    "a table object answered {other:?}"
                ))
                .into_api())),
                Err(e) => Next::Done(Err(e.into_api())),
            },
        }
    }
}
