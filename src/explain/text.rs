//! The text form of an [`Explanation`]: one block per line, fields aligned, the verdicts last.

use std::fmt;

use super::{Explanation, ServiceCheck, ms};
use crate::time::{DAY, HOUR, MINUTE, SECOND};

/// `"value"`, or `(none)` for an empty field.
fn shown(value: &str) -> String {
    if value.is_empty() {
        "(none)".to_string()
    } else {
        format!("{value:?}")
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tried = format!("envelope {}, format {}", self.envelope, self.format);
        let at = match self.record {
            Some(r) => format!("line {}, log record {r}", self.line_number),
            None => format!("line {}", self.line_number),
        };
        if let Some(directive) = &self.directive {
            writeln!(f, "{at}: directive ({tried})")?;
            writeln!(f, "  input       {}", self.input)?;
            writeln!(f, "  {directive}")?;
            return Ok(());
        }
        let Some(e) = &self.event else {
            writeln!(f, "{at}: NOT DECODED ({tried})")?;
            writeln!(f, "  input       {}", self.input)?;
            if let Some(err) = &self.error {
                writeln!(f, "  stage       {}", err.stage)?;
                writeln!(f, "  reason      {}: {}", err.reason, err.message)?;
            }
            writeln!(
                f,
                "  the line is counted in decode errors (reason label above) and in no SLO"
            )?;
            return Ok(());
        };
        writeln!(f, "{at}: decoded ({tried})")?;
        if self.envelope != "none" {
            writeln!(f, "  line        {}", e.line)?;
        }
        writeln!(f, "  event time  {} ({} µs)", e.time, e.time_us)?;
        writeln!(f, "  status      {}", e.status)?;
        match (e.latency_us, &e.latency_unknown_reason) {
            (Some(l), _) => writeln!(f, "  latency     {}", ms(l))?,
            (None, why) => writeln!(
                f,
                "  latency     unknown: {}",
                why.as_deref().unwrap_or("not in the line")
            )?,
        }
        writeln!(f, "  method      {}", shown(&e.method))?;
        writeln!(f, "  host        {}", shown(&e.host))?;
        writeln!(f, "  path        {}", shown(&e.path))?;
        writeln!(f, "  backend     {}", shown(&e.backend))?;
        writeln!(f, "  request id  {}", shown(&e.request_id))?;
        writeln!(f, "  client      {}", shown(&e.client))?;
        writeln!(
            f,
            "  long-lived  {}",
            if e.long_lived { "yes (ws/wss)" } else { "no" }
        )?;
        self.write_time_check(f)?;
        self.write_service(f)?;
        self.write_slos(f)?;
        if !self.attribution.is_empty() {
            let keys: Vec<String> = self
                .attribution
                .iter()
                .map(|k| format!("{} {}", k.by, k.key))
                .collect();
            writeln!(f, "  attributed  {}", keys.join(" · "))?;
        }
        Ok(())
    }
}

impl Explanation {
    /// A compiled format's fields, as text (nothing for a fixed format).
    pub(super) fn format_block(&self) -> String {
        use std::fmt::Write;
        let mut f = String::new();
        if self.format_fields.is_empty() {
            return f;
        }
        let _ = writeln!(f, "format {}, compiled:", self.format);
        for field in &self.format_fields {
            let gives = if field.gives.is_empty() {
                "skipped".to_string()
            } else {
                format!("gives {}", field.gives)
            };
            let _ = writeln!(f, "  {:<34} {:<30} {gives}", field.variable, field.shape);
        }
        f.push('\n');
        f
    }

    fn write_time_check(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(t) = &self.time_check {
            let when = if t.ahead_us > 0 {
                format!("{} ahead of now ({})", span(t.ahead_us), t.now)
            } else {
                format!("{} before now ({})", span(t.ahead_us), t.now)
            };
            if t.too_future {
                writeln!(
                    f,
                    "  time check  TOO FAR IN THE FUTURE: {when}, more than max_future {}; \
                     the event is counted as too_future and dropped, in no SLO",
                    span(t.max_future_us)
                )?;
            } else {
                writeln!(f, "  time check  ok: {when}")?;
            }
        }
        Ok(())
    }

    fn write_service(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.service {
            Some(name) => {
                let at = self
                    .services
                    .iter()
                    .position(|s| &s.name == name)
                    .unwrap_or(0);
                let s = &self.services[at];
                writeln!(f, "  service     {name} ({})", selectors(s))?;
                if at > 0 {
                    writeln!(
                        f,
                        "              (after {at} earlier service(s) did not match)"
                    )?;
                }
            }
            None => {
                writeln!(
                    f,
                    "  service     NONE MATCHED: the event is counted as unmatched, in no SLO"
                )?;
                let width = self.services.iter().map(|s| s.name.chars().count()).max();
                let width = width.unwrap_or(0);
                for s in &self.services {
                    writeln!(f, "    {:<width$}  {}", s.name, selectors(s))?;
                }
            }
        }
        Ok(())
    }

    fn write_slos(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.service.is_some() {
            if self.slos.is_empty() {
                writeln!(f, "  SLOs        (the service has none)")?;
            } else {
                writeln!(f, "  SLOs")?;
            }
            let names: Vec<String> = self
                .slos
                .iter()
                .map(|v| format!("{} ({})", v.slo, v.kind))
                .collect();
            let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
            for (name, v) in names.iter().zip(&self.slos) {
                writeln!(f, "    {name:<width$}  {}", v.message)?;
            }
        }
        Ok(())
    }
}

/// `host "a" matches; method "POST" FAILS (method "GET")`.
fn selectors(s: &ServiceCheck) -> String {
    if s.selectors.is_empty() {
        return "no selectors: matches every event".to_string();
    }
    s.selectors
        .iter()
        .map(|c| {
            if c.matched {
                format!("{} {:?} matches", c.selector, c.pattern)
            } else {
                format!(
                    "{} {:?} FAILS ({} is {})",
                    c.selector,
                    c.pattern,
                    match c.selector {
                        "path_prefix" => "path",
                        other => other,
                    },
                    shown(&c.value)
                )
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A rough, readable span: `3d 4h`, `2h 5m`, `12m 3s`, `4.2s`, `350 ms`.
pub(super) fn span(us: i64) -> String {
    let us = us.unsigned_abs() as i64;
    let two = |big: i64, bu: &str, small: i64, su: &str| {
        let (a, b) = (us / big, us % big / small);
        if b == 0 {
            format!("{a}{bu}")
        } else {
            format!("{a}{bu} {b}{su}")
        }
    };
    if us >= DAY {
        two(DAY, "d", HOUR, "h")
    } else if us >= HOUR {
        two(HOUR, "h", MINUTE, "m")
    } else if us >= MINUTE {
        two(MINUTE, "m", SECOND, "s")
    } else if us >= SECOND {
        format!("{:.1}s", us as f64 / SECOND as f64)
    } else {
        ms(us - us % 1000)
    }
}
