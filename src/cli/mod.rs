//! The command line's parts: its arguments ([`args`]) and one function per command, grouped
//! by what the command does: asking a running instance ([`ask`]), deciding a deploy
//! ([`decide`]), reading out reports and the catalog ([`readout`]), and working from a
//! configuration here ([`local`]).

use std::process::ExitCode;

use slipstream::config::ConfigError;

pub(crate) mod args;
pub(crate) mod ask;
pub(crate) mod decide;
pub(crate) mod local;
pub(crate) mod readout;

/// Exit code for an invalid configuration (EX_USAGE).
const EXIT_CONFIG: u8 = 64;
/// Exit code for input lines that did not decode (EX_DATAERR).
const EXIT_DATAERR: u8 = 65;

/// Prints `e` (every error with its file, document and field path): exit 64.
pub(crate) fn config_failure(e: &ConfigError) -> ExitCode {
    eprint!("{e}");
    ExitCode::from(EXIT_CONFIG)
}
