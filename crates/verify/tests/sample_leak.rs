//! The shared sample leak: the cryptographic facts of each labelled class
//! are what the class says happened (a forger's key is told apart from
//! altered headers, an altered body from altered headers).

use std::collections::BTreeMap;
use std::path::PathBuf;

use tamis_keys::parse_jsonl;
use tamis_read::{Event, Reader, plan};
use tamis_verify::verdict::occurrence_verdict;
use tamis_verify::{AssessOptions, HeaderCheck, KeyStatus, Options, Outcome, assess, verify_dkim};

#[test]
fn each_class_shows_the_facts_it_claims() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/sample-leak");
    let keys = tamis_keys::Archive::new(
        parse_jsonl(&std::fs::read_to_string(root.join("keys/dkim-keys.jsonl")).unwrap())
            .into_iter()
            .map(Result::unwrap),
    );
    let mut bytes_of: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let (units, _) = plan(&[root.join("dump")]);
    for u in &units {
        Reader::default().read_unit(u, &mut |e| {
            if let Event::Message(m) = e {
                bytes_of.insert(m.provenance.to_string(), m.bytes);
            }
        });
    }
    let mut wrong = Vec::new();
    for line in std::fs::read_to_string(root.join("labels.jsonl"))
        .unwrap()
        .lines()
    {
        let l: serde_json::Value = serde_json::from_str(line).unwrap();
        let path = l["path"].as_str().unwrap();
        let reports = verify_dkim(&bytes_of[path], &keys, Options { at: None });
        let any = |f: &dyn Fn(&tamis_verify::SignatureReport) -> bool| reports.iter().any(f);
        let class = l["class"].as_str().unwrap();
        let ok = match (l["expect"].as_str().unwrap(), class) {
            ("authentic", _) => any(&|r| r.result == Outcome::Pass),
            (_, "wrong_key") => any(&|r| r.header == Some(HeaderCheck::NotThisKey)),
            (_, "body_edit" | "attachment_swapped") => {
                any(&|r| r.header == Some(HeaderCheck::Valid) && r.body_hash_matches == Some(false))
            }
            (_, "subject_changed" | "date_changed" | "to_changed") => {
                any(&|r| {
                    matches!(r.header, Some(HeaderCheck::SignedOtherHeaders { .. }))
                        && r.body_hash_matches == Some(true)
                }) && !any(&|r| r.result == Outcome::Pass)
            }
            (_, "key_unavailable") => any(&|r| matches!(r.key, Some(KeyStatus::NotFound))),
            ("forged" | "unverifiable", _) => {
                reports.iter().all(|r| r.result != Outcome::Pass) || class == "key_unavailable"
            }
            _ => true,
        };
        if !ok {
            wrong.push(format!(
                "{path} ({class}): {:?}",
                reports
                    .iter()
                    .map(|r| (r.result, r.header.clone(), r.body_hash_matches))
                    .collect::<Vec<_>>()
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn no_fake_called_authentic_no_genuine_called_fake() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/sample-leak");
    let keys = tamis_keys::Archive::new(
        parse_jsonl(&std::fs::read_to_string(root.join("keys/dkim-keys.jsonl")).unwrap())
            .into_iter()
            .map(Result::unwrap),
    );
    let mut copies: BTreeMap<String, (Vec<u8>, Option<String>)> = BTreeMap::new();
    let (units, _) = plan(&[root.join("dump")]);
    for u in &units {
        Reader::default().read_unit(u, &mut |e| {
            if let Event::Message(m) = e {
                copies.insert(m.provenance.to_string(), (m.bytes, m.reader_note));
            }
        });
    }
    let mut matrix: BTreeMap<(String, String), BTreeMap<&'static str, usize>> = BTreeMap::new();
    let mut sins = Vec::new();
    for line in std::fs::read_to_string(root.join("labels.jsonl"))
        .unwrap()
        .lines()
    {
        let l: serde_json::Value = serde_json::from_str(line).unwrap();
        let path = l["path"].as_str().unwrap();
        let (bytes, note) = &copies[path];
        let a = assess(bytes, &keys, AssessOptions::default());
        let (v, _) = occurrence_verdict(a.verdict, false, note.as_deref());
        let want = l["expect"].as_str().unwrap();
        let genuine = matches!(want, "authentic" | "authentic_transformed" | "unverifiable");
        if (!genuine && v.proves()) || (genuine && v.accuses()) {
            sins.push(format!(
                "{path} ({want}/{}): called {} because {:?}",
                l["class"],
                v.name(),
                a.reasons
            ));
        }
        *matrix
            .entry((want.to_string(), l["class"].as_str().unwrap().to_string()))
            .or_default()
            .entry(v.name())
            .or_default() += 1;
    }
    for ((want, class), got) in &matrix {
        println!("{want}/{class}: {got:?}");
    }
    assert!(sins.is_empty(), "{}", sins.join("\n"));
    let share = |want: &str, verdicts: &[&str]| {
        let rows: Vec<_> = matrix.iter().filter(|((w, _), _)| w == want).collect();
        let total: usize = rows.iter().map(|(_, g)| g.values().sum::<usize>()).sum();
        let hit: usize = rows
            .iter()
            .map(|(_, g)| {
                verdicts
                    .iter()
                    .map(|v| g.get(v).copied().unwrap_or(0))
                    .sum::<usize>()
            })
            .sum();
        hit as f64 / total as f64
    };
    let authentic = share("authentic", &["authentic"]);
    let recovered = share("authentic_transformed", &["authentic_transformed"]);
    println!("authentic recognised: {authentic:.4}, transformed recovered: {recovered:.4}");
    assert!(authentic >= 0.999, "authentic recognised {authentic}");
    assert!(recovered >= 0.90, "transformed recovered {recovered}");
}
