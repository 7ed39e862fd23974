//! The service catalog: who owns a service, how critical it is, and where its runbook,
//! dashboard and on-call rotation are, so that every alert, report and metric about the
//! service carries them.
//!
//! A Pipeline service may set `owner`, `tier` (1–4), `runbook_url`, `dashboard_url`, `oncall`
//! and free `labels`. They reach an alert as labels (`owner`, `tier`, `oncall` and every free
//! label: what Alertmanager routes on) and annotations (`runbook_url`, `dashboard_url`: what
//! a receiver links to), `/v1/slos` and the page as each SLO's `catalog`, `/metrics` as one
//! `slipstream_service_info` series per service, and `slipstream catalog` as a table.
//!
//! A [`Tier`] names the reliability a service is held to: the weakest objective its
//! availability SLOs should have, and what its on-call is expected to do (documented in the
//! README's tier table); `slipstream validate --strict` compares the two.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Label names the catalog's free labels may not take: the alert's own labels, the catalog's
/// fields, and the names Prometheus gives a scraped series.
pub const RESERVED_LABELS: [&str; 14] = [
    "alertname",
    "service",
    "slo",
    "severity",
    "kind",
    "long_window",
    "short_window",
    "owner",
    "tier",
    "oncall",
    "runbook_url",
    "dashboard_url",
    "job",
    "instance",
];

/// How critical a service is, 1 (most) to 4 (least).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "u8", try_from = "u8")]
pub struct Tier(u8);

impl Tier {
    /// Tier `n`, for `n` in 1..=4.
    pub fn new(n: i64) -> Option<Self> {
        (1..=4).contains(&n).then_some(Self(n as u8))
    }

    /// The tier's number.
    pub fn number(self) -> u8 {
        self.0
    }

    /// The weakest objective an availability SLO of a service of this tier should have.
    pub fn target(self) -> f64 {
        [0.9995, 0.999, 0.995, 0.99][usize::from(self.0 - 1)]
    }

    /// What the tier expects of its on-call.
    pub fn on_call(self) -> &'static str {
        [
            "24/7 paging on-call, acknowledged within 5 minutes",
            "24/7 paging on-call, acknowledged within 15 minutes",
            "business-hours on-call, next business day",
            "best effort, tickets only",
        ][usize::from(self.0 - 1)]
    }
}

impl TryFrom<u8> for Tier {
    type Error = String;

    fn try_from(n: u8) -> Result<Self, String> {
        Self::new(i64::from(n)).ok_or_else(|| format!("{n} is not a tier: use 1 to 4"))
    }
}

impl From<Tier> for u8 {
    fn from(t: Tier) -> u8 {
        t.0
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// One service's catalog entry; every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceCatalog {
    /// The owning team.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// How critical the service is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<Tier>,
    /// The runbook an alert links to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runbook_url: Option<String>,
    /// The service's dashboard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dashboard_url: Option<String>,
    /// The on-call rotation (a schedule or escalation policy name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oncall: Option<String>,
    /// Free labels, added to every alert and info series.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

impl ServiceCatalog {
    /// True when no field is set.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// The labels an alert of the service carries besides its own: `owner`, `tier`,
    /// `oncall` when set, and the free labels.
    pub fn alert_labels(&self) -> impl Iterator<Item = (String, String)> + '_ {
        let fields = [
            ("owner", self.owner.clone()),
            ("tier", self.tier.map(|t| t.to_string())),
            ("oncall", self.oncall.clone()),
        ];
        fields
            .into_iter()
            .filter_map(|(k, v)| Some((k.to_string(), v?)))
            .chain(self.labels.iter().map(|(k, v)| (k.clone(), v.clone())))
    }

    /// The annotations an alert of the service carries besides its own: `runbook_url` and
    /// `dashboard_url` when set.
    pub fn alert_annotations(&self) -> impl Iterator<Item = (String, String)> + '_ {
        [
            ("runbook_url", &self.runbook_url),
            ("dashboard_url", &self.dashboard_url),
        ]
        .into_iter()
        .filter_map(|(k, v)| Some((k.to_string(), v.clone()?)))
    }

    /// The labels of the service's `slipstream_service_info` series besides `service`:
    /// every set field and every free label.
    pub fn info_labels(&self) -> Vec<(String, String)> {
        let mut labels: Vec<(String, String)> = self.alert_labels().collect();
        labels.extend(self.alert_annotations());
        labels
    }
}

/// One SLO in a catalog listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogSlo {
    /// SLO name.
    pub slo: String,
    /// `availability`, `latency`, ….
    pub kind: String,
    /// Target ratio; `None` for a throughput minimum.
    pub objective: Option<f64>,
    /// Whether any alert is configured on it.
    pub alerting: bool,
}

