//! The shared sample leak, read by the reader alone: every labelled copy is
//! found exactly once, under the labels' path, and nothing errors.

use std::collections::BTreeMap;
use std::path::PathBuf;

use tamis_read::{Event, Reader, plan};

fn sample() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/sample-leak");
    p.join("labels.jsonl").exists().then_some(p)
}

#[test]
fn finds_every_labelled_copy_by_its_path() {
    let Some(root) = sample() else {
        panic!("../shared/sample-leak is missing: the integration tests need it");
    };
    let (units, plan_problems) = plan(&[root.join("dump")]);
    assert!(plan_problems.is_empty(), "{plan_problems:?}");
    let reader = Reader::default();
    let mut found: BTreeMap<String, usize> = BTreeMap::new();
    let mut problems = Vec::new();
    for unit in &units {
        reader.read_unit(unit, &mut |e| match e {
            Event::Message(m) => *found.entry(m.provenance.to_string()).or_default() += 1,
            Event::Problem(p) => problems.push(p.to_string()),
            Event::Custody(_) => {}
        });
    }
    assert!(problems.is_empty(), "{problems:#?}");
    let labels = std::fs::read_to_string(root.join("labels.jsonl")).unwrap();
    let mut missing = Vec::new();
    for line in labels.lines() {
        let start = line.find("\"path\": \"").unwrap() + 9;
        let end = start + line[start..].find('"').unwrap();
        let path = line[start..end].replace("\\u00e9", "é");
        if found.remove(&path) != Some(1) {
            missing.push(path);
        }
    }
    assert!(
        missing.is_empty(),
        "{} missing, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
    assert!(
        found.is_empty(),
        "unlabelled messages: {:?}",
        found.keys().take(5).collect::<Vec<_>>()
    );
}
