//! The lines rendered: ALB lines with every field and exact timings, nginx lines in the
//! combined format plus timings.

use std::collections::BTreeSet;

use super::*;
use crate::time::parse_seconds_us;

#[test]
fn alb_lines_have_every_field_and_exact_timings() {
    let mut g = Generator::new(3, default_services());
    let errors = incidents(&g, NOON, NOON + 2 * INCIDENT_EVERY)
        .into_iter()
        .find(|i| i.kind == IncidentKind::Errors)
        .unwrap();
    let mut statuses = BTreeSet::new();
    for k in 0..200_000 {
        // Half inside the error incident, to meet plenty of 502s and 504s.
        let t = if k % 2 == 0 {
            NOON + k * 997
        } else {
            errors.start_us + k * 1_000
        };
        let req = g.next_request(t);
        let mut out = Vec::new();
        g.render(&req, t, LineFormat::Alb, &mut out);
        let text = String::from_utf8(out).unwrap();
        let f = fields(&text);
        assert_eq!(f.len(), 30, "{text}");
        assert!(f[0] == "https" || f[0] == "h2");
        assert_eq!(parse_iso(f[1]), t);
        assert_eq!(f[2], "app/demo-alb/50dc6c495c0c9188");
        assert_eq!(f[8], req.status.to_string());
        let host = &g.services()[req.service].host;
        assert!(
            f[12].starts_with(&format!("\"{} https://{host}:443{}", req.method, req.path)),
            "{text}"
        );
        let group = match req.canary {
            true => format!("{}-canary", g.services()[req.service].name),
            false => g.services()[req.service].name.clone(),
        };
        assert!(f[16].contains(&format!(":targetgroup/{group}/")), "{text}");
        assert_eq!(f[18], format!("\"{host}\""));
        assert!(f[17].starts_with("\"Root=1-") && f[29].starts_with("TID_"));
        let request = parse_seconds_us(f[5].as_bytes()).expect("request_processing_time >= 0");
        assert_eq!(request, req.request_processing_us);
        match req.status {
            502 | 504 => {
                assert_eq!((f[6], f[7], f[9]), ("-1", "-1", "-"), "{text}");
                assert_eq!(req.latency_us, None);
            }
            _ => {
                let sum = request
                    + parse_seconds_us(f[6].as_bytes()).unwrap()
                    + parse_seconds_us(f[7].as_bytes()).unwrap();
                assert_eq!(Some(sum), req.latency_us, "{text}");
                assert_eq!(sum % 1000, 0);
            }
        }
        assert_eq!(parse_iso(f[21]), t - req.elapsed_us);
        statuses.insert(req.status);
    }
    for s in [200, 201, 204, 304, 404, 429, 460, 500, 502, 503, 504] {
        assert!(statuses.contains(&s), "no {s} in {statuses:?}");
    }
}

#[test]
fn nginx_lines_are_combined_plus_timings() {
    let mut g = Generator::new(3, default_services());
    let t = 1_795_773_600 * SECOND + 123_456; // 2026-11-27T10:00:00.123456Z
    for k in 0..20_000 {
        let req = g.next_request(t);
        let mut out = Vec::new();
        g.render(&req, t, LineFormat::Nginx, &mut out);
        let text = String::from_utf8(out).unwrap();
        let f = fields(&text);
        assert_eq!(f.len(), 12, "{text}");
        assert_eq!((f[1], f[2]), ("-", "-"));
        assert_eq!(
            format!("{} {}", f[3], f[4]),
            "[27/Nov/2026:10:00:00 +0000]",
            "{k}"
        );
        let q = if req.query.is_empty() {
            String::new()
        } else {
            format!("?{}", req.query)
        };
        assert!(f[5].starts_with(&format!("\"{} {}{q} HTTP/", req.method, req.path)));
        let status: u16 = f[6].parse().unwrap();
        assert_eq!(status, if req.status == 460 { 499 } else { req.status });
        assert_eq!(parse_seconds_us(f[10].as_bytes()), Some(req.elapsed_us));
        if matches!(req.status, 502 | 504) {
            assert_eq!(f[11], "-");
        } else {
            assert_eq!(parse_seconds_us(f[11].as_bytes()), req.target_processing_us);
        }
    }
}
