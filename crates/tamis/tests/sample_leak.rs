//! The shared sample leak through the real binary: every labelled copy is
//! exported exactly once, by the labels' path, with the labels' Message-ID.

mod common;

use std::collections::BTreeMap;

use common::{assert_snapshot, export, ingest, run, shared, verdict_snapshot};

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

#[test]
fn verdicts_never_call_a_fake_authentic_nor_a_genuine_copy_fake_and_doctored_documents_are_forged()
{
    let leak = shared().join("sample-leak");
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("leak.case");
    ingest(
        &leak.join("dump"),
        &case,
        Some(&leak.join("keys/dkim-keys.jsonl")),
    );
    let rows = export(&case);
    // Every copy's verdict, reasons and findings, as they were before the
    // typed vocabulary (issue 14) and since.
    assert_snapshot("sample-leak.txt", &verdict_snapshot(&rows, false));
    let verdicts: BTreeMap<String, String> = rows
        .into_iter()
        .map(|r| {
            (
                r["source"].as_str().unwrap().to_string(),
                r["verdict"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let labels = std::fs::read_to_string(leak.join("labels.jsonl")).unwrap();
    let mut sins = Vec::new();
    let (mut authentic, mut authentic_ok, mut transformed, mut transformed_ok) = (0, 0, 0, 0);
    // Unsigned copies whose attachment was replaced by an outsider's
    // document, saved after the message: the forensics must call them
    // forged.
    let mut doctored = Vec::new();
    for line in labels.lines() {
        let l: serde_json::Value = serde_json::from_str(line).unwrap();
        let want = l["expect"].as_str().unwrap();
        let got = verdicts[l["path"].as_str().unwrap()].as_str();
        let genuine = matches!(want, "authentic" | "authentic_transformed" | "unverifiable");
        if (genuine && matches!(got, "tampered" | "forged"))
            || (!genuine && got.starts_with("authentic"))
        {
            sins.push(format!("{} ({want}) called {got}", l["path"]));
        }
        if l["class"] == "attachment_metadata" && got != "forged" {
            doctored.push(format!("{} called {got}", l["path"]));
        }
        if want == "authentic" {
            authentic += 1;
            authentic_ok += usize::from(got == "authentic");
        }
        if want == "authentic_transformed" {
            transformed += 1;
            transformed_ok += usize::from(got == "authentic_transformed");
        }
    }
    assert!(sins.is_empty(), "{}", sins.join("\n"));
    assert!(doctored.is_empty(), "{}", doctored.join("\n"));
    assert!(
        authentic_ok as f64 >= 0.999 * authentic as f64,
        "{authentic_ok}/{authentic} authentic"
    );
    assert!(
        transformed_ok as f64 >= 0.90 * transformed as f64,
        "{transformed_ok}/{transformed} recovered"
    );
}
