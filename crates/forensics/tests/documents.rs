//! Every hand-made document under tests/data (made by
//! tests/make_fixtures.py) gives the metadata, warnings or error recorded in
//! tests/expect/documents.txt. `UPDATE_EXPECT=1 cargo test` rewrites it;
//! review the diff.

use std::fmt::Write;

use tamis_forensics::document::{Limits, metadata, read};

fn describe(bytes: &[u8]) -> String {
    match read(bytes, Limits::default()) {
        Err(e) => format!("  error: {e}\n"),
        Ok(r) => {
            let m = r.meta;
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
            if let Some(t) = r.text {
                let words: Vec<&str> = t.split_whitespace().collect();
                let _ = writeln!(s, "  text: {}", words.join(" "));
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

/// A legacy Word file (OLE compound file) with a SummaryInformation
/// property set in code page 1251, made here with cfb's writer.
fn legacy_doc() -> Vec<u8> {
    use std::io::Write as _;
    let cp1251 = |s: &str| encoding_rs::WINDOWS_1251.encode(s).0.into_owned();
    let filetime = |unix: u64| (unix + 11_644_473_600) * 10_000_000;
    let mut props: Vec<(u32, Vec<u8>)> = Vec::new();
    let lpstr = |b: Vec<u8>| {
        let mut v = 0x1eu32.to_le_bytes().to_vec();
        v.extend(((b.len() + 1) as u32).to_le_bytes());
        v.extend(&b);
        v.push(0);
        while !v.len().is_multiple_of(4) {
            v.push(0);
        }
        v
    };
    props.push((1, [2u32.to_le_bytes(), 1251u32.to_le_bytes()].concat()));
    props.push((2, lpstr(cp1251("Бюджет"))));
    props.push((4, lpstr(cp1251("Наталья Соколова"))));
    props.push((8, lpstr(cp1251("Наталья Соколова"))));
    props.push((
        12,
        [
            0x40u32.to_le_bytes().to_vec(),
            filetime(1_454_796_000).to_le_bytes().to_vec(),
        ]
        .concat(),
    ));
    props.push((
        13,
        [
            0x40u32.to_le_bytes().to_vec(),
            filetime(1_456_256_220).to_le_bytes().to_vec(),
        ]
        .concat(),
    ));
    let mut set = Vec::new();
    let mut offset = 8 + props.len() * 8;
    let mut index = Vec::new();
    for (id, body) in &props {
        index.extend(id.to_le_bytes());
        index.extend((offset as u32).to_le_bytes());
        offset += body.len();
    }
    set.extend((offset as u32).to_le_bytes());
    set.extend((props.len() as u32).to_le_bytes());
    set.extend(index);
    for (_, body) in &props {
        set.extend(body);
    }
    let mut stream = vec![0xfe, 0xff, 0, 0, 0, 0, 0, 0];
    stream.extend([0u8; 16]);
    stream.extend(1u32.to_le_bytes());
    stream.extend([
        0xe0, 0x85, 0x9f, 0xf2, 0xf9, 0x4f, 0x68, 0x10, 0xab, 0x91, 0x08, 0x00, 0x2b, 0x27, 0xb3,
        0xd9,
    ]);
    stream.extend(48u32.to_le_bytes());
    stream.extend(set);
    let mut cf = cfb::CompoundFile::create(std::io::Cursor::new(Vec::new())).unwrap();
    cf.create_stream("WordDocument")
        .unwrap()
        .write_all(b"text")
        .unwrap();
    cf.create_stream("\u{5}SummaryInformation")
        .unwrap()
        .write_all(&stream)
        .unwrap();
    cf.flush().unwrap();
    cf.into_inner().into_inner()
}

#[test]
fn legacy_office_summary_information() {
    let m = metadata(&legacy_doc(), Limits::default()).unwrap();
    assert_eq!(m.kind.map(|k| k.name()), Some("ole"));
    assert_eq!(m.title.as_deref(), Some("Бюджет"));
    assert_eq!(m.author.as_deref(), Some("Наталья Соколова"));
    assert_eq!(m.last_editor.as_deref(), Some("Наталья Соколова"));
    assert_eq!(m.created.map(|s| s.unix), Some(1_454_796_000));
    assert_eq!(m.modified.map(|s| s.unix), Some(1_456_256_220));
    // Cut short: an error, not a panic.
    let doc = legacy_doc();
    assert!(metadata(&doc[..doc.len() / 3], Limits::default()).is_err());
}
