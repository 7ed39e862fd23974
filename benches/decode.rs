//! Decode benches: one group per access-log format, each decoding a batch of realistic lines
//! (varied hosts, paths and user agents with spaces; ALB `-1` timings and a 460; nginx with and
//! without the timing suffix and a TLS-garbage 400; Envoy with status 0 and unset values;
//! HAProxy with and without syslog prefix and capture blocks; Envoy JSON with string and typed
//! values; Cloud Logging entries; a nested generic JSON mapping). Throughput is per line.
//! Compiled nginx `log_format` presets run on the same nginx lines (those with timings as
//! `combined_timed`, and as `main` with a proxied `"$http_x_forwarded_for"` instead), beside
//! the fixed decoder, and on ingress-nginx lines; compiled Envoy presets likewise on the Envoy
//! lines (`envoy`) and on Istio lines (`istio`), HAProxy's `httplog` on the HAProxy lines;
//! Traefik's common format and JSON; CloudFront lines under their `#Fields:` header; and
//! OpenTelemetry Collector batches (`otlp_proto`, `otlp_json`) of 512 nginx records through
//! the whole ingest path, per record.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use slipstream::decode::json::{JsonDecoder, JsonMapping, JsonPath, TimeFormat};
use slipstream::decode::{
    Decoder, Unit, alb::AlbDecoder, compiled::envoy::AccessLogFormat,
    compiled::haproxy::LogFormat as HaproxyFormat, compiled::nginx::LogFormat, envoy::EnvoyDecoder,
    envoy_json::EnvoyJsonDecoder, gcp::GcpDecoder, haproxy::HaproxyDecoder, nginx::NginxDecoder,
    traefik::TraefikDecoder,
};
use slipstream::decode::{
    Format, FormatOptions, LineState,
    envelope::Envelope,
    ingest::{Ingest, Item, Limits},
    w3c::{Preset, W3cDecoder},
};

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

const ENVOY: [&str; 6] = [
    r#"[2026-11-21T10:00:00.123Z] "GET /api/v1/cart?session=8f3a HTTP/1.1" 200 - 0 5120 43 42 "203.0.113.17" "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15" "5f1c2b8e-0d9a-4c55-9d55-1f0e2c3b4a59" "checkout.example.com" "10.0.1.12:8080""#,
    r#"[2026-11-21T10:00:00.130Z] "POST /api/v1/orders HTTP/2" 503 UH 1024 19 0 - "192.0.2.88" "okhttp/4.12.0" "0b6f0a55-8d1c-4a7e-a1f4-0f2b7c9d3e11" "checkout.example.com" "-""#,
    r#"[2026-11-21T10:00:00.200Z] "GET /v1/stream?cursor=9 HTTP/1.1" 0 DC 0 0 1503 - "203.0.113.7" "curl/8.5.0" "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d" "api.example.com:8443" "10.0.1.12:8080""#,
    r#"[2026-11-21T10:00:00.250Z] "GET /v2/search?q=red+shoes&page=2 HTTP/2" 200 - 0 48211 188 187 "198.51.100.4, 10.0.0.1" "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36" "c0ffee00-1234-4abc-9def-001122334455" "search.example.com" "10.0.2.31:8080""#,
    r#"[2026-11-21T10:00:00.310Z] "PUT /oauth2/token HTTP/1.1" 204 - 601 0 9 8 "-" "python-requests/2.31.0" "-" "auth.example.com" "10.0.4.9:8443""#,
    r#"[2026-11-21T10:00:00.400Z] "- - -" 400 DPE 0 11 0 - "-" "-" "-" "-" "-""#,
];

