//! `tamis show`: one message with its verdict, evidence, copies and text,
//! from the case's view model (the workbench's message page shows the same).

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};

use super::resolve::resolve_one;
use crate::cli::ShowArgs;
use crate::common::open_case;

pub fn run(a: ShowArgs) -> Result<ExitCode> {
    let case = open_case(&a.case.case)?;
    let Some(sha) = resolve_one(&case, &a.id)? else {
        return Ok(ExitCode::from(2));
    };
    let mut out = io::stdout().lock();
    if a.raw {
        let bytes = case
            .message_bytes(&sha)?
            .context("the message's bytes are missing from the case")?;
        out.write_all(&bytes)?;
        return Ok(ExitCode::SUCCESS);
    }
    let view = case
        .message_view(&sha)?
        .with_context(|| format!("message {sha} has no copy in the case"))?;
    if a.json {
        serde_json::to_writer(&mut out, &view)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let first = view.first();
    writeln!(out, "message {sha}")?;
    // Copies share their bytes; only their verdict can differ (a converted
    // copy proves nothing), so it is given per copy below.
    for (name, v) in [
        ("From", first.from.clone()),
        ("To", Some(first.to.join(", ")).filter(|s| !s.is_empty())),
        ("Cc", Some(first.cc.join(", ")).filter(|s| !s.is_empty())),
        ("Date", first.date_raw.clone()),
        ("Subject", first.subject.clone()),
        ("Message-ID", first.message_id.clone()),
    ] {
        if let Some(v) = v {
            writeln!(out, "{name}: {v}")?;
        }
    }
    writeln!(out)?;
    writeln!(
        out,
        "verdict: {}",
        view.verdict
            .map_or("not verified yet", tamis_case::Verdict::name)
    )?;
    for r in &view.reasons {
        writeln!(out, "  - {r}")?;
    }
    for s in view.signatures() {
        let signer = s
            .signer
            .map(|(d, sel, alg)| format!("d={d} s={sel} {alg}"))
            .unwrap_or_else(|| "unreadable".into());
        writeln!(
            out,
            "  signature {}: {signer}: {}; header signature {}, body hash {}; key {}{}",
            s.number,
            s.result,
            s.header,
            s.body_hash,
            s.key,
            s.key_source.map(|k| format!(" ({k})")).unwrap_or_default(),
        )?;
    }
    if let Some(arc) = view.arc() {
        writeln!(out, "  ARC: {arc}")?;
    }
    writeln!(out, "copies ({}):", view.copies.len())?;
    for c in &view.copies {
        writeln!(
            out,
            "  {}/{} ({}{})",
            c.root,
            c.source,
            c.format,
            match c.verdict {
                Some(v) if Some(v) != view.verdict => format!(", {v}"),
                _ => String::new(),
            }
        )?;
    }
    if !first.attachments.is_empty() {
        writeln!(out, "attachments:")?;
        for a in &first.attachments {
            writeln!(
                out,
                "  {} ({}, {} bytes)",
                a.name.as_deref().unwrap_or("(unnamed)"),
                a.content_type,
                a.size
            )?;
        }
    }
    if !first.findings.is_empty() {
        writeln!(out, "findings:")?;
        for f in &first.findings {
            writeln!(out, "  {} {}: {}", f.severity, f.kind, f.explanation)?;
        }
    }
    if let Some(t) = &view.thread {
        writeln!(out, "thread: {t}")?;
    }
    writeln!(out)?;
    writeln!(out, "{}", view.text.trim_end())?;
    Ok(ExitCode::SUCCESS)
}
