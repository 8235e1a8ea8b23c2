//! Every container kind and every hostile case, from the files under
//! `tests/data` (made by `make_fixtures.py`), against snapshots under
//! `tests/expect`: one file per fixture listing what a user would see —
//! each message with its provenance path and Message-ID, each problem with
//! its path and kind, each custody record. `UPDATE_EXPECT=1 cargo test`
//! rewrites the snapshots; review the diff.

use std::collections::BTreeMap;
use std::path::PathBuf;

use tamis_read::{Event, Limits, Reader, plan};

fn message_id(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    text.lines()
        .take_while(|l| !l.is_empty())
        .find_map(|l| {
            l.strip_prefix("Message-ID: ")
                .or_else(|| l.strip_prefix("Message-Id: "))
        })
        .unwrap_or("-")
        .trim()
        .to_string()
}

#[test]
fn fixtures_match_their_snapshots() {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests");
    let (units, plan_problems) = plan(&[here.join("data")]);
    // Small limits, so the bombs go off quickly.
    let reader = Reader::new(Limits {
        max_depth: 16,
        max_message: 16 << 20,
        max_expansion_ratio: 100,
        min_expansion_budget: 8 << 20,
        spool_in_memory: 1 << 10,
    });
    let mut by_fixture: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut add = |path: &str, line: String| {
        let mut parts = path.splitn(3, '/');
        let first = parts.next().unwrap_or(path);
        let key = if first == "hostile" {
            format!("hostile-{}", parts.next().unwrap_or(""))
        } else {
            first.to_string()
        };
        let key = key.split(['!', '#']).next().unwrap_or(&key).to_string();
        let key = key
            .strip_prefix("split.7z.")
            .map_or(key.clone(), |_| "split.7z".to_string());
        by_fixture.entry(key).or_default().push(line);
    };
    for (_, p) in &plan_problems {
        add(
            p.provenance.as_str(),
            format!("problem {} {}: {}", p.provenance, p.kind, p.detail),
        );
    }
    for unit in &units {
        reader.read_unit(unit, &mut |e| match e {
            Event::Message(m) => {
                let mut line = format!(
                    "message {} {} id={} size={}",
                    m.provenance,
                    m.format.name(),
                    message_id(&m.bytes),
                    m.bytes.len()
                );
                if let Some(f) = &m.folder {
                    line.push_str(&format!(" folder={f}"));
                }
                if let Some(f) = &m.flags {
                    line.push_str(&format!(" flags={f}"));
                }
                if let Some((o, l)) = m.range {
                    line.push_str(&format!(" range={o}+{l}"));
                }
                if let Some(n) = &m.reader_note {
                    line.push_str(&format!(" note=\"{n}\""));
                }
                add(m.provenance.as_str(), line);
            }
            Event::Problem(p) => add(
                p.provenance.as_str(),
                format!("problem {} {}: {}", p.provenance, p.kind, p.detail),
            ),
            Event::Custody(c) => add(
                c.provenance.as_str(),
                format!(
                    "custody {} layer={} {} size={} sha256={}",
                    c.provenance,
                    c.layer,
                    c.kind,
                    c.size,
                    &hex::encode(c.sha256)[..12]
                ),
            ),
        });
    }
    let expect_dir = here.join("expect");
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut failures = Vec::new();
    for (fixture, lines) in &by_fixture {
        // Custody of files whose bytes change when the fixtures are remade
        // (gzip headers carry a time) is still listed, hash included.
        let got = lines.join("\n") + "\n";
        let path = expect_dir.join(format!("{fixture}.txt"));
        if update {
            std::fs::create_dir_all(&expect_dir).unwrap();
            std::fs::write(&path, &got).unwrap();
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(want) if want == got => {}
            Ok(want) => failures.push(format!("{fixture}:\n--- want\n{want}--- got\n{got}")),
            Err(_) => failures.push(format!(
                "{fixture}: no snapshot {} (run with UPDATE_EXPECT=1)",
                path.display()
            )),
        }
    }
    if let Ok(entries) = std::fs::read_dir(&expect_dir) {
        for e in entries.flatten() {
            let name = e
                .file_name()
                .to_string_lossy()
                .trim_end_matches(".txt")
                .to_string();
            if !by_fixture.contains_key(&name) {
                failures.push(format!("snapshot {name}.txt has no fixture any more"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
