//! `xpay-mock`: runs the mock xPay.Stream server until killed.
//!
//! The first line on stdout is the base URL (e.g. `http://127.0.0.1:43127`),
//! so a test can start it with `--port 0` and read where it listens.

use std::io::{self, Read, Write};
use std::process::ExitCode;

use xpay_mock::{MockConfig, MockServer, DEFAULT_WORKER_THREADS};

const USAGE: &str = "\
Usage: xpay-mock [OPTIONS]

A local stand-in for the xPay.Stream API. Prints its base URL on the first
line of stdout, then serves until killed.

Options:
  --host HOST                Address to listen on [default: 127.0.0.1]
  --port PORT                Port to listen on; 0 picks a free one [default: 0]
  --account EMAIL:SECRET     An account that may log in (repeatable)
                             [default: demo@xpay.test:demo-secret]
  --token-ttl-ms N           Lifetime of issued tokens in ms [default: 3600000]
  --uuid-placement WHERE     Login reply's uuid: 'top' (beside \"success\") or
                             'nested' (inside it) [default: top]
  --idle-timeout-ms N        Close a keep-alive connection idle for N ms
                             (waiting for its next request); 0: never [default: 0]
  --threads N                Runtime worker threads [default: 2]
  --tls-cert FILE            Serve HTTPS with this certificate chain (PEM);
                             needs --tls-key
  --tls-key FILE             The certificate's private key (PEM)
  --tls-client-ca FILE       Require a client certificate issued by this CA
                             (PEM)
  --exit-on-stdin-close      Exit when stdin is closed (so a crashed parent
                             never leaves the mock running)
  -h, --help                 Print this help

Control endpoints live under /__mock/ (queue, counts, requests, reset,
revoke, config, connections); see tests/mock/README.md.
";

/// What the command line asks for.
struct Options {
    config: MockConfig,
    threads: usize,
    exit_on_stdin_close: bool,
    tls_cert: Option<String>,
    tls_key: Option<String>,
    tls_client_ca: Option<String>,
}

/// The outcome of parsing: run, or print help and exit.
enum Command {
    Run(Options),
    Help,
}

fn main() -> ExitCode {
    let command = match parse_args(std::env::args().skip(1)) {
        Ok(command) => command,
        Err(message) => {
            eprintln!("xpay-mock: error: {message}\nTry 'xpay-mock --help'.");
            return ExitCode::from(2);
        }
    };
    match command {
        Command::Help => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        Command::Run(options) => run(options),
    }
}

/// Starts the server, announces its URL, and waits to be stopped.
fn run(options: Options) -> ExitCode {
    let started = match (&options.tls_cert, &options.tls_key) {
        (None, None) => MockServer::start_with_threads(options.config, options.threads),
        (Some(cert), Some(key)) => {
            let read = |path: &String| {
                std::fs::read(path).map_err(|e| io::Error::new(e.kind(), format!("{path}: {e}")))
            };
            let tls = (|| {
                Ok::<_, io::Error>(xpay_mock::MockTls {
                    cert_pem: read(cert)?,
                    key_pem: read(key)?,
                    client_ca_pem: options.tls_client_ca.as_ref().map(read).transpose()?,
                })
            })();
            tls.and_then(|tls| {
                MockServer::start_tls_with_threads(options.config, &tls, options.threads)
            })
        }
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "--tls-cert and --tls-key go together",
        )),
    };
    let server = match started {
        Ok(server) => server,
        Err(e) => {
            eprintln!("xpay-mock: error: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = io::stdout().lock();
    // The parent may read only this line, so it is flushed at once.
    if writeln!(stdout, "{}", server.base_url())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        return ExitCode::FAILURE;
    }
    drop(stdout);
    if options.exit_on_stdin_close {
        // Read and discard until EOF (or error): the parent has gone away.
        let _ = io::copy(&mut io::stdin().lock().by_ref(), &mut io::sink());
        server.shutdown();
        return ExitCode::SUCCESS;
    }
    // SIGTERM / SIGINT end the process with their default action.
    loop {
        std::thread::park();
    }
}

/// Parses the arguments (without the program name).
fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut options = Options {
        config: MockConfig::default(),
        threads: DEFAULT_WORKER_THREADS,
        exit_on_stdin_close: false,
        tls_cert: None,
        tls_key: None,
        tls_client_ca: None,
    };
    let mut accounts = Vec::new();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        // Accept both `--flag value` and `--flag=value`.
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg, None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--host" => options.config.host = value()?,
            "--port" => options.config.port = number(&flag, &value()?)?,
            "--account" => accounts.push(account(&value()?)?),
            "--token-ttl-ms" => options.config.token_ttl_ms = number(&flag, &value()?)?,
            "--uuid-placement" => options.config.uuid_placement = value()?.parse()?,
            "--idle-timeout-ms" => {
                options.config.idle_timeout_ms = Some(number(&flag, &value()?)?);
            }
            "--threads" => options.threads = positive(&flag, &value()?)?,
            "--tls-cert" => options.tls_cert = Some(value()?),
            "--tls-key" => options.tls_key = Some(value()?),
            "--tls-client-ca" => options.tls_client_ca = Some(value()?),
            "--exit-on-stdin-close" if inline.is_none() => options.exit_on_stdin_close = true,
            _ => return Err(format!("unknown argument {flag:?}")),
        }
    }
    if !accounts.is_empty() {
        options.config.accounts = accounts;
    }
    Ok(Command::Run(options))
}

