//! Commands of a transaction coordinator: the durable record of transactions over several
//! tables (their intent, their one decision, their completion) and of the ClientRequestTokens
//! they came with. The request flow drives a transaction through it; a participant that holds
//! a prepared transaction too long asks it for the outcome.

use extenddo_log::event::TxToken;
use serde::{Deserialize, Serialize};

use crate::api::ids::TableId;
use crate::error::{ApiError, ErrorKind};

/// A ClientRequestToken is remembered this long (AWS: ten minutes).
pub const TOKEN_WINDOW_MS: i64 = 10 * 60 * 1000;

/// A ClientRequestToken reused with another request within its window.
pub fn mismatch() -> ApiError {
    ApiError::new(
        ErrorKind::IdempotentParameterMismatch,
        "Specified idempotent token was used with different request parameters within the idempotency window",
    )
}

/// A ClientRequestToken whose first request is still running.
pub fn in_progress() -> ApiError {
    ApiError::new(
        ErrorKind::TransactionInProgress,
        "The transaction with the given request token is already in progress.",
    )
}

/// How many coordinator objects there are; a transaction goes to the one its token (or, if
/// it has none, its id) hashes to.
pub const SHARDS: u32 = 4;

/// The coordinator shard of a transaction.
pub fn shard(token: Option<&str>, txid: &str) -> u32 {
    crc32fast::hash(token.unwrap_or(txid).as_bytes()) % SHARDS
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CoordinatorCommand {
    /// Log the intent of a transaction over `participants`.
    Begin {
        txid: String,
        token: Option<TxToken>,
        participants: Vec<TableId>,
    },
    /// Log the decision (unless one is logged already: that one stands).
    Decide { txid: String, commit: bool },
    /// Every participant applied the decision.
    Complete { txid: String },
    /// What was decided (a participant asking after a crash).
    Outcome { txid: String },
}

impl CoordinatorCommand {
    pub fn is_write(&self) -> bool {
        !matches!(self, CoordinatorCommand::Outcome { .. })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CoordinatorReply {
    /// Begin: logged; go ahead.
    Begun,
    /// Begin: the token's request committed before (within its window): nothing to do.
    Duplicate,
    /// Decide / Outcome: the decision that stands.
    Decided {
        commit: bool,
    },
    /// Outcome: not decided yet, and not overdue: ask again later.
    Undecided,
    Done,
}
