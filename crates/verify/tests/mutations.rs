//! Random changes to signed content never yield `authentic`: whatever a
//! repair tries, a changed byte that the signature covers must leave the
//! message tampered, forged or unverifiable.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tamis_keys::parse_jsonl;
use tamis_verify::{AssessOptions, Verdict, assess};

/// Positions of letters and digits in `range` of `bytes`: changing one of
/// them changes the canonical form under either canonicalisation.
fn letters(bytes: &[u8], range: std::ops::Range<usize>) -> Vec<usize> {
    range
        .filter(|&i| bytes[i].is_ascii_alphanumeric())
        .collect()
}

#[test]
fn changed_signed_bytes_are_never_authentic() {
    let dir = tempfile::tempdir().unwrap();
    tamis_gen::generate(&tamis_gen::Options {
        out: dir.path().to_path_buf(),
        messages: 120,
        seed: 11,
        flat: true,
    })
    .unwrap();
    let keys = tamis_keys::Archive::new(
        parse_jsonl(&std::fs::read_to_string(dir.path().join("keys/dkim-keys.jsonl")).unwrap())
            .into_iter()
            .map(Result::unwrap),
    );
    let mut rng = StdRng::seed_from_u64(42);
    let mut tried = 0;
    for entry in std::fs::read_dir(dir.path().join("flat")).unwrap() {
        let original = std::fs::read(entry.unwrap().path()).unwrap();
        if assess(&original, &keys, AssessOptions::default()).verdict != Verdict::Authentic {
            continue;
        }
        let body_start = original.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        // The signed header fields, below the signature.
        let subject = original.windows(9).position(|w| w == b"Subject: ").unwrap();
        let subject_end = subject
            + original[subject..]
                .windows(2)
                .position(|w| w == b"\r\n")
                .unwrap();
        for (what, positions) in [
            ("body", letters(&original, body_start..original.len())),
            ("subject", letters(&original, subject + 9..subject_end)),
        ] {
            for _ in 0..3 {
                let i = positions[rng.random_range(0..positions.len())];
                let mut changed = original.clone();
                let old = changed[i];
                changed[i] = if old == b'x' { b'y' } else { b'x' };
                let v = assess(&changed, &keys, AssessOptions::default()).verdict;
                assert!(
                    !matches!(v, Verdict::Authentic | Verdict::AuthenticTransformed),
                    "changing {what} byte {i} ({:?} -> {:?}) gave {v:?}",
                    old as char,
                    changed[i] as char
                );
                tried += 1;
            }
        }
    }
    assert!(tried >= 200, "only {tried} mutations tried");
}
