//! DynamoDB's rules that both stages of validation apply: limits, and the checks of an index
//! definition that depend on the table's billing mode (known to CreateTable's request, only
//! to the table object for UpdateTable's).

use extenddo_projections::schema::{IndexKind, IndexSchema};

use crate::error::ApiError;

pub const MAX_GSIS: usize = 20;
pub const MAX_LSIS: usize = 5;
/// A global index key may have up to this many partition-key and sort-key attributes each.
pub const MAX_INDEX_KEY_PARTS: usize = 4;

/// A global index's ProvisionedThroughput must be given exactly when the table is
/// PROVISIONED.
pub fn check_index_billing(ix: &IndexSchema, billing: &str) -> Result<(), ApiError> {
    if ix.kind != IndexKind::Global {
        return Ok(());
    }
    match (ix.throughput.is_some(), billing) {
        (false, "PROVISIONED") => Err(ApiError::invalid_param(format!(
            "ProvisionedThroughput is not specified for index: {}",
            ix.name
        ))),
        (true, "PAY_PER_REQUEST") => Err(ApiError::invalid_param(format!(
            "ProvisionedThroughput should not be specified for index: {} when BillingMode is PAY_PER_REQUEST",
            ix.name
        ))),
        _ => Ok(()),
    }
}
