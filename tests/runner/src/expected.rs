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
pub fn load(dir: &Path, face: &str) -> Result<BTreeMap<String, String>, String> {
    let file = file_for(dir, face);
    match std::fs::read_to_string(&file) {
        Ok(text) => Ok(parse(&text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(e) => Err(format!("{}: {e}", file.display())),
    }
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
    fn a_missing_file_is_an_empty_list() {
        assert!(load(Path::new("/nonexistent"), "c").unwrap().is_empty());
    }
}
