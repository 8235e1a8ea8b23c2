//! Verifying again is incremental: a key import re-verifies and settles
//! exactly the messages its keys sign (and the search index follows), and
//! verifying an unchanged case changes nothing.

mod common;

use common::{ingest, run_ok as ok};

/// The number before `what` in a line of output.
fn number_before(out: &str, what: &str) -> u64 {
    let at = out
        .find(what)
        .unwrap_or_else(|| panic!("no {what:?} in {out:?}"));
    out[..at]
        .split(|c: char| !c.is_ascii_digit())
        .rfind(|s| !s.is_empty())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no number before {what:?} in {out:?}"))
}

fn authentic_found(case: &str) -> u64 {
    let out = ok(&["search", "verdict:authentic", "--case", case, "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v["total"].as_u64().unwrap()
}

#[test]
fn key_import_settles_what_its_keys_sign_and_nothing_else_changes() {
    let dir = tempfile::tempdir().unwrap();
    tamis_gen::generate(&tamis_gen::Options {
        out: dir.path().to_path_buf(),
        messages: 60,
        seed: 11,
        flat: true,
    })
    .unwrap();
    let case_dir = dir.path().join("r.case");
    ingest(&dir.path().join("flat"), &case_dir, None);
    let case = case_dir.to_str().unwrap();
    // Without keys nothing is proven, and the index says so.
    assert_eq!(authentic_found(case), 0);
    let again = ok(&["verify", "--all", "--case", case]);
    assert_eq!(number_before(&again, "verdicts changed"), 0, "{again}");

    let keys = dir.path().join("keys/dkim-keys.jsonl");
    let imported = ok(&["keys", "import", keys.to_str().unwrap(), "--case", case]);
    let changed = number_before(&imported, "verdicts changed");
    assert!(changed > 0, "{imported}");
    // The import re-verified and brought the index along: the messages
    // now proven are found as such, and they are the ones that changed.
    let proven = authentic_found(case);
    assert!(
        proven > 0 && proven <= changed,
        "{proven} proven, {changed} changed"
    );

    let again = ok(&["verify", "--all", "--case", case]);
    assert_eq!(number_before(&again, "verdicts changed"), 0, "{again}");
    assert_eq!(number_before(&again, " authentic"), proven, "{again}");
}