const HAPROXY: [&str; 6] = [
    r#"Nov 21 10:00:00 lb1 haproxy[14389]: 203.0.113.17:51234 [21/Nov/2026:10:00:00.123] fe-https~ be_checkout/web-3 0/0/1/41/43 200 5120 - - ---- 120/118/12/4/0 0/0 {checkout.example.com|Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1)} "GET /api/v1/cart?session=8f3a HTTP/1.1""#,
    r#"Nov 21 10:00:00 lb1 haproxy[14389]: 192.0.2.88:60111 [21/Nov/2026:10:00:00.200] fe-https~ be_checkout/<NOSRV> 0/-1/-1/-1/0 503 217 - - SC-- 120/118/0/0/0 0/0 {checkout.example.com|okhttp/4.12.0} "POST /api/v1/orders HTTP/1.1""#,
    r#"2001:db8::7:51234 [21/Nov/2026:10:00:00.250] fe-https~ be_search/srch-1 0/0/0/187/188 200 48211 - - ---- 121/119/7/2/0 0/0 "GET https://search.example.com/v2/search?q=red+shoes&page=2 HTTP/2.0""#,
    r#"Nov 21 10:00:00 lb1 haproxy[14389]: 127.0.0.1:34549 [21/Nov/2026:10:00:00.300] fe-http be_web/<NOSRV> -1/-1/-1/-1/8490 -1 0 - - CR-- 2/2/2/0/0 0/0 """#,
    r#"Nov 21 10:00:00 lb1 haproxy[14389]: 10.0.0.1:34552 [21/Nov/2026:10:00:00.310] fe-http be_web/<NOSRV> -1/-1/-1/-1/3183 400 187 - - PR-- 1/1/1/0/0 0/0 "<BADREQ>""#,
    r#"Nov 21 10:00:00 lb1 haproxy[14389]: 198.51.100.9:40000 [21/Nov/2026:10:00:00.400] fe-http be_static/st-2 9/0/7/14/+30 200 +243 - - ---- 3/3/3/1/0 0/0 "GET /image.iso HTTP/1.0""#,
];

const ENVOY_JSON: [&str; 4] = [
    r#"{"start_time":"2026-11-21T10:00:00.123Z","method":"POST","path":"/api/v1/orders?id=7","protocol":"HTTP/1.1","response_code":"201","response_flags":"-","bytes_received":"512","bytes_sent":"48","duration":"57","upstream_service_time":"55","x_forwarded_for":"203.0.113.7","user_agent":"curl/8.5.0","x_request_id":"5f1c2b8e-0d9a-4c55-9d55-1f0e2c3b4a59","authority":"api.example.com:8443","upstream_host":"10.0.1.12:8080","upstream_cluster":"outbound|8080||orders.default.svc.cluster.local"}"#,
    r#"{"start_time":"2026-11-21T10:00:00.130Z","method":"GET","path":"/v2/search?q=red+shoes","protocol":"HTTP/2","response_code":200,"response_flags":"-","bytes_received":0,"bytes_sent":48211,"duration":188,"upstream_service_time":"187","x_forwarded_for":"198.51.100.4","user_agent":"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36","request_id":"c0ffee00-1234-4abc-9def-001122334455","authority":"search.example.com","upstream_host":"10.0.2.31:8080","upstream_cluster":"outbound|8080||search.default.svc.cluster.local"}"#,
    r#"{"start_time":"2026-11-21T10:00:00.200Z","method":"GET","path":"/v1/stream","protocol":"HTTP/1.1","response_code":0,"response_flags":"DC","bytes_received":0,"bytes_sent":0,"duration":1503,"upstream_service_time":null,"x_forwarded_for":null,"user_agent":"curl/8.5.0","request_id":"9a8b7c6d","authority":"api.example.com","upstream_host":"10.0.1.12:8080","upstream_cluster":"outbound|8080||stream.default.svc.cluster.local"}"#,
    r#"{"start_time":"2026-11-21T10:00:00.250Z","method":"GET","path":"/healthz","protocol":"HTTP/1.1","response_code":503,"response_flags":"UH","bytes_received":0,"bytes_sent":19,"duration":0,"upstream_service_time":null,"x_forwarded_for":null,"user_agent":"kube-probe/1.29","request_id":null,"authority":"orders.example.com","upstream_host":null,"upstream_cluster":"outbound|8080||orders.default.svc.cluster.local"}"#,
];

