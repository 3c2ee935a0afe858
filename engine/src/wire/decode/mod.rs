//! Stage one of validation: a request body decoded into a typed [`Request`], with every
//! check AWS's front end makes before it looks at the table (member types, enums, lengths,
//! expressions parsed and their placeholders matched). What needs the table's schema is
//! checked by the table object (stage two).

pub mod backups;
mod batch;
mod common;
mod items;
mod read;
mod streams;
mod tables;
mod tags;
mod transact;
pub mod transfers;

use serde_json::{Map, Value};

pub use batch::{GetShare, MAX_GET_KEYS, MAX_GET_RESPONSE_BYTES, MAX_WRITE_REQUESTS};
pub use common::check_table_name;
pub use streams::MAX_RECORDS;
pub use transact::{TransactGet, TransactWrite, MAX_TRANSACT_ITEMS};

use crate::api::command::{BatchWrite, CreateTable, GetRecords, TableCommand};
use crate::error::{ApiError, ErrorKind};
use crate::wire::params::{Constraints, Params};
use crate::wire::target::Op;

/// A request, decoded: what the request flow routes.
#[derive(Debug)]
pub enum Request {
    /// A command for the table named `name` (most operations).
    Table {
        name: String,
        command: TableCommand,
    },
    CreateTable(Box<CreateTable>),
    DeleteTable {
        name: String,
    },
    ListTables {
        start: Option<String>,
        limit: usize,
    },
    BatchGet(Vec<GetShare>),
    BatchWrite(Vec<(String, BatchWrite)>),
    ListStreams {
        table: Option<String>,
        limit: usize,
        after: Option<(String, String)>,
    },
    /// DescribeStream and GetShardIterator: a command for the incarnation of `table` that
    /// created the stream labelled `label`.
    Stream {
        table: String,
        label: String,
        command: TableCommand,
    },
    /// GetRecords: its iterator names the table incarnation.
    Records(GetRecords),
    TransactWrite(Box<TransactWrite>),
    TransactGet(Box<TransactGet>),
    DescribeLimits,
    /// DescribeEndpoints needs nothing from the body.
    DescribeEndpoints,
    CreateBackup {
        table: String,
        backup: String,
    },
    DescribeBackup {
        arn: String,
    },
    DeleteBackup {
        arn: String,
    },
    ListBackups(crate::api::catalog::BackupFilter),
    Restore(Box<backups::RestoreRequest>),
    Export(Box<transfers::ExportRequest>),
    DescribeExport {
        arn: String,
    },
    ListExports {
        table_arn: Option<String>,
        limit: usize,
        next: Option<String>,
    },
    Import(Box<transfers::ImportRequest>),
    DescribeImport {
        arn: String,
    },
    ListImports {
        table_arn: Option<String>,
        limit: usize,
        next: Option<String>,
    },
    /// TagResource, UntagResource, ListTagsOfResource: a command for the table the
    /// ResourceArn names (which the flow checks against its region and the caller's account).
    Tags {
        resource: crate::api::tags::TagResource,
        command: TableCommand,
    },
}

/// Parses a request body: a JSON object (blank means `{}`). Text that is not JSON is a bare
/// SerializationException, as DynamoDB sends it; JSON that is not an object is refused too.
pub fn body(bytes: &[u8]) -> Result<Value, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    match serde_json::from_slice(bytes) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(Value::Array(_)) => Err(ApiError::serialization(
            "Start of list found where not expected",
        )),
        Ok(_) | Err(_) => Err(ApiError::bare(ErrorKind::Serialization)),
    }
}

