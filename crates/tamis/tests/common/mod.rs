//! Helpers shared by the command-line tests: run the real binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn tamis() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tamis"))
}

pub fn run(args: &[&str]) -> Output {
    tamis().args(args).output().expect("the tamis binary runs")
}

/// Run tamis, which must succeed; its standard output.
pub fn run_ok(args: &[&str]) -> String {
    let out = run(args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn shared() -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    assert!(
        p.join("sample-leak/labels.jsonl").exists(),
        "../shared/sample-leak is missing: the integration tests need it"
    );
    p
}

pub fn export(case: &Path) -> Vec<serde_json::Value> {
    run_ok(&[
        "export",
        "--case",
        case.to_str().unwrap(),
        "--format",
        "jsonl",
    ])
    .lines()
    .map(|l| serde_json::from_str(l).unwrap())
    .collect()
}

/// `tamis ingest DUMP --case CASE [--keys KEYS]`, which must succeed.
pub fn ingest(dump: &Path, case: &Path, keys: Option<&Path>) {
    let mut args = vec![
        "ingest",
        dump.to_str().unwrap(),
        "--case",
        case.to_str().unwrap(),
    ];
    if let Some(k) = keys {
        args.extend(["--keys", k.to_str().unwrap()]);
    }
    run_ok(&args);
}
