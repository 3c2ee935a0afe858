//! Operation names and where each one runs.

use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ErrorKind};

pub const DYNAMODB_PREFIX: &str = "DynamoDB_20120810.";
/// The DynamoDB Streams API's target prefix (the SDKs' streams clients send it to the same
/// endpoint).
pub const STREAMS_PREFIX: &str = "DynamoDBStreams_20120810.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    CreateTable,
    DescribeTable,
    UpdateTable,
    DeleteTable,
    ListTables,
    PutItem,
    UpdateItem,
    GetItem,
    DeleteItem,
    Query,
    Scan,
    BatchGetItem,
    BatchWriteItem,
    DescribeLimits,
    DescribeEndpoints,
    /// One table's share of a BatchGetItem (never sent by clients).
    BatchGetTable,
    /// One table's share of a BatchWriteItem (never sent by clients).
    BatchWriteTable,
    UpdateTimeToLive,
    DescribeTimeToLive,
    /// DynamoDB Streams (`DynamoDBStreams_20120810.`). A table object answers ListStreams
    /// for itself; the flow merges tables.
    ListStreams,
    DescribeStream,
    GetShardIterator,
    GetRecords,
}

impl Op {
    pub fn from_target(target: Option<&str>) -> Result<Op, ApiError> {
        if let Some(name) = target.and_then(|t| t.strip_prefix(STREAMS_PREFIX)) {
            return Ok(match name {
                "ListStreams" => Op::ListStreams,
                "DescribeStream" => Op::DescribeStream,
                "GetShardIterator" => Op::GetShardIterator,
                "GetRecords" => Op::GetRecords,
                _ => return Err(ApiError::bare(ErrorKind::UnknownOperation)),
            });
        }
        let name = target.and_then(|t| t.strip_prefix(DYNAMODB_PREFIX));
        Ok(match name {
            Some("CreateTable") => Op::CreateTable,
            Some("DescribeTable") => Op::DescribeTable,
            Some("UpdateTable") => Op::UpdateTable,
            Some("DeleteTable") => Op::DeleteTable,
            Some("ListTables") => Op::ListTables,
            Some("PutItem") => Op::PutItem,
            Some("UpdateItem") => Op::UpdateItem,
            Some("GetItem") => Op::GetItem,
            Some("DeleteItem") => Op::DeleteItem,
            Some("Query") => Op::Query,
            Some("Scan") => Op::Scan,
            Some("BatchGetItem") => Op::BatchGetItem,
            Some("BatchWriteItem") => Op::BatchWriteItem,
            Some("DescribeLimits") => Op::DescribeLimits,
            Some("DescribeEndpoints") => Op::DescribeEndpoints,
            Some("UpdateTimeToLive") => Op::UpdateTimeToLive,
            Some("DescribeTimeToLive") => Op::DescribeTimeToLive,
            _ => return Err(ApiError::bare(ErrorKind::UnknownOperation)),
        })
    }

    /// Whether the operation changes the table (and so is logged).
    pub fn is_write(self) -> bool {
        // Exhaustive on purpose: a new operation must be classified.
        match self {
            Op::CreateTable
            | Op::UpdateTable
            | Op::DeleteTable
            | Op::PutItem
            | Op::UpdateItem
            | Op::DeleteItem
            | Op::BatchWriteItem
            | Op::BatchWriteTable
            | Op::UpdateTimeToLive => true,
            Op::DescribeTable
            | Op::ListTables
            | Op::GetItem
            | Op::Query
            | Op::Scan
            | Op::BatchGetItem
            | Op::BatchGetTable
            | Op::DescribeLimits
            | Op::DescribeEndpoints
            | Op::DescribeTimeToLive
            | Op::ListStreams
            | Op::DescribeStream
            | Op::GetShardIterator
            | Op::GetRecords => false,
        }
    }
}

/// A request for one table object. The body is the client's JSON, validated by the table
/// object itself so that validation and schema checks happen in one place, in AWS's order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TableRequest {
    pub op: Op,
    pub body: serde_json::Value,
    /// Set by the flow for CreateTable: the new table's id.
    #[serde(default)]
    pub table_id: Option<String>,
    /// Validate only; change nothing (the first pass of a multi-table batch write).
    #[serde(default)]
    pub dry_run: bool,
    /// A table's share of a BatchGetItem: the item bytes it may still return before the
    /// response reaches DynamoDB's 16 MB limit (the rest become UnprocessedKeys).
    #[serde(default)]
    pub budget: Option<u64>,
}

impl TableRequest {
    pub fn new(op: Op, body: serde_json::Value) -> TableRequest {
        TableRequest {
            op,
            body,
            table_id: None,
            dry_run: false,
            budget: None,
        }
    }
}
