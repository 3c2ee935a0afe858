//! Every table operation: schema-dependent validation (stage two), reads of the
//! projections, decisions, commits through the writer, a typed reply.

pub(crate) mod backup;
mod batch;
pub(crate) mod items;
mod read;
mod streams;
mod tables;
mod tags;
pub(crate) mod transfer;
mod ttl;
pub(crate) mod tx;

pub(crate) use tables::may_retire;

use crate::api::command::TableCommand;
use crate::api::reply::TableReply;
use crate::error::Error;
use crate::table::log::{Ctx, Log};

/// Runs one command against the table. `Retire` is the table object's own business.
pub(crate) fn run(
    cx: &Ctx,
    log: &mut Log,
    id: &str,
    cmd: TableCommand,
) -> Result<TableReply, Error> {
    backup::check_restoring(log, &cmd)?;
    match cmd {
        TableCommand::CreateTable(c) => tables::create(cx, log, id, *c),
        TableCommand::DescribeTable => tables::describe(cx, log.live()?),
        TableCommand::UpdateTable(c) => tables::update(cx, log, *c),
        TableCommand::DeleteTable => tables::delete(cx, log),
        TableCommand::PutItem(c) => items::put(cx, log, *c),
        TableCommand::UpdateItem(c) => items::update(cx, log, *c),
        TableCommand::DeleteItem(c) => items::delete(cx, log, *c),
        TableCommand::GetItem(c) => items::get(cx, log.live()?, *c),
        TableCommand::Query(c) => read::query(cx, log.live()?, &c),
        TableCommand::Scan(c) => read::scan(cx, log.live()?, &c),
        TableCommand::BatchGet(c) => batch::get(cx, log.live()?, *c),
        TableCommand::BatchWrite(c) => batch::write(cx, log, *c),
        TableCommand::UpdateTimeToLive(c) => ttl::update(cx, log, c),
        TableCommand::DescribeTimeToLive => Ok(ttl::describe(log.live()?)),
        // A deleted table's streams stay readable for their retention period.
        TableCommand::ListStreams => Ok(streams::list_streams(cx, any(log)?)),
        TableCommand::DescribeStream(c) => streams::describe_stream(cx, any(log)?, &c),
        TableCommand::GetShardIterator(c) => {
            streams::get_shard_iterator(cx, any(log)?, log.next_lsn(), &c)
        }
        TableCommand::GetRecords(c) => streams::get_records(cx, any(log)?, &c),
        TableCommand::Transact(c) => tx::transact(cx, log, *c),
        TableCommand::TxPrepare(c) => tx::prepare(cx, log, *c),
        TableCommand::TxResolve(c) => tx::resolve(cx, log, c),
        TableCommand::TxGet(c) => tx::get(cx, log, log.live()?, *c),
        TableCommand::DescribeContinuousBackups => Ok(backup::describe(cx, log.live()?)),
        TableCommand::UpdateContinuousBackups(c) => backup::update(cx, log, c),
        TableCommand::PitrPoint { at_ms } => backup::point(cx, any(log)?, at_ms),
        TableCommand::Tag {
            arn,
            stream,
            change,
        } => tags::change(cx, log, &arn, stream, change),
        TableCommand::ListTags { arn, stream } => tags::list(log.live()?, &arn, stream.as_deref()),
        TableCommand::Retire
        | TableCommand::TakeBackup(_)
        | TableCommand::RestorePlan { .. }
        | TableCommand::StartExport { .. }
        | TableCommand::ImportStatus
        | TableCommand::ExportStatus { .. } => Err(Error::bug(
            "a table object's own command reached the operations",
        )),
    }
}

/// Whether a restore is still loading the table, or failed to.
pub(crate) fn restoring(log: &Log) -> bool {
    log.schema().is_some_and(|s| s.is_loading())
}

/// The schema of a table that exists or was deleted.
fn any(log: &Log) -> Result<&extenddo_projections::TableSchema, Error> {
    log.schema().ok_or(Error::Gone)
}
