//! The committed `include/xpay_auth.h` must be exactly what cbindgen makes from the sources
//! today. Run with `XPAY_UPDATE_HEADER=1` (or `make header`) to rewrite it after an API change.

use std::path::PathBuf;

#[test]
fn committed_header_is_current() {
    let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .unwrap_or_else(|e| panic!("cbindgen.toml: {e}"));
    let bindings = cbindgen::generate_with_config(&crate_dir, config)
        .unwrap_or_else(|e| panic!("cbindgen failed: {e}"));
    let mut fresh = Vec::new();
    bindings.write(&mut fresh);
    let path = crate_dir.join("include/xpay_auth.h");
    if std::env::var_os("XPAY_UPDATE_HEADER").is_some() {
        std::fs::write(&path, &fresh).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        return;
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "{} is stale: regenerate it with `make -C bindings-c header` and commit it",
        path.display()
    );
}
