//! The services a demo generates traffic for (a fixed default set, or `n` of them), and the
//! SLO configuration that watches them.

/// One generated service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoService {
    /// Name; also the target group name in ALB lines, and selects the route set.
    pub name: String,
    /// Host requests are addressed to.
    pub host: String,
    /// Relative share of the traffic.
    pub weight: u32,
    /// Typical (median) latency.
    pub base_latency_ms: u32,
    /// Baseline 5xx rate, parts per million.
    pub error_ppm: u32,
    /// A canary taking part of the service's traffic, if one is deployed.
    pub canary: Option<DemoCanary>,
}

/// A canary of a demo service: its requests go to the target group `<service>-canary`
/// (the others to `<service>`), with their own 5xx rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoCanary {
    /// Share of the service's requests, percent.
    pub share_percent: u32,
    /// Its 5xx rate, parts per million.
    pub error_ppm: u32,
}

/// The four demo services: checkout, search, auth and catalog on `*.example.com`.
pub fn default_services() -> Vec<DemoService> {
    let s = |name: &str, weight, base_latency_ms, error_ppm| DemoService {
        name: name.to_string(),
        host: format!("{name}.example.com"),
        weight,
        base_latency_ms,
        error_ppm,
        canary: None,
    };
    // Checkout runs a canary that answers 5xx at 0.5 % against its baseline's 0.02 %: the
    // canary comparison says "roll back" once it has enough requests, but while an
    // incident hits both. (At 0.2 % against 0.05 %, half an hour's excess sat around the
    // default 0.1 percentage point and the verdict flipped.) Checkout as a whole errs at
    // about 0.07 %, within its 99.9 % objective, as before.
    let checkout = DemoService {
        canary: Some(DemoCanary {
            share_percent: 10,
            error_ppm: 5_000,
        }),
        ..s("checkout", 3, 60, 200)
    };
    vec![
        checkout,
        s("search", 4, 40, 2_000),
        s("auth", 2, 15, 200),
        s("catalog", 3, 30, 1_000),
    ]
}

/// `n` services: the [`default_services`] first, then `svc5`, `svc6`, … (hosts
/// `svcN.example.com`, generic routes under `/api/svcN`) with varied weights and latencies.
pub fn services(n: usize) -> Vec<DemoService> {
    let mut all = default_services();
    all.truncate(n);
    for i in all.len()..n {
        let name = format!("svc{}", i + 1);
        all.push(DemoService {
            host: format!("{name}.example.com"),
            name,
            weight: 1 + (i % 5) as u32,
            base_latency_ms: 10 + (i % 7) as u32 * 15,
            error_ppm: 300 + (i % 4) as u32 * 400,
            canary: None,
        });
    }
    all
}

/// A configuration (YAML) reading ALB lines from stdin with `services`, each with four SLOs:
/// 30-day availability (99.9 %) and latency (requests within `latency`, e.g. `300ms`), 7-day
/// error rate (0.5 %) and 1-day latency within 50 ms. What the benches and tests of many
/// SLOs count with.
pub fn slo_config(services: &[DemoService], latency: &str) -> String {
    let mut yaml = String::from(
        "apiVersion: slipstream/v1\nkind: Pipeline\nmetadata: {name: bench}\nspec:\n  \
         source: {stdin: {}}\n  decode: {format: alb}\n  services:\n",
    );
    for s in services {
        yaml += &format!("    - {{name: {}, match: {{host: {}}}}}\n", s.name, s.host);
    }
    for s in services {
        yaml += &format!(
            "---\napiVersion: reliability/v1\nkind: ServiceLevelObjective\nmetadata: {{name: {0}}}\n\
             spec:\n  service: {0}\n  indicators:\n    \
             - {{name: availability, threshold: 99.9, window: 30d}}\n    \
             - {{name: latency_p99, threshold: {latency}, window: 30d}}\n    \
             - {{name: error_rate, threshold: 0.5, window: 7d}}\n    \
             - {{name: latency_p50, threshold: 50ms, window: 1d}}\n",
            s.name
        );
    }
    yaml
}
