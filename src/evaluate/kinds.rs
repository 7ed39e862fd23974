//! The kinds evaluation tells apart: what an SLO measures ([`SloKind`]), which condition an
//! alert watches ([`AlertKind`]) and where it stands ([`AlertState`]), how urgent it is
//! ([`Severity`]) and the error-budget policy tier ([`PolicyTier`]).
//!
//! Each is an enum. Its name is a string only at the edge where it is printed, through
//! `as_str` (which `Display` and `Serialize` both use, so JSON, `/metrics` labels and explain
//! text cannot disagree). Configuration picks the kinds from what it reads (an indicator's
//! name, a tier's threshold), never from their printed names. Severities are free text in
//! configuration (`warning`, `critical`, … besides `page` and `ticket`): every label is kept
//! and printed back byte for byte.

use std::fmt;

use serde::{Serialize, Serializer};

/// A field-less enum with one name per variant: `ALL`, `as_str`, `Display` and `Serialize`,
/// all from the one table of names.
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident => $text:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The name printed in JSON, metrics labels and explanations.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
    };
}

named_enum! {
    /// What an SLO measures, as reported. Classification needs less (availability and error
    /// rate are the same [`Sli`](crate::classify::Sli)); assessment follows the SLO's
    /// [`Target`](super::Target): a ratio for every kind but throughput, a minimum rate for
    /// throughput.
    pub enum SloKind {
        /// Good = status not bad, objective a success ratio.
        Availability => "availability",
        /// Good = status not bad, objective given as an allowed error ratio.
        ErrorRate => "error_rate",
        /// Good = status not bad and latency within the threshold.
        Latency => "latency",
        /// Good requests per second against a minimum rate.
        Throughput => "throughput",
        /// A weighted combination of other SLIs ([`super::composite`]), objective a success
        /// ratio of weighted events.
        Composite => "composite",
    }
}

named_enum! {
    /// The condition an alert watches; each has its own evaluation in
    /// [`assess`](mod@super::assess).
    pub enum AlertKind {
        /// Both windows of a multi-window alert burn budget faster than a factor.
        BurnRate => "burn_rate",
        /// The remaining error budget is below a threshold.
        Budget => "budget",
        /// A throughput SLO is below its minimum rate.
        Throughput => "throughput",
        /// The budget runs out within a horizon at a recent window's rates.
        Exhaustion => "exhaustion",
        /// The SLO's budget is spent while its SLA still holds.
        SlaBuffer => "sla_buffer",
    }
}

named_enum! {
    /// Where an alert stands ([`super::hold`]): an alert without a hold is firing or
    /// inactive; one with a hold is pending while its condition holds for less than the hold.
    pub enum AlertState {
        /// Its condition does not hold.
        Inactive => "inactive",
        /// Its condition holds, for less than its hold so far.
        Pending => "pending",
        /// It fires.
        Firing => "firing",
    }
}

named_enum! {
    /// Error-budget policy tier, from the remaining budget (see
    /// [`PolicyTiers`](super::PolicyTiers)).
    pub enum PolicyTier {
        /// Plenty of budget left.
        Normal => "normal",
        /// At most half of the budget left (by default).
        Caution => "caution",
        /// Under a quarter left (by default).
        SlowDown => "slow_down",
        /// Under a tenth left (by default).
        Freeze => "freeze",
        /// Nothing left.
        Exhausted => "exhausted",
    }
}

/// How urgent an alert is. `page` and `ticket` are the severities slipstream itself assigns
/// (default burn-rate alerts, throughput minimums); configuration may name any other label,
/// which is kept verbatim. Two severities are equal when their names are.
#[derive(Debug, Clone)]
pub enum Severity {
    /// Wake someone up.
    Page,
    /// Handle in working hours.
    Ticket,
    /// Any other label from configuration (`warning`, `critical`, …).
    Other(String),
}

impl Severity {
    /// The label, as configured.
    pub fn as_str(&self) -> &str {
        match self {
            Severity::Page => "page",
            Severity::Ticket => "ticket",
            Severity::Other(label) => label,
        }
    }
}

impl From<&str> for Severity {
    fn from(label: &str) -> Self {
        match label {
            "page" => Severity::Page,
            "ticket" => Severity::Ticket,
            other => Severity::Other(other.to_string()),
        }
    }
}

impl PartialEq for Severity {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Severity {}

impl PartialEq<&str> for Severity {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Severity {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every variant prints its name; JSON is the quoted name.
    fn round_trips<K>(all: &[K])
    where
        K: Copy + fmt::Display + Serialize,
    {
        for &k in all {
            let name = k.to_string();
            assert_eq!(serde_json::to_string(&k).unwrap(), format!("\"{name}\""));
        }
    }

    #[test]
    fn slo_kinds_round_trip() {
        round_trips(SloKind::ALL);
        let names: Vec<_> = SloKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "availability",
                "error_rate",
                "latency",
                "throughput",
                "composite"
            ]
        );
    }

    #[test]
    fn alert_kinds_round_trip() {
        round_trips(AlertKind::ALL);
        let names: Vec<_> = AlertKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "burn_rate",
                "budget",
                "throughput",
                "exhaustion",
                "sla_buffer"
            ]
        );
    }

    #[test]
    fn policy_tiers_round_trip() {
        round_trips(PolicyTier::ALL);
        let names: Vec<_> = PolicyTier::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(
            names,
            ["normal", "caution", "slow_down", "freeze", "exhausted"]
        );
    }

    #[test]
    fn severities_keep_any_label() {
        for label in ["page", "ticket", "warning", "critical", "", "P1 – wake"] {
            let s = Severity::from(label);
            assert_eq!(s.as_str(), label);
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                serde_json::to_string(label).unwrap()
            );
        }
        assert!(matches!(Severity::from("page"), Severity::Page));
        assert!(matches!(Severity::from("ticket"), Severity::Ticket));
        assert!(matches!(Severity::from("warning"), Severity::Other(_)));
        // Equality is by name, however the value was built.
        assert_eq!(Severity::Other("page".into()), Severity::Page);
        assert_ne!(Severity::Page, Severity::Ticket);
        assert_eq!(Severity::Ticket, "ticket");
    }
}
