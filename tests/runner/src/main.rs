//! `xpay-conformance`: every scenario through every face given, one table.

use std::path::PathBuf;
use std::process::ExitCode;

use xpay_conformance::cli::{self, Flags};
use xpay_conformance::face::{self, FaceSpec};
use xpay_conformance::{default_dir, expected, report, scenario};

const USAGE: &str = "\
usage: xpay-conformance [--only SUBSTR]... [--list] [--dir DIR] --face NAME=COMMAND...

Replays the conformance scenarios (tests/conformance/*.json) through each face's testee,
every face in parallel with its own mock, and prints one table.

  --face NAME=COMMAND  a face and its testee's command line (split on whitespace); repeatable
  --only SUBSTR        only scenarios whose name contains SUBSTR; repeatable (any matches)
  --list               list the (selected) scenarios and exit
  --dir DIR            the scenario directory (default: this tree's tests/conformance)

Exits 1 when anything failed (an XPASS too) or nothing passed, 2 on a usage or scenario error.";

struct Args {
    faces: Vec<FaceSpec>,
    only: Vec<String>,
    list: bool,
    dir: PathBuf,
}

fn parse_args() -> Result<Option<Args>, String> {
    let mut args = Args {
        faces: Vec::new(),
        only: Vec::new(),
        list: false,
        dir: default_dir(),
    };
    let mut flags = Flags::from_env();
    while let Some(flag) = flags.next_flag() {
        match flag.as_str() {
            "--face" => args.faces.push(FaceSpec::parse(&flags.value(&flag)?)?),
            "--only" => args.only.push(flags.value(&flag)?),
            "--dir" => args.dir = PathBuf::from(flags.value(&flag)?),
            "--list" => args.list = true,
            "-h" | "--help" => return Ok(None),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Some(args))
}

fn main() -> ExitCode {
    let args = match cli::args_or_exit("xpay-conformance", USAGE, parse_args) {
        Ok(args) => args,
        Err(exit) => return exit,
    };
    let all = match scenario::load_dir(&args.dir) {
        Ok(all) => all,
        Err(errors) => {
            for e in errors {
                eprintln!("xpay-conformance: malformed scenario: {e}");
            }
            return ExitCode::from(2);
        }
    };
    let selected: Vec<_> = all
        .iter()
        .filter(|s| args.only.is_empty() || args.only.iter().any(|o| s.name.contains(o.as_str())))
        .collect();
    if args.list {
        for s in &selected {
            println!("{:<44} {:<14} {}", s.name, s.file, s.about);
        }
        return ExitCode::SUCCESS;
    }
    if args.faces.is_empty() {
        eprintln!("xpay-conformance: no --face given\n\n{USAGE}");
        return ExitCode::from(2);
    }
    let mut lists = Vec::new();
    for f in &args.faces {
        match expected::load(&args.dir, &f.name) {
            Ok(list) => {
                for name in list.keys().filter(|n| !all.iter().any(|s| &s.name == *n)) {
                    eprintln!(
                        "xpay-conformance: {}: {name} is not a scenario",
                        expected::file_for(&args.dir, &f.name).display()
                    );
                }
                lists.push(list);
            }
            Err(e) => {
                eprintln!("xpay-conformance: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let reports: Vec<_> = std::thread::scope(|scope| {
        let threads: Vec<_> = args
            .faces
            .iter()
            .zip(&lists)
            .map(|(f, list)| scope.spawn(|| face::run(f, &selected, list)))
            .collect();
        threads
            .into_iter()
            .zip(&args.faces)
            .map(|(t, f)| {
                t.join().unwrap_or_else(|_| report::FaceReport {
                    face: f.name.clone(),
                    cells: vec![report::Cell::Fail("the runner panicked".into()); selected.len()],
                    exit: Err("the runner panicked".into()),
                })
            })
            .collect()
    });
    let names: Vec<_> = selected.iter().map(|s| s.name.clone()).collect();
    let (table, totals) = report::render(&names, &reports);
    print!("\n{table}");
    print!("{}", report::expected_failures(&args.faces, &lists));
    if totals.is_failure() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
