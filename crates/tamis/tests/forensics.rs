//! Forensics through the command line: hostile documents cost one
//! attachment each, reported where they were found; on the sample leak the
//! copies that share a Message-ID with a proven one carry their diff, and
//! doctored attachments are found.

mod common;

use std::path::PathBuf;

use base64::Engine;
use common::{export, run, shared};

/// A message carrying `name` (bytes from the forensics fixtures).
fn carrier(name: &str) -> Vec<u8> {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../forensics/tests/data")
        .join(name);
    let body = base64::engine::general_purpose::STANDARD.encode(std::fs::read(data).unwrap());
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "From: Claire Martin <claire.martin@campaign.example.org>\r\n\
To: Julien Moreau <julien.moreau@campaign.example.org>\r\n\
Subject: {name}\r\n\
Date: Wed, 17 Feb 2016 11:33:18 +0100\r\n\
Message-ID: <{name}@campaign.example.org>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n\
--b\r\nContent-Type: application/octet-stream; name=\"{name}\"\r\n\
Content-Disposition: attachment; filename=\"{name}\"\r\n\
Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--b--\r\n",
        lines.join("\r\n")
    )
    .into_bytes()
}

#[test]
fn hostile_documents_are_reported_and_the_run_completes() {
    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("dump");
    std::fs::create_dir(&dump).unwrap();
    let names = [
        "truncated.docx",
        "loop.pdf",
        "bomb-part.docx",
        "bomb-core.docx",
        "plain.docx",
    ];
    for n in names {
        std::fs::write(dump.join(format!("{n}.eml")), carrier(n)).unwrap();
    }
    let case = dir.path().join("d.case");
    let case_s = case.to_str().unwrap();
    let out = run(&["ingest", dump.to_str().unwrap(), "--case", case_s]);
    // Unreadable documents are warnings: every message was read.
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(export(&case).len(), names.len());

    let errors = String::from_utf8(run(&["errors", "--case", case_s, "--all"]).stdout).unwrap();
    for (at, why) in [
        (
            "truncated.docx.eml!truncated.docx: warning document_unreadable",
            "zip container",
        ),
        (
            "bomb-core.docx.eml!bomb-core.docx: warning document_unreadable",
            "docProps/core.xml declares 8389246 bytes",
        ),
    ] {
        assert!(
            errors.lines().any(|l| l.contains(at) && l.contains(why)),
            "{at} / {why} not in:\n{errors}"
        );
    }
    let findings = String::from_utf8(
        run(&[
            "findings",
            "--case",
            case_s,
            "--kind",
            "document_container_warning",
        ])
        .stdout,
    )
    .unwrap();
    for (at, why) in [
        (
            "bomb-part.docx.eml!bomb-part.docx",
            "word/media/bomb.bin declares 1073741824 bytes",
        ),
        (
            "loop.pdf.eml!loop.pdf",
            "the page tree comes back to object 2 0",
        ),
    ] {
        let i = findings
            .find(at)
            .unwrap_or_else(|| panic!("{at} not in:\n{findings}"));
        assert!(
            findings[i..]
                .lines()
                .nth(1)
                .is_some_and(|l| l.contains(why)),
            "{why}:\n{findings}"
        );
    }
}