/// Decodes a request of operation `op`. `now_ms` is the creation time of a table being
/// created.
pub fn decode(op: Op, body: &Value, now_ms: i64) -> Result<Request, ApiError> {
    let p = Params::new(body)?;
    let table = |(name, command): (String, TableCommand)| Request::Table { name, command };
    Ok(match op {
        Op::ListTables => list_tables(&p)?,
        Op::DescribeLimits => Request::DescribeLimits,
        Op::DescribeEndpoints => Request::DescribeEndpoints,
        Op::CreateTable => Request::CreateTable(Box::new(tables::create_table(&p, now_ms)?)),
        Op::DeleteTable => Request::DeleteTable {
            name: common::table_name(&p)?,
        },
        Op::DescribeTable => table((common::table_name(&p)?, TableCommand::DescribeTable)),
        Op::UpdateTable => {
            let (name, c) = tables::update_table(&p)?;
            table((name, TableCommand::UpdateTable(Box::new(c))))
        }
        Op::PutItem => {
            let (name, c) = items::put(&p)?;
            table((name, TableCommand::PutItem(Box::new(c))))
        }
        Op::UpdateItem => {
            let (name, c) = items::update(&p)?;
            table((name, TableCommand::UpdateItem(Box::new(c))))
        }
        Op::DeleteItem => {
            let (name, c) = items::delete(&p)?;
            table((name, TableCommand::DeleteItem(Box::new(c))))
        }
        Op::GetItem => {
            let (name, c) = items::get(&p)?;
            table((name, TableCommand::GetItem(Box::new(c))))
        }
        Op::Query => {
            let (name, c) = read::query(&p)?;
            table((name, TableCommand::Query(Box::new(c))))
        }
        Op::Scan => {
            let (name, c) = read::scan(&p)?;
            table((name, TableCommand::Scan(Box::new(c))))
        }
        Op::BatchGetItem => Request::BatchGet(batch::batch_get(&p)?),
        Op::BatchWriteItem => Request::BatchWrite(batch::batch_write(&p)?),
        Op::TransactWriteItems => Request::TransactWrite(Box::new(transact::transact_write(&p)?)),
        Op::TransactGetItems => Request::TransactGet(Box::new(transact::transact_get(&p)?)),
        Op::UpdateTimeToLive => {
            let (name, c) = streams::update_time_to_live(&p)?;
            table((name, TableCommand::UpdateTimeToLive(c)))
        }
        Op::TagResource => tags_request(tags::tag_resource(&p)?),
        Op::UntagResource => tags_request(tags::untag_resource(&p)?),
        Op::ListTagsOfResource => tags_request(tags::list_tags(&p)?),
        Op::DescribeTimeToLive => {
            table((common::table_name(&p)?, TableCommand::DescribeTimeToLive))
        }
        Op::ListStreams => {
            let (table, limit, after) = streams::list_streams(&p)?;
            Request::ListStreams {
                table,
                limit,
                after,
            }
        }
        Op::DescribeStream => {
            let ((table, label), c) = streams::describe_stream(&p)?;
            Request::Stream {
                table,
                label,
                command: TableCommand::DescribeStream(c),
            }
        }
        Op::GetShardIterator => {
            let ((table, label), c) = streams::get_shard_iterator(&p)?;
            Request::Stream {
                table,
                label,
                command: TableCommand::GetShardIterator(c),
            }
        }
        Op::GetRecords => Request::Records(streams::get_records(&p)?),
        Op::CreateBackup => {
            let (table, backup) = backups::create_backup(&p)?;
            Request::CreateBackup { table, backup }
        }
        Op::DescribeBackup => Request::DescribeBackup {
            arn: backups::backup_arn(&p)?,
        },
        Op::DeleteBackup => Request::DeleteBackup {
            arn: backups::backup_arn(&p)?,
        },
        Op::ListBackups => Request::ListBackups(backups::list_backups(&p)?),
        Op::RestoreTableFromBackup => Request::Restore(Box::new(backups::restore_from_backup(&p)?)),
        Op::RestoreTableToPointInTime => {
            Request::Restore(Box::new(backups::restore_to_point_in_time(&p)?))
        }
        Op::DescribeContinuousBackups => table((
            common::table_name(&p)?,
            TableCommand::DescribeContinuousBackups,
        )),
        Op::UpdateContinuousBackups => {
            let (name, c) = backups::update_continuous_backups(&p)?;
            table((name, TableCommand::UpdateContinuousBackups(c)))
        }
        Op::ExportTableToPointInTime => Request::Export(Box::new(transfers::export_table(&p)?)),
        Op::DescribeExport => Request::DescribeExport {
            arn: transfers::export_arn(&p)?,
        },
        Op::ListExports => {
            let (table_arn, limit, next) = transfers::list_jobs(&p, "MaxResults")?;
            Request::ListExports {
                table_arn,
                limit,
                next,
            }
        }
        Op::ImportTable => Request::Import(Box::new(transfers::import_table(&p, now_ms)?)),
        Op::DescribeImport => Request::DescribeImport {
            arn: transfers::import_arn(&p)?,
        },
        Op::ListImports => {
            let (table_arn, limit, next) = transfers::list_jobs(&p, "PageSize")?;
            Request::ListImports {
                table_arn,
                limit,
                next,
            }
        }
    })
}

fn tags_request((resource, command): (crate::api::tags::TagResource, TableCommand)) -> Request {
    Request::Tags { resource, command }
}

fn list_tables(p: &Params) -> Result<Request, ApiError> {
    let start = p.str("ExclusiveStartTableName")?;
    let limit = p.int("Limit")?;
    let mut c = Constraints::default();
    if let Some(s) = start {
        check_table_name(&mut c, Some(s), "exclusiveStartTableName");
    }
    common::check_limit(&mut c, limit, 100);
    c.check()?;
    Ok(Request::ListTables {
        start: start.map(str::to_owned),
        limit: limit.unwrap_or(100) as usize,
    })
}

/// What an operation answers when the table it names does not exist: the data plane says
/// just "Requested resource not found", the control plane names the table.
pub fn table_not_found(op: Op, name: &str) -> ApiError {
    match op {
        Op::DescribeTable
        | Op::UpdateTable
        | Op::DeleteTable
        | Op::UpdateTimeToLive
        | Op::DescribeTimeToLive
        | Op::ListStreams => ApiError::table_not_found(name),
        Op::CreateBackup
        | Op::DescribeContinuousBackups
        | Op::UpdateContinuousBackups
        | Op::RestoreTableToPointInTime => {
            ApiError::new(ErrorKind::TableNotFound, format!("Table not found: {name}"))
        }
        _ => ApiError::new(ErrorKind::ResourceNotFound, "Requested resource not found"),
    }
}
