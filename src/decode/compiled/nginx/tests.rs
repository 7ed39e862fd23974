//! The compiled nginx decoder: the presets, pasted and custom formats and the ones that
//! cannot work, what a format says about a line and itself, and lines built from any format
//! decoding to what built them. Here: the presets and lines the topic files share.

mod custom_formats;
mod explaining;
mod presets;
mod properties;

use super::*;
use crate::time;

fn preset(name: &str) -> LogFormat {
    LogFormat::preset(name, None).unwrap().unwrap()
}

fn utc(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> i64 {
    time::epoch_us(y, mo, d, h, mi, s, 0).unwrap()
}

// Lines written from the formats' documentation, as nginx writes them.
const COMBINED: &str = r#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)""#;
const MAIN_DIRECT: &str = r#"172.17.0.1 - - [21/Nov/2026:10:00:00 +0000] "GET /index.html HTTP/1.1" 200 615 "-" "curl/8.5.0" "-""#;
const MAIN_PROXIED: &str = r#"10.0.0.2 - - [21/Nov/2026:10:00:01 +0000] "POST /api/cart?id=3 HTTP/1.1" 503 197 "https://shop.example.com/" "Mozilla/5.0 (X11; Linux x86_64) \x22quoted\x22" "203.0.113.195, 70.41.3.18""#;
const INGRESS_ONE: &str = r#"192.168.49.1 - - [21/Nov/2026:10:00:02 +0000] "GET /api/v1/users/7 HTTP/2.0" 200 312 "-" "Go-http-client/2.0" 462 0.050 [default-users-8080] [] 10.244.0.12:8080 312 0.049 200 9f1c2b7e4d6a8f3b5c7d9e1f2a3b4c5d"#;
const INGRESS_SEVERAL: &str = r#"192.168.49.1 - alice [21/Nov/2026:10:00:03 +0100] "GET /api/v1/search?q=x HTTP/1.1" 200 1024 "-" "k6/0.47.0 (https://k6.io/)" 520 1.204 [default-search-80] [default-search-canary-80] 10.244.0.13:80, 10.244.0.14:80 : 10.244.1.2:80 0, 0 : 1024 0.600, 0.500 : 0.100 502, 502 : 200 0a1b2c3d4e5f60718293a4b5c6d7e8f9"#;