const GCP: [&str; 3] = [
    r#"{"insertId":"1oek5rg3l3fxj7","jsonPayload":{"@type":"type.googleapis.com/google.cloud.loadbalancing.type.LoadBalancerLogEntry","statusDetails":"response_sent_by_backend","backendTargetProjectNumber":"projects/123456789012"},"httpRequest":{"requestMethod":"GET","requestUrl":"https://shop.example.com/api/v1/cart?session=8f3a","requestSize":"734","status":200,"responseSize":"5120","userAgent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15","remoteIp":"203.0.113.17","serverIp":"10.0.1.12","latency":"0.042911s"},"resource":{"type":"http_load_balancer","labels":{"backend_service_name":"web-backend","forwarding_rule_name":"web-fr","project_id":"my-project","target_proxy_name":"web-proxy","url_map_name":"web-map","zone":"global"}},"timestamp":"2026-11-21T10:00:00.123456789Z","severity":"INFO","logName":"projects/my-project/logs/requests","trace":"projects/my-project/traces/4bf92f3577b34da6a3ce929d0e0e4736","receiveTimestamp":"2026-11-21T10:00:01.5Z"}"#,
    r#"{"insertId":"2pfl6sh4m4gyk8","jsonPayload":{"@type":"type.googleapis.com/google.cloud.loadbalancing.type.LoadBalancerLogEntry","statusDetails":"response_from_cache","cacheId":"SFO-fbae48ad"},"httpRequest":{"requestMethod":"GET","requestUrl":"https://static.example.com/assets/app.js","requestSize":"310","status":304,"responseSize":"0","userAgent":"Mozilla/5.0","remoteIp":"198.51.100.4","cacheLookup":true,"cacheHit":true,"latency":"0.000812s"},"resource":{"type":"http_load_balancer","labels":{"backend_service_name":"","backend_target_name":"static-bucket","forwarding_rule_name":"web-fr","project_id":"my-project","url_map_name":"web-map","zone":"global"}},"timestamp":"2026-11-21T10:00:00.2Z","severity":"INFO"}"#,
    r#"{"insertId":"3qgm7ti5n5hzl9","jsonPayload":{"statusDetails":"backend_timeout"},"httpRequest":{"requestMethod":"POST","requestUrl":"https://shop.example.com/api/v1/orders","requestSize":"1024","status":502,"responseSize":"332","userAgent":"okhttp/4.12.0","remoteIp":"192.0.2.88","latency":"30.001234s"},"resource":{"type":"http_load_balancer","labels":{"backend_service_name":"web-backend","zone":"global"}},"timestamp":"2026-11-21T10:00:00.3Z","severity":"WARNING"}"#,
];

const JSON: [&str; 3] = [
    r#"{"@timestamp":"2026-11-21T10:00:00.123Z","log":{"level":"info"},"http":{"request":{"method":"GET","bytes":734},"response":{"status_code":200,"bytes":5120}},"url":{"original":"https://shop.example.com/api/v1/cart?session=8f3a"},"event":{"duration_ms":42.5},"service":{"name":"cart"},"trace":{"id":"4bf92f3577b34da6"},"user_agent":{"original":"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1)"}}"#,
    r#"{"@timestamp":"2026-11-21T10:00:00.200Z","log":{"level":"warn"},"http":{"request":{"method":"POST","bytes":1024},"response":{"status_code":"503","bytes":19}},"url":{"original":"/api/v1/orders"},"event":{"duration_ms":"1503"},"service":{"name":"orders"},"trace":{"id":"a3ce929d0e0e4736"}}"#,
    r#"{"@timestamp":"2026-11-21T10:00:00.300Z","http":{"request":{"method":"GET"},"response":{"status_code":404}},"url":{"original":"https://shop.example.com/missing"},"event":{"duration_ms":null},"service":{"name":"cart"}}"#,
];

/// The mapping of `config/json-example.yaml`.
fn json_decoder() -> JsonDecoder {
    let path = |p: &str| JsonPath::parse(p).expect("path");
    JsonDecoder::new(JsonMapping {
        time: path("@timestamp"),
        time_format: TimeFormat::Rfc3339,
        status: path("http.response.status_code"),
        latency: Some((path("event.duration_ms"), Unit::Millis)),
        method: Some(path("http.request.method")),
        host: None,
        path: None,
        url: Some(path("url.original")),
        backend: Some(path("service.name")),
        request_id: Some(path("trace.id")),
        client: None,
    })
}

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

