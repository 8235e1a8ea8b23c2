//! Every hand-made document under tests/data (made by
//! tests/make_fixtures.py) gives the metadata, warnings or error recorded in
//! tests/expect/documents.txt. `UPDATE_EXPECT=1 cargo test` rewrites it;
//! review the diff.

use std::fmt::Write;

use tamis_forensics::document::{Limits, metadata};

fn describe(bytes: &[u8]) -> String {
    match metadata(bytes, Limits::default()) {
        Err(e) => format!("  error: {e}\n"),
        Ok(m) => {
            let mut s = String::new();
            let kind = m.kind.map_or("?", |k| k.name());
            let _ = writeln!(s, "  kind: {kind}");
            for (k, v) in [
                ("title", &m.title),
                ("author", &m.author),
                ("last_editor", &m.last_editor),
                ("company", &m.company),
                ("application", &m.application),
                ("producer", &m.producer),
                ("language", &m.language),
            ] {
                if let Some(v) = v {
                    let _ = writeln!(s, "  {k}: {v}");
                }
            }
            for (k, v) in [("created", &m.created), ("modified", &m.modified)] {
                if let Some(v) = v {
                    let _ = writeln!(
                        s,
                        "  {k}: {} = {}{}",
                        v.raw,
                        v.unix,
                        if v.zoned { "" } else { " (no zone)" }
                    );
                }
            }
            if let Some(r) = m.revisions {
                let _ = writeln!(s, "  revisions: {r}");
            }
            if m.names.len() > 1 {
                let _ = writeln!(s, "  names: {}", m.names.join(" | "));
            }
            for w in &m.warnings {
                let _ = writeln!(s, "  warning: {w}");
            }
            s
        }
    }
}

#[test]
fn every_document_reads_as_recorded() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut names: Vec<_> = std::fs::read_dir(dir.join("data"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    let mut got = String::new();
    for n in names {
        let bytes = std::fs::read(dir.join("data").join(&n)).unwrap();
        got.push_str(&format!("{n}\n{}", describe(&bytes)));
    }
    let path = dir.join("expect/documents.txt");
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&path, &got).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(got, want, "run with UPDATE_EXPECT=1 and review the diff");
}
