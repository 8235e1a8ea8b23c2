//! `search-latency CASE QUERIES [ROUNDS]`: runs every query of the QUERIES
//! file (one per line) ROUNDS times (default 20) against the case's index,
//! the way `tamis search` and the web UI do (first page of 20, facets,
//! snippets read from the case), and prints per query and overall the
//! median and 95th percentile in milliseconds, and the hits of each query.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use tamis_search::{Request, SearchIndex, Sort};

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let case_dir = PathBuf::from(
        args.next()
            .context("usage: search-latency CASE QUERIES [ROUNDS]")?,
    );
    let queries = std::fs::read_to_string(args.next().context("QUERIES file")?)?;
    let rounds: usize = args.next().map_or(Ok(20), |s| s.parse())?;
    let case = tamis_case::Case::open(&case_dir)?;
    let index = SearchIndex::open(&case_dir)?;
    let queries: Vec<&str> = queries
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let mut all = Vec::new();
    println!("{:>8} {:>8} {:>8}  query", "hits", "p50 ms", "p95 ms");
    for q in &queries {
        let mut times = Vec::with_capacity(rounds);
        let mut total = 0;
        for round in 0..rounds {
            let sort = if round % 2 == 0 {
                Sort::Date
            } else {
                Sort::Relevance
            };
            let t = Instant::now();
            let r = index.search(
                &Request {
                    query: q,
                    limit: 20,
                    offset: 0,
                    sort,
                    facets: true,
                },
                Some(&case),
            )?;
            times.push(t.elapsed().as_secs_f64() * 1e3);
            total = r.total;
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{total:>8} {:>8.2} {:>8.2}  {q}",
            percentile(&times, 0.5),
            percentile(&times, 0.95)
        );
        all.extend(times);
    }
    all.sort_by(f64::total_cmp);
    println!(
        "all {} queries x {rounds}: median {:.2} ms, p95 {:.2} ms, max {:.2} ms ({} messages)",
        queries.len(),
        percentile(&all, 0.5),
        percentile(&all, 0.95),
        all.last().copied().unwrap_or(0.0),
        index.len()
    );
    Ok(())
}
