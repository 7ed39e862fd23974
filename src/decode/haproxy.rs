//! HAProxy `option httplog` lines: `%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS
//! %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r`, with or without a syslog prefix
//! (`Feb  6 12:14:14 localhost haproxy[14389]: `, RFC 5424, or none), and the older layout
//! whose timers are `Tq/Tw/Tc/Tr/Tt` after the accept date.
//!
//! The line is found by its date: the first `[…]` holding `06/Feb/2009:12:14:14.655`
//! (milliseconds optional). HAProxy writes that date in the local time of its host without a
//! zone, so it is read as UTC: run HAProxy with `TZ=UTC`, or log `%trl`, whose
//! `[06/Feb/2009:13:14:14 +0100]` form carries an offset that is applied. The date is when
//! the request (old layout: the connection) began, so the event time is the date plus the
//! last timer (`Ta`, or `Tt`), when the exchange completed — lining up with ALB and nginx,
//! which log completion times — or the date alone when that timer is `-1`.
//!
//! The latency is the last timer in ms as µs: `Ta` is the request's total active time
//! (old layout: `Tt`, from accept, which includes connection setup); `-1` means unknown, and
//! under `option logasap` the `+`-prefixed value is read as written (the time until the log
//! was emitted, at the response headers, i.e. a lower bound). The other timers must be
//! integers but are not used. The status is `%ST`; HAProxy's `-1` (nothing was sent, e.g. the
//! client aborted) becomes status 0 with an unknown latency — not a server error, so counted
//! good in availability and left out of latency SLIs, like Envoy's `0`. The backend is `%b`
//! (before the `/` of `%b/%s`). Method and path (query string dropped) come from the quoted
//! request, which may carry a host when it is in absolute form (HTTP/2: `GET https://host/p`)
//! or be a `CONNECT host:port` in authority form (its host without the port, no path);
//! `<BADREQ>` or an empty request gives empty ones, and a request line that HAProxy cut at
//! its log-length limit (no closing quote) is read as far as it goes. 0, 1 or 2 capture
//! blocks (`{…}`, which may contain spaces) before the request are skipped. httplog carries
//! no request id. The client is the address of the `%ci:%cp` token before the date (IPv6
//! unbracketed, the port after the last colon); a token of another form (`unix:1`, or a
//! syslog field where a line has no client) gives none. Byte counts, cookies, termination state, connection counts and queues
//! must be present but are not checked. No line is long-lived.

use super::fields::{self, Fields};
use super::{DecodeError, Decoder, Event, client, timestamp};
use crate::time;

/// Decoder for HAProxy `option httplog` lines (see the module docs).
#[derive(Debug, Clone, Copy, Default)]
pub struct HaproxyDecoder;

impl Decoder for HaproxyDecoder {
    fn decode<'a>(&self, line: &'a [u8]) -> Result<Event<'a>, DecodeError> {
        let line = fields::trim_line(line)?;
        let (date_us, before_date, after_date) = find_date(line).ok_or(DecodeError::BadTime)?;
        let mut f = Fields::new(after_date);
        let _frontend = f.required()?;
        let backend_server = f.required()?;
        let timers = f.required()?;
        let status = f.required()?;
        let _bytes_cookies_state = [f.required()?, f.required()?, f.required()?, f.required()?];
        let _connections_queues = [f.required()?, f.required()?];
        let request = request(f.rest())?;

        let total_us = total_time(timers)?;
        let status = match status {
            b"-1" => 0,
            status => fields::parse_status(status)?,
        };
        let time_us = date_us
            .checked_add(total_us.unwrap_or(0))
            .ok_or(DecodeError::BadTime)?;
        let backend = fields::split_once(backend_server, b'/').map_or(backend_server, |(b, _)| b);
        let (method, host, path) = match fields::split_request(request) {
            Some(r) if !r.method.is_empty() => {
                let (host, path) = fields::request_target(r.method, r.target);
                (r.method, host, path)
            }
            _ => (&[][..], &[][..], &[][..]),
        };
        Ok(Event {
            time_us,
            status,
            latency_us: if status == 0 { None } else { total_us },
            method,
            host,
            path,
            backend,
            long_lived: false,
            request_id: &[],
            client: client_of(before_date),
        })
    }
}

/// The first `[date]` in `line` that parses, as epoch µs, with the bytes before its `[`
/// and the bytes after its `]`.
fn find_date(line: &[u8]) -> Option<(i64, &[u8], &[u8])> {
    let mut rest = line;
    loop {
        let (_, from) = fields::split_once(rest, b'[')?;
        if let Some((inside, after)) = fields::split_once(from, b']')
            && let Some(t) = timestamp::clf_date(inside)
        {
            let before = &line[..line.len() - from.len() - 1];
            return Some((t, before, after));
        }
        rest = from;
    }
}

/// The client: the address of the `%ci:%cp` token just before the date; none when that
/// token is not `address:port` (a UNIX socket's `unix:1`, or no client before the date).
fn client_of(before_date: &[u8]) -> &[u8] {
    let before = before_date.trim_ascii_end();
    let token = memchr::memrchr(b' ', before).map_or(before, |at| &before[at + 1..]);
    client::with_port(token).or_empty()
}

/// The last of five `/`-separated timers in µs, `None` for `-1`; every timer must be `-1` or
/// a count of ms, the last one optionally prefixed with `+` (`option logasap`).
fn total_time(timers: &[u8]) -> Result<Option<i64>, DecodeError> {
    let mut parts = timers.split(|&b| b == b'/');
    let mut last = None;
    for i in 0..5 {
        let part = parts.next().ok_or(DecodeError::BadLatency)?;
        let part = match part {
            [b'+', rest @ ..] if i == 4 => rest,
            part => part,
        };
        last = match part {
            b"-1" => None,
            ms => {
                let ms = time::parse_u64(ms).ok_or(DecodeError::BadLatency)?;
                let ms = i64::try_from(ms).map_err(|_| DecodeError::BadLatency)?;
                Some(ms.checked_mul(1_000).ok_or(DecodeError::BadLatency)?)
            }
        };
    }
    if parts.next().is_some() {
        return Err(DecodeError::BadLatency);
    }
    Ok(last)
}

/// The request line after the capture blocks: the quoted field's text, or everything after
/// its opening quote when HAProxy cut the line before the closing one.
fn request(rest: &[u8]) -> Result<&[u8], DecodeError> {
    let mut rest = rest.trim_ascii_start();
    while let [b'{', block @ ..] = rest {
        let (_, after) = fields::split_once(block, b'}').ok_or(DecodeError::MissingFields)?;
        rest = after.trim_ascii_start();
    }
    match rest {
        [] => Err(DecodeError::MissingFields),
        [b'"', open @ ..] => match Fields::new(rest).next() {
            Some(Ok(request)) => Ok(request),
            _ => Ok(open),
        },
        _ => Err(DecodeError::BadRequest),
    }
}

#[cfg(test)]
mod tests;
