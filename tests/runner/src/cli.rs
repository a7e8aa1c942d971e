//! Command-line flags, `--flag value` or `--flag=value`, for the runner's binaries.

use std::process::ExitCode;
use std::str::FromStr;

/// The process's arguments, read flag by flag.
pub struct Flags {
    args: std::vec::IntoIter<String>,
    /// The value given inline with the last flag (`--flag=value`).
    inline: Option<String>,
}

impl Flags {
    /// The arguments of this process, without the program name.
    pub fn from_env() -> Flags {
        Flags::new(std::env::args().skip(1).collect())
    }

    /// The given arguments (for tests).
    pub fn new(args: Vec<String>) -> Flags {
        Flags {
            args: args.into_iter(),
            inline: None,
        }
    }

    /// The next flag (or stray argument), without its inline value.
    pub fn next_flag(&mut self) -> Option<String> {
        let arg = self.args.next()?;
        match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                self.inline = Some(value.to_owned());
                Some(flag.to_owned())
            }
            _ => {
                self.inline = None;
                Some(arg)
            }
        }
    }

    /// The value of `flag`: inline, else the next argument.
    pub fn value(&mut self, flag: &str) -> Result<String, String> {
        self.inline
            .take()
            .or_else(|| self.args.next())
            .ok_or_else(|| format!("{flag} needs a value"))
    }

    /// The value of `flag` as a number.
    pub fn number<T: FromStr>(&mut self, flag: &str) -> Result<T, String> {
        let v = self.value(flag)?;
        v.parse().map_err(|_| format!("{flag} {v:?}: not a number"))
    }
}

/// The arguments `parse` makes of the command line; else the exit: after `--help` (`parse`
/// gave `None`) the usage and 0, after a usage error the error, the usage and 2.
pub fn args_or_exit<A>(
    program: &str,
    usage: &str,
    parse: impl FnOnce() -> Result<Option<A>, String>,
) -> Result<A, ExitCode> {
    match parse() {
        Ok(Some(args)) => Ok(args),
        Ok(None) => {
            println!("{usage}");
            Err(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("{program}: {e}\n\n{usage}");
            Err(ExitCode::from(2))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_and_separate_values() {
        let args = ["--face=a=b c", "--only", "x", "--n", "3", "stray"];
        let mut f = Flags::new(args.iter().map(|s| s.to_string()).collect());
        assert_eq!(f.next_flag().as_deref(), Some("--face"));
        assert_eq!(f.value("--face").unwrap(), "a=b c");
        assert_eq!(f.next_flag().as_deref(), Some("--only"));
        assert_eq!(f.value("--only").unwrap(), "x");
        assert_eq!(f.next_flag().as_deref(), Some("--n"));
        assert_eq!(f.number::<u64>("--n").unwrap(), 3);
        assert_eq!(f.next_flag().as_deref(), Some("stray"));
        assert!(f.value("stray").is_err());
    }
}
