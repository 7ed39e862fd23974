//! Demo source: generated, realistic load-balancer traffic with periodic incidents.
//!
//! [`Generator`] makes deterministic HTTP requests (same seed and event times, same lines) for
//! a few services — weighted service mix, per-service routes, mostly-2xx statuses with some
//! 3xx/4xx, a baseline 5xx rate, occasional load-balancer-generated 460/502/504, skewed
//! latencies with a long tail — and renders each as one AWS ALB or nginx access-log line.
//! Every [`INCIDENT_EVERY`] of event time, one service (rotating) has an incident lasting
//! [`INCIDENT_LENGTH`], alternately an error spike and a latency degradation;
//! [`Generator::incident_at`] says when and where, as a pure function of time and seed.
//!
//! With a backfill, the `backfill` before the history is generated first at a low rate with
//! only the [`script()`]'s deploys and incidents (each deploy and incident is also an
//! annotation, see [`annotations`]), so the daily history, reports and budgets have weeks
//! of realistic numbers; the periodic incidents begin with the history.
//!
//! [`DemoSource`] is one partition, `PartitionId::new(0, 0)`, named `demo`. Event `k` is
//! scheduled at a jittered time inside the `k`-th slot of width `1 s / rate` counted from
//! `now − history`, so any interval holds `rate × length` events give or take one and the
//! long-run rate is exact. It first generates every event before the clock's `now` as fast as
//! it can (the backfill), calls [`Sink::caught_up`], then every [`TICK`] emits the events whose
//! time has come (strictly before the clock's current time), each stamped with its scheduled
//! time. Batches hold at most [`BATCH_LINES`] lines; `next_offset` counts lines generated.
//! `run` checks [`StopSignal`] between batches and returns `Ok` once it is raised.

mod generate;
mod render;
mod script;
mod services;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use tracing::info;

use super::{BATCH_LINES, LineBatch, PartitionId, Sink, Source, SourceError, StopSignal};
use crate::clock::Clock;
use crate::time::{HOUR, MINUTE, SECOND};
use generate::{Rng, mix};
pub use script::{Scripted, annotations, script};
pub use services::{DemoCanary, DemoService, default_services, services, slo_config};

/// Event time between the starts of consecutive incident slots.
pub const INCIDENT_EVERY: i64 = 20 * MINUTE;
/// How long an incident lasts.
pub const INCIDENT_LENGTH: i64 = 4 * MINUTE;
/// How often the live phase emits the events that have come due.
pub const TICK: Duration = Duration::from_millis(100);

/// The access-log format the generator writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineFormat {
    /// AWS Application Load Balancer access log.
    Alb,
    /// nginx `combined` followed by `$request_time $upstream_response_time`.
    Nginx,
}

/// What goes wrong during an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncidentKind {
    /// 5 %–30 % of the service's requests fail with 5xx.
    Errors,
    /// Latency ×5–10, and about 2 % of requests time out (504).
    Latency,
}

/// One incident: `service` (an index into the generator's services) misbehaves during
/// `[start_us, end_us)` of event time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Incident {
    /// Index of the affected service.
    pub service: usize,
    /// What goes wrong.
    pub kind: IncidentKind,
    /// First affected µs.
    pub start_us: i64,
    /// First unaffected µs after it.
    pub end_us: i64,
}

/// One generated request, before rendering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Index of the service.
    pub service: usize,
    /// HTTP method.
    pub method: &'static str,
    /// Path, without query string.
    pub path: String,
    /// Query string without `?`, empty for none.
    pub query: String,
    /// Status the client saw (ALB `elb_status_code`; nginx writes 460 as its own 499).
    pub status: u16,
    /// Status the target answered, `None` when the load balancer answered itself.
    pub target_status: Option<u16>,
    /// Latency as ALB logs it (request + target + response processing), a whole number of
    /// milliseconds; `None` for 502/504, which ALB logs with `-1` timings.
    pub latency_us: Option<i64>,
    /// ALB `request_processing_time`, always known.
    pub request_processing_us: i64,
    /// ALB `target_processing_time`, `None` when logged as `-1`.
    pub target_processing_us: Option<i64>,
    /// ALB `response_processing_time`, `None` when logged as `-1`.
    pub response_processing_us: Option<i64>,
    /// Time the load balancer spent on the request, also when ALB logs `-1` (nginx
    /// `$request_time`).
    pub elapsed_us: i64,
    /// Client address and port.
    pub client: ([u8; 4], u16),
    /// Target address (port 8080).
    pub target: [u8; 4],
    /// Request bytes received from the client.
    pub received_bytes: u64,
    /// Response bytes sent to the client.
    pub sent_bytes: u64,
    /// User agent.
    pub user_agent: &'static str,
    /// HTTP/2 (ALB type `h2`) rather than HTTP/1.1 over TLS.
    pub http2: bool,
    /// Random bits for the trace and connection ids.
    pub trace: u128,
    /// Whether the service's canary answered it (target group `<service>-canary`).
    pub canary: bool,
}

