//! nginx `combined` access logs, optionally followed by request timings, when no
//! `log_format` is configured (a configured one is compiled by [`super::compiled::nginx`]):
//! `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent
//! "$http_referer" "$http_user_agent"[ $request_time $upstream_response_time]`.
//!
//! The event time is `$time_local` (`10/Oct/2000:13:55:36 -0700`, second precision, any
//! `±hhmm` offset, converted to UTC); the first `[` after the address opens it, so a remote
//! user containing spaces is fine. The status is `$status`. The latency is `$request_time`
//! in exact µs, which must be written as nginx writes it (seconds with three decimals) or `-`
//! (unknown); `$upstream_response_time`, when present, must be `-` or a list of such
//! timings (`0.010, 0.020 : 0.005`), and anything after it is not examined. A quoted field
//! after the user agent is not a timing: it is `main`'s `"$http_x_forwarded_for"` (or
//! another quoted extension), and the latency is unknown. Plain `combined` has no timing
//! either. So a line of another layout with a number in that place (ingress-nginx's
//! `$request_length`) is a `bad_latency` error, never a latency. The client is
//! `$remote_addr` when it is an IP address; anything else there (nginx's `unix:`, or a host
//! name where Apache's `%h` wrote one into the same layout) is no client, not an error.
//! The user, byte count, referer and user agent are not examined (but must be present). Method and path (without query string) come from `$request`; a request
//! that is not `METHOD target[ PROTOCOL]` with an upper-case method — `"-"`, or the escaped
//! TLS bytes nginx logs with status 400 — gives an empty method and path, not an error.
//! `combined` carries neither host nor backend, so both are empty; no line is long-lived.

use super::fields::{self, Fields};
use super::{DecodeError, Decoder, Event, client, compiled, timestamp};

/// Decoder for nginx `combined` access-log lines, with or without the
/// `$request_time $upstream_response_time` suffix (see the module docs).
#[derive(Debug, Clone, Copy, Default)]
pub struct NginxDecoder;

impl Decoder for NginxDecoder {
    fn decode<'a>(&self, line: &'a [u8]) -> Result<Event<'a>, DecodeError> {
        let mut f = Fields::new(fields::trim_line(line)?);
        let remote_addr = f.required()?;
        let (_remote_user, time_on) =
            fields::split_once(f.rest(), b'[').ok_or(DecodeError::MissingFields)?;
        let (time, after_time) = fields::split_once(time_on, b']').ok_or(DecodeError::BadTime)?;
        let mut f = Fields::new(after_time);
        let request = f.required()?;
        let status = f.required()?;
        let _bytes_referer_agent = [f.required()?, f.required()?, f.required()?];
        // A quoted field here is `main`'s `"$http_x_forwarded_for"`, not a timing.
        let quoted_next = f.rest().trim_ascii_start().starts_with(b"\"");
        let request_time = if quoted_next {
            None
        } else {
            f.next().transpose()?
        };
        if request_time.is_some() {
            let upstream = f.rest().trim_ascii_start();
            if !upstream.is_empty() {
                let len = compiled::list_len(upstream, true, b' ').map_err(|(e, _)| e)?;
                if !matches!(upstream.get(len), None | Some(b' ')) {
                    return Err(DecodeError::BadLatency);
                }
            }
        }

        // `$time_local` always carries its offset: a date without one is not nginx's.
        let time_us = time
            .contains(&b' ')
            .then(|| timestamp::clf_date(time))
            .flatten()
            .ok_or(DecodeError::BadTime)?;
        let status = fields::parse_status(status)?;
        let latency_us = match request_time {
            None | Some(b"-") => None,
            Some(t) => Some(compiled::millis_us(t).ok_or(DecodeError::BadLatency)?),
        };
        let (method, path) = match fields::split_request(request) {
            Some(r) if compiled::nginx::is_method(r.method) => {
                (r.method, fields::request_target(r.method, r.target).1)
            }
            _ => (&[][..], &[][..]),
        };
        Ok(Event {
            time_us,
            status,
            latency_us,
            method,
            host: &[],
            path,
            backend: &[],
            long_lived: false,
            request_id: &[],
            client: client::bare(remote_addr).or_empty(),
        })
    }
}

#[cfg(test)]
mod tests;
