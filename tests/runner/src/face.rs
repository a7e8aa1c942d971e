//! One face's whole run, on its own thread: its mock, its testee, every selected scenario.

use std::collections::BTreeMap;

use xpay_mock::{MockConfig, MockServer};

use crate::report::{Cell, FaceReport};
use crate::scenario::Scenario;
use crate::steps::{self, Env};
use crate::testee::Testee;

/// A face to test: its name and its testee's command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaceSpec {
    /// The face's name (`rust-async`, `c+valgrind`, ...).
    pub name: String,
    /// Program and arguments.
    pub command: Vec<String>,
}

impl FaceSpec {
    /// Parses `NAME=COMMAND`, the command split on whitespace.
    pub fn parse(arg: &str) -> Result<FaceSpec, String> {
        let (name, command) = arg
            .split_once('=')
            .ok_or_else(|| format!("--face {arg:?}: expected NAME=COMMAND"))?;
        let command: Vec<String> = command.split_whitespace().map(str::to_owned).collect();
        if name.is_empty() || command.is_empty() {
            return Err(format!("--face {arg:?}: expected NAME=COMMAND"));
        }
        Ok(FaceSpec {
            name: name.to_owned(),
            command,
        })
    }
}

/// Runs `scenarios` on the face; `expected` maps its expected failures to their issue.
/// Every failure is printed as it happens (`FAILED face scenario: why`).
pub fn run(
    spec: &FaceSpec,
    scenarios: &[&Scenario],
    expected: &BTreeMap<String, String>,
) -> FaceReport {
    let failed = |why: String| {
        println!("FAILED {}: {why}", spec.name);
        FaceReport {
            face: spec.name.clone(),
            cells: vec![Cell::Fail(why.clone()); scenarios.len()],
            exit: Err(why),
        }
    };
    let mock = match MockServer::start(MockConfig::default()) {
        Ok(mock) => mock,
        Err(e) => return failed(format!("cannot start the mock: {e}")),
    };
    let mut testee = match Testee::spawn(&spec.name, &spec.command) {
        Ok(t) => t,
        Err(e) => return failed(format!("cannot start the testee: {e}")),
    };
    let can = match testee.hello() {
        Ok(hello) => hello.can,
        Err(e) => return failed(format!("hello: {e}")),
    };
    let mut env = match Env::new(testee, mock) {
        Ok(env) => env,
        Err(e) => return failed(format!("cannot bind the silent listener: {e}")),
    };
    let cells = scenarios
        .iter()
        .map(|s| {
            if !s.needs.iter().all(|n| can.contains(n)) {
                return Cell::NotApplicable;
            }
            let result = steps::run_scenario(&mut env, s);
            let listed = expected.get(&s.name);
            match (result, listed) {
                (Ok(()), None) => Cell::Pass,
                (Ok(()), Some(issue)) => {
                    println!(
                        "FAILED {} {}: passed, but expected-failures lists it ({issue}): \
                         delete the line",
                        spec.name, s.name
                    );
                    Cell::XPass
                }
                (Err(_), Some(_)) => Cell::XFail,
                (Err(why), None) => {
                    println!("FAILED {} {}: {why}", spec.name, s.name);
                    Cell::Fail(why)
                }
            }
        })
        .collect();
    let exit = env.into_testee().finish();
    let exit = if exit.success() {
        Ok(())
    } else {
        let status = match &exit.status {
            Ok(status) => format!("the testee ended with {status}"),
            Err(why) => format!("the testee {why}"),
        };
        let why = match exit.stderr.trim_end() {
            "" => status,
            tail => format!("{status}; its stderr ends with:\n{tail}"),
        };
        println!("FAILED {} (testee exit): {why}", spec.name);
        Err(why)
    };
    FaceReport {
        face: spec.name.clone(),
        cells,
        exit,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn face_arguments() {
        let f = FaceSpec::parse("rust-blocking=target/debug/examples/testee  --blocking").unwrap();
        assert_eq!(f.name, "rust-blocking");
        assert_eq!(f.command, ["target/debug/examples/testee", "--blocking"]);
        assert!(FaceSpec::parse("nothing").is_err());
        assert!(FaceSpec::parse("x=").is_err());
        assert!(FaceSpec::parse("=cmd").is_err());
    }
}