const TRAEFIK: [&str; 3] = [
    r#"192.168.2.1 - - [21/Nov/2026:11:00:00 +0100] "GET /api/v1/cart?session=8f3a HTTP/2.0" 200 2326 "https://shop.example.com/" "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15" 42 "websecure-cart@docker" "http://172.18.0.3:80" 37ms"#,
    r#"10.0.0.7 - alice [21/Nov/2026:10:00:01 +0000] "POST /api/v1/orders HTTP/1.1" 502 11 "-" "okhttp/4.12.0" 43 "websecure-orders@kubernetescrd" "http://10.244.1.9:8080" 1503ms"#,
    r#"{"ClientHost":"192.168.1.5","DownstreamContentSize":19,"DownstreamStatus":200,"Duration":1514532,"OriginStatus":200,"RequestCount":12,"RequestHost":"whoami.example.com","RequestMethod":"GET","RequestPath":"/api?x=1","RequestProtocol":"HTTP/2.0","RouterName":"websecure-whoami@docker","ServiceName":"whoami@docker","ServiceURL":"http://172.18.0.3:80","StartUTC":"2026-11-21T10:00:00.123456789Z","entryPointName":"websecure","level":"info","msg":"","time":"2026-11-21T10:00:00Z"}"#,
];

const INGRESS: [&str; 3] = [
    r#"192.168.49.1 - - [21/Nov/2026:10:00:02 +0000] "GET /api/v1/users/7 HTTP/2.0" 200 312 "-" "Go-http-client/2.0" 462 0.050 [default-users-8080] [] 10.244.0.12:8080 312 0.049 200 9f1c2b7e4d6a8f3b5c7d9e1f2a3b4c5d"#,
    r#"192.168.49.1 - alice [21/Nov/2026:10:00:03 +0100] "GET /api/v1/search?q=x HTTP/1.1" 200 1024 "-" "k6/0.47.0 (https://k6.io/)" 520 1.204 [default-search-80] [default-search-canary-80] 10.244.0.13:80, 10.244.0.14:80 : 10.244.1.2:80 0, 0 : 1024 0.600, 0.500 : 0.100 502, 502 : 200 0a1b2c3d4e5f60718293a4b5c6d7e8f9"#,
    r#"203.0.113.99 - - [21/Nov/2026:10:00:04 +0000] "POST /api/v1/orders HTTP/1.1" 201 48 "https://shop.example.com/cart" "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Safari/604.1" 1210 0.057 [default-orders-8080] [] 10.244.2.7:8080 48 0.055 201 5f1c2b8e0d9a4c559d551f0e2c3b4a59"#,
];

const ISTIO: [&str; 4] = [
    r#"[2026-11-21T10:00:00.123Z] "GET /api/v1/cart?session=8f3a HTTP/1.1" 200 - via_upstream - "-" 0 5120 43 42 "203.0.113.17" "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15" "5f1c2b8e-0d9a-4c55-9d55-1f0e2c3b4a59" "cart.shop:8080" "10.244.1.9:8080" outbound|8080||cart.shop.svc.cluster.local 10.244.0.5:48812 10.244.1.9:8080 10.244.0.5:40002 - default"#,
    r#"[2026-11-21T10:00:00.250Z] "POST /api/v1/orders?id=7 HTTP/1.1" 503 UH no_healthy_upstream - "-" 0 19 0 - "-" "okhttp/4.12.0" "0b6f0a55-8d1c-4a7e-a1f4-0f2b7c9d3e11" "orders.shop:8080" "-" outbound|8080||orders.shop.svc.cluster.local - 10.96.12.7:8080 10.244.0.5:40000 - default"#,
    r#"[2026-11-21T10:00:01.000Z] "GET /api/v1/cart HTTP/2" 503 UF upstream_reset_before_response_started{connection_failure} - "delayed connect error: 111" 0 91 11 - "203.0.113.7, 10.244.0.1" "Mozilla/5.0 (X11; Linux x86_64)" "5f1c2b8e-0d9a-4c55-9d55-1f0e2c3b4a60" "cart.shop:8080" "10.244.1.9:8080" outbound|8080||cart.shop.svc.cluster.local - 10.96.3.4:8080 10.244.0.5:40002 - default"#,
    r#"[2026-11-21T10:00:02.500Z] "GET /v2/search?q=red+shoes&page=2 HTTP/2" 200 - via_upstream - "-" 0 48211 188 187 "198.51.100.4, 10.0.0.1" "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36" "c0ffee00-1234-4abc-9def-001122334455" "search.shop" "10.244.2.31:8080" outbound|8080||search.shop.svc.cluster.local 10.244.0.5:48813 10.244.2.31:8080 10.244.0.5:40003 - default"#,
];

