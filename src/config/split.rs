//! `spec.services[].split_by` and `max_hosts`: which services get one sub-service per host,
//! and how many hosts at most (see [`crate::window::split`]).

use super::path::At;
use super::problems::Problems;
use super::raw::ServiceSpec;

/// `max_hosts` when not set.
pub(crate) const DEFAULT_MAX_HOSTS: usize = 100;
/// The largest `max_hosts` accepted: every host costs its SLOs' counters in every partition.
pub(crate) const MAX_MAX_HOSTS: i64 = 10_000;

/// The service's `max_hosts` when it sets `split_by: host`, `None` when it does not split;
/// problems are reported at `here` (`<document>: spec.services[i]`).
pub(super) fn split(s: &ServiceSpec, here: &At, problems: &mut Problems) -> Option<usize> {
    match s.split_by.as_deref() {
        None => {
            if s.max_hosts.is_some() {
                problems.error(&here.field("max_hosts"), "applies only with split_by: host");
            }
            None
        }
        Some("host") => match s.max_hosts {
            None => Some(DEFAULT_MAX_HOSTS),
            Some(n) if (1..=MAX_MAX_HOSTS).contains(&n) => usize::try_from(n).ok(),
            Some(n) => {
                problems.error(
                    &here.field("max_hosts"),
                    format!("must be between 1 and {MAX_MAX_HOSTS}, not {n}"),
                );
                None
            }
        },
        Some(other) => {
            problems.error(
                &here.field("split_by"),
                format!("must be host, not {other:?}"),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse;

    fn config(services: &str) -> String {
        format!(
            r#"
apiVersion: slipstream/v1
kind: Pipeline
metadata: {{name: p}}
spec:
  source: {{stdin: {{}}}}
  decode: {{format: alb}}
  services:
{services}
"#
        )
    }

    fn problems(services: &str) -> Vec<String> {
        match parse(&config(services), "t.yaml") {
            Ok(_) => Vec::new(),
            Err(e) => e
                .problems
                .into_iter()
                .map(|p| format!("{}: {}", p.location, p.message))
                .collect(),
        }
    }

    #[test]
    fn split_services_get_their_cap_or_the_default() {
        let c = parse(
            &config(
                "    - {name: a, match: {host: a.io}}\n    \
                 - {name: b, match: {host: \"*.b.io\"}, split_by: host}\n    \
                 - {name: c, split_by: host, max_hosts: 10000}",
            ),
            "t.yaml",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            c.reload.splits,
            [None, Some(super::DEFAULT_MAX_HOSTS), Some(10_000)]
        );
    }

    #[test]
    fn bad_split_settings_are_reported_with_their_paths() {
        let got = problems(
            "    - {name: a}\n    \
             - {name: b, max_hosts: 5}\n    \
             - {name: c, split_by: host, max_hosts: 0}\n    \
             - {name: d, split_by: host, max_hosts: 10001}\n    \
             - {name: e, split_by: path}\n    \
             - {name: f, split_by: host, max_hosts: -3}",
        );
        let at = "t.yaml: document 1 (Pipeline p): spec.services";
        assert_eq!(
            got,
            [
                format!("{at}[1].max_hosts: applies only with split_by: host"),
                format!("{at}[2].max_hosts: must be between 1 and 10000, not 0"),
                format!("{at}[3].max_hosts: must be between 1 and 10000, not 10001"),
                format!("{at}[4].split_by: must be host, not \"path\""),
                format!("{at}[5].max_hosts: must be between 1 and 10000, not -3"),
            ]
        );
    }
}
