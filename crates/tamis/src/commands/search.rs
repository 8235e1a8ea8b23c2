//! `tamis search`: the query language over the case's index.

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::{Result, bail};
use tamis_case::Case;
use tamis_search::{Request, SearchIndex, Sort};

use crate::cli::{SearchArgs, SortArg};
use crate::common::{clip, minute, open_case};

fn open_index(case: &Case) -> Result<SearchIndex> {
    if !SearchIndex::exists(case.dir()) {
        bail!(
            "the case has no search index yet: run `tamis index --case {}`",
            case.dir().display()
        );
    }
    Ok(SearchIndex::open(case.dir())?)
}

pub fn run(a: SearchArgs) -> Result<ExitCode> {
    let case = open_case(&a.case.case)?;
    let case = &case;
    let index = open_index(case)?;
    let query = a.query.join(" ");
    let req = Request {
        query: &query,
        limit: a.limit,
        offset: a.offset,
        sort: match a.sort {
            SortArg::Date => Sort::Date,
            SortArg::Relevance => Sort::Relevance,
        },
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
            minute(h.date),
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
            h.message.source.as_deref().unwrap_or("?"),
            copies,
            h.message.short()
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
