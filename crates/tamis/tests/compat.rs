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
}
