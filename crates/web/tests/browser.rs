//! The workbench in a real browser: Debian's chromium driven by Playwright
//! (tests/browser/run.mjs) over the sample dump and the XSS corpus —
//! search, open a message, read its evidence, follow its thread, tag it;
//! then every hostile message, asserting from the browser that no script
//! ran and no request went to any host but the server.
//! Needs node, `npm ci` in tests/browser and /usr/bin/chromium (.ci/run
//! installs them). Screenshots land in target/browser-shots/.

use std::path::{Path, PathBuf};
use std::process::Command;

use tamis_case::{Case, IngestOptions};

/// Ingest `dump` and the XSS corpus with `keys`, serve the case, and run
/// the browser script over it; screenshots go to target/browser-shots/NAME.
fn in_chromium(name: &str, dump: &Path, keys: &Path) {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let runner = here.join("tests/browser");
    assert!(
        runner.join("node_modules/playwright-core").exists(),
        "run `npm ci` in {} first (.ci/run does)",
        runner.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let case_dir = dir.path().join("b.case");
    let mut case = Case::create(&case_dir).unwrap();
    let roots: Vec<PathBuf> = vec![dump.to_path_buf(), here.join("tests/data/xss")];
    tamis_triage::triage(
        &mut case,
        &roots,
        &IngestOptions::default(),
        &[keys.to_path_buf()],
        &tamis_forensics::isolate::Pool::in_process(),
        &mut |_| {},
    )
    .unwrap();
    drop(case);
    let (tx, rx) = std::sync::mpsc::channel();
    let served = case_dir.clone();
    std::thread::spawn(move || {
        tamis_web::serve(&served, "127.0.0.1:0".parse().unwrap(), None, |a| {
            tx.send(a).unwrap();
        })
        .unwrap();
    });
    let addr = rx.recv().unwrap();
    let shots = here.join("../../target/browser-shots").join(name);
    std::fs::create_dir_all(&shots).unwrap();
    let out = Command::new("node")
        .arg(runner.join("run.mjs"))
        .arg(format!("http://{addr}"))
        .arg(&shots)
        .output()
        .expect("node runs (install nodejs)");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_sample_dump_in_chromium() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/sample");
    in_chromium(
        "sample",
        &sample.join("dump"),
        &sample.join("keys/dkim-keys.jsonl"),
    );
}

#[test]
fn the_shared_sample_leak_in_chromium() {
    let leak = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/sample-leak");
    assert!(
        leak.join("dump").exists(),
        "../shared/sample-leak is missing"
    );
    in_chromium(
        "sample-leak",
        &leak.join("dump"),
        &leak.join("keys/dkim-keys.jsonl"),
    );
}
