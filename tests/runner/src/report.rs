//! The result table: rows are scenarios, columns faces; then per-face totals and the summary
//! line `conformance: N passed, M failed, K skipped`.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::face::FaceSpec;

/// One scenario on one face.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// Passed.
    Pass,
    /// Failed (the reason).
    Fail(String),
    /// Failed, as the face's expected-failures file says it will.
    XFail,
    /// Passed although listed as an expected failure: the line must go.
    XPass,
    /// The face lacks a capability the scenario needs.
    NotApplicable,
}

impl Cell {
    fn label(&self) -> &'static str {
        match self {
            Cell::Pass => "pass",
            Cell::Fail(_) => "FAIL",
            Cell::XFail => "xfail",
            Cell::XPass => "XPASS",
            Cell::NotApplicable => "n/a",
        }
    }
}

/// A face's results: a cell per scenario (in the table's row order) and how its testee ended.
#[derive(Debug, Clone)]
pub struct FaceReport {
    /// The face's name.
    pub face: String,
    /// One cell per scenario.
    pub cells: Vec<Cell>,
    /// `Err(why)` when the testee failed to start or ended with a non-zero status.
    pub exit: Result<(), String>,
}

/// Counts over every face.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    /// Scenarios passed.
    pub passed: usize,
    /// Failed, XPASS, and testees that did not end well.
    pub failed: usize,
    /// xfail and n/a.
    pub skipped: usize,
}

impl Totals {
    /// The counts of one face.
    pub fn of(face: &FaceReport) -> Totals {
        let mut t = Totals::default();
        for cell in &face.cells {
            match cell {
                Cell::Pass => t.passed += 1,
                Cell::Fail(_) | Cell::XPass => t.failed += 1,
                Cell::XFail | Cell::NotApplicable => t.skipped += 1,
            }
        }
        t.failed += usize::from(face.exit.is_err());
        t
    }

    fn add(self, o: Totals) -> Totals {
        Totals {
            passed: self.passed + o.passed,
            failed: self.failed + o.failed,
            skipped: self.skipped + o.skipped,
        }
    }

    /// The run failed: something failed, or nothing passed.
    pub fn is_failure(&self) -> bool {
        self.failed > 0 || self.passed == 0
    }
}

/// The table, the per-face totals and the summary line; and the totals over all faces.
pub fn render(scenarios: &[String], faces: &[FaceReport]) -> (String, Totals) {
    let exit_row = "(testee exit status)";
    let first = scenarios
        .iter()
        .map(String::len)
        .chain([exit_row.len(), "scenario".len()])
        .max()
        .unwrap_or(0);
    let widths: Vec<usize> = faces.iter().map(|f| f.face.len().max(5)).collect();
    let mut out = String::new();
    let mut row = |name: &str, cells: &mut dyn Iterator<Item = &str>| {
        let _ = write!(out, "{name:<first$}");
        for (cell, w) in cells.zip(&widths) {
            let _ = write!(out, "  {cell:<w$}");
        }
        out.truncate(out.trim_end().len());
        out.push('\n');
    };
    row("scenario", &mut faces.iter().map(|f| f.face.as_str()));
    for (i, name) in scenarios.iter().enumerate() {
        row(
            name,
            &mut faces
                .iter()
                .map(|f| f.cells.get(i).map_or("?", Cell::label)),
        );
    }
    let exit = |f: &FaceReport| if f.exit.is_ok() { "ok" } else { "FAIL" };
    row(exit_row, &mut faces.iter().map(exit));
    out.push('\n');
    let mut all = Totals::default();
    for face in faces {
        let t = Totals::of(face);
        let count = |c: &Cell| face.cells.iter().filter(|x| *x == c).count();
        let _ = writeln!(
            out,
            "{}: {} passed, {} failed, {} xfail, {} n/a{}",
            face.face,
            t.passed,
            t.failed,
            count(&Cell::XFail),
            count(&Cell::NotApplicable),
            if face.exit.is_err() {
                " (the testee did not end well)"
            } else {
                ""
            },
        );
        all = all.add(t);
    }
    let _ = writeln!(
        out,
        "conformance: {} passed, {} failed, {} skipped",
        all.passed, all.failed, all.skipped
    );
    (out, all)
}

/// The expected-failure lists in force, one line per parked scenario with the faces that park
/// it and the issue that will deliver it (empty when no face parks anything).
pub fn expected_failures(faces: &[FaceSpec], lists: &[BTreeMap<String, String>]) -> String {
    let mut parked: BTreeMap<&str, (&str, Vec<&str>)> = BTreeMap::new();
    for (face, list) in faces.iter().zip(lists) {
        for (name, why) in list {
            let entry = parked.entry(name).or_insert((why, Vec::new()));
            entry.1.push(&face.name);
        }
    }
    let mut out = String::new();
    if !parked.is_empty() {
        let _ = writeln!(
            out,
            "\nexpected failures (tests/conformance/expected-failures/):"
        );
    }
    for (name, (why, faces)) in parked {
        let _ = writeln!(out, "  {name:<44} {:<40} # {why}", faces.join(","));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_and_the_summary() {
        let scenarios = vec!["a".to_owned(), "long_name".to_owned()];
        let faces = vec![
            FaceReport {
                face: "rust-async".into(),
                cells: vec![Cell::Pass, Cell::Fail("x".into())],
                exit: Ok(()),
            },
            FaceReport {
                face: "c".into(),
                cells: vec![Cell::XFail, Cell::XPass],
                exit: Err("exit status 1".into()),
            },
            FaceReport {
                face: "node".into(),
                cells: vec![Cell::NotApplicable, Cell::Pass],
                exit: Ok(()),
            },
        ];
        let (text, totals) = render(&scenarios, &faces);
        assert!(
            text.contains("long_name             FAIL        XPASS  pass\n"),
            "{text}"
        );
        assert!(
            text.contains("(testee exit status)  ok          FAIL   ok\n"),
            "{text}"
        );
        assert!(
            text.contains("c: 0 passed, 2 failed, 1 xfail, 0 n/a"),
            "{text}"
        );
        assert!(
            text.ends_with("conformance: 2 passed, 3 failed, 2 skipped\n"),
            "{text}"
        );
        assert_eq!(totals.failed, 3);
        assert!(totals.is_failure());
    }

    #[test]
    fn nothing_passed_is_a_failure() {
        let (_, t) = render(&[], &[]);
        assert!(t.is_failure());
    }
}
