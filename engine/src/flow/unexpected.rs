//! What a step of a flow answers when a call's outcome is not one it expects.

use crate::api::object::Outcome;
use crate::error::{ApiError, Error};

/// The error as the client sees it, or a bug naming the reply.
pub(crate) fn unexpected(what: &str, outcome: Outcome) -> ApiError {
    match outcome {
        Err(e) => e.into_api(),
        Ok(other) => Error::bug(format!("{what} answered {other:?}")).into_api(),
    }
}