/// One service in a catalog listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogEntry {
    /// Service name.
    pub service: String,
    /// Its catalog fields.
    #[serde(flatten)]
    pub catalog: ServiceCatalog,
    /// The tier's weakest availability objective, when a tier is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier_target: Option<f64>,
    /// Its SLOs, in configuration order.
    pub slos: Vec<CatalogSlo>,
}

/// The catalog as a table, one row per service: name, owner, tier, on-call, SLOs, runbook
/// and dashboard (`-` for a field not set).
pub fn table(entries: &[CatalogEntry]) -> String {
    let header = [
        "service",
        "owner",
        "tier",
        "oncall",
        "slos",
        "runbook_url",
        "dashboard_url",
    ];
    let dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    let rows: Vec<[String; 7]> = entries
        .iter()
        .map(|e| {
            let c = &e.catalog;
            let slos: Vec<&str> = e.slos.iter().map(|s| s.slo.as_str()).collect();
            [
                e.service.clone(),
                dash(&c.owner),
                c.tier.map_or("-".into(), |t| t.to_string()),
                dash(&c.oncall),
                if slos.is_empty() {
                    "-".into()
                } else {
                    slos.join(",")
                },
                dash(&c.runbook_url),
                dash(&c.dashboard_url),
            ]
        })
        .collect();
    let mut all = vec![header.map(String::from)];
    all.extend(rows);
    crate::text_table::aligned(&all)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> ServiceCatalog {
        ServiceCatalog {
            owner: Some("payments".into()),
            tier: Tier::new(1),
            runbook_url: Some("https://runbooks.example/checkout".into()),
            dashboard_url: Some("https://grafana.example/d/checkout".into()),
            oncall: Some("payments-primary".into()),
            labels: BTreeMap::from([("team".into(), "pay".into())]),
        }
    }

    #[test]
    fn tiers_are_one_to_four_with_descending_targets() {
        assert_eq!(Tier::new(0), None);
        assert_eq!(Tier::new(5), None);
        let targets: Vec<f64> = (1..=4).map(|n| Tier::new(n).unwrap().target()).collect();
        assert_eq!(targets, [0.9995, 0.999, 0.995, 0.99]);
        assert!(Tier::new(4).unwrap().on_call().contains("tickets"));
    }

    #[test]
    fn alerts_get_routing_labels_and_link_annotations() {
        let c = full();
        let labels: Vec<(String, String)> = c.alert_labels().collect();
        let names: Vec<&str> = labels.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["owner", "tier", "oncall", "team"]);
        assert_eq!(labels[1].1, "1");
        let annotations: Vec<(String, String)> = c.alert_annotations().collect();
        assert_eq!(
            annotations,
            [
                (
                    "runbook_url".to_string(),
                    "https://runbooks.example/checkout".to_string()
                ),
                (
                    "dashboard_url".to_string(),
                    "https://grafana.example/d/checkout".to_string()
                )
            ]
        );
        assert_eq!(c.info_labels().len(), 6);
        assert!(ServiceCatalog::default().is_empty());
        assert_eq!(ServiceCatalog::default().alert_labels().count(), 0);
        assert!(!c.is_empty());
    }

    #[test]
    fn the_table_has_a_row_per_service_and_dashes_for_unset_fields() {
        let entries = [
            CatalogEntry {
                service: "checkout".into(),
                catalog: full(),
                tier_target: Some(0.9995),
                slos: vec![CatalogSlo {
                    slo: "availability".into(),
                    kind: "availability".into(),
                    objective: Some(0.999),
                    alerting: true,
                }],
            },
            CatalogEntry {
                service: "search".into(),
                catalog: ServiceCatalog::default(),
                tier_target: None,
                slos: Vec::new(),
            },
        ];
        let text = table(&entries);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("service   owner"), "{text}");
        assert!(lines[1].starts_with("checkout  payments  1"), "{text}");
        assert!(lines[1].contains("availability"));
        assert_eq!(
            lines[2].split_whitespace().collect::<Vec<_>>(),
            ["search", "-", "-", "-", "-", "-", "-"]
        );
        let json = serde_json::to_value(&entries[0]).unwrap();
        assert_eq!(json["tier"], 1);
        assert_eq!(json["labels"]["team"], "pay");
        assert_eq!(json["slos"][0]["objective"], 0.999);
        assert!(
            serde_json::to_value(&entries[1])
                .unwrap()
                .get("owner")
                .is_none()
        );
        // What `slipstream catalog --url` reads back is what was listed.
        let back: Vec<CatalogEntry> =
            serde_json::from_value(serde_json::to_value(&entries).unwrap()).unwrap();
        assert_eq!(back, entries);
        assert!(serde_json::from_value::<Tier>(serde_json::json!(5)).is_err());
    }
}
