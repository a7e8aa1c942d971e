//! `xpay-auth`: an xPay.Stream access token for shell scripts and cron jobs.
//!
//! ```sh
//! export XPAY_USERNAME=me@example.com XPAY_SECRET_KEY=...
//! curl -H "Authorization: Bearer $(xpay-auth token)" https://apis.xpay.stream/...
//! ```
//!
//! The token is kept in a file store (`$XDG_CACHE_HOME/xpay-auth`, sealed with the secret key),
//! so repeated runs within its life make no request, and processes started together make one
//! login between them. Everything but argument handling and printing is the core's.

mod credentials;
mod exit;

use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use xpay_auth::{blocking, Authentication, Error};

use crate::exit::Failure;

macro_rules! exit_status_help {
    () => {
        "\
Exit status:
  0   success
  1   standard output could not be written, or the mock could not start
  2   the command line is wrong (including a secret key given as an argument)
  3   invalid_argument  a bad option, URL, path or body; nothing was sent
  4   authentication    the login was refused (wrong username or secret key)
  5   api               the server answered with a business error
  6   http_status       the server answered with an unexpected HTTP status
  7   timeout           no answer in time
  8   connection        could not connect (DNS, refused, TLS)
  9   decode            the server's answer was not understood
  10  internal          a bug in xpay-auth

Errors are one line on stderr: `xpay-auth: <code>: <message> [status ...] [tag ...] [uuid ...]`."
    };
}

macro_rules! top_examples {
    () => {
        "Examples:\n  \
        export XPAY_USERNAME=me@example.com XPAY_SECRET_KEY=...\n  \
        xpay-auth token\n  \
        curl -H \"Authorization: Bearer $(xpay-auth token)\" \"$XPAY_BASE_URL/client/echo\" -d '{}'\n  \
        xpay-auth call /client/echo '{\"amount\": 10.25}'\n  \
        xpay-auth mock --port 8080"
    };
}

const TOP_EXAMPLES: &str = top_examples!();

#[derive(Parser, Debug)]
#[command(
    name = "xpay-auth",
    version,
    about = "An xPay.Stream access token for shell scripts, cron jobs and curl",
    long_about = "An xPay.Stream access token for shell scripts, cron jobs and curl.\n\n\
        Credentials come from XPAY_USERNAME / XPAY_SECRET_KEY, or --username with \
        --secret-key-file or a prompt (no echo) on a terminal. The token is kept in a token \
        store (by default a file store under $XDG_CACHE_HOME/xpay-auth, sealed with the secret \
        key), so repeated runs within its life make no request.",
    after_help = TOP_EXAMPLES,
    after_long_help = concat!(top_examples!(), "\n\n", exit_status_help!()),
)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Debug)]
struct Global {
    /// The API's base URL [env: XPAY_BASE_URL; default: https://apis.xpay.stream]
    #[arg(long, global = true, value_name = "URL")]
    base_url: Option<String>,
    /// The account's username (its e-mail) [env: XPAY_USERNAME]
    #[arg(long, global = true, value_name = "EMAIL")]
    username: Option<String>,
    /// Read the secret key from this file (its first line); `-` reads standard input
    #[arg(long, global = true, value_name = "FILE")]
    secret_key_file: Option<PathBuf>,
    /// Refused: a secret key on the command line is visible to other users (ps, /proc) and
    /// kept in shell history. Use XPAY_SECRET_KEY, --secret-key-file or the prompt.
    #[arg(long, global = true, value_name = "KEY", hide = true)]
    secret_key: Option<String>,
    /// Where the token is kept: file:<directory>, memory: (no store), redis://host:port/db
    /// [env: XPAY_TOKEN_STORE; default: file:$XDG_CACHE_HOME/xpay-auth]
    #[arg(long, global = true, value_name = "URL")]
    store: Option<String>,
    /// Request timeout in seconds
    #[arg(long, global = true, value_name = "SECONDS")]
    timeout: Option<f64>,
    /// Show request tracing on stderr (paths, statuses, timings; never a secret or a token)
    #[arg(short, long, global = true)]
    verbose: bool,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print a valid access token and a newline
    #[command(after_help = "Examples:\n  \
        xpay-auth token\n  \
        curl -H \"Authorization: Bearer $(xpay-auth token)\" https://apis.xpay.stream/...\n  \
        xpay-auth token --store memory:     # no store: always a fresh login\n\n\
        A second run within the token's life reads it from the store: no request.")]
    Token,
    /// Log in (or reuse the stored login while fresh) and print it
    #[command(after_help = "Examples:\n  \
        xpay-auth login\n  \
        xpay-auth login --json | jq .expires_at\n  \
        xpay-auth login --json --show-token")]
    Login {
        /// Print JSON (one object) instead of text
        #[arg(long)]
        json: bool,
        /// Include the access token (hidden by default)
        #[arg(long)]
        show_token: bool,
    },
    /// POST a JSON body to PATH with the token; print `success.data` exactly as sent
    #[command(after_help = "Examples:\n  \
        xpay-auth call /client/echo '{\"amount\": 10.25}'\n  \
        echo '{\"a\": 1}' | xpay-auth call /client/echo -\n  \
        xpay-auth call /client/echo            # body {}\n\n\
        Numbers are never rewritten: the body is sent byte for byte, the answer printed as the \
        server wrote it.")]
    Call {
        /// The API path, e.g. /client/echo
        path: String,
        /// The JSON body; `-` reads it from standard input [default: {}]
        body: Option<String>,
    },
    /// Run the mock xPay server (for tests and demos) until killed
    #[command(after_help = "Examples:\n  \
        xpay-auth mock --port 8080\n  \
        xpay-auth mock --account me@example.com:s3cret --token-ttl-ms 60000\n\n\
        The first line on stdout is its base URL. Default account: demo@xpay.test / demo-secret.")]
    Mock(MockArgs),
}

