//! The backfill's script: deploys, some followed by an incident, at fixed times of the days
//! before the live history, and the annotations that mark them.

use super::{DemoService, DemoSpec, Incident, IncidentKind, default_services};
use crate::time::{DAY, HOUR, MINUTE};

/// One event of the backfill's script: a deploy of `service` at `deploy_us`, and, when
/// `incident` is set, an incident of that service starting 10 minutes later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scripted {
    /// The service deployed.
    pub service: &'static str,
    /// When, µs.
    pub deploy_us: i64,
    /// The version deployed.
    pub version: &'static str,
    /// The incident that followed: its kind, length and description.
    pub incident: Option<(IncidentKind, i64, &'static str)>,
}

impl Scripted {
    /// The incident, with the service's index among `services`.
    pub fn incident(&self, services: &[DemoService]) -> Option<Incident> {
        let (kind, length, _) = self.incident?;
        let service = services.iter().position(|s| s.name == self.service)?;
        let start_us = self.deploy_us + 10 * MINUTE;
        Some(Incident {
            service,
            kind,
            start_us,
            end_us: start_us + length,
        })
    }
}

/// The deploys and incidents of the backfill before `live_from_us`: days before its UTC day,
/// the same every run, so the demo's history has a few annotated deploys and incidents, one
/// of which (checkout, 12 days back) spends a real share of a 30-day budget.
pub fn script(live_from_us: i64) -> Vec<Scripted> {
    let day = live_from_us.div_euclid(DAY) * DAY;
    let at = |days: i64, hour: i64, minute: i64| day - days * DAY + hour * HOUR + minute * MINUTE;
    vec![
        Scripted {
            service: "auth",
            deploy_us: at(26, 14, 0),
            version: "v3.2.0",
            incident: Some((
                IncidentKind::Errors,
                40 * MINUTE,
                "login 5xx after v3.2.0, rolled back",
            )),
        },
        Scripted {
            service: "catalog",
            deploy_us: at(19, 11, 0),
            version: "v1.30.0",
            incident: None,
        },
        Scripted {
            service: "checkout",
            deploy_us: at(12, 9, 20),
            version: "v5.14.0",
            incident: Some((
                IncidentKind::Errors,
                90 * MINUTE,
                "payment provider timeouts (INC-2041)",
            )),
        },
        Scripted {
            service: "checkout",
            deploy_us: at(7, 16, 30),
            version: "v5.15.2",
            incident: None,
        },
        Scripted {
            service: "search",
            deploy_us: at(3, 19, 45),
            version: "v2.8.1",
            incident: Some((
                IncidentKind::Latency,
                HOUR,
                "slow queries after the index rebuild",
            )),
        },
    ]
}

/// The annotations of the backfill's [`script`] that `spec` generates at wall-clock
/// `now_us`: each deploy, and each incident with its end.
pub fn annotations(spec: &DemoSpec, now_us: i64) -> Vec<crate::annotations::NewAnnotation> {
    let origin = now_us - spec.history_us.max(0);
    let from = origin - spec.backfill_us.max(0);
    if spec.backfill_us <= 0 {
        return Vec::new();
    }
    let services = default_services();
    let time = crate::time::format_rfc3339;
    let mut out = Vec::new();
    for s in script(origin).into_iter().filter(|s| s.deploy_us >= from) {
        let labels =
            std::collections::BTreeMap::from([("version".to_string(), s.version.to_string())]);
        out.push(crate::annotations::NewAnnotation {
            time: time(s.deploy_us),
            end: None,
            kind: crate::annotations::AnnotationKind::Deploy,
            service: Some(s.service.to_string()),
            text: format!("deploy {} {}", s.service, s.version),
            labels: labels.clone(),
        });
        if let (Some(i), Some((_, _, what))) = (s.incident(&services), s.incident) {
            out.push(crate::annotations::NewAnnotation {
                time: time(i.start_us),
                end: Some(time(i.end_us)),
                kind: crate::annotations::AnnotationKind::Incident,
                service: Some(s.service.to_string()),
                text: format!("{}: {what}", s.service),
                labels,
            });
        }
    }
    out
}