/// Deterministic generator of demo requests; see the [module documentation](self).
#[derive(Debug, Clone)]
pub struct Generator {
    rng: Rng,
    seed: u64,
    services: Vec<DemoService>,
    /// Running sum of the weights, for picking a service.
    cumulative: Vec<u64>,
    /// False to generate steady traffic without incidents.
    incidents: bool,
    /// Before this µs only the [`script()`] incidents happen (the low-rate backfill);
    /// `i64::MIN`: the periodic ones throughout.
    scripted_before: i64,
}

impl Generator {
    /// A generator for `services` (the [`default_services`] if empty) seeded with `seed`.
    pub fn new(seed: u64, services: Vec<DemoService>) -> Self {
        let services = if services.is_empty() {
            default_services()
        } else {
            services
        };
        let uniform = services.iter().all(|s| s.weight == 0);
        let cumulative = services
            .iter()
            .scan(0u64, |sum, s| {
                *sum += if uniform { 1 } else { u64::from(s.weight) };
                Some(*sum)
            })
            .collect();
        Self {
            rng: Rng(mix(seed ^ 0x5eed)),
            seed,
            services,
            cumulative,
            incidents: true,
            scripted_before: i64::MIN,
        }
    }

    /// The same generator with only the [`script()`]'s incidents before `live_from_us` (the
    /// backfill), the periodic ones from then on.
    pub fn scripted_before(mut self, live_from_us: i64) -> Self {
        self.scripted_before = live_from_us;
        self
    }

    /// The same generator without incidents: steady traffic at the baseline error rates.
    pub fn without_incidents(mut self) -> Self {
        self.incidents = false;
        self
    }

    /// The services, in index order.
    pub fn services(&self) -> &[DemoService] {
        &self.services
    }

    /// The incident in progress at event time `t_us`, if any. Each [`INCIDENT_EVERY`] slot
    /// of epoch time holds one, starting 2–14 minutes into the slot; services take turns and
    /// the kinds alternate.
    pub fn incident_at(&self, t_us: i64) -> Option<Incident> {
        if !self.incidents {
            return None;
        }
        if t_us < self.scripted_before {
            return script(self.scripted_before)
                .into_iter()
                .filter_map(|s| s.incident(&self.services))
                .find(|i| (i.start_us..i.end_us).contains(&t_us));
        }
        let slot = t_us.div_euclid(INCIDENT_EVERY);
        let start_us =
            slot * INCIDENT_EVERY + 2 * MINUTE + (self.slot_hash(slot) % 720) as i64 * SECOND;
        let end_us = start_us + INCIDENT_LENGTH;
        if t_us < start_us || t_us >= end_us {
            return None;
        }
        let n = self.services.len() as i64;
        let service = (slot + slot.div_euclid(n) + (self.seed % n as u64) as i64).rem_euclid(n);
        let kind = if slot.rem_euclid(2) == 0 {
            IncidentKind::Errors
        } else {
            IncidentKind::Latency
        };
        Some(Incident {
            service: service as usize,
            kind,
            start_us,
            end_us,
        })
    }

    fn slot_hash(&self, slot: i64) -> u64 {
        mix(self.seed ^ mix(slot as u64))
    }

    /// Generates one request with event time `t_us` and appends its line (no newline) to `out`.
    pub fn write_line(&mut self, t_us: i64, format: LineFormat, out: &mut Vec<u8>) {
        let req = self.next_request(t_us);
        self.render(&req, t_us, format, out);
    }
}

/// What the demo source generates.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoSpec {
    /// Requests per second of event time (> 0).
    pub rate_per_second: u32,
    /// Event time generated at start, before the clock's `now` (µs, ≥ 0).
    pub history_us: i64,
    /// Event time generated before `history`, at [`DemoSpec::backfill_rate_per_second`], with
    /// only the [`script()`]'s incidents (µs, ≥ 0).
    pub backfill_us: i64,
    /// Requests per second of the backfill (> 0).
    pub backfill_rate_per_second: u32,
    /// Random seed: same seed, same traffic.
    pub seed: u64,
    /// Line format.
    pub format: LineFormat,
}

