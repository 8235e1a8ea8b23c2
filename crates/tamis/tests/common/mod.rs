//! Helpers shared by the command-line tests: run the real binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn tamis() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tamis"))
}

pub fn run(args: &[&str]) -> Output {
    tamis().args(args).output().expect("the tamis binary runs")
}

/// Run tamis, which must succeed; its standard output.
pub fn run_ok(args: &[&str]) -> String {
    let out = run(args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn shared() -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    assert!(
        p.join("sample-leak/labels.jsonl").exists(),
        "../shared/sample-leak is missing: the integration tests need it"
    );
    p
}

pub fn export(case: &Path) -> Vec<serde_json::Value> {
    run_ok(&[
        "export",
        "--case",
        case.to_str().unwrap(),
        "--format",
        "jsonl",
    ])
    .lines()
    .map(|l| serde_json::from_str(l).unwrap())
    .collect()
}

/// `tamis ingest DUMP --case CASE [--keys KEYS]`, which must succeed.
pub fn ingest(dump: &Path, case: &Path, keys: Option<&Path>) {
    let mut args = vec![
        "ingest",
        dump.to_str().unwrap(),
        "--case",
        case.to_str().unwrap(),
    ];
    if let Some(k) = keys {
        args.extend(["--keys", k.to_str().unwrap()]);
    }
    run_ok(&args);
}

/// What a reader is told about every copy, from `export` rows: the verdict,
/// its reasons and the findings, one block per copy in provenance order.
/// Findings are sorted (their ids follow the order work finished in).
/// `signed_now`: the messages were signed at the time of the run (tamis-gen,
/// whose signer takes `t=` from the clock), so the findings on how long
/// after its Date each was signed are left out, and so are the findings'
/// sentences (they quote message hashes, and `t=` is in the bytes; which
/// of two proven copies is the reference follows the hashes).
pub fn verdict_snapshot(rows: &[serde_json::Value], signed_now: bool) -> String {
    let unstable: &[&str] = if signed_now {
        &["signed_long_after_date"]
    } else {
        &[]
    };
    let mut blocks: Vec<String> = rows
        .iter()
        .map(|r| {
            let mut b = format!(
                "{}\t{}\n",
                r["source"].as_str().unwrap_or("?"),
                r["verdict"].as_str().unwrap_or("-")
            );
            for reason in r["reasons"].as_array().into_iter().flatten() {
                b.push_str(&format!("  reason: {}\n", reason.as_str().unwrap_or("?")));
            }
            let mut findings: Vec<String> = r["findings"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|f| !unstable.contains(&f["kind"].as_str().unwrap_or("")))
                .map(|f| {
                    let explanation = f["explanation"].as_str().unwrap_or("?");
                    format!(
                        "  finding: {} {}{}: {}\n",
                        f["severity"].as_str().unwrap_or("?"),
                        f["kind"].as_str().unwrap_or("?"),
                        f["attachment"]
                            .as_str()
                            .map(|a| format!(" [{a}]"))
                            .unwrap_or_default(),
                        if signed_now { "…" } else { explanation }
                    )
                })
                .collect();
            findings.sort();
            b.extend(findings);
            b
        })
        .collect();
    blocks.sort();
    blocks.concat()
}

/// Compare `actual` with the snapshot `tests/data/snapshots/NAME`; with
/// `TAMIS_BLESS=1` in the environment, write it instead (and say so in the
/// commit: a changed snapshot is a changed verdict or wording).
pub fn assert_snapshot(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/snapshots")
        .join(name);
    if std::env::var_os("TAMIS_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (TAMIS_BLESS=1 writes it)", path.display()));
    if expected != actual {
        let differ: Vec<String> = expected
            .lines()
            .zip(actual.lines())
            .filter(|(e, a)| e != a)
            .take(8)
            .map(|(e, a)| format!("- {e}\n+ {a}"))
            .collect();
        panic!(
            "{} differs ({} lines expected, {} now); first differences:\n{}",
            path.display(),
            expected.lines().count(),
            actual.lines().count(),
            differ.join("\n")
        );
    }
}
