//! Decode benches: one group per access-log format, each decoding a batch of realistic lines
//! (varied hosts, paths and user agents with spaces; ALB `-1` timings and a 460; nginx with and
//! without the timing suffix and a TLS-garbage 400). Throughput is per line.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use slipstream::decode::{Decoder, alb::AlbDecoder, nginx::NginxDecoder};

const ALB: [&str; 8] = [
    r#"https 2026-11-21T10:00:00.123456Z app/prod-lb/50dc6c495c0c9188 203.0.113.17:51234 10.0.1.12:8080 0.001 0.042 0.000 200 200 734 5120 "GET https://checkout.example.com:443/api/v1/cart?session=8f3a HTTP/1.1" "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/checkout-tg/6d0ecf831eec9f09 "Root=1-655c7f40-1d84f3d73c47ec4e58577259" "checkout.example.com" "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012" 3 2026-11-21T10:00:00.080000Z "forward" "-" "-" "10.0.1.12:8080" "200" "-" "-" TID_1234abcd5678ef90"#,
    r#"h2 2026-11-21T10:00:00.130001Z app/prod-lb/50dc6c495c0c9188 198.51.100.4:40022 10.0.2.31:8080 0.000 0.187 0.001 200 200 512 48211 "GET https://search.example.com:443/v2/search?q=red+shoes&page=2 HTTP/2.0" "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36" TLS_AES_128_GCM_SHA256 TLSv1.3 arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/search-tg/73e2d6bc24d8a067 "Root=1-655c7f40-72bd00b0343d75b906739c42" "search.example.com" "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012" 5 2026-11-21T10:00:00.000000Z "forward" "-" "-" "10.0.2.31:8080" "200" "-" "-" TID_5678abcd1234ef90"#,
    r#"https 2026-11-21T10:00:00.200000Z app/prod-lb/50dc6c495c0c9188 192.0.2.88:60111 - -1 -1 -1 502 - 1024 272 "POST https://checkout.example.com:443/api/v1/orders HTTP/1.1" "okhttp/4.12.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/checkout-tg/6d0ecf831eec9f09 "Root=1-655c7f40-36d228ad5d99923122bbe354" "checkout.example.com" "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012" 3 2026-11-21T10:00:00.150000Z "forward" "-" "-" "10.0.1.12:8080" "-" "-" "-" TID_abcd1234ef905678"#,
    r#"http 2026-11-21T10:00:00.250000Z app/prod-lb/50dc6c495c0c9188 203.0.113.201:33012 10.0.3.5:80 0.000 0.003 0.000 301 301 211 389 "GET http://www.example.com:80/ HTTP/1.1" "curl/8.5.0" - - arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-tg/9f8e7d6c5b4a3921 "Root=1-655c7f40-23a8c76965a2ef7629b185e3" "-" "-" 0 2026-11-21T10:00:00.247000Z "forward" "-" "-" "10.0.3.5:80" "301" "-" "-" TID_ef901234abcd5678"#,
    r#"wss 2026-11-21T10:05:31.004410Z app/prod-lb/50dc6c495c0c9188 198.51.100.77:51515 10.0.4.9:8010 0.000 0.002 0.000 101 101 218 98211 "GET https://live.example.com:443/socket HTTP/1.1" "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/live-tg/0a1b2c3d4e5f6071 "Root=1-655c7f40-0a1b2c3d4e5f60718293a4b5" "live.example.com" "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012" 7 2026-11-21T10:00:00.001000Z "forward" "-" "-" "10.0.4.9:8010" "101" "-" "-" TID_0a1b2c3d4e5f6071"#,
    r#"https 2026-11-21T10:00:00.310000Z app/prod-lb/50dc6c495c0c9188 192.0.2.14:49152 - -1 -1 -1 460 - 601 0 "PUT https://auth.example.com:443/oauth2/token HTTP/1.1" "python-requests/2.31.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/auth-tg/1122334455667788 "Root=1-655c7f40-11223344556677889900aabb" "auth.example.com" "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012" 2 2026-11-21T10:00:00.001000Z "forward" "-" "-" "-" "-" "-" "-" TID_1122334455667788"#,
    r#"https 2026-11-21T10:00:00.400000Z app/prod-lb/50dc6c495c0c9188 203.0.113.99:40001 10.0.5.2:8080 0.001 1.250 0.000 504 - 950 351 "GET https://catalog.example.com:443/products/12345/reviews?sort=new HTTP/1.1" "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) \"Mobile\" Safari/604.1" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/catalog-tg/99aabbccddeeff00 "Root=1-655c7f40-99aabbccddeeff0011223344" "catalog.example.com" "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012" 4 2026-11-21T10:00:00.000000Z "forward" "-" "-" "10.0.5.2:8080" "-" "-" "-" TID_99aabbccddeeff00"#,
    r#"http 2026-11-21T10:00:00.450000Z app/prod-lb/50dc6c495c0c9188 192.0.2.200:1234 10.0.1.12:8080 0.000 0.015 0.000 404 404 180 412 "DELETE http://checkout.example.com:80/api/v1/cart/items/42 HTTP/1.1""#,
];