#[test]
fn sample_leak_findings_localise_tampering_and_doctored_documents() {
    let leak = shared().join("sample-leak");
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("leak.case");
    let case_s = case.to_str().unwrap();
    let out = run(&[
        "ingest",
        leak.join("dump").to_str().unwrap(),
        "--case",
        case_s,
        "--keys",
        leak.join("keys/dkim-keys.jsonl").to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let findings: Vec<serde_json::Value> =
        String::from_utf8(run(&["findings", "--case", case_s, "--json"]).stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
    let dump = leak.join("dump");
    let dump = dump.to_str().unwrap();
    let labels: Vec<serde_json::Value> = std::fs::read_to_string(leak.join("labels.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Findings name the message by its first copy, as export does: the
    // path within the root given to ingest.
    let of = |path: &str, kind: &str| -> Vec<&serde_json::Value> {
        findings
            .iter()
            .filter(|f| {
                f["kind"] == kind && f["root"] == dump && f["source"].as_str() == Some(path)
            })
            .collect()
    };
    let mut checked = 0;
    for l in &labels {
        let path = l["path"].as_str().unwrap();
        match l["class"].as_str().unwrap() {
            "attachment_metadata" => {
                let late = of(path, "document_modified_after_message");
                assert!(
                    late.iter().any(|f| f["severity"] == "strong"),
                    "{path}: {late:?}"
                );
                checked += 1;
            }
            // An unsigned copy whose body was edited: where the dump also
            // holds the proven copy, the diff shows the edit.
            "body_edit" => {
                for f in of(path, "message_id_reused") {
                    if f["severity"] == "notice" {
                        let diff = f["data"]["diff"]["body"].as_str().unwrap();
                        assert!(diff.contains("\n-") && diff.contains("\n+"), "{diff}");
                        checked += 1;
                    }
                }
            }
            _ => {}
        }
    }
    assert!(checked >= 22, "only {checked} labelled copies checked");
    // Every copy found with a proven sibling names it.
    for f in findings
        .iter()
        .filter(|f| f["kind"] == "message_id_reused" && f["severity"] == "notice")
    {
        assert!(
            f["data"]["proven"].as_str().is_some_and(|s| s.len() == 64),
            "{f}"
        );
    }
}

/// A plain message.
fn mail(from: &str, to: &str, id: &str, reply_to_id: Option<&str>, body: &str) -> String {
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: Budget\r\nDate: Wed, 17 Feb 2016 11:33:18 +0100\r\nMessage-ID: <{id}>\r\n{}Content-Type: text/html; charset=utf-8\r\n\r\n{body}\r\n",
        reply_to_id
            .map(|r| format!("In-Reply-To: <{r}>\r\n"))
            .unwrap_or_default()
    )
}

#[test]
fn phishing_and_misquoted_replies_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("dump");
    std::fs::create_dir(&dump).unwrap();
    let parent = "Bonjour à tous, le budget du meeting de Lyon est validé à 12 000 euros. La salle est réservée pour le samedi 14 mai et les militants arrivent à 9 heures.";
    let files = [
        ("parent.eml", mail("Claire <claire@campaign.example.org>", "julien@campaign.example.org", "p@campaign.example.org", None, parent)),
        (
            "reply.eml",
            mail(
                "Julien <julien@campaign.example.org>",
                "claire@campaign.example.org",
                "r@campaign.example.org",
                Some("p@campaign.example.org"),
                "D'accord.<br>\n&gt; Bonjour à tous, le budget du meeting de Lyon est validé à 95 000 euros en liquide.<br>\n&gt; La salle est payée par la fédération et les militants arrivent à 9 heures.",
            )
            .replace("text/html", "text/plain")
            .replace("<br>", "")
            .replace("&gt;", ">"),
        ),
        (
            "phish.eml",
            mail(
                "IT <it@campaign-secure.example.com>",
                "julien@campaign.example.org",
                "x@campaign-secure.example.com",
                None,
                "<p>Votre boîte est pleine.</p><form action=\"https://campaign-secure.example.com/login\"><input name=u><input type=\"password\" name=p></form>",
            ),
        ),
    ];
    for (name, body) in &files {
        std::fs::write(dump.join(name), body).unwrap();
    }
    for i in 0..4 {
        std::fs::write(
            dump.join(format!("n{i}.eml")),
            mail(
                "Sophie <sophie@campaign.example.org>",
                "claire@campaign.example.org",
                &format!("n{i}@campaign.example.org"),
                None,
                "Rien.",
            ),
        )
        .unwrap();
    }
    let case = dir.path().join("q.case");
    let case_s = case.to_str().unwrap();
    let out = run(&["ingest", dump.to_str().unwrap(), "--case", case_s]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed = String::from_utf8(run(&["findings", "--case", case_s]).stdout).unwrap();
    for (kind, at, why) in [
        ("quote_mismatch", "reply.eml", "95 000"),
        (
            "lookalike_domain",
            "phish.eml",
            "campaign-secure.example.com, which imitates the organisation's domain campaign.example.org",
        ),
        ("credential_form", "phish.eml", "password"),
    ] {
        let hit = listed
            .split("\n")
            .collect::<Vec<_>>()
            .windows(2)
            .any(|w| w[0].contains(kind) && w[0].ends_with(at) && w[1].contains(why));
        assert!(hit, "{kind} on {at} ({why}) not in:\n{listed}");
    }
}
