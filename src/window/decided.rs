//! Decided events: what decoding and classifying a batch's lines decided about each event,
//! kept apart from the lines, so that deciding (the costly part: decode, service match, SLO
//! verdicts, request-id hash) can run on any thread, and applying (which depends on order:
//! the future and retention bounds, de-duplication, a split service's host slots) runs in
//! order on the partition's [`Shard`](super::Shard).
//!
//! Every ingest path decides a batch into [`Decisions`] and then applies them: the pipeline's
//! sink, a cluster owner, a Kafka source's and a parallel replay's deciding threads, so the
//! verdicts cannot differ between them. Deciding is a pure function of the event and the configuration; a
//! decision is applied only with the configuration it was decided with.

use crate::classify::attribution::BackendMemo;
use crate::classify::canary::Variant;
use crate::classify::{Classifier, Outcome};
use crate::decode::Event;

use super::Plan;
use super::dedup::Dedup;

/// One decided event, borrowed from its [`Decisions`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decided<'a> {
    /// Event time, µs since the Unix epoch.
    pub time_us: i64,
    /// The request id's [`Dedup::hash`]: only when de-duplication is configured and the
    /// event has an id.
    pub id: Option<u64>,
    /// The service it belongs to; `None` when it matched none.
    pub service: Option<usize>,
    /// Each SLO's verdict, in [`Classifier::slos_of`] order of the service (empty without
    /// a service).
    pub outcomes: &'a [Outcome],
    /// The latency to record: `None` when the log does not know it or the connection is
    /// long-lived (its duration is not a latency).
    pub latency_us: Option<i64>,
    /// The [`Plan::splits`] index of the service, when it is split by host.
    pub split: Option<usize>,
    /// The host, as the line gave it: only for a service split by host (empty otherwise).
    pub host: &'a [u8],
    /// Its burn-attribution keys, one per configured dimension (none when attribution is
    /// off or the event has no service).
    pub keys: Keys<'a>,
    /// The canary comparison's variant it belongs to, when its service compares one.
    pub variant: Option<Variant>,
    /// The HTTP status, for the canary comparison's error rate.
    pub status: u16,
}

/// An event's burn-attribution keys ([`crate::classify::attribution`]), one per configured
/// dimension, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Keys<'a> {
    bytes: &'a [u8],
    /// Each key's end in `bytes`.
    ends: &'a [u32],
    /// The first key's start in `bytes`.
    start: usize,
}

impl<'a> Keys<'a> {
    /// How many keys (0 when attribution is off).
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True without keys.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Every key's bytes, one after the other.
    pub fn bytes(&self) -> &'a [u8] {
        let end = self.ends.last().map_or(self.start, |&e| e as usize);
        &self.bytes[self.start..end]
    }

    /// Each key's length, in dimension order.
    pub fn lens(&self) -> impl Iterator<Item = u32> + Clone + 'a {
        let mut start = self.start as u32;
        self.ends.iter().map(move |&end| {
            let len = end - start;
            start = end;
            len
        })
    }
}

/// One decided event, its slices as ranges of its [`Decisions`]' buffers.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Row {
    time_us: i64,
    id: Option<u64>,
    service: Option<usize>,
    latency_us: Option<i64>,
    split: Option<usize>,
    outcomes: std::ops::Range<usize>,
    host: std::ops::Range<usize>,
    /// The first key's start in `keys`, and the range of its ends in `key_ends`.
    key_start: usize,
    key_ends: std::ops::Range<usize>,
    variant: Option<Variant>,
    status: u16,
}

/// The decided events of one batch, in line order; buffers are kept by
/// [`clear`](Decisions::clear), so deciding allocates only when a batch outgrows every
/// earlier one.
#[derive(Debug, Clone, Default)]
pub struct Decisions {
    rows: Vec<Row>,
    outcomes: Vec<Outcome>,
    hosts: Vec<u8>,
    keys: Vec<u8>,
    key_ends: Vec<u32>,
    /// Each service's last backend key (a speed-up only; kept across batches).
    backends: BackendMemo,
}

impl Decisions {
    /// No decisions.
    pub fn new() -> Self {
        Self::default()
    }

    /// Decides `event` with `classifier` under `plan` and appends the decision.
    pub fn push(&mut self, event: &Event<'_>, classifier: &Classifier, plan: &Plan) {
        let service = classifier.service_of(event);
        let start = self.outcomes.len();
        if let Some(s) = service {
            classifier.verdicts(s, event, &mut self.outcomes);
        }
        let split = service
            .filter(|_| !plan.splits.is_empty())
            .and_then(|s| plan.split_of(s));
        let host_start = self.hosts.len();
        if split.is_some() {
            self.hosts.extend_from_slice(event.host);
        }
        let id = (plan.window.dedup.is_some() && !event.request_id.is_empty())
            .then(|| Dedup::hash(event.request_id));
        let (key_start, ends_start) = (self.keys.len(), self.key_ends.len());
        if let (Some(s), Some(a)) = (service, &plan.attribution) {
            a.keys(
                event,
                s,
                &mut self.backends,
                &mut self.keys,
                &mut self.key_ends,
            );
        }
        let variant = service
            .and_then(|s| plan.canary_of(s))
            .and_then(|c| c.variant_of(event));
        self.rows.push(Row {
            time_us: event.time_us,
            id,
            service,
            latency_us: event.latency_us.filter(|_| !event.long_lived),
            split,
            outcomes: start..self.outcomes.len(),
            host: host_start..self.hosts.len(),
            key_start,
            key_ends: ends_start..self.key_ends.len(),
            variant,
            status: event.status,
        });
    }

    /// Forgets every decision, keeping the buffers.
    pub fn clear(&mut self) {
        self.rows.clear();
        self.outcomes.clear();
        self.hosts.clear();
        self.keys.clear();
        self.key_ends.clear();
    }

    /// The decided events, in order.
    pub fn iter(&self) -> impl Iterator<Item = Decided<'_>> + '_ {
        self.rows.iter().map(|r| Decided {
            time_us: r.time_us,
            id: r.id,
            service: r.service,
            outcomes: &self.outcomes[r.outcomes.clone()],
            latency_us: r.latency_us,
            split: r.split,
            host: &self.hosts[r.host.clone()],
            keys: Keys {
                bytes: &self.keys,
                ends: &self.key_ends[r.key_ends.clone()],
                start: r.key_start,
            },
            variant: r.variant,
            status: r.status,
        })
    }

    /// The one decision `event` gets ([`Shard::apply_event`](super::Shard::apply_event), for
    /// tests and benches that apply single events).
    pub fn one(event: &Event<'_>, classifier: &Classifier, plan: &Plan) -> Self {
        let mut d = Self::new();
        d.push(event, classifier, plan);
        d
    }
}