/// The nginx lines that carry the timings, and the same lines as `main` writes them (a
/// proxied `"$http_x_forwarded_for"` in place of the timings).
fn nginx_variants() -> (Vec<&'static str>, Vec<String>) {
    let timed: Vec<&str> = NGINX
        .iter()
        .copied()
        .filter(|l| !l.ends_with('"'))
        .collect();
    let main = timed
        .iter()
        .map(|l| {
            let end = l.rfind('"').expect("a quoted field") + 1;
            format!(r#"{} "203.0.113.195, 70.41.3.18""#, &l[..end])
        })
        .collect();
    (timed, main)
}

fn preset(name: &str) -> LogFormat {
    LogFormat::preset(name, None)
        .expect("a preset")
        .expect("compiles")
}

fn decode(c: &mut Criterion) {
    bench_format(c, "decode_alb", &AlbDecoder, &ALB);
    bench_format(c, "decode_nginx", &NginxDecoder, &NGINX);
    let (timed, main) = nginx_variants();
    let main: Vec<&str> = main.iter().map(String::as_str).collect();
    bench_format(c, "decode_nginx_timed_fixed", &NginxDecoder, &timed);
    bench_format(
        c,
        "decode_nginx_timed_compiled",
        &preset("combined_timed"),
        &timed,
    );
    bench_format(c, "decode_nginx_main_compiled", &preset("main"), &main);
    bench_format(
        c,
        "decode_nginx_ingress",
        &preset("ingress_nginx"),
        &INGRESS,
    );
    bench_format(c, "decode_envoy", &EnvoyDecoder, &ENVOY);
    let envoy = |name: &str| {
        AccessLogFormat::preset(name)
            .expect("a preset")
            .expect("compiles")
    };
    bench_format(c, "decode_envoy_compiled", &envoy("envoy"), &ENVOY);
    bench_format(c, "decode_envoy_istio", &envoy("istio"), &ISTIO);
    bench_format(c, "decode_haproxy", &HaproxyDecoder, &HAPROXY);
    let httplog = HaproxyFormat::preset("httplog")
        .expect("a preset")
        .expect("compiles");
    bench_format(c, "decode_haproxy_compiled", &httplog, &HAPROXY);
    bench_format(c, "decode_envoy_json", &EnvoyJsonDecoder, &ENVOY_JSON);
    bench_format(c, "decode_gcp", &GcpDecoder, &GCP);
    bench_format(c, "decode_json", &json_decoder(), &JSON);
    bench_format(c, "decode_traefik", &TraefikDecoder::new(), &TRAEFIK);
}

const CLOUDFRONT_HEADER: &str = "#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len sc-range-start sc-range-end";

const CLOUDFRONT: [&str; 2] = [
    "2026-11-21\t10:00:01\tLAX1-C3\t392\t192.0.2.100\tGET\td111111abcdef8.cloudfront.net\t/index.html\t200\t-\tMozilla/5.0%20(Windows%20NT%2010.0;%20Win64;%20x64)%20AppleWebKit/537.36\t-\t-\tHit\tSOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==\twww.example.com\thttps\t23\t0.082\t-\tTLSv1.3\tTLS_AES_128_GCM_SHA256\tHit\tHTTP/2.0\t-\t-\t11040\t0.081\tHit\ttext/html\t78\t-\t-",
    "2026-11-21\t10:00:02\tFRA56-P1\t1045\t198.51.100.24\tPOST\td111111abcdef8.cloudfront.net\t/api/v1/orders\t502\thttps://shop.example.com/cart\tokhttp/4.12.0\tid=7\t-\tError\tcQnm7Vd8u2h3I9RkGQ4WJX8sZ0hR1dF0Q2vB_yoMR3o2bKQ7s9xLg==\tshop.example.com\thttps\t157\t1.204\t-\tTLSv1.3\tTLS_AES_128_GCM_SHA256\tError\tHTTP/1.1\t-\t-\t51832\t1.203\tOriginError\tapplication/json\t812\t-\t-",
];

/// CloudFront lines read under their header, as a partition reads them.
fn w3c(c: &mut Criterion) {
    let decoder = W3cDecoder::new(Preset::CloudFront);
    let mut state = LineState::default();
    assert_eq!(
        decoder.decode_in(CLOUDFRONT_HEADER.as_bytes(), &mut state),
        Ok(None)
    );
    let mut group = c.benchmark_group("decode_w3c_cloudfront");
    group.throughput(Throughput::Elements(CLOUDFRONT.len() as u64));
    group.bench_function("mixed_batch", |b| {
        b.iter(|| {
            for line in CLOUDFRONT {
                let _ = black_box(decoder.decode_in(black_box(line.as_bytes()), &mut state));
            }
        })
    });
    group.finish();
}

/// 512 nginx lines (the timed ones, repeated) as one Collector batch in `encoding`.
fn otlp_batch(envelope: Envelope) -> Vec<u8> {
    use opentelemetry_proto::tonic::common::v1::{AnyValue, any_value::Value};
    use opentelemetry_proto::tonic::logs::v1::{LogRecord, LogsData, ResourceLogs, ScopeLogs};
    use prost::Message;
    let (timed, _) = nginx_variants();
    let bodies: Vec<&str> = timed.iter().copied().cycle().take(512).collect();
    match envelope {
        Envelope::OtlpProto => LogsData {
            resource_logs: vec![ResourceLogs {
                scope_logs: vec![ScopeLogs {
                    log_records: bodies
                        .iter()
                        .map(|b| LogRecord {
                            time_unix_nano: 1_795_255_200_000_000_000,
                            observed_time_unix_nano: 1_795_255_200_100_000_000,
                            body: Some(AnyValue {
                                value: Some(Value::StringValue(b.to_string())),
                            }),
                            ..LogRecord::default()
                        })
                        .collect(),
                    ..ScopeLogs::default()
                }],
                ..ResourceLogs::default()
            }],
        }
        .encode_to_vec(),
        _ => {
            let records: Vec<_> = bodies
                .iter()
                .map(|b| {
                    serde_json::json!({
                        "timeUnixNano": "1795255200000000000",
                        "observedTimeUnixNano": "1795255200100000000",
                        "body": {"stringValue": b},
                        "attributes": [{"key": "log.file.name", "value": {"stringValue": "access.log"}}],
                    })
                })
                .collect();
            serde_json::to_vec(&serde_json::json!({"resourceLogs": [{
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "nginx"}}]},
                "scopeLogs": [{"scope": {}, "logRecords": records}],
            }]}))
            .expect("json")
        }
    }
}

