//! `slipstream validate`: exit code 64 with every error and its path, an SLI no SLO uses, and
//! `--strict`'s review of the catalog.

use super::bin;

#[test]
fn validate_exits_64_with_every_error_and_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "apiVersion: slipstream/v1\nkind: Pipeline\nmetadata: {name: p}\nspec:\n  source: {stdin: {}}\n  decode: {format: apache}\n  services: [{name: a, match: {hots: x}}]\n---\napiVersion: reliability/v1\nkind: ServiceLevelObjective\nmetadata: {name: s}\nspec: {service: b, indicators: [{name: availability, threshold: 101, window: 30d}]}\n",
    )
    .unwrap();
    let out = bin().arg("validate").arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(64));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("document 1 (Pipeline p): spec.services[0].match.hots: unknown field `hots`"),
        "{err}"
    );
    assert!(
        err.contains("document 2 (ServiceLevelObjective s): spec.indicators[0].threshold: must be a percentage"),
        "{err}"
    );
    assert!(
        !err.contains("found 0"),
        "the broken Pipeline still counts: {err}"
    );

    let good = concat!(env!("CARGO_MANIFEST_DIR"), "/config/alb-example.yaml");
    let out = bin().args(["validate", good]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = bin().args(["run", "--config"]).arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(64));
}

#[test]
fn validate_checks_an_sli_that_no_slo_uses() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("unused.yaml");
    std::fs::write(
        &config,
        "apiVersion: slipstream/v1\nkind: Pipeline\nmetadata: {name: p}\nspec:\n  source: {stdin: {}}\n  decode: {format: alb}\n  services: [{name: a}]\n---\napiVersion: openslo/v1\nkind: SLI\nmetadata: {name: unused}\nspec:\n  ratioMetric:\n    good: {metricSource: {type: prometheus, spec: {query: up}}}\n    total: {metricSource: {type: slipstream}}\n",
    )
    .unwrap();
    let out = bin().arg("validate").arg(&config).output().unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(64), "{err}");
    assert!(
        err.contains("document 2 (SLI unused): spec.ratioMetric.good.metricSource.type: metricSource type prometheus is not supported"),
        "{err}"
    );
}

#[test]
fn validate_strict_reviews_the_catalog_and_fails_on_any_warning() {
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/config/demo.yaml");
    let out = bin().args(["validate", "--strict", demo]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "the demo's catalog is complete: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = tempfile::tempdir().unwrap();
    let gaps = dir.path().join("gaps.yaml");
    std::fs::write(
        &gaps,
        "apiVersion: slipstream/v1\nkind: Pipeline\nmetadata: {name: p}\nspec:\n  source: {stdin: {}}\n  decode: {format: alb}\n  services: [{name: a, tier: 1}]\n---\napiVersion: reliability/v1\nkind: ServiceLevelObjective\nmetadata: {name: s}\nspec: {service: a, indicators: [{name: availability, threshold: 99.9, window: 30d}]}\n",
    )
    .unwrap();
    // Valid without --strict ...
    let out = bin().arg("validate").arg(&gaps).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    // ... and three warnings with their paths with it.
    let out = bin()
        .args(["validate", "--strict"])
        .arg(&gaps)
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(64), "{err}");
    assert!(err.contains("3 warnings (--strict)"), "{err}");
    for want in [
        "document 1 (Pipeline p): spec.services[0].owner: a tier-1 service has no owner",
        "document 1 (Pipeline p): spec.services[0].runbook_url: missing, and a/availability alerts",
        "document 2 (ServiceLevelObjective s): spec.indicators[0].name: objective 99.9 % of a/availability is weaker than tier 1's target 99.95 %",
    ] {
        assert!(err.contains(want), "{want} in {err}");
    }
}
