//! AWS Application Load Balancer access logs: one space-separated entry per line, some fields
//! double-quoted. Fields, in order: 1 `type` (`http`, `https`, `h2`, `grpcs`, `ws`, `wss`),
//! 2 `time` (ISO 8601 UTC, `2018-07-02T22:23:00.186641Z`, fraction optional, 1–9 digits,
//! truncated to µs), 3 `elb`, 4 `client:port`, 5 `target:port`, 6–8 request, target and
//! response processing times (seconds, `-1` when no target answered), 9 `elb_status_code`,
//! 10 `target_status_code`, 11 `received_bytes`, 12 `sent_bytes`, 13 `"request"`,
//! 14 `"user_agent"`, 15 `ssl_cipher`, 16 `ssl_protocol`, 17 `target_group_arn`, then trace id,
//! domain, certificate, rule, actions, error reason, target lists, classification and newer
//! fields. Fields 1–13 are required; 14–17 are read when present (older logs stop early) and
//! everything after field 17 is not examined, as AWS asks of readers (new fields are appended).
//!
//! The event time is field 2 (when the load balancer responded; for WebSockets, when the
//! connection closed), the status is `elb_status_code` (what the client saw), the latency is
//! the exact sum of fields 6–8 in µs, unknown (`None`) if any of them is `-1`. Host and path
//! come from the request URL (`METHOD scheme://host:port/uri PROTOCOL`); ALB's `"- - - "` for
//! a malformed request gives an empty method, host and path. The backend is the target group
//! ARN (empty for `-` or when absent). The client is field 4's address without its port
//! (`192.168.131.39:2817`, IPv6 written `2001:db8::1:2817` or `[2001:db8::1]:2817`; `-`
//! gives none); any other value is no client (the line still decodes: the client is information for burn attribution, not a field a line is refused for). `ws` and `wss` entries are
//! long-lived connections. The other fields are not checked.

use super::fields::{self, Fields, RequestLine};
use super::{DecodeError, Decoder, Event, client, timestamp};
use crate::time;

/// Decoder for AWS Application Load Balancer access-log lines (see the module docs).
#[derive(Debug, Clone, Copy, Default)]
pub struct AlbDecoder;

impl Decoder for AlbDecoder {
    fn decode<'a>(&self, line: &'a [u8]) -> Result<Event<'a>, DecodeError> {
        let mut f = Fields::new(fields::trim_line(line)?);
        let kind = f.required()?;
        let time = f.required()?;
        let _elb = f.required()?;
        let client = f.required()?;
        let _target = f.required()?;
        let timings = [f.required()?, f.required()?, f.required()?];
        let status = f.required()?;
        let _target_status_received_sent = [f.required()?, f.required()?, f.required()?];
        let request = f.required()?;
        // Fields 14–16 (user agent, cipher, protocol) are skipped; 17 is the target group.
        let backend = match f.optional_after(3)? {
            Some(b"-") | None => &[],
            Some(arn) => arn,
        };
        // Field 18, the `"Root=…"` trace id, identifies a request across duplicate deliveries.
        let request_id = match f.optional_after(0)? {
            Some(b"-") | None => &[],
            Some(id) => id,
        };

        let time_us = timestamp::rfc3339(time).ok_or(DecodeError::BadTime)?;
        let status = fields::parse_status(status)?;
        let latency_us = latency(timings)?;
        let client = client::with_port(client).or_empty();
        let Some(RequestLine {
            method,
            target,
            protocol: Some(_),
        }) = fields::split_request(request)
        else {
            return Err(DecodeError::BadRequest);
        };
        let (host, path) = fields::split_target(target);
        Ok(Event {
            time_us,
            status,
            latency_us,
            method: if method == b"-" { &[] } else { method },
            host,
            path,
            backend,
            long_lived: matches!(kind, b"ws" | b"wss"),
            request_id,
            client,
        })
    }
}

/// Exact sum of the three processing times in µs; `None` if any is `-1` (Classic ELB's
/// are the same).
pub(crate) fn latency(timings: [&[u8]; 3]) -> Result<Option<i64>, DecodeError> {
    let mut total: i64 = 0;
    let mut unknown = false;
    for timing in timings {
        if timing == b"-1" {
            unknown = true;
        } else {
            let us = time::parse_seconds_us(timing).ok_or(DecodeError::BadLatency)?;
            total = total.checked_add(us).ok_or(DecodeError::BadLatency)?;
        }
    }
    Ok((!unknown).then_some(total))
}

#[cfg(test)]
mod tests;
