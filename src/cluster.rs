//! Cluster mode; the protocol and its failure table are in the README, "Cluster mode: how it
//! works". Members split the raw partitions among themselves ([`assign`], from the live
//! members' heartbeats, [`members`]); the owner of a raw partition sums what it reads into
//! deltas ([`delta`]), written with fences and heartbeats to one log ([`record`], [`log`]);
//! every member follows that log ([`follow`]) and folds it, in its one order, into one copy
//! of the counts ([`shared`]): [`fold`] decides which fences and deltas count, as a pure
//! function of the log, and [`fingerprint`] which SLOs two configurations count alike.
//! [`snapshot`]s of the fold bound the time a member takes to start.

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
