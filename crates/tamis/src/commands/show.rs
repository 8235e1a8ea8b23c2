//! `tamis show`: one message with its verdict, evidence, copies and text.

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use tamis_case::ExportRow;

use super::resolve::resolve_one;
use crate::cli::ShowArgs;
use crate::common::open_case;

pub fn run(a: ShowArgs) -> Result<ExitCode> {
    let case = open_case(&a.case.case)?;
    let (case, id, json, raw) = (&case, a.id.as_str(), a.json, a.raw);
    let Some(sha) = resolve_one(case, id)? else {
        return Ok(ExitCode::from(2));
    };
    let bytes = case
        .message_bytes(&sha)?
        .context("the message's bytes are missing from the case")?;
    let mut out = io::stdout().lock();
    if raw {
        out.write_all(&bytes)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut copies: Vec<ExportRow> = Vec::new();
    case.occurrences_of(Some(&sha), |r| {
        copies.push(r);
        Ok(())
    })?;
    let text = tamis_forensics::text::body_text(&bytes);
    let thread = case.thread_of(&sha)?;
    if json {
        let mut v = serde_json::to_value(case.message_ref(&sha)?)?;
        v["thread"] = serde_json::json!(thread);
        v["copies"] = serde_json::to_value(&copies)?;
        v["text"] = text.into();
        writeln!(out, "{v}")?;
        return Ok(ExitCode::SUCCESS);
    }
    let Some(first) = copies.first() else {
        bail!("message {sha} has no copy in the case");
    };
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
        first
            .verdict
            .map_or("not verified yet", tamis_case::Verdict::name)
    )?;
    for r in &first.reasons {
        writeln!(out, "  - {r}")?;
    }
    if let Some(ev) = &first.evidence {
        for (i, sig) in ev["signatures"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let d = &sig["signature"];
            writeln!(
                out,
                "  signature {}: d={} s={} {}: {}; header signature {}, body hash {}; key {}{}",
                i + 1,
                d["domain"].as_str().unwrap_or("?"),
                d["selector"].as_str().unwrap_or("?"),
                d["algorithm"].as_str().unwrap_or("?"),
                sig["result"].as_str().unwrap_or("?"),
                sig["header"]["kind"].as_str().unwrap_or("not checked"),
                match sig["body_hash_matches"].as_bool() {
                    Some(true) => "matches",
                    Some(false) => "does NOT match",
                    None => "not checked",
                },
                sig["key"]["status"].as_str().unwrap_or("none"),
                sig["key"]["source"]
                    .as_str()
                    .map(|s| format!(" ({s})"))
                    .unwrap_or_default(),
            )?;
        }
        if let Some(arc) = ev["arc"]["detail"].as_str() {
            writeln!(out, "  ARC: {arc}")?;
        }
    }
    writeln!(out, "copies ({}):", copies.len())?;
    for c in &copies {
        writeln!(
            out,
            "  {}/{} ({}{})",
            c.root,
            c.source,
            c.format,
            match &c.verdict {
                Some(v) if Some(v) != first.verdict.as_ref() => format!(", {v}"),
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
    if let Some(t) = &thread {
        writeln!(out, "thread: {t}")?;
    }
    writeln!(out)?;
    writeln!(out, "{}", text.trim_end())?;
    Ok(ExitCode::SUCCESS)
}
