//! A dump written by tamis-gen, every container kind at once: every copy the
//! generator wrote is exported by its path with its Message-ID, the copies
//! of one message are one message, and every signed copy is proven.

mod common;

use std::collections::BTreeMap;

use common::{assert_snapshot, export, run, verdict_snapshot};

#[test]
fn every_generated_copy_is_found_by_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let copies = tamis_gen::generate(&tamis_gen::Options {
        out: dir.path().to_path_buf(),
        messages: 150,
        seed: 7,
        flat: false,
    })
    .unwrap();
    let case = dir.path().join("g.case");
    let dump = dir.path().join("dump");
    let out = run(&[
        "ingest",
        dump.to_str().unwrap(),
        "--case",
        case.to_str().unwrap(),
        "--keys",
        dir.path().join("keys/dkim-keys.jsonl").to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let rows = export(&case);
    assert_eq!(rows.len(), copies);
    assert_snapshot("generated-150-seed7.txt", &verdict_snapshot(&rows, true));
    let truth = std::fs::read_to_string(dir.path().join("truth.jsonl")).unwrap();
    let exported: BTreeMap<&str, &str> = rows
        .iter()
        .map(|r| {
            (
                r["source"].as_str().unwrap(),
                r["message_id"].as_str().unwrap_or(""),
            )
        })
        .collect();
    for line in truth.lines() {
        let t: serde_json::Value = serde_json::from_str(line).unwrap();
        let path = t["path"].as_str().unwrap();
        assert_eq!(
            exported.get(path).copied(),
            t["message_id"].as_str(),
            "{path}"
        );
    }
    // Containers of every kind were opened, and copies with identical bytes
    // (the same message in two mbox files, say) share one stored message.
    let formats: std::collections::BTreeSet<&str> =
        rows.iter().map(|r| r["format"].as_str().unwrap()).collect();
    assert_eq!(formats.into_iter().collect::<Vec<_>>(), ["file", "mbox"]);
    for source in [
        "archives/julien.moreau_export.zip!",
        ".tar.gz!",
        ".7z!",
        "maildir/",
        "mbox/",
        "eml/",
    ] {
        assert!(
            rows.iter()
                .any(|r| r["source"].as_str().unwrap().contains(source)),
            "nothing from {source}"
        );
    }
    // The generator writes genuine mail only: every copy signed by the
    // organisation or its partner is proven, whatever container it is in
    // (LF Maildir, mboxo with an author's own `>From` line, ...), and no
    // copy is called tampered or forged.
    for r in &rows {
        let verdict = r["verdict"].as_str().unwrap();
        let from = r["from"].as_str().unwrap_or("");
        let signed =
            from.contains("@horizon.example") || from.contains("@agence-partenaire.example");
        assert!(
            !matches!(verdict, "tampered" | "forged"),
            "{} called {verdict}: {}",
            r["source"],
            r["reasons"]
        );
        if signed {
            assert!(
                verdict.starts_with("authentic"),
                "{} from {from} is {verdict}: {}",
                r["source"],
                r["reasons"]
            );
        }
    }
    let status = run(&["status", "--case", case.to_str().unwrap(), "--json"]);
    let s: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(s["occurrences"].as_u64().unwrap() as usize, copies);
    assert!(s["messages"].as_u64().unwrap() < copies as u64);
    assert_eq!(s["errors"], 0);

    // Threads: every reply whose parent is in the dump is in its parent's
    // thread, and every message is found by an empty search.
    let out = run(&[
        "search",
        "--case",
        case.to_str().unwrap(),
        "--json",
        "--limit",
        "100000",
        "",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let found: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let thread_of: BTreeMap<&str, &str> = found["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["sha256"].as_str().unwrap(), h["thread"].as_str().unwrap()))
        .collect();
    assert_eq!(thread_of.len() as u64, s["messages"].as_u64().unwrap());
    let by_id: BTreeMap<&str, &str> = rows
        .iter()
        .filter_map(|r| Some((r["message_id"].as_str()?, r["sha256"].as_str()?)))
        .collect();
    let mut replies = 0;
    for r in &rows {
        let Some(parent) = r["in_reply_to"][0].as_str().and_then(|p| by_id.get(p)) else {
            continue;
        };
        replies += 1;
        assert_eq!(
            thread_of[r["sha256"].as_str().unwrap()],
            thread_of[parent],
            "{} is not in its parent's thread",
            r["source"]
        );
    }
    assert!(replies > 50, "only {replies} replies");
}
