//! `tamis search`, `show` and `thread` on the shared sample leak: for a
//! spread of labelled copies, a query built from what the labels and the
//! export say about the copy (its Message-ID, sender, recipients, subject,
//! day, path, verdict, signer, attachment) finds its message.

mod common;

use std::collections::BTreeSet;

use common::{export, ingest, run, shared};

fn search(case: &str, q: &str) -> BTreeSet<String> {
    let out = run(&[
        "search", "--case", case, "--json", "--limit", "100000", "--", q,
    ]);
    assert!(
        out.status.success(),
        "{q}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["sha256"].as_str().unwrap().to_string())
        .collect()
}

fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('"', " "))
}

#[test]
fn every_operator_finds_labelled_messages_of_the_sample_leak() {
    let leak = shared().join("sample-leak");
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("leak.case");
    ingest(
        &leak.join("dump"),
        &case,
        Some(&leak.join("keys/dkim-keys.jsonl")),
    );
    let c = case.to_str().unwrap();
    let rows = export(&case);
    let labels = std::fs::read_to_string(leak.join("labels.jsonl")).unwrap();
    let labels: Vec<serde_json::Value> = labels
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut misses = Vec::new();
    let mut tried = 0;
    for label in labels.iter().step_by(61) {
        let path = label["path"].as_str().unwrap();
        let row = rows.iter().find(|r| r["source"] == path).unwrap();
        let sha = row["sha256"].as_str().unwrap().to_string();
        let mut queries = vec![format!("source:{}", quoted(path))];
        if let Some(id) = label["message_id"].as_str() {
            queries.push(format!("id:{id}"));
        }
        if let Some(from) = label["from"].as_str() {
            queries.push(format!("from:{from}"));
        }
        if let Some(to) = row["to"]
            .as_array()
            .and_then(|t| t.first())
            .and_then(|t| t.as_str())
        {
            queries.push(format!("to:{}", quoted(to)));
        }
        if let Some(s) = row["subject"].as_str().filter(|s| !s.trim().is_empty()) {
            queries.push(format!("subject:{}", quoted(s)));
            // Every word of the subject, as bare words.
            // (lowercased: a subject's "OR" is a word, not an operator).
            let words = s.to_lowercase().replace(['"', '(', ')', '-', ':'], " ");
            queries.push(words.split_whitespace().collect::<Vec<_>>().join(" "));
        }
        if let Some(d) = row["date"].as_str() {
            queries.push(format!("date:{}", &d[..10]));
            queries.push(format!("date:{}..{}", &d[..7], &d[..7]));
        }
        for sig in label["dkim"].as_array().into_iter().flatten() {
            queries.push(format!("signer:{}", sig["d"].as_str().unwrap()));
        }
        if let Some(a) = row["attachments"].as_array().and_then(|a| a.first()) {
            queries.push("has:attachment".to_string());
            if let Some(ext) = a["name"]
                .as_str()
                .and_then(|n| n.rsplit_once('.'))
                .map(|(_, e)| e)
            {
                queries.push(format!("type:{ext}"));
            }
        }
        for q in queries {
            tried += 1;
            if !search(c, &q).contains(&sha) {
                misses.push(format!("{path}: {q}"));
            }
        }
        // The copy's message is in a thread, and show finds it by its path.
        let t = run(&["thread", "--case", c, "--json", path]);
        assert!(t.status.success(), "{}", String::from_utf8_lossy(&t.stderr));
        assert!(
            String::from_utf8_lossy(&t.stdout).contains(&sha),
            "thread of {path}"
        );
        let s = run(&["show", "--case", c, path]);
        assert!(s.status.success(), "{}", String::from_utf8_lossy(&s.stderr));
        assert!(String::from_utf8_lossy(&s.stdout).contains(&sha));
    }
    assert!(tried > 150, "only {tried} queries");
    assert!(
        misses.is_empty(),
        "{} of {tried} missed:\n{}",
        misses.len(),
        misses.join("\n")
    );

    // Verdicts: no labelled fake is found as authentic, every labelled
    // authentic copy whose verdict is authentic is found by `verdict:`.
    let authentic = search(c, "verdict:authentic");
    for label in &labels {
        let path = label["path"].as_str().unwrap();
        let row = rows.iter().find(|r| r["source"] == path).unwrap();
        let sha = row["sha256"].as_str().unwrap();
        match label["expect"].as_str().unwrap() {
            "tampered" | "forged" => assert!(!authentic.contains(sha), "{path} found as authentic"),
            "authentic" if row["verdict"] == "authentic" => {
                assert!(
                    authentic.contains(sha),
                    "{path} not found by verdict:authentic"
                )
            }
            _ => {}
        }
    }
}
