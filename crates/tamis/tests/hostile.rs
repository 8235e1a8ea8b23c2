//! Hostile input through the command line: each case is reported with its
//! provenance path, the exit code says some sources had errors, and every
//! other message in the same dump is still there.

mod common;

use std::path::PathBuf;

use common::{export, run};

#[test]
fn hostile_dump_reports_each_problem_and_keeps_every_other_message() {
    let hostile = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../read/tests/data/hostile");
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("h.case");
    let case_s = case.to_str().unwrap();
    let out = run(&[
        "ingest",
        hostile.to_str().unwrap(),
        "--case",
        case_s,
        "--expansion-floor-mib",
        "8",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let errors = run(&["errors", "--case", case_s, "--all"]);
    assert_eq!(errors.status.code(), Some(1));
    let listed = String::from_utf8(errors.stdout).unwrap();
    let expected = [
        ("bomb.eml.gz: error decompression_bomb", "gzip bomb"),
        ("bomb.zip!zeros.eml: error decompression_bomb", "zip bomb"),
        ("deep.zip!level18.zip!", "nesting"),
        (
            "encrypted.zip!secret.eml: error encrypted",
            "encrypted zip member",
        ),
        ("encrypted.7z: error encrypted", "encrypted 7z"),
        (
            "traversal.zip!../../etc/evil.eml: warning path_traversal",
            "path traversal",
        ),
        (
            "traversal.zip!/abs/path.eml: warning path_traversal",
            "absolute name",
        ),
        ("truncated.zip: error truncated", "truncated zip"),
        (
            "truncated.tar.gz!second.eml: error truncated",
            "truncated tar member",
        ),
        ("truncated.tar.gz: error truncated", "truncated tar"),
        (
            "msg-parser-panic.msg: error parser_panic",
            "a parser that panics (found by fuzzing)",
        ),
    ];
    for (line, what) in expected {
        assert!(
            listed.lines().any(|l| l.starts_with(line)),
            "{what} not reported as {line:?} in:\n{listed}"
        );
    }
    assert!(listed.contains("too_deep"), "{listed}");

    let sources: Vec<String> = export(&case)
        .iter()
        .map(|r| r["source"].as_str().unwrap().to_string())
        .collect();
    for survivor in [
        "bad-utf8.eml",
        "broken-mime.eml",
        "huge-header.eml",
        "bomb.zip!ok.eml",
        "encrypted.zip!open.eml",
        "traversal.zip!fine.eml",
        "traversal.zip!../../etc/evil.eml",
        "truncated.zip!one.eml",
        "truncated.tar.gz!first.eml",
    ] {
        assert!(
            sources.iter().any(|s| s == survivor),
            "{survivor} lost; have {sources:?}"
        );
    }
}

#[test]
fn usage_errors_exit_with_2() {
    assert_eq!(run(&["ingest"]).status.code(), Some(2));
    assert_eq!(run(&["ingest", "/no/such/dump"]).status.code(), Some(2));
    assert_eq!(run(&["frobnicate"]).status.code(), Some(2));
}