const NGINX: [&str; 8] = [
    r#"203.0.113.17 - - [21/Nov/2026:10:00:00 +0000] "GET /api/v1/cart?session=8f3a HTTP/1.1" 200 5120 "https://checkout.example.com/" "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15" 0.043 0.042"#,
    r#"198.51.100.4 - - [21/Nov/2026:02:00:00 -0800] "GET /v2/search?q=red+shoes&page=2 HTTP/2.0" 200 48211 "-" "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36" 0.188 0.187"#,
    r#"192.0.2.88 - - [21/Nov/2026:10:00:00 +0000] "POST /api/v1/orders HTTP/1.1" 502 157 "https://checkout.example.com/cart" "okhttp/4.12.0" 1.503 0.500, 1.000 : 0.003"#,
    r#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)""#,
    r#"198.51.100.9 - - [21/Nov/2026:10:00:00 +0000] "\x16\x03\x01\x00\xF1\x01\x00\x00\xED\x03\x03" 400 157 "-" "-" 0.001 -"#,
    r#"2001:db8::7 - alice [21/Nov/2026:15:30:00 +0530] "PUT /oauth2/token HTTP/1.1" 204 0 "-" "python-requests/2.31.0" 0.009 0.008"#,
    r#"203.0.113.99 - - [21/Nov/2026:10:00:00 +0000] "GET /products/12345/reviews?sort=new HTTP/1.1" 504 167 "https://catalog.example.com/products/12345" "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Safari/604.1" 60.001 60.000"#,
    r#"192.0.2.200 - - [21/Nov/2026:10:00:00 +0000] "DELETE /api/v1/cart/items/42 HTTP/1.1" 404 0 "-" "curl/8.5.0" 0.002 -"#,
];

fn bench_format(c: &mut Criterion, name: &str, decoder: &dyn Decoder, lines: &[&str]) {
    for line in lines {
        assert!(decoder.decode(line.as_bytes()).is_ok(), "{name}: {line}");
    }
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(1));
    group.bench_function("one_line", |b| {
        let line = black_box(lines.first().copied().unwrap_or_default().as_bytes());
        b.iter(|| black_box(decoder.decode(black_box(line))))
    });
    group.throughput(Throughput::Elements(lines.len() as u64));
    group.bench_function("mixed_batch", |b| {
        b.iter(|| {
            for line in lines {
                let _ = black_box(decoder.decode(black_box(line.as_bytes())));
            }
        })
    });
    group.finish();
}

fn decode(c: &mut Criterion) {
    bench_format(c, "decode_alb", &AlbDecoder, &ALB);
    bench_format(c, "decode_nginx", &NginxDecoder, &NGINX);
}

criterion_group!(benches, decode);
criterion_main!(benches);
