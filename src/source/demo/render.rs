//! Rendering a generated request as an ALB or nginx access-log line.

// Writing to a Vec cannot fail, so the results of `write!` are ignored throughout.

use std::io::Write;

use super::{Generator, LineFormat, Request, mix};
use crate::time::{SECOND, civil_from_days};

impl Generator {
    /// Appends `req`, with event time `t_us`, to `out` as one line (no newline).
    pub fn render(&self, req: &Request, t_us: i64, format: LineFormat, out: &mut Vec<u8>) {
        match format {
            LineFormat::Alb => self.render_alb(req, t_us, out),
            LineFormat::Nginx => render_nginx(req, t_us, out),
        }
    }

    fn render_alb(&self, req: &Request, t_us: i64, out: &mut Vec<u8>) {
        let svc = &self.services[req.service];
        let ([a, b, c, d], port) = req.client;
        let [ta, tb, tc, td] = req.target;
        let (typ, proto, cipher, tls) = if req.http2 {
            ("h2", "HTTP/2.0", "TLS_AES_128_GCM_SHA256", "TLSv1.3")
        } else {
            (
                "https",
                "HTTP/1.1",
                "ECDHE-RSA-AES128-GCM-SHA256",
                "TLSv1.2",
            )
        };
        let q = if req.query.is_empty() { "" } else { "?" };
        let _ = write!(out, "{typ} ");
        iso8601(out, t_us);
        let _ = write!(
            out,
            " app/demo-alb/50dc6c495c0c9188 {a}.{b}.{c}.{d}:{port} {ta}.{tb}.{tc}.{td}:8080 "
        );
        seconds(out, Some(req.request_processing_us));
        out.push(b' ');
        seconds(out, req.target_processing_us);
        out.push(b' ');
        seconds(out, req.response_processing_us);
        let _ = write!(out, " {} ", req.status);
        match req.target_status {
            Some(s) => {
                let _ = write!(out, "{s}");
            }
            None => out.push(b'-'),
        }
        let _ = write!(
            out,
            " {} {} \"{} https://{}:443{}{q}{} {proto}\" \"{}\" {cipher} {tls} \
             arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/{}{}/{:016x} \
             \"Root=1-{:08x}-{:024x}\" \"{}\" \"-\" {} ",
            req.received_bytes,
            req.sent_bytes,
            req.method,
            svc.host,
            req.path,
            req.query,
            req.user_agent,
            svc.name,
            if req.canary { "-canary" } else { "" },
            mix(svc.name.bytes().fold(0, |h, b| h * 31 + u64::from(b)) + u64::from(req.canary)),
            t_us.div_euclid(SECOND),
            req.trace >> 32,
            svc.host,
            (req.service + 1) * 10,
        );
        iso8601(out, t_us - req.elapsed_us);
        let _ = write!(
            out,
            " \"forward\" \"-\" \"-\" \"{ta}.{tb}.{tc}.{td}:8080\" \"{}\" \"-\" \"-\" TID_{:032x}",
            req.target_status.map_or("-".to_string(), |s| s.to_string()),
            req.trace.rotate_left(17),
        );
    }
}

fn render_nginx(req: &Request, t_us: i64, out: &mut Vec<u8>) {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = t_us.div_euclid(SECOND);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    let ([a, b, c, e], _) = req.client;
    let q = if req.query.is_empty() { "" } else { "?" };
    let proto = if req.http2 { "HTTP/2.0" } else { "HTTP/1.1" };
    // nginx's own code for "client closed the connection".
    let status = if req.status == 460 { 499 } else { req.status };
    let _ = write!(
        out,
        "{a}.{b}.{c}.{e} - - [{d:02}/{}/{y:04}:{:02}:{:02}:{:02} +0000] \"{} {}{q}{} {proto}\" \
         {status} {} \"-\" \"{}\" ",
        MONTHS[(m as usize - 1) % 12],
        sod / 3600,
        sod % 3600 / 60,
        sod % 60,
        req.method,
        req.path,
        req.query,
        req.sent_bytes,
        req.user_agent,
    );
    seconds(out, Some(req.elapsed_us));
    out.push(b' ');
    match req.target_processing_us {
        Some(t) => seconds(out, Some(t)),
        None => out.push(b'-'),
    }
}

/// `2026-11-21T10:00:00.123456Z`, as ALB writes times.
fn iso8601(out: &mut Vec<u8>, t_us: i64) {
    let secs = t_us.div_euclid(SECOND);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    let _ = write!(
        out,
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:06}Z",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60,
        t_us.rem_euclid(SECOND)
    );
}

/// Whole milliseconds as seconds with three decimals; `-1` for `None`.
fn seconds(out: &mut Vec<u8>, us: Option<i64>) {
    let _ = match us {
        Some(us) => write!(out, "{}.{:03}", us / SECOND, us % SECOND / 1000),
        None => write!(out, "-1"),
    };
}
