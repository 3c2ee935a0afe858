//! Test-only failpoints: a host that enables them stops dead at a named step of a request's
//! protocol, so that tests can show every step recovers. A request asks for one with the
//! header `x-extenddo-failpoint: before|after:STEP:N` — the N-th call of that step in the
//! request (1-based). Steps: `Begin`, `TxPrepare`, `Decide`, `TxResolve`, `Complete`,
//! `Transact`. Hosts honour the header only when started for tests (native:
//! `EXTENDDO_FAILPOINTS=1`; Worker: the `EXTENDDO_FAILPOINTS` variable), and crash the
//! process (native) or drop the request mid-flight (Worker).

use crate::api::command::TableCommand;
use crate::api::coordinator::CoordinatorCommand;
use crate::api::object::{Call, Command};

pub const HEADER: &str = "x-extenddo-failpoint";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failpoint {
    after: bool,
    step: String,
    nth: usize,
    seen: usize,
}

/// The protocol step a call is, if it is one failpoints can name.
pub fn step(call: &Call) -> Option<&'static str> {
    Some(match &call.command {
        Command::Coordinator(CoordinatorCommand::Begin { .. }) => "Begin",
        Command::Coordinator(CoordinatorCommand::Decide { .. }) => "Decide",
        Command::Coordinator(CoordinatorCommand::Complete { .. }) => "Complete",
        Command::Table(TableCommand::TxPrepare(_)) => "TxPrepare",
        Command::Table(TableCommand::TxResolve(_)) => "TxResolve",
        Command::Table(TableCommand::Transact(_)) => "Transact",
        _ => return None,
    })
}

impl Failpoint {
    /// Parses `before|after:STEP:N`.
    pub fn parse(spec: &str) -> Option<Failpoint> {
        let mut it = spec.trim().splitn(3, ':');
        let after = match it.next()? {
            "before" => false,
            "after" => true,
            _ => return None,
        };
        let step = it.next()?.to_owned();
        let nth = it.next()?.parse().ok().filter(|n| *n >= 1)?;
        Some(Failpoint {
            after,
            step,
            nth,
            seen: 0,
        })
    }

    /// Before a call goes out: whether to stop now.
    pub fn before(&mut self, call: &Call) -> bool {
        if step(call) != Some(self.step.as_str()) {
            return false;
        }
        self.seen += 1;
        !self.after && self.seen == self.nth
    }

    /// After a call's outcome came back (it is durable where it went): whether to stop now.
    pub fn after(&self, call: &Call) -> bool {
        self.after && step(call) == Some(self.step.as_str()) && self.seen == self.nth
    }
}
