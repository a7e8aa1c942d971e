//! The account's credentials: `--username` / `XPAY_USERNAME`, and the secret key from
//! `--secret-key-file`, `XPAY_SECRET_KEY`, or a prompt without echo on the terminal. Never
//! from an argument (other users can read those).

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::io::AsRawFd;

use xpay_auth::{Credentials, Error, ErrorKind, ENV_SECRET_KEY, ENV_USERNAME};
use zeroize::Zeroizing;

use crate::exit::Failure;
use crate::Global;

fn invalid(message: String) -> Failure {
    Failure::Core(Error::new(ErrorKind::InvalidArgument, message))
}

pub fn resolve(global: &Global) -> Result<Credentials, Failure> {
    let username = match &global.username {
        Some(u) => u.clone(),
        None => match std::env::var(ENV_USERNAME) {
            Ok(u) if !u.trim().is_empty() => u,
            _ => {
                return Err(invalid(format!(
                    "no username: set {ENV_USERNAME} or pass --username EMAIL"
                )))
            }
        },
    };
    let secret = match &global.secret_key_file {
        Some(path) if path.as_os_str() == "-" => first_line(io::stdin().lock(), "standard input")?,
        Some(path) => {
            let file = File::open(path)
                .map_err(|e| invalid(format!("--secret-key-file {}: {e}", path.display())))?;
            first_line(BufReader::new(file), &path.display().to_string())?
        }
        None => match std::env::var(ENV_SECRET_KEY) {
            Ok(k) if !k.is_empty() => Zeroizing::new(k),
            _ => prompt(&username)?,
        },
    };
    Ok(Credentials::new(username, secret.as_str()))
}

/// The first line of `from`, without its line break; empty is an error.
fn first_line(from: impl Read, what: &str) -> Result<Zeroizing<String>, Failure> {
    let mut line = Zeroizing::new(String::new());
    BufReader::new(from)
        .read_line(&mut line)
        .map_err(|e| invalid(format!("reading the secret key from {what}: {e}")))?;
    let key = Zeroizing::new(line.trim_end_matches(['\r', '\n']).to_owned());
    if key.is_empty() {
        return Err(invalid(format!("the secret key in {what} is empty")));
    }
    Ok(key)
}

/// Asks on the terminal (`/dev/tty`) with echo off; without a terminal, an error that says
/// where else the key may come from.
fn prompt(username: &str) -> Result<Zeroizing<String>, Failure> {
    let no_terminal = || {
        invalid(format!(
            "no secret key: set {ENV_SECRET_KEY}, pass --secret-key-file FILE, or run on a \
             terminal to be prompted"
        ))
    };
    // SAFETY: isatty only inspects the descriptor.
    if unsafe { libc::isatty(libc::STDIN_FILENO) } != 1 {
        return Err(no_terminal());
    }
    let mut tty = File::options()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(|_| no_terminal())?;
    let fd = tty.as_raw_fd();
    // SAFETY: termios is plain data, filled by tcgetattr before use.
    let mut saved: libc::termios = unsafe { std::mem::zeroed() };
    if unsafe { libc::tcgetattr(fd, &mut saved) } != 0 {
        return Err(no_terminal());
    }
    let mut quiet = saved;
    quiet.c_lflag &= !libc::ECHO;
    quiet.c_lflag |= libc::ECHONL;
    let _ = write!(tty, "Secret key for {username}: ");
    let _ = tty.flush();
    // SAFETY: fd is the open terminal; quiet/saved are valid termios values.
    unsafe { libc::tcsetattr(fd, libc::TCSANOW, &quiet) };
    let read = first_line(&mut tty, "the terminal");
    unsafe { libc::tcsetattr(fd, libc::TCSANOW, &saved) };
    read
}
