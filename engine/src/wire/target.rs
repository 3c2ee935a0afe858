//! Operations by their `X-Amz-Target`.

use crate::error::{ApiError, ErrorKind};

pub const DYNAMODB_PREFIX: &str = "DynamoDB_20120810.";
/// The DynamoDB Streams API's target prefix (the SDKs' streams clients send it to the same
/// endpoint).
pub const STREAMS_PREFIX: &str = "DynamoDBStreams_20120810.";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    TransactWriteItems,
    TransactGetItems,
    DescribeLimits,
    DescribeEndpoints,
    UpdateTimeToLive,
    DescribeTimeToLive,
    CreateBackup,
    DescribeBackup,
    ListBackups,
    DeleteBackup,
    RestoreTableFromBackup,
    RestoreTableToPointInTime,
    DescribeContinuousBackups,
    UpdateContinuousBackups,
    ExportTableToPointInTime,
    DescribeExport,
    ListExports,
    ImportTable,
    DescribeImport,
    ListImports,
    TagResource,
    UntagResource,
    ListTagsOfResource,
    /// DynamoDB Streams (`DynamoDBStreams_20120810.`).
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
            Some("TransactWriteItems") => Op::TransactWriteItems,
            Some("TransactGetItems") => Op::TransactGetItems,
            Some("DescribeLimits") => Op::DescribeLimits,
            Some("DescribeEndpoints") => Op::DescribeEndpoints,
            Some("UpdateTimeToLive") => Op::UpdateTimeToLive,
            Some("DescribeTimeToLive") => Op::DescribeTimeToLive,
            Some("CreateBackup") => Op::CreateBackup,
            Some("DescribeBackup") => Op::DescribeBackup,
            Some("ListBackups") => Op::ListBackups,
            Some("DeleteBackup") => Op::DeleteBackup,
            Some("RestoreTableFromBackup") => Op::RestoreTableFromBackup,
            Some("RestoreTableToPointInTime") => Op::RestoreTableToPointInTime,
            Some("DescribeContinuousBackups") => Op::DescribeContinuousBackups,
            Some("UpdateContinuousBackups") => Op::UpdateContinuousBackups,
            Some("ExportTableToPointInTime") => Op::ExportTableToPointInTime,
            Some("DescribeExport") => Op::DescribeExport,
            Some("ListExports") => Op::ListExports,
            Some("ImportTable") => Op::ImportTable,
            Some("DescribeImport") => Op::DescribeImport,
            Some("ListImports") => Op::ListImports,
            Some("TagResource") => Op::TagResource,
            Some("UntagResource") => Op::UntagResource,
            Some("ListTagsOfResource") => Op::ListTagsOfResource,
            _ => return Err(ApiError::bare(ErrorKind::UnknownOperation)),
        })
    }
}
