//! `tamis search`, `show`, `thread` and `index`: what tamis-search and the
//! case answer, printed for a reader or as JSON.

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use tamis_case::{Case, ExportRow};
use tamis_search::{Request, SearchIndex, Sort};

/// Bring the case's index up to date (creating it if needed).
pub fn refresh(case: &mut Case) -> Result<tamis_search::RefreshReport> {
    let index = SearchIndex::open(case.dir()).context("opening the search index")?;
    index
        .refresh(case, &mut |_, _| {})
        .context("updating the search index")
}

/// Refresh the index only if the case has one: `verify` and `examine` keep
/// it in step without creating it.
pub fn refresh_if_indexed(case: &mut Case) -> Result<()> {
    if SearchIndex::exists(case.dir()) {
        refresh(case)?;
    }
    Ok(())
}

pub fn index(case: &mut Case, rebuild: bool) -> Result<ExitCode> {
    let started = std::time::Instant::now();
    if rebuild {
        SearchIndex::open(case.dir())?.clear(case)?;
    }
    let r = refresh(case)?;
    println!(
        "indexed {} of {} messages ({} threads) in {:.2} s",
        r.indexed,
        r.total,
        r.threads,
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

fn open_index(case: &Case) -> Result<SearchIndex> {
    if !SearchIndex::exists(case.dir()) {
        bail!(
            "the case has no search index yet: run `tamis index --case {}`",
            case.dir().display()
        );
    }
    Ok(SearchIndex::open(case.dir())?)
}

pub struct SearchArgs {
    pub query: String,
    pub limit: usize,
    pub offset: usize,
    pub sort: Sort,
    pub facets: bool,
    pub json: bool,
}

pub fn search(case: &Case, a: &SearchArgs) -> Result<ExitCode> {
    let index = open_index(case)?;
    let req = Request {
        query: &a.query,
        limit: a.limit,
        offset: a.offset,
        sort: a.sort,
        facets: a.facets,
    };
    let results = match index.search(&req, Some(case)) {
        Ok(r) => r,
        Err(tamis_search::SearchError::Query(e)) => {
            eprintln!("tamis: {e}");
            return Ok(ExitCode::from(2));
        }
        Err(e) => return Err(e.into()),
    };
    let mut out = io::stdout().lock();
    if a.json {
        serde_json::to_writer(&mut out, &results)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    for h in &results.hits {
        writeln!(
            out,
            "{}  {:22} {:30} {}",
            date(h.date),
            h.verdict,
            clip(h.from.as_deref().unwrap_or("(no sender)"), 30),
            h.subject.as_deref().unwrap_or("(no subject)")
        )?;
        let copies = if h.copies > 1 {
            format!(" (+{} more)", h.copies - 1)
        } else {
            String::new()
        };
        writeln!(
            out,
            "    {}{}  id {}",
            h.source.as_deref().unwrap_or("?"),
            copies,
            &h.message[..h.message.len().min(12)]
        )?;
        if let Some(s) = &h.snippet
            && !s.text.trim().is_empty()
        {
            writeln!(out, "    {}", highlight(&s.text, &s.highlights))?;
        }
    }
    writeln!(out, "{} of {} messages", results.hits.len(), results.total)?;
    if let Some(f) = &results.facets {
        let line = |v: &[(String, u64)]| {
            v.iter()
                .take(10)
                .map(|(k, n)| format!("{k} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        writeln!(out, "verdicts: {}", line(&f.verdict))?;
        writeln!(out, "sender domains: {}", line(&f.sender_domain))?;
        writeln!(out, "signers: {}", line(&f.signer))?;
        writeln!(out, "months: {}", line(&f.month))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The snippet on one line, matched words in [brackets].
fn highlight(text: &str, ranges: &[(usize, usize)]) -> String {
    let mut out = String::new();
    let mut at = 0;
    for &(s, e) in ranges {
        if s < at || e > text.len() || !text.is_char_boundary(s) || !text.is_char_boundary(e) {
            continue;
        }
        out.push_str(&text[at..s]);
        out.push('[');
        out.push_str(&text[s..e]);
        out.push(']');
        at = e;
    }
    out.push_str(&text[at..]);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut c: String = s.chars().take(n - 1).collect();
        c.push('…');
        c
    }
}

fn date(ts: Option<i64>) -> String {
    match ts {
        Some(t) => {
            let s = mail_parser::DateTime::from_timestamp(t).to_rfc3339();
            match (s.get(..10), s.get(11..16)) {
                (Some(d), Some(t)) => format!("{d} {t}"),
                _ => s,
            }
        }
        None => "(no date)       ".to_string(),
    }
}

/// One message, resolved from whatever the user has in hand.
fn resolve_one(case: &Case, id: &str) -> Result<Option<String>> {
    let found = case.resolve(id)?;
    match found.len() {
        0 => {
            eprintln!(
                "tamis: no message is {id:?} (give a hash or its prefix, a source path or a Message-ID)"
            );
            Ok(None)
        }
        1 => Ok(found.into_iter().next()),
        _ => {
            eprintln!("tamis: {id:?} names {} messages:", found.len());
            for m in found.iter().take(20) {
                eprintln!("  {m}");
            }
            Ok(None)
        }
    }
}

pub fn show(case: &Case, id: &str, json: bool, raw: bool) -> Result<ExitCode> {
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
        let v = serde_json::json!({
            "message": sha,
            "thread": thread,
            "copies": copies,
            "text": text,
        });
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

pub fn thread(case: &Case, id: &str, json: bool) -> Result<ExitCode> {
    // A thread name, or anything that names a message in it.
    let mut rows = case.thread_rows(&id.to_ascii_lowercase())?;
    if rows.is_empty() {
        let Some(sha) = resolve_one(case, id)? else {
            return Ok(ExitCode::from(2));
        };
        let Some(t) = case.thread_of(&sha)? else {
            eprintln!("tamis: the case has no threads yet: run `tamis index`");
            return Ok(ExitCode::from(2));
        };
        rows = case.thread_rows(&t)?;
    }
    let mut out = io::stdout().lock();
    if json {
        serde_json::to_writer(&mut out, &rows)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let lines = tamis_case::thread_lines(&rows);
    let missing = lines
        .iter()
        .filter(|(_, l)| matches!(l, tamis_case::ThreadLine::Missing(_)))
        .count();
    writeln!(
        out,
        "{} messages, {missing} missing from the dump",
        rows.len()
    )?;
    for (depth, line) in lines {
        let pad = "  ".repeat(depth.min(40));
        match line {
            tamis_case::ThreadLine::Missing(m) => writeln!(out, "{pad}(not in the dump: {m})")?,
            tamis_case::ThreadLine::Message(r) => {
                writeln!(
                    out,
                    "{pad}{}  {:22} {}  {}",
                    date(r.date_ts),
                    r.verdict.as_deref().unwrap_or("pending"),
                    clip(r.from.as_deref().unwrap_or("(no sender)"), 30),
                    r.subject.as_deref().unwrap_or("(no subject)")
                )?;
                writeln!(
                    out,
                    "{pad}  {}  id {}",
                    r.source.as_deref().unwrap_or("?"),
                    &r.message[..r.message.len().min(12)]
                )?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
