use super::*;
use crate::time::{DAY, HOUR, epoch_us};

fn slo(name: &str, tier: PolicyTier, left: f64, rules: &GateRules) -> GateSlo {
    GateSlo {
        slo: name.into(),
        tier,
        budget_remaining_ratio: left,
        action: rules.action(tier),
    }
}

/// 2026-12-03 is a Thursday, 2026-12-04 a Friday.
fn thursday_noon() -> i64 {
    epoch_us(2026, 12, 3, 12, 0, 0, 0).unwrap()
}

fn decide_at(tier: PolicyTier, now: i64, rules: &GateRules, over: Option<&str>) -> GateReport {
    let slos = vec![
        slo("availability", tier, 0.3, rules),
        slo("latency", PolicyTier::Normal, 0.9, rules),
    ];
    decide("checkout", slos, rules, now, "2026-12-03T11:59:00Z", over)
}

#[test]
fn the_default_policy_follows_the_tiers() {
    let rules = GateRules::default();
    let expect = [
        (PolicyTier::Normal, Decision::Ship, 0),
        (PolicyTier::Caution, Decision::Ship, 0),
        (PolicyTier::SlowDown, Decision::NeedsApproval, 11),
        (PolicyTier::Freeze, Decision::Blocked, 10),
        (PolicyTier::Exhausted, Decision::Blocked, 10),
    ];
    for (tier, decision, code) in expect {
        let r = decide_at(tier, thursday_noon(), &rules, None);
        assert_eq!(
            (r.decision, r.exit_code),
            (decision, code),
            "{tier}: {}",
            r.reason
        );
        assert!(!r.overridden);
    }
    // The worst SLO decides and is named, with its budget.
    let r = decide_at(PolicyTier::SlowDown, thursday_noon(), &rules, None);
    assert_eq!(r.slo.as_deref(), Some("checkout/availability"));
    assert_eq!(r.tier, Some(PolicyTier::SlowDown));
    assert_eq!(r.budget_remaining_ratio, Some(0.3));
    assert_eq!(r.slos[0].slo, "availability");
    assert!(
        r.reason.contains("30.0 % of its budget left"),
        "{}",
        r.reason
    );
}

#[test]
fn fridays_block_from_caution_down_in_the_rules_zone() {
    let rules = GateRules::default();
    let friday = thursday_noon() + DAY;
    assert_eq!(
        decide_at(PolicyTier::Normal, friday, &rules, None).decision,
        Decision::Ship
    );
    let r = decide_at(PolicyTier::Caution, friday, &rules, None);
    assert_eq!(r.decision, Decision::Blocked);
    assert!(
        r.reason
            .starts_with("no deploys on Friday (UTC) from caution down"),
        "{}",
        r.reason
    );
    // Slow down on a Friday: blocked, not merely needing approval.
    assert_eq!(
        decide_at(PolicyTier::SlowDown, friday, &rules, None).decision,
        Decision::Blocked
    );
    // Thursday 23:30 UTC is already Friday in Tokyo.
    let mut tokyo = GateRules::default();
    tokyo.quiet_days.as_mut().unwrap().zone = DayZone::get("Asia/Tokyo").unwrap();
    let late_thursday = thursday_noon() + 11 * HOUR + HOUR / 2;
    assert_eq!(
        decide_at(PolicyTier::Caution, late_thursday, &rules, None).decision,
        Decision::Ship
    );
    assert_eq!(
        decide_at(PolicyTier::Caution, late_thursday, &tokyo, None).decision,
        Decision::Blocked
    );
    // No quiet days: Friday is a day like any other.
    let none = GateRules {
        quiet_days: None,
        ..GateRules::default()
    };
    assert_eq!(
        decide_at(PolicyTier::Caution, friday, &none, None).decision,
        Decision::Ship
    );
}

#[test]
fn a_freeze_blocks_whatever_the_budget_and_an_override_ships_saying_so() {
    let start = thursday_noon() - DAY;
    let rules = GateRules {
        freezes: vec![Freeze {
            start_us: start,
            end_us: start + 2 * DAY,
            reason: "peak season".into(),
        }],
        ..GateRules::default()
    };
    let r = decide_at(PolicyTier::Normal, thursday_noon(), &rules, None);
    assert_eq!(r.decision, Decision::Blocked);
    assert_eq!(r.reason, "freeze until 2026-12-04T12:00:00Z: peak season");
    assert_eq!(r.freeze.as_ref().unwrap().start, "2026-12-02T12:00:00Z");
    // The end is excluded.
    let after = decide_at(PolicyTier::Normal, start + 2 * DAY, &rules, None);
    assert_eq!((after.decision, after.freeze), (Decision::Ship, None));
    let r = decide_at(
        PolicyTier::Normal,
        thursday_noon(),
        &rules,
        Some(" hotfix INC-42 "),
    );
    assert_eq!(
        (r.decision, r.exit_code, r.overridden),
        (Decision::Ship, 0, true)
    );
    assert_eq!(r.rules_decision, Decision::Blocked);
    assert_eq!(r.override_reason.as_deref(), Some("hotfix INC-42"));
    assert!(
        r.reason
            .starts_with("overridden (hotfix INC-42); the rules said: freeze"),
        "{}",
        r.reason
    );
    // An override of a decision that was ship anyway is not an override; a blank one is none.
    assert!(!decide_at(PolicyTier::Normal, start - DAY, &rules, Some("x")).overridden);
    assert_eq!(
        decide_at(PolicyTier::Normal, thursday_noon(), &rules, Some("  ")).decision,
        Decision::Blocked
    );
}

#[test]
fn configured_actions_and_no_budget() {
    let rules = GateRules {
        actions: [
            GateAction::Allow,
            GateAction::RequireApproval,
            GateAction::Deny,
            GateAction::Deny,
            GateAction::Deny,
        ],
        quiet_days: None,
        freezes: Vec::new(),
    };
    assert_eq!(
        decide_at(PolicyTier::Caution, thursday_noon(), &rules, None).decision,
        Decision::NeedsApproval
    );
    let r = decide("tp", Vec::new(), &rules, thursday_noon(), "t", None);
    assert_eq!((r.decision, r.tier, r.slo), (Decision::Ship, None, None));
    assert_eq!(r.reason, "tp has no SLO with an error budget");
    assert_eq!(weekday_of_name("friday"), Some(4));
    assert_eq!(
        GateAction::from_name("require_approval"),
        Some(GateAction::RequireApproval)
    );
}
