//! Cluster mode, being built (issue 14); the protocol is in the README, "Cluster mode: how it
//! works". Owners of raw partitions sum what they read into deltas ([`delta`]), written with
//! fences and heartbeats to one log ([`record`]); every instance folds that log, in its one
//! order, into one copy of the counts: [`fold`] decides which fences and deltas count, as a
//! pure function of the log, and [`fingerprint`] which SLOs two configurations count alike.

pub mod assign;
pub mod delta;
pub mod fingerprint;
pub mod fold;
pub mod follow;
pub mod log;
pub mod members;
pub mod record;
pub mod shared;
pub mod snapshot;
