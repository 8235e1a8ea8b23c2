//! kill -9 at any moment, run the same command again: the catalog is exactly
//! the one an uninterrupted ingest builds, and every stored message still
//! matches its hash.

mod common;

use std::path::Path;
use std::time::Instant;

use common::{run, tamis};
use tamis_case::Case;

fn ingest(dump: &Path, case: &Path) {
    let out = run(&[
        "ingest",
        dump.to_str().unwrap(),
        "--case",
        case.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn catalog(case: &Path) -> Vec<String> {
    let c = Case::open(case).unwrap();
    let mut n = 0;
    c.for_each_occurrence(|row| {
        assert!(
            c.message_bytes(&row.sha256)?.is_some(),
            "{} has no stored bytes",
            row.source
        );
        n += 1;
        Ok(())
    })
    .unwrap();
    assert!(n > 0);
    c.canonical_dump().unwrap()
}

#[test]
fn killed_ingest_resumes_to_the_same_catalog() {
    let dir = tempfile::tempdir().unwrap();
    tamis_gen::generate(&tamis_gen::Options {
        out: dir.path().to_path_buf(),
        messages: 2000,
        seed: 3,
        flat: false,
    })
    .unwrap();
    let dump = dir.path().join("dump");
    let reference = dir.path().join("reference.case");
    let started = Instant::now();
    ingest(&dump, &reference);
    let full = started.elapsed();
    let want = catalog(&reference);

    let mut interrupted = 0;
    for (i, fraction) in [0.05, 0.2, 0.4, 0.6, 0.8, 0.95].into_iter().enumerate() {
        let case = dir.path().join(format!("killed-{i}.case"));
        let mut child = tamis()
            .args([
                "ingest",
                dump.to_str().unwrap(),
                "--case",
                case.to_str().unwrap(),
                "--quiet",
            ])
            .spawn()
            .unwrap();
        std::thread::sleep(full.mul_f64(fraction));
        if child.try_wait().unwrap().is_none() {
            interrupted += 1;
        }
        child.kill().unwrap(); // SIGKILL: no chance to clean up
        child.wait().unwrap();
        ingest(&dump, &case);
        let got = catalog(&case);
        // Only the rows that differ: a catalog has thousands.
        let missing: Vec<&String> = want.iter().filter(|l| !got.contains(l)).take(5).collect();
        let extra: Vec<&String> = got.iter().filter(|l| !want.contains(l)).take(5).collect();
        assert!(
            got == want,
            "after a kill at {:.0}% of the run: missing {missing:#?}, extra {extra:#?}",
            fraction * 100.0
        );
    }
    assert!(
        interrupted >= 3,
        "only {interrupted} kills landed mid-run; the test proved little"
    );
}
