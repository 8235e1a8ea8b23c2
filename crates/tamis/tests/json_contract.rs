//! Every JSON output that lists messages names them the same way as
//! `export`: `sha256`, `message_id`, and the first copy's `source` within
//! its `root`. A script can join any of them with any other.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{export, ingest, run_ok};

type Named = (
    serde_json::Value,
    serde_json::Value,
    serde_json::Value,
    serde_json::Value,
);

fn named(v: &serde_json::Value) -> Named {
    (
        v["sha256"].clone(),
        v["message_id"].clone(),
        v["root"].clone(),
        v["source"].clone(),
    )
}

#[test]
fn search_show_thread_and_findings_name_messages_as_export_does() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/compat");
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("c.case");
    ingest(&data.join("dump"), &case, Some(&data.join("keys.jsonl")));
    let case = case.to_str().unwrap();

    // The first copy of each message, as export writes it.
    let mut want: BTreeMap<String, Named> = BTreeMap::new();
    for row in export(Path::new(case)) {
        let sha = row["sha256"].as_str().unwrap().to_string();
        want.entry(sha).or_insert_with(|| named(&row));
    }
    let check = |what: &str, row: &serde_json::Value| {
        let sha = row["sha256"]
            .as_str()
            .unwrap_or_else(|| panic!("{what}: {row}"));
        assert_eq!(named(row), want[sha], "{what}");
    };

    let hits = run_ok(&["search", "--case", case, "--json", "--limit", "100", ""]);
    let hits: serde_json::Value = serde_json::from_str(&hits).unwrap();
    let hits = hits["hits"].as_array().unwrap();
    assert_eq!(hits.len(), want.len());
    for h in hits {
        check("search", h);
        let sha = h["sha256"].as_str().unwrap();
        let shown = run_ok(&["show", "--case", case, sha, "--json"]);
        check("show", &serde_json::from_str(&shown).unwrap());
        let thread = run_ok(&["thread", "--case", case, sha, "--json"]);
        let thread: serde_json::Value = serde_json::from_str(&thread).unwrap();
        for row in thread.as_array().unwrap() {
            check("thread", row);
        }
    }
    let mut about_messages = 0;
    for line in run_ok(&["findings", "--case", case, "--json"]).lines() {
        let f: serde_json::Value = serde_json::from_str(line).unwrap();
        if f.get("sha256").is_some() {
            check("findings", &f);
            about_messages += 1;
        }
    }
    assert!(about_messages > 0);
}
