//! Request generation: the random choices behind each demo request.

use super::{Generator, INCIDENT_EVERY, IncidentKind, Request};

/// splitmix64: tiny, fast, good enough for traffic that only has to look plausible.
#[derive(Debug, Clone)]
pub(super) struct Rng(pub(super) u64);

impl Rng {
    pub(super) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub(super) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    pub(super) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// Uniform in `[0, 1)`.
    pub(super) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `ppm` / 1 000 000.
    pub(super) fn ppm(&mut self, ppm: u32) -> bool {
        self.below(1_000_000) < u64::from(ppm)
    }

    /// A standard normal deviate (Box–Muller).
    pub(super) fn normal(&mut self) -> f64 {
        let u = 1.0 - self.unit();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * self.unit()).cos()
    }
}

/// The splitmix64 finalizer: a stateless hash of 64 bits.
pub(super) fn mix(x: u64) -> u64 {
    let mut z = x;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A route: method, path template (`{id}` is replaced by a number), query template, weight.
type Route = (&'static str, &'static str, &'static str, u32);

/// Routes of the default services (each under its own path prefix, so nginx lines can be
/// told apart by path); other services get [`GENERIC_ROUTES`] under `/api/<name>`.
fn routes_of(name: &str) -> &'static [Route] {
    match name {
        "checkout" => &[
            ("GET", "/api/cart", "", 30),
            ("POST", "/api/cart/items", "", 12),
            ("PUT", "/api/cart/items/{id}", "", 6),
            ("DELETE", "/api/cart/items/{id}", "", 4),
            ("POST", "/api/cart/checkout", "", 6),
            ("GET", "/api/cart/orders/{id}", "include=items", 10),
        ],
        "search" => &[
            ("GET", "/api/search", "q=shoes&page={id}", 60),
            ("GET", "/api/search/suggest", "q=sh", 30),
            ("POST", "/api/search/feedback", "", 3),
        ],
        "auth" => &[
            ("POST", "/api/auth/token", "", 30),
            ("GET", "/api/auth/session", "", 40),
            ("DELETE", "/api/auth/session", "", 5),
            ("GET", "/api/auth/.well-known/jwks.json", "", 10),
        ],
        "catalog" => &[
            ("GET", "/api/catalog/products/{id}", "", 50),
            ("GET", "/api/catalog/products", "page={id}&size=24", 20),
            ("GET", "/api/catalog/categories/{id}", "", 15),
            ("PUT", "/api/catalog/products/{id}", "", 3),
        ],
        _ => GENERIC_ROUTES,
    }
}

/// Routes of a service not in [`default_services`](super::default_services); `{name}` is the service name.
const GENERIC_ROUTES: &[Route] = &[
    ("GET", "/api/{name}", "", 50),
    ("GET", "/api/{name}/{id}", "", 30),
    ("POST", "/api/{name}", "", 10),
    ("DELETE", "/api/{name}/{id}", "", 2),
];

const USER_AGENTS: [&str; 7] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "ShopApp/5.2.1 (Android 14; Pixel 8)",
    "okhttp/4.12.0",
    "python-requests/2.32.3",
    "curl/8.5.0",
];

/// Client networks (documentation ranges); the last octet is random.
const CLIENT_NETS: [[u8; 3]; 4] = [[203, 0, 113], [198, 51, 100], [192, 0, 2], [100, 64, 12]];

impl Generator {
    /// Generates the next request, with event time `t_us`.
    pub fn next_request(&mut self, t_us: i64) -> Request {
        let pick = self.rng.below(*self.cumulative.last().unwrap_or(&1));
        let service = self.cumulative.partition_point(|&c| c <= pick);
        let service = service.min(self.services.len() - 1);
        let mut health = self.health(service, t_us);
        let svc = &self.services[service];
        let (base_ms, name) = (f64::from(svc.base_latency_ms.max(1)), svc.name.as_str());
        let rng = &mut self.rng;

        let route = pick_route(rng, routes_of(name));
        let id = rng.range(1, 99_999).to_string();
        let fill = |t: &str| t.replace("{id}", &id).replace("{name}", name);
        let (method, path, query) = (route.0, fill(route.1), fill(route.2));
        // The request id picks the canary's share, so no extra draw shifts the others.
        let canary = svc
            .canary
            .filter(|c| id.parse::<u32>().is_ok_and(|n| n % 100 < c.share_percent));
        if let Some(c) = canary {
            health.error_ppm = health.error_ppm.max(c.error_ppm);
        }
        let status = pick_status(rng, &health, name, method);
        let (request_processing_ms, elapsed_ms, target_ms, response_ms) =
            timings(rng, status, base_ms * health.slow);
        let known = target_ms.zip(response_ms);
        let sent_bytes = match status {
            460 => 0,
            200 if method == "GET" => rng.range(800, 60_000),
            200 | 201 => rng.range(200, 2_000),
            _ => rng.range(150, 600),
        };
        let received_bytes = match method {
            "POST" | "PUT" => rng.range(400, 4_000),
            _ => rng.range(150, 900),
        };
        let net = CLIENT_NETS[rng.below(CLIENT_NETS.len() as u64) as usize];
        let client = (
            [net[0], net[1], net[2], rng.range(1, 254) as u8],
            rng.range(1024, 65_535) as u16,
        );
        let target = [10, 0, (service % 250 + 1) as u8, rng.range(10, 17) as u8];
        Request {
            service,
            method,
            path,
            query,
            status,
            target_status: (!matches!(status, 460 | 502 | 504)).then_some(status),
            latency_us: known.map(|_| elapsed_ms * 1000),
            request_processing_us: request_processing_ms * 1000,
            target_processing_us: target_ms.map(|ms| ms * 1000),
            response_processing_us: response_ms.map(|ms| ms * 1000),
            elapsed_us: elapsed_ms * 1000,
            client,
            target,
            received_bytes,
            sent_bytes,
            user_agent: USER_AGENTS[rng.below(USER_AGENTS.len() as u64) as usize],
            http2: rng.below(10) < 4,
            trace: u128::from(rng.next_u64()) << 64 | u128::from(rng.next_u64()),
            canary: canary.is_some(),
        }
    }
}