impl Default for DemoSpec {
    /// 200 requests/s, one hour of history, seed 42, ALB lines.
    fn default() -> Self {
        Self {
            rate_per_second: 200,
            history_us: HOUR,
            backfill_us: 0,
            backfill_rate_per_second: 1,
            seed: 42,
            format: LineFormat::Alb,
        }
    }
}

/// Event times: event `k` falls at a random point of slot `k` of width `1 s / rate` counted
/// from `origin`, computed exactly, so no error accumulates.
#[derive(Debug)]
struct Schedule {
    origin: i64,
    rate: i128,
    next: u64,
    next_time: i64,
    jitter: Rng,
}

impl Schedule {
    fn new(origin: i64, rate: u32, seed: u64) -> Self {
        let mut s = Self {
            origin,
            rate: i128::from(rate.max(1)),
            next: 0,
            next_time: 0,
            jitter: Rng(mix(seed ^ 0x0071_17e5)),
        };
        s.next_time = s.time_of(0);
        s
    }

    fn time_of(&mut self, k: u64) -> i64 {
        let j = i128::from(self.jitter.below(SECOND as u64));
        let offset = (i128::from(k) * i128::from(SECOND) + j) / self.rate;
        self.origin
            .saturating_add(i64::try_from(offset).unwrap_or(i64::MAX))
    }

    fn advance(&mut self) {
        self.next += 1;
        self.next_time = self.time_of(self.next);
    }
}

/// Generated traffic as a source; see the [module documentation](self).
#[derive(Debug)]
pub struct DemoSource {
    spec: DemoSpec,
    clock: Arc<dyn Clock>,
}

impl DemoSource {
    /// A source generating `spec`, reading "now" from `clock`.
    pub fn new(spec: DemoSpec, clock: Arc<dyn Clock>) -> Self {
        Self { spec, clock }
    }
}

/// State of a running demo source.
struct Emitter<'a> {
    generator: Generator,
    schedule: Schedule,
    /// Lines generated by the schedules before this one.
    emitted_before: u64,
    format: LineFormat,
    batch: LineBatch,
    line: Vec<u8>,
    sink: &'a mut dyn Sink,
    stop: &'a StopSignal,
}

impl Emitter<'_> {
    const PARTITION: PartitionId = PartitionId::new(0, 0);

    /// Emits every event scheduled before `until`; false if stopped first.
    fn emit_until(&mut self, until: i64) -> bool {
        while self.schedule.next_time < until {
            let t = self.schedule.next_time;
            self.line.clear();
            self.generator.write_line(t, self.format, &mut self.line);
            self.batch.push(&self.line);
            self.schedule.advance();
            if self.batch.len() >= BATCH_LINES {
                self.flush();
                if self.stop.is_stopped() {
                    return false;
                }
            }
        }
        self.flush();
        !self.stop.is_stopped()
    }

    fn flush(&mut self) {
        if !self.batch.is_empty() {
            self.batch.next_offset = self.emitted_before + self.schedule.next;
            self.sink.apply(Self::PARTITION, &self.batch);
            self.batch.clear();
        }
    }
}

impl Source for DemoSource {
    fn run(self: Box<Self>, sink: &mut dyn Sink, stop: &StopSignal) -> Result<(), SourceError> {
        let Self { spec, clock } = *self;
        sink.assign(Emitter::PARTITION, "demo");
        let now = clock.now_us();
        let origin = now - spec.history_us.max(0);
        let backfill = spec.backfill_us.max(0);
        let mut generator = Generator::new(spec.seed, default_services());
        if backfill > 0 {
            generator = generator.scripted_before(origin);
        }
        let mut e = Emitter {
            generator,
            // The backfill's low rate first (an empty schedule without one), then the rate.
            schedule: Schedule::new(origin - backfill, spec.backfill_rate_per_second, spec.seed),
            emitted_before: 0,
            format: spec.format,
            batch: LineBatch::new(),
            line: Vec::new(),
            sink,
            stop,
        };
        if spec.rate_per_second == 0 {
            e.sink.caught_up();
            while !stop.is_stopped() {
                std::thread::sleep(TICK);
            }
            return Ok(());
        }
        if backfill > 0 && !e.emit_until(origin) {
            return Ok(());
        }
        e.emitted_before = if backfill > 0 { e.schedule.next } else { 0 };
        e.schedule = Schedule::new(origin, spec.rate_per_second, spec.seed);
        if !e.emit_until(now) {
            return Ok(());
        }
        info!(
            lines = e.emitted_before + e.schedule.next,
            "demo backfill generated"
        );
        e.sink.caught_up();
        loop {
            std::thread::sleep(TICK);
            if stop.is_stopped() || !e.emit_until(clock.now_us()) {
                return Ok(());
            }
        }
    }
}
