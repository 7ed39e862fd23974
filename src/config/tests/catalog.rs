//! The service catalog: its fields on every SLO, its errors, and the strict review.

use super::*;

#[test]
fn catalog_fields_reach_every_slo_of_their_service() {
    let c = parse(
        &with_services(
            "[{name: a, owner: payments, tier: 2, runbook_url: 'https://rb.example/a', dashboard_url: 'http://grafana:3000/d/a', oncall: pay-primary, labels: {team: pay, cost_center: '42'}}, {name: b, match: {path_prefix: /b}}]",
            "---\napiVersion: reliability/v1\nkind: ServiceLevelObjective\nmetadata: {name: s}\nspec: {service: a, indicators: [{name: availability, threshold: 99.9, window: 30d}, {name: latency_p99, threshold: 300ms, window: 7d}]}\n---\napiVersion: reliability/v1\nkind: ServiceLevelObjective\nmetadata: {name: t}\nspec: {service: b, indicators: [{name: availability, threshold: 99, window: 30d}]}\n",
        ),
        "t.yaml",
    )
    .expect("valid");
    let a = &c.reload.catalogs[0];
    assert_eq!(a.owner.as_deref(), Some("payments"));
    assert_eq!(a.tier.map(crate::catalog::Tier::number), Some(2));
    assert_eq!(a.runbook_url.as_deref(), Some("https://rb.example/a"));
    assert_eq!(a.dashboard_url.as_deref(), Some("http://grafana:3000/d/a"));
    assert_eq!(a.oncall.as_deref(), Some("pay-primary"));
    assert_eq!(a.labels.len(), 2);
    assert!(c.reload.catalogs[1].is_empty());
    let of = |id: &str| {
        c.reload
            .objectives
            .iter()
            .find(|o| o.id() == id)
            .unwrap()
            .catalog
            .clone()
    };
    assert_eq!(of("a/availability"), *a);
    assert_eq!(of("a/latency_p99"), *a);
    assert!(of("b/availability").is_empty());
    let listing = c.reload.catalog();
    assert_eq!(listing.len(), 2);
    assert_eq!(listing[0].tier_target, Some(0.999));
    let slos: Vec<&str> = listing[0].slos.iter().map(|s| s.slo.as_str()).collect();
    assert_eq!(slos, ["availability", "latency_p99"]);
    assert!(listing[0].slos.iter().all(|s| s.alerting));
    // b alerts without a runbook: the only review finding.
    let review: Vec<String> = c
        .review
        .iter()
        .map(|p| format!("{}: {}", p.location, p.message))
        .collect();
    assert_eq!(review.len(), 1, "{review:?}");
    assert_eq!(
        review[0],
        "t.yaml: document 1 (Pipeline p): spec.services[1].runbook_url: missing, and \
         b/availability alerts: set the runbook the on-call opens"
    );
}

#[test]
fn catalog_errors_are_reported_together_with_their_paths() {
    let got = problems(&with_services(
        "[{name: a, owner: '', tier: 5, runbook_url: 'ftp://x', dashboard_url: 'https:///no-host', oncall: ' ', labels: {'9x': v, team: '', severity: high, __meta: v, ok: v}}]",
        "",
    ));
    assert_found(
        &got,
        &[
            "spec.services[0].owner: must not be empty",
            "spec.services[0].tier: 5 is not a tier: use 1 to 4",
            "spec.services[0].runbook_url: \"ftp://x\" is not an http or https URL",
            "spec.services[0].dashboard_url: \"https:///no-host\" is not an http or https URL",
            "spec.services[0].oncall: must not be empty",
            "spec.services[0].labels.9x: is not a label name",
            "spec.services[0].labels.team: must not be empty",
            "spec.services[0].labels.severity: is reserved",
            "spec.services[0].labels.__meta: is not a label name",
        ],
        |g, w| g.contains(w),
    );
}

#[test]
fn the_strict_review_names_tier_gaps_with_their_paths() {
    let c = parse(
        &with_services(
            "[{name: a, tier: 1, runbook_url: 'https://rb/a'}, {name: b, tier: 3, owner: x, runbook_url: 'https://rb/b'}]",
            "---\napiVersion: reliability/v1\nkind: ServiceLevelObjective\nmetadata: {name: s}\nspec: {service: a, indicators: [{name: availability, threshold: 99.9, window: 30d}, {name: latency_p99, threshold: 300ms, window: 7d}, {name: error_rate, threshold: 0.01, window: 7d}]}\n---\napiVersion: reliability/v1\nkind: ServiceLevelObjective\nmetadata: {name: t}\nspec: {service: b, indicators: [{name: availability, threshold: 99.5, window: 30d}]}\n",
        ),
        "t.yaml",
    )
    .expect("valid");
    let review: Vec<String> = c
        .review
        .iter()
        .map(|p| format!("{}: {}", p.location, p.message))
        .collect();
    assert_found(
        &review,
        &[
            "t.yaml: document 1 (Pipeline p): spec.services[0].owner: a tier-1 service has no owner",
            // 99.9 % is below tier 1's 99.95 %; the latency SLO is not held to it, and the
            // error-rate objective (0.01 % errors = 99.99 %) is stronger.
            "(ServiceLevelObjective s): spec.indicators[0].name: objective 99.9 % of a/availability is weaker than tier 1's target 99.95 %",
        ],
        |g, w| g.contains(w),
    );
    // b meets tier 3 exactly (99.5 %) and has an owner and a runbook: nothing about it.
    assert!(review.iter().all(|r| !r.contains("b/")), "{review:?}");
}