/// How a service behaves at one moment: its 5xx and timeout rates (ppm) and how much
/// slower than usual it answers (an incident raises them).
#[derive(Debug, Clone, Copy)]
struct Health {
    error_ppm: u32,
    slow: f64,
    timeout_ppm: u32,
}

impl Generator {
    /// Service `service`'s health at `t_us`: its own error rate, unless an incident of it is
    /// under way then.
    fn health(&self, service: usize, t_us: i64) -> Health {
        let mut health = Health {
            error_ppm: self.services[service].error_ppm,
            slow: 1.0,
            timeout_ppm: 0,
        };
        if let Some(inc) = self.incident_at(t_us).filter(|i| i.service == service) {
            let h = mix(self.slot_hash(inc.start_us.div_euclid(INCIDENT_EVERY)));
            match inc.kind {
                IncidentKind::Errors => health.error_ppm = 50_000 + (h % 250_001) as u32,
                IncidentKind::Latency => {
                    health.slow = 5.0 + (h % 1001) as f64 / 200.0;
                    health.timeout_ppm = 20_000;
                }
            }
        }
        health
    }
}

/// One of `routes`, by weight.
fn pick_route<'r>(rng: &mut Rng, routes: &'r [Route]) -> &'r Route {
    let mut w = rng.below(routes.iter().map(|r| u64::from(r.3)).sum());
    routes
        .iter()
        .find(|r| {
            let hit = w < u64::from(r.3);
            w = w.saturating_sub(u64::from(r.3));
            hit
        })
        .unwrap_or(&routes[0])
}

/// The status of a `method` request to service `name` in `health`.
fn pick_status(rng: &mut Rng, health: &Health, name: &str, method: &str) -> u16 {
    if rng.ppm(health.error_ppm) {
        [500, 500, 500, 503, 503, 502, 502, 504][rng.below(8) as usize]
    } else if rng.ppm(health.timeout_ppm) {
        504
    } else if rng.ppm(60) {
        460
    } else {
        match rng.below(10_000) {
            0..100 => 404,
            100..130 => 429,
            130..160 => 400,
            160..200 if name == "auth" => 401,
            200..500 if method == "GET" => [304, 304, 302, 301][rng.below(4) as usize],
            _ => match method {
                "POST" if name != "auth" => 201,
                "DELETE" => 204,
                _ => 200,
            },
        }
    }
}

/// ALB's request processing, elapsed, target and response times (ms) of a request with
/// `status` to a service whose typical latency is now `typical_ms`: a log-normal body with a
/// slow tail; 502 and 504 have no target timings, a 460 (client gone) waited long.
fn timings(rng: &mut Rng, status: u16, typical_ms: f64) -> (i64, i64, Option<i64>, Option<i64>) {
    let latency_ms = |rng: &mut Rng| {
        let mut f = (0.35 * rng.normal()).exp();
        let tail = rng.below(10_000);
        if tail < 40 {
            f *= 10.0 + 20.0 * rng.unit() * rng.unit();
        } else if tail < 340 {
            f *= 2.0 + 3.0 * rng.unit();
        }
        ((typical_ms * f).round() as i64).max(1)
    };
    let request_processing_ms = i64::from(rng.below(5) == 0);
    let (elapsed, target, response) = match status {
        502 => (request_processing_ms + rng.range(1, 30) as i64, None, None),
        504 => (60_000 + request_processing_ms, None, None),
        460 => {
            let total = rng.range(1_000, 15_000) as i64;
            (total, Some(total - request_processing_ms), Some(0))
        }
        _ => {
            let total = latency_ms(rng) + request_processing_ms;
            let response = i64::from(total > 2 && rng.below(10) == 0);
            let target = total - request_processing_ms - response;
            (total, Some(target), Some(response))
        }
    };
    (request_processing_ms, elapsed, target, response)
}