#[derive(Args, Debug)]
struct MockArgs {
    /// Address to listen on
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on; 0 picks a free one
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// An account that may log in, EMAIL:SECRET (repeatable; replaces the default)
    #[arg(long, value_name = "EMAIL:SECRET")]
    account: Vec<String>,
    /// Lifetime of issued tokens in ms
    #[arg(long, value_name = "MS")]
    token_ttl_ms: Option<u64>,
    /// Exit when standard input is closed
    #[arg(long)]
    exit_on_stdin_close: bool,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(exit::status_of_clap(&e));
        }
    };
    init_tracing(cli.global.verbose);
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}

fn run(cli: Cli) -> Result<(), Failure> {
    if cli.global.secret_key.is_some() {
        return Err(Failure::Usage(
            "--secret-key is refused: a secret key on the command line can be read by other \
             users (ps, /proc/*/cmdline) and stays in shell history; set XPAY_SECRET_KEY, pass \
             --secret-key-file FILE, or run on a terminal to be prompted"
                .into(),
        ));
    }
    match cli.command {
        Command::Mock(args) => mock(args),
        Command::Token => {
            let session = session(&cli.global)?;
            let token = session.access_token()?;
            print_line(&token)
        }
        Command::Login { json, show_token } => {
            let session = session(&cli.global)?;
            let auth = session.authentication()?;
            print_line(&describe(&auth, json, show_token))
        }
        Command::Call { path, body } => {
            let body = match body.as_deref() {
                None => String::from("{}"),
                Some("-") => {
                    let mut text = String::new();
                    io::stdin().read_to_string(&mut text).map_err(|e| {
                        Failure::Core(Error::new(
                            xpay_auth::ErrorKind::InvalidArgument,
                            format!("could not read the body from standard input: {e}"),
                        ))
                    })?;
                    text
                }
                Some(text) => text.to_owned(),
            };
            let session = session(&cli.global)?;
            let data = session.call_raw(&path, &body)?;
            print_line(&data)
        }
    }
}

/// The client and session the options and environment describe.
fn session(global: &Global) -> Result<blocking::Session, Failure> {
    let mut builder = blocking::Client::builder().user_agent(xpay_auth::user_agent_for("cli"));
    if let Some(url) = &global.base_url {
        builder = builder.base_url(url);
    }
    if let Some(seconds) = global.timeout {
        let timeout = Duration::try_from_secs_f64(seconds)
            .map_err(|_| Failure::Usage(format!("--timeout {seconds}: not a number of seconds")))?;
        builder = builder.timeout(timeout);
    }
    if let Some(ms) = std::env::var("XPAY_REFRESH_BEFORE_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        builder = builder.refresh_before(Duration::from_millis(ms));
    }
    let client = builder.build()?;
    let credentials = credentials::resolve(global)?;
    let store = match &global.store {
        Some(url) => url.clone(),
        None => match std::env::var(xpay_auth::ENV_TOKEN_STORE) {
            Ok(url) if !url.trim().is_empty() => url,
            _ => default_store()?,
        },
    };
    Ok(client.session_builder(credentials).store(store).build()?)
}

