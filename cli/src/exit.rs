//! How a failure ends the program: one line on stderr and an exit status per error code.

use std::process::ExitCode;

use xpay_auth::{Error, ErrorKind};

/// Why the command failed.
#[derive(Debug)]
pub enum Failure {
    /// The command line is wrong (exit 2).
    Usage(String),
    /// An SDK error (exit by its code).
    Core(Error),
    /// Standard output could not be written (exit 1).
    Output(String),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Core(e)
    }
}

/// The exit status of an error code (documented in `--help` and the README).
pub fn status_of(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::InvalidArgument => 3,
        ErrorKind::Authentication => 4,
        ErrorKind::Api => 5,
        ErrorKind::HttpStatus => 6,
        ErrorKind::Timeout => 7,
        ErrorKind::Connection => 8,
        ErrorKind::Decode => 9,
        _ => 10,
    }
}

/// clap's errors: help and version are successes, everything else a usage error (2).
pub fn status_of_clap(e: &clap::Error) -> u8 {
    match e.kind() {
        clap::error::ErrorKind::DisplayHelp
        | clap::error::ErrorKind::DisplayVersion
        | clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => 0,
        _ => 2,
    }
}

/// One line: no line break from a message can split it.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Failure {
    /// Writes the one stderr line and gives the exit status.
    pub fn report(self) -> ExitCode {
        let (line, status) = match self {
            Failure::Usage(message) => (format!("usage: {}", one_line(&message)), 2),
            Failure::Output(message) => (format!("output: {}", one_line(&message)), 1),
            Failure::Core(e) => {
                let mut line = format!("{}: {}", e.code(), one_line(e.message()));
                if let Some(status) = e.status() {
                    line.push_str(&format!(" [status {status}]"));
                }
                if let Some(tag) = e.tag() {
                    line.push_str(&format!(" [tag {}]", one_line(tag)));
                }
                if let Some(uuid) = e.uuid() {
                    line.push_str(&format!(" [uuid {}]", one_line(uuid)));
                }
                (line, status_of(e.kind()))
            }
        };
        eprintln!("xpay-auth: {line}");
        ExitCode::from(status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_its_own_status() {
        let mut seen: Vec<u8> = ErrorKind::ALL.iter().map(|k| status_of(*k)).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen, (3..=10).collect::<Vec<u8>>());
    }

    #[test]
    fn messages_stay_on_one_line() {
        assert_eq!(one_line("a\nb\r\n  c"), "a b c");
    }
}
