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

/// A generated dump of `messages` in `flat/`, with its keys in `keys/`.
fn flat_dump(messages: usize, seed: u64) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    tamis_gen::generate(&tamis_gen::Options {
        out: dir.path().to_path_buf(),
        messages,
        seed,
        flat: true,
    })
    .unwrap();
    dir
}

fn authentic_found(case: &str) -> u64 {
    let out = ok(&["search", "verdict:authentic", "--case", case, "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v["total"].as_u64().unwrap()
}

#[test]
fn key_import_settles_what_its_keys_sign_and_nothing_else_changes() {
    let dir = flat_dump(60, 11);
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

#[test]
fn a_damaged_pack_stops_verification_before_a_verdict_rests_on_it() {
    let dir = flat_dump(30, 12);
    let case_dir = dir.path().join("d.case");
    let keys = dir.path().join("keys/dkim-keys.jsonl");
    ingest(&dir.path().join("flat"), &case_dir, Some(&keys));
    // A byte in every two kilobytes of the packs flipped, as a failing
    // disk or a careless copy would: messages proven before now fail.
    for pack in std::fs::read_dir(case_dir.join("blobs")).unwrap() {
        let path = pack.unwrap().path();
        let mut bytes = std::fs::read(&path).unwrap();
        for i in (1024..bytes.len()).step_by(2048) {
            bytes[i] ^= 0x20;
        }
        std::fs::write(&path, bytes).unwrap();
    }
    let out = common::run(&["verify", "--all", "--case", case_dir.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("stored message"), "{err}");
}

#[test]
fn a_verdict_never_rests_on_bytes_other_than_the_messages() {
    let dir = flat_dump(20, 13);
    let case_dir = dir.path().join("s.case");
    ingest(&dir.path().join("flat"), &case_dir, None);
    // The catalog made to point two messages at each other's bytes, as a
    // damaged or hand-edited catalog could.
    let catalog = rusqlite::Connection::open(case_dir.join("catalog.sqlite")).unwrap();
    catalog
        .execute_batch(
            "CREATE TEMP TABLE two AS SELECT sha256, pack, pack_offset, stored_len FROM messages ORDER BY sha256 LIMIT 2;
             UPDATE messages SET (pack, pack_offset, stored_len) =
                 (SELECT pack, pack_offset, stored_len FROM two WHERE two.sha256 <> messages.sha256)
             WHERE sha256 IN (SELECT sha256 FROM two);",
        )
        .unwrap();
    drop(catalog);
    // Importing the keys judges every signed message again: the two must
    // not be judged on the other's bytes (one might be proven by them).
    let keys = dir.path().join("keys/dkim-keys.jsonl");
    let out = common::run(&[
        "keys",
        "import",
        keys.to_str().unwrap(),
        "--case",
        case_dir.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("does not match its hash"), "{err}");
}
