//! Budget adjustments (maintenance windows) against counts taken here from the generated
//! events: one declared ahead (exact to the event), two declared after the fact by a reload
//! (one recent, exact at 1 s; one 20 hours old, applied with the coarser buckets the answer
//! names), events that arrive after the declaration, every window, the daily report, what
//! `/v1/adjustments` says, a restart from the checkpoint, and the configuration's refusals.

mod api;
mod command_line;
mod configured;

use serde_json::Value;

use crate::helpers::{Rng, alb_line, parse_time};
use slipstream::app::Pipeline;
use slipstream::clock::ManualClock;
use slipstream::config;
use slipstream::time::{HOUR, MINUTE, SECOND, epoch_us, format_rfc3339};

/// 2026-03-30 12:00 UTC.
fn now() -> i64 {
    epoch_us(2026, 3, 30, 12, 0, 0, 0).unwrap()
}

/// The one declared with the configuration, before any event: 29 March 06:00:07 to
/// 06:59:03.
fn ahead() -> (i64, i64) {
    (
        now() - 30 * HOUR + 7 * SECOND,
        now() - 29 * HOUR + 3 * SECOND,
    )
}

/// Declared by a reload, 20 hours after it began: counted as good.
fn late_old() -> (i64, i64) {
    (
        now() - 20 * HOUR + 13 * SECOND,
        now() - 18 * HOUR + 29 * SECOND,
    )
}

/// Declared by a reload, 3 minutes after it began: excluded.
fn late_recent() -> (i64, i64) {
    (now() - 3 * MINUTE + 3 * SECOND, now() - 2 * MINUTE + SECOND)
}

fn adjustment(name: &str, (start, end): (i64, i64), mode: &str) -> String {
    format!(
        r#"---
apiVersion: reliability/v1
kind: BudgetAdjustment
metadata: {{name: {name}}}
spec:
  description: {name} window
  first_event_start: "{}"
  duration: {}s
  mode: {mode}
  slos: [api/availability]
"#,
        format_rfc3339(start),
        (end - start) / SECOND
    )
}

fn config(dir: &std::path::Path, late: bool) -> String {
    let mut yaml = crate::helpers::api_availability_checkpointed(dir);
    yaml += &adjustment("ahead", ahead(), "exclude");
    if late {
        yaml += &adjustment("late-old", late_old(), "count_as_good");
        yaml += &adjustment("late-recent", late_recent(), "exclude");
    }
    yaml
}

/// `n` events `(time, bad)` over `[from, to)`, one in 5 bad, plus a bad one on each side of
/// every adjustment's edges.
fn events(from: i64, to: i64, n: usize, seed: u64) -> Vec<(i64, bool)> {
    let mut rng = Rng(seed);
    let mut out: Vec<(i64, bool)> = (0..n)
        .map(|_| {
            let t = from + rng.below((to - from) as u64) as i64;
            (t, rng.below(5) == 0)
        })
        .collect();
    for (s, e) in [ahead(), late_old(), late_recent()] {
        for t in [s - 1, s, e - 1, e] {
            if (from..to).contains(&t) {
                out.push((t, true));
            }
        }
    }
    out
}

fn lines(events: &[(i64, bool)]) -> Vec<String> {
    let line = |&(t, bad): &(i64, bool)| {
        alb_line(t, "api.example.com", "/", if bad { 503 } else { 200 }, None)
    };
    events.iter().map(line).collect()
}

fn ranges(v: &Value) -> Vec<(i64, i64)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                parse_time(r["start"].as_str().unwrap()),
                parse_time(r["end"].as_str().unwrap()),
            )
        })
        .collect()
}

fn within(ranges: &[(i64, i64)], t: i64) -> bool {
    ranges.iter().any(|&(a, b)| (a..b).contains(&t))
}

/// The adjustment named `name` in a `/v1/adjustments` answer.
fn named<'a>(answer: &'a Value, name: &str) -> &'a Value {
    answer["adjustments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {answer}"))
}

/// How the test judges each event: `None` when left out, else whether it counts as good.
struct Judge {
    /// Ranges adjusted for events counted before the reload, per late adjustment.
    old_applied: Vec<(i64, i64)>,
    recent_applied: Vec<(i64, i64)>,
}

impl Judge {
    fn judge(&self, (t, bad): (i64, bool), fed_after_reload: bool) -> Option<bool> {
        let in_range = |(s, e): (i64, i64)| (s..e).contains(&t);
        if in_range(ahead()) {
            return None;
        }
        let (old, recent) = if fed_after_reload {
            (in_range(late_old()), in_range(late_recent()))
        } else {
            (
                within(&self.old_applied, t),
                within(&self.recent_applied, t),
            )
        };
        if recent {
            None
        } else if old {
            Some(true)
        } else {
            Some(!bad)
        }
    }

    /// (good, total) over `[from, to)` of both batches.
    fn count(
        &self,
        before: &[(i64, bool)],
        after: &[(i64, bool)],
        from: i64,
        to: i64,
    ) -> (u64, u64) {
        let all = before
            .iter()
            .map(|&e| (e, false))
            .chain(after.iter().map(|&e| (e, true)));
        let mut c = (0, 0);
        for (e, late) in all {
            if (from..to).contains(&e.0)
                && let Some(good) = self.judge(e, late)
            {
                c.0 += u64::from(good);
                c.1 += 1;
            }
        }
        c
    }
}

fn open(yaml: &str) -> std::sync::Arc<Pipeline> {
    open_at(yaml, ManualClock::new(now()))
}

fn open_at(yaml: &str, clock: ManualClock) -> std::sync::Arc<Pipeline> {
    let config = config::parse(yaml, "adjust.yaml").unwrap_or_else(|e| panic!("{e}"));
    Pipeline::open(&config, std::sync::Arc::new(clock)).unwrap()
}
