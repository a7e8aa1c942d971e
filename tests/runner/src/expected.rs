//! Expected failures: `expected-failures/<face>.txt` beside the scenarios, where `<face>` is
//! the face name up to any `+` (`c+valgrind` reads `c.txt`). One scenario a line, then `#`
//! and the open issue that will deliver it: `name  # issue N: why`. A missing file is an
//! empty list.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The file listing `face`'s expected failures, in the scenario directory `dir`.
pub fn file_for(dir: &Path, face: &str) -> PathBuf {
    let base = face.split('+').next().unwrap_or(face);
    dir.join("expected-failures").join(format!("{base}.txt"))
}

/// The expected failures of `face`: scenario name → the line's comment (the issue).
/// A line that names no issue is an error: only work an open issue will deliver may be parked.
pub fn load(dir: &Path, face: &str) -> Result<BTreeMap<String, String>, String> {
    let file = file_for(dir, face);
    let list = match std::fs::read_to_string(&file) {
        Ok(text) => parse(&text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
        Err(e) => return Err(format!("{}: {e}", file.display())),
    };
    match list.iter().find(|(_, why)| !names_an_issue(why)) {
        Some((name, _)) => Err(format!(
            "{}: `{name}` names no open issue (write `{name}  # issue N: why`)",
            file.display()
        )),
        None => Ok(list),
    }
}

/// Whether a comment starts `issue N` (N a number).
fn names_an_issue(why: &str) -> bool {
    why.strip_prefix("issue ")
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .is_some_and(|n| !n.is_empty())
}

/// The lines of an expected-failures file; blank lines and `#` comment lines are skipped.
pub fn parse(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|line| {
            let (name, why) = line.split_once('#').unwrap_or((line, ""));
            let name = name.trim();
            (!name.is_empty()).then(|| (name.to_owned(), why.trim().to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_name_then_issue() {
        let got = parse("# header\n\ncall_raw_exact  # issue 10: call_raw\n  other\n");
        assert_eq!(got.len(), 2);
        assert_eq!(got["call_raw_exact"], "issue 10: call_raw");
        assert_eq!(got["other"], "");
    }

    #[test]
    fn the_face_name_stops_at_plus() {
        let dir = Path::new("/x");
        assert_eq!(
            file_for(dir, "c+valgrind"),
            Path::new("/x/expected-failures/c.txt")
        );
        assert_eq!(
            file_for(dir, "rust-async"),
            Path::new("/x/expected-failures/rust-async.txt")
        );
    }

    #[test]
    fn a_line_must_name_an_issue() {
        assert!(names_an_issue("issue 10: call_raw"));
        assert!(!names_an_issue(""));
        assert!(!names_an_issue("flaky"));
        assert!(!names_an_issue("issue x"));
    }

    #[test]
    fn a_missing_file_is_an_empty_list() {
        assert!(load(Path::new("/nonexistent"), "c").unwrap().is_empty());
    }
}