/// `file:$XDG_CACHE_HOME/xpay-auth`, else `file:$HOME/.cache/xpay-auth`.
fn default_store() -> Result<String, Failure> {
    let absolute = |v: std::ffi::OsString| Some(PathBuf::from(v)).filter(|p| p.is_absolute());
    let dir = match std::env::var_os("XDG_CACHE_HOME").and_then(absolute) {
        Some(cache) => cache.join("xpay-auth"),
        None => match std::env::var_os("HOME").and_then(absolute) {
            Some(home) => home.join(".cache").join("xpay-auth"),
            None => {
                return Err(Failure::Usage(
                    "neither XDG_CACHE_HOME nor HOME is set: pass --store file:<directory> \
                     (or --store memory:)"
                        .into(),
                ))
            }
        },
    };
    Ok(format!("file:{}", dir.display()))
}

/// `login`'s output: text lines, or one JSON object; the token only when asked for.
fn describe(auth: &Authentication, json: bool, show_token: bool) -> String {
    let user = auth.user();
    if json {
        let mut v = serde_json::json!({
            "username": user.username(),
            "scopes": user.scopes(),
            "is_api": user.is_api(),
            "expires_at": auth.expires_at(),
            "ticket": auth.ticket(),
            "uuid": auth.uuid(),
            "message": auth.message(),
        });
        if show_token {
            v["access_token"] = serde_json::json!(auth.access_token());
        }
        return v.to_string();
    }
    let mut lines = vec![
        format!("username:   {}", user.username()),
        format!("scopes:     {}", user.scopes().join(" ")),
        format!("expires_at: {} (ms since the epoch)", auth.expires_at()),
        format!("ticket:     {}", auth.ticket()),
        format!("uuid:       {}", auth.uuid()),
    ];
    lines.push(if show_token {
        format!("token:      {}", auth.access_token())
    } else {
        format!(
            "token:      {} (--show-token prints it)",
            xpay_auth::redact_token(auth.access_token())
        )
    });
    lines.join("\n")
}

fn print_line(text: &str) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    writeln!(out, "{text}")
        .and_then(|()| out.flush())
        .map_err(|e| Failure::Output(e.to_string()))
}

/// `xpay-auth mock`: the xpay-mock server in this process.
fn mock(args: MockArgs) -> Result<(), Failure> {
    let mut config = xpay_mock::MockConfig {
        host: args.host,
        port: args.port,
        ..xpay_mock::MockConfig::default()
    };
    if let Some(ttl) = args.token_ttl_ms {
        config.token_ttl_ms = ttl;
    }
    if !args.account.is_empty() {
        config.accounts = args
            .account
            .iter()
            .map(|a| match a.split_once(':') {
                Some((email, secret)) if !email.is_empty() => {
                    Ok((email.to_owned(), secret.to_owned()))
                }
                _ => Err(Failure::Usage(format!(
                    "--account: expected EMAIL:SECRET, got {a:?}"
                ))),
            })
            .collect::<Result<_, _>>()?;
    }
    let server = xpay_mock::MockServer::start(config)
        .map_err(|e| Failure::Output(format!("the mock could not start: {e}")))?;
    print_line(&server.base_url())?;
    if args.exit_on_stdin_close {
        let _ = io::copy(&mut io::stdin().lock(), &mut io::sink());
        server.shutdown();
        return Ok(());
    }
    // SIGTERM / SIGINT end the process with their default action.
    loop {
        std::thread::park();
    }
}

/// The core's warnings on stderr (a token store that failed, so this run logged in by
/// itself), and with `--verbose` its request tracing too (neither ever holds a secret or a
/// whole token).
fn init_tracing(verbose: bool) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::Layer;
    let most = if verbose {
        tracing::Level::DEBUG
    } else {
        tracing::Level::WARN
    };
    let filter = tracing_subscriber::filter::filter_fn(move |meta| {
        meta.target() == "xpay_auth" && *meta.level() <= most
    });
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(io::stderr)
        .with_target(false);
    let layer = if verbose {
        layer.boxed()
    } else {
        layer.without_time().boxed()
    };
    let _ = tracing_subscriber::registry()
        .with(layer.with_filter(filter))
        .try_init();
}
