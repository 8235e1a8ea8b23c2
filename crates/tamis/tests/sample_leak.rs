//! The shared sample leak through the real binary: every labelled copy is
//! exported exactly once, by the labels' path, with the labels' Message-ID.

mod common;

use std::collections::BTreeMap;

use common::{export, run, shared};

#[test]
fn export_lists_every_labelled_copy_once_with_its_message_id() {
    let dump = shared().join("sample-leak/dump");
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("leak.case");
    let out = run(&[
        "ingest",
        dump.to_str().unwrap(),
        "--case",
        case.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut exported: BTreeMap<String, Vec<Option<String>>> = BTreeMap::new();
    for row in export(&case) {
        exported
            .entry(row["source"].as_str().unwrap().to_string())
            .or_default()
            .push(row["message_id"].as_str().map(str::to_string));
    }
    let labels = std::fs::read_to_string(shared().join("sample-leak/labels.jsonl")).unwrap();
    let mut wrong = Vec::new();
    let mut n = 0;
    for line in labels.lines() {
        let label: serde_json::Value = serde_json::from_str(line).unwrap();
        let path = label["path"].as_str().unwrap();
        let want = label["message_id"].as_str().map(str::to_string);
        n += 1;
        match exported.remove(path) {
            Some(ids) if ids == [want.clone()] => {}
            got => wrong.push(format!("{path}: want {want:?}, got {got:?}")),
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {n} wrong:\n{}",
        wrong.len(),
        wrong[..wrong.len().min(10)].join("\n")
    );
    assert!(
        exported.is_empty(),
        "exported but not labelled: {:?}",
        exported.keys().take(5).collect::<Vec<_>>()
    );

    // A second ingest of the same dump adds nothing.
    let again = run(&[
        "ingest",
        dump.to_str().unwrap(),
        "--case",
        case.to_str().unwrap(),
    ]);
    assert_eq!(again.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("0 new messages"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(export(&case).len(), n);
}
