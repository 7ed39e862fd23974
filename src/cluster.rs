//! Cluster mode, being built (issue 14); the protocol is in the README, "Cluster mode: how it
//! works". What exists so far is its core, [`fold`]: which fences and deltas of the delta log
//! every instance applies, as a pure function of the log, tested here without a broker. The
//! readers that write the log, the topics and the `spec.cluster` block come next.

pub mod fold;
