//! A case made by an earlier tamis opens with this one, with no manual
//! step: its catalog is migrated, its derived data (verdict wording, the
//! search index) brought up to date, and it says the same of every copy.

mod common;

use std::path::Path;

use common::{assert_snapshot, export, run, run_ok, verdict_snapshot};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

#[test]
fn a_case_made_by_an_earlier_release_opens_searches_shows_and_reverifies() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/compat/v8.case");
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("v8.case");
    copy_dir(&fixture, &case);
    let case_arg = case.to_str().unwrap();

    // The first command to open it upgrades it, and says so.
    let out = run(&["search", "--case", case_arg, "--json", "verdict:tampered"]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("written by an older tamis") && said.contains("judged again"),
        "{said}"
    );
    assert!(
        said.contains("search index was of another tamis (version 1): rebuilt"),
        "{said}"
    );
    let found: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(found["total"], 5, "{found}");

    let shown = run_ok(&[
        "show",
        "--case",
        case_arg,
        "000555_polling_data_follow_up.eml",
        "--json",
    ]);
    let shown: serde_json::Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(shown["copies"][0]["verdict"], "tampered", "{shown}");

    assert_snapshot("compat-v8.txt", &verdict_snapshot(&export(&case), false));

    let out = run(&["verify", "--case", case_arg, "--all"]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("(0 verdicts changed)"), "{said}");
    assert_snapshot("compat-v8.txt", &verdict_snapshot(&export(&case), false));

    // Opened again, nothing is left to upgrade.
    let out = run(&["status", "--case", case_arg]);
    assert!(out.status.success());
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A damaged index is derived data too: rebuilt, and said.
    std::fs::write(case.join("index/meta.json"), "not an index").unwrap();
    let out = run(&["search", "--case", case_arg, "--json", "verdict:tampered"]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("search index was unreadable: rebuilt"),
        "{said}"
    );
    let found: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(found["total"], 5, "{found}");

    // A rebuild starts the index again from the case, whatever it held.
    let rebuilt = run_ok(&["index", "--case", case_arg, "--rebuild"]);
    assert!(
        rebuilt.starts_with("indexed 18 of 18 messages"),
        "{rebuilt}"
    );
    let found = run_ok(&["search", "--case", case_arg, "--json", "verdict:tampered"]);
    let found: serde_json::Value = serde_json::from_str(&found).unwrap();
    assert_eq!(found["total"], 5, "{found}");
}
