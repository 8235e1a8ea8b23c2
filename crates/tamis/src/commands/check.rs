//! `tamis check`: one message file (or every message in a container),
//! verified and explained, with or without a case.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;

use crate::cli::CheckArgs;
use crate::common::{day, open_case, say_rejected};

pub fn run(a: CheckArgs) -> Result<ExitCode> {
    check(&a.file, &a.keys, a.case.as_deref(), a.json)
}

fn check(file: &Path, keys: &[PathBuf], case: Option<&Path>, json: bool) -> Result<ExitCode> {
    let (mut records, rejected) = tamis_triage::read_key_files(keys)?;
    say_rejected(&rejected);
    let mut dump_seen = None;
    if let Some(dir) = case {
        let c = open_case(dir)?;
        records.extend(c.keys()?);
        dump_seen = c.dump_seen()?;
    }
    let archive = tamis_keys::Archive::new(records);
    let reader = tamis_read::Reader::default();
    let mut out = io::stdout().lock();
    let mut any = false;
    let mut failed = None;
    reader.read_path(file.to_path_buf(), &mut |e| match e {
        tamis_read::Event::Message(m) => {
            any = true;
            let a = tamis_verify::assess(
                &m.bytes,
                &archive,
                tamis_verify::AssessOptions { dump_seen },
            );
            let (verdict, why) = tamis_case::occurrence_verdict(
                a.verdict,
                m.format.is_converted(),
                m.reader_note.as_deref(),
            );
            let reasons: Vec<String> = why
                .iter()
                .chain(&a.reasons)
                .map(ToString::to_string)
                .collect();
            let source = m.provenance.to_string();
            let result = if json {
                // As `export` writes a copy: words, then the typed evidence.
                let v = serde_json::json!({
                    "source": source,
                    "verdict": verdict,
                    "reasons": reasons,
                    "evidence": a,
                });
                writeln!(out, "{v}")
            } else {
                explain(&mut out, &source, verdict, &reasons, &a)
            };
            if let Err(e) = result {
                failed = Some(e);
            }
        }
        tamis_read::Event::Problem(p) => eprintln!("tamis: {p}"),
        tamis_read::Event::Custody(_) => {}
    });
    if let Some(e) = failed {
        return Err(e.into());
    }
    if !any {
        eprintln!("tamis: no message found in {}", file.display());
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// What `dkimverify` prints, and what it does not: every fact, in words.
fn explain(
    out: &mut impl Write,
    source: &str,
    verdict: tamis_case::Verdict,
    reasons: &[String],
    a: &tamis_verify::Assessment,
) -> io::Result<()> {
    use tamis_verify::KeyStatus;
    writeln!(out, "{source}: {}", verdict.name().to_uppercase())?;
    for r in reasons {
        writeln!(out, "  {r}")?;
    }
    if a.arc.cv != tamis_verify::ChainValidation::None {
        writeln!(out, "  ARC chain: {} ({})", a.arc.cv.name(), a.arc.detail)?;
    }
    let sigs = a.repaired.as_ref().unwrap_or(&a.signatures);
    for r in sigs {
        let Some(s) = &r.signature else {
            writeln!(
                out,
                "  signature {}: unreadable: {}",
                r.index + 1,
                r.error.clone().unwrap_or_default()
            )?;
            continue;
        };
        writeln!(
            out,
            "  signature {}: d={} s={} a={} c={}/{} -> {}",
            r.index + 1,
            s.domain,
            s.selector,
            s.algorithm.name(),
            s.header_canon.name(),
            s.body_canon.name(),
            r.result.name()
        )?;
        writeln!(out, "    signed fields (h=): {}", s.headers.join(":"))?;
        if !r.unsigned_displayed.is_empty() {
            writeln!(
                out,
                "    shown but NOT signed: {}",
                r.unsigned_displayed.join(", ")
            )?;
        }
        match &r.key {
            Some(KeyStatus::Found {
                bits,
                source,
                first_seen,
                last_seen,
                revealed_at,
                published_then,
                ..
            }) => writeln!(
                out,
                "    key: {} from {}, seen {} .. {}{}{}",
                bits.map(|b| format!("{b}-bit RSA"))
                    .unwrap_or_else(|| "Ed25519".into()),
                source.as_deref().unwrap_or("the key archive"),
                day(*first_seen),
                day(*last_seen),
                match published_then {
                    Some(true) => " (published when the message was sent)",
                    Some(false) => " (NOT published when the message was sent)",
                    None => "",
                },
                revealed_at
                    .map(|t| format!("; private key published {}", day(Some(t))))
                    .unwrap_or_default()
            )?,
            Some(other) => writeln!(out, "    key: {other:?}")?,
            None => {}
        }
        let header = r
            .header
            .as_ref()
            .map_or("not checked".to_string(), ToString::to_string);
        writeln!(out, "    header signature: {header}")?;
        let body = tamis_verify::body_hash_words(r.body_hash_matches);
        writeln!(out, "    body hash: {body}")?;
        if let Some(n) = r.unsigned_body_bytes.filter(|n| *n > 0) {
            writeln!(
                out,
                "    l=: {n} bytes of the body are after what the signature covers"
            )?;
        }
        if let (Some(t), Some(at)) = (s.timestamp, a.message_time) {
            writeln!(
                out,
                "    t= {} against Date {}",
                tamis_time::rfc3339(t),
                tamis_time::rfc3339(at)
            )?;
        }
    }
    Ok(())
}
