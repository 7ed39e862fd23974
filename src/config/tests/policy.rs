//! ErrorBudgetPolicy: the deploy gate's rules and the low-traffic guard of burn-rate alerts.

use super::*;

#[test]
fn gate_rules_read_with_their_defaults_and_every_error_has_its_path() {
    use crate::evaluate::PolicyTier;
    use crate::evaluate::gate::GateAction;
    let with = |gate: &str| {
        service_a(
            "",
            &format!(
                "---\napiVersion: reliability/v1\nkind: ServiceLevelObjective\nmetadata: {{name: s}}\nspec: {{service: a, indicators: [{{name: availability, threshold: 99, window: 30d}}]}}\n---\napiVersion: reliability/v1\nkind: ErrorBudgetPolicy\nmetadata: {{name: pol}}\nspec:\n  service: a\n  gate: {gate}\n"
            ),
        )
    };
    let rules = |gate: &str| {
        let c = parse(&with(gate), "t.yaml").unwrap_or_else(|e| panic!("{e}"));
        c.reload.objectives[0].gate.clone()
    };
    let d = rules("{}");
    assert_eq!(*d, crate::evaluate::gate::GateRules::default());
    let q = d.quiet_days.as_ref().unwrap();
    assert_eq!(
        (q.days.as_slice(), q.from_tier, q.zone.name()),
        (&[4][..], PolicyTier::Caution, "UTC")
    );
    let r = rules(
        "{actions: {caution: require_approval, exhausted: deny}, quiet_days: {days: [friday, saturday], from_tier: slow_down, time_zone: Europe/Berlin}, freezes: [{start: \"2026-12-21\", end: \"2027-01-04T06:00\", time_zone: Europe/Berlin, reason: peak season}]}",
    );
    assert_eq!(r.action(PolicyTier::Caution), GateAction::RequireApproval);
    assert_eq!(r.action(PolicyTier::Normal), GateAction::Allow);
    let q = r.quiet_days.as_ref().unwrap();
    assert_eq!(
        (q.days.as_slice(), q.from_tier, q.zone.name()),
        (&[4, 5][..], PolicyTier::SlowDown, "Europe/Berlin")
    );
    // Berlin midnight of 2026-12-21 is 23:00 UTC the day before; 06:00 of 2027-01-04 is 05:00 UTC.
    let f = &r.freezes[0];
    assert_eq!(
        crate::time::format_rfc3339(f.start_us),
        "2026-12-20T23:00:00Z"
    );
    assert_eq!(
        crate::time::format_rfc3339(f.end_us),
        "2027-01-04T05:00:00Z"
    );
    assert!(rules("{quiet_days: null}").quiet_days.is_none());
    assert!(rules("{quiet_days: {days: []}}").quiet_days.is_none());
    assert_found(
        &problems(&with(
            "{actions: {normal: maybe}, quiet_days: {days: [fryday], from_tier: panic, time_zone: Mars/Base}, freezes: [{start: tomorrow, end: \"2026-01-01\", reason: x}, {start: \"2026-02-01\", end: \"2026-01-01\", reason: x}, {start: \"2026-01-01\", end: \"2026-02-01\", reason: \" \"}]}",
        )),
        &[
            "spec.gate.actions.normal: \"maybe\" is not one of allow, require_approval, deny",
            "spec.gate.quiet_days.days[0]: \"fryday\" is not a weekday",
            "spec.gate.quiet_days.from_tier: \"panic\" is not one of",
            "spec.gate.quiet_days.time_zone: unknown time zone \"Mars/Base\"",
            "spec.gate.freezes[0].start: \"tomorrow\" is not a local date",
            "spec.gate.freezes[1].end: 2026-01-01 is not after the start 2026-02-01",
            "spec.gate.freezes[2].reason: must say why deploys are frozen",
        ],
        |g, w| g.contains(w),
    );
    assert_found(
        &problems(&with(
            "{quiet_days: {days: [friday], time_zone: Mars/Base}}",
        )),
        &["spec.gate.quiet_days.time_zone: unknown time zone \"Mars/Base\""],
        |g, w| g.contains(w),
    );
}

#[test]
fn a_policy_min_events_guards_every_burn_rate_alert_but_those_with_their_own() {
    let text = r#"
apiVersion: slipstream/v1
kind: Pipeline
metadata: {name: p}
spec:
  source: {stdin: {}}
  decode: {format: alb}
  services: [{name: a}, {name: b}]
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {name: s}
spec: {service: a, indicators: [{name: availability, threshold: 99, window: 30d}]}
---
apiVersion: reliability/v1
kind: ServiceLevelObjective
metadata: {name: t}
spec: {service: b, indicators: [{name: availability, threshold: 99, window: 30d}]}
---
apiVersion: reliability/v1
kind: ErrorBudgetPolicy
metadata: {name: pol}
spec:
  service: a
  min_events: 20
  burn_rate_thresholds:
    - {name: own, threshold: 2, duration: 1h, min_events: 5, for: 15m}
    - {name: inherits, threshold: 3, duration: 2h}
"#;
    let c = parse(text, "t.yaml").unwrap_or_else(|e| panic!("{e}"));
    // `for` is the threshold's hold; none by default.
    let holds: Vec<(&str, i64)> = c.reload.objectives[0]
        .burn_alerts
        .iter()
        .filter(|a| a.hold_us > 0)
        .map(|a| (&*a.name, a.hold_us))
        .collect();
    assert_eq!(holds, [("own", 15 * 60 * crate::time::SECOND)]);
    let bad = text.replace("for: 15m", "for: soon");
    let e = parse(&bad, "t.yaml").unwrap_err().to_string();
    assert!(
        e.contains("(ErrorBudgetPolicy pol): spec.burn_rate_thresholds[0].for"),
        "{e}"
    );
    let guards = |i: usize| -> Vec<(String, u64)> {
        c.reload.objectives[i]
            .burn_alerts
            .iter()
            .map(|a| (a.name.to_string(), a.min_events))
            .collect()
    };
    let a = guards(0);
    assert!(
        a.iter().any(|(n, m)| n == "page_1h_5m" && *m == 20),
        "{a:?}"
    );
    assert!(
        a.contains(&("own".into(), 5)) && a.contains(&("inherits".into(), 20)),
        "{a:?}"
    );
    // A service without a policy keeps today's behaviour: no guard.
    assert!(guards(1).iter().all(|(_, m)| *m == 0));
}
