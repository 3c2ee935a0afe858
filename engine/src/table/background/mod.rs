//! Work a table object does between requests, each step in its own transaction: backfill of
//! a new global secondary index in logged slices, TTL sweeps, stream shard rollover, and
//! log archiving to the object store, snapshots (periodic and for backups), trimming the
//! local log behind them, and restores.
//! When each is next due is computed here; the table object reports the earliest as its
//! timeout, so both hosts run background work by the same rule.

pub(crate) mod archive;
pub(crate) mod backfill;
pub(crate) mod export;
pub(crate) mod import;
pub(crate) mod restore;
pub(crate) mod rollover;
pub(crate) mod snapshot;
pub(crate) mod sweep;