/// A Collector batch through the ingest path (open, then decode each record), per record;
/// beside it, the same lines through the line path one by one.
fn otlp(c: &mut Criterion) {
    let mut group = c.benchmark_group("ingest_otlp_nginx");
    group.throughput(Throughput::Elements(512));
    let decoder = || Format::Nginx.decoder(&FormatOptions::default());
    for envelope in [Envelope::OtlpProto, Envelope::OtlpJson] {
        let payload = otlp_batch(envelope);
        let ingest = Ingest::new(envelope, decoder(), Limits::lines(1 << 16));
        group.bench_function(envelope.name(), |b| {
            let (mut scratch, mut state) = (Vec::new(), LineState::default());
            b.iter(|| {
                let mut events = 0;
                ingest.read(black_box(&payload), &mut scratch, &mut state, |item| {
                    events += usize::from(matches!(item, Item::Event(_)));
                });
                assert_eq!(events, 512);
            })
        });
    }
    let (timed, _) = nginx_variants();
    let lines: Vec<&str> = timed.iter().copied().cycle().take(512).collect();
    let ingest = Ingest::new(Envelope::None, decoder(), Limits::lines(1 << 16));
    group.bench_function("lines", |b| {
        let (mut scratch, mut state) = (Vec::new(), LineState::default());
        b.iter(|| {
            for line in &lines {
                ingest.read(
                    black_box(line.as_bytes()),
                    &mut scratch,
                    &mut state,
                    |item| {
                        black_box(item);
                    },
                );
            }
        })
    });
    group.finish();
}

criterion_group!(benches, decode, w3c, otlp);
criterion_main!(benches);