/// Parses a number argument.
fn number<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("{flag}: {value:?} is not a valid number"))
}

/// Parses a number argument that must not be zero.
fn positive(flag: &str, value: &str) -> Result<usize, String> {
    match number(flag, value)? {
        0 => Err(format!("{flag} must be at least 1")),
        n => Ok(n),
    }
}

/// Parses `EMAIL:SECRET` (the secret may itself contain ':').
fn account(value: &str) -> Result<(String, String), String> {
    match value.split_once(':') {
        Some((email, secret)) if !email.is_empty() => Ok((email.to_owned(), secret.to_owned())),
        _ => Err(format!("--account: expected EMAIL:SECRET, got {value:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use xpay_mock::UuidPlacement;

    fn parse(args: &[&str]) -> Result<Command, String> {
        parse_args(args.iter().map(|s| (*s).to_owned()))
    }

    fn options(args: &[&str]) -> Options {
        match parse(args) {
            Ok(Command::Run(options)) => options,
            Ok(Command::Help) => panic!("unexpected help"),
            Err(e) => panic!("unexpected error: {e}"),
        }
    }

    #[test]
    fn defaults() {
        let o = options(&[]);
        assert_eq!(o.config, MockConfig::default());
        assert_eq!(o.threads, 2);
        assert!(!o.exit_on_stdin_close);
    }

    #[test]
    fn all_flags() {
        let o = options(&[
            "--host",
            "0.0.0.0",
            "--port=8080",
            "--account",
            "a@b.c:s:1",
            "--account=x@y.z:t",
            "--token-ttl-ms",
            "5",
            "--uuid-placement",
            "nested",
            "--threads",
            "4",
            "--idle-timeout-ms=250",
            "--exit-on-stdin-close",
        ]);
        assert_eq!(o.config.host, "0.0.0.0");
        assert_eq!(o.config.port, 8080);
        assert_eq!(
            o.config.accounts,
            vec![
                ("a@b.c".to_owned(), "s:1".to_owned()),
                ("x@y.z".to_owned(), "t".to_owned())
            ]
        );
        assert_eq!(o.config.token_ttl_ms, 5);
        assert_eq!(o.config.uuid_placement, UuidPlacement::Nested);
        assert_eq!(o.threads, 4);
        assert_eq!(o.config.idle_timeout_ms, Some(250));
        assert!(o.exit_on_stdin_close);
    }

    #[test]
    fn help() {
        assert!(matches!(parse(&["--help"]), Ok(Command::Help)));
        assert!(matches!(parse(&["-h"]), Ok(Command::Help)));
    }

    #[test]
    fn bad_arguments_are_errors() {
        for args in [
            &["--port"][..],
            &["--port", "x"],
            &["--port", "70000"],
            &["--account", "nocolon"],
            &["--account", ":secret"],
            &["--uuid-placement", "sideways"],
            &["--threads", "0"],
            &["--idle-timeout-ms", "-1"],
            &["--exit-on-stdin-close=1"],
            &["--bogus"],
            &["extra"],
        ] {
            assert!(parse(args).is_err(), "{args:?} should be refused");
        }
    }
}
