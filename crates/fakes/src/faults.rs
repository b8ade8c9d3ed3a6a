//! Faults a test queues on a fake: the next calls fail in a chosen way, then the fake
//! behaves again.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Deserialize;

/// One way for a call to go wrong.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Fault {
    /// Answer this status (500, 502, 503, …) with the platform's error body for it.
    Status { status: u16 },
    /// Answer 200 with a body that is not valid JSON.
    MalformedJson,
    /// Wait this long before answering normally (the call counts as in flight meanwhile).
    Slow { millis: u64 },
}

impl Fault {
    pub fn slow(by: Duration) -> Self {
        Fault::Slow {
            millis: by.as_millis() as u64,
        }
    }
}

/// Where a fault applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultTarget {
    /// The data API (accounting endpoints, `/connections`, company info).
    Api,
    /// The token endpoint.
    Token,
}

/// The body of `POST /_fake/faults`, the same for every fake:
/// `{"target":"api","fault":{"kind":"status","status":503},"times":2}`.
#[derive(Deserialize)]
pub(crate) struct FaultRequest {
    target: FaultTarget,
    fault: Fault,
    #[serde(default = "one")]
    times: usize,
}

fn one() -> usize {
    1
}

/// Queued faults, consumed one per matching call in the order queued.
#[derive(Clone, Debug, Default)]
pub(crate) struct Faults {
    queue: Arc<Mutex<VecDeque<(FaultTarget, Fault)>>>,
}

impl Faults {
    pub(crate) fn push(&self, target: FaultTarget, fault: Fault, times: usize) {
        let mut queue = self.queue.lock().expect("faults lock");
        for _ in 0..times {
            queue.push_back((target, fault.clone()));
        }
    }

    /// Queues what a `POST /_fake/faults` asks for.
    pub(crate) fn push_request(&self, request: FaultRequest) {
        self.push(request.target, request.fault, request.times);
    }

    /// The next fault queued for `target`, if any.
    pub(crate) fn take(&self, target: FaultTarget) -> Option<Fault> {
        let mut queue = self.queue.lock().expect("faults lock");
        let at = queue.iter().position(|(t, _)| *t == target)?;
        queue.remove(at).map(|(_, fault)| fault)
    }

    pub(crate) fn clear(&self) {
        self.queue.lock().expect("faults lock").clear();
    }
}
