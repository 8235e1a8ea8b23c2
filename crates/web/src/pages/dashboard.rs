//! The dashboard: counts by verdict, the timeline per week, what to review first.

use std::collections::BTreeMap;

use maud::{Markup, html};
use tamis_case::{FindingKind, Severity, Verdict};
use tamis_search::Request;

use super::*;
use crate::Result;

pub(super) async fn dashboard(st: Shared) -> Result<Markup> {
    st.with_case(|st, case| {
        let all = st.index.search(&Request { query: "", limit: 1, facets: true, ..Request::default() }, None)?;
        let facets = all.facets.unwrap_or_default();
        // Weeks (from Monday) stacked by verdict: one facet pass per verdict.
        let mut weeks: BTreeMap<String, BTreeMap<&str, u64>> = BTreeMap::new();
        for v in Verdict::ALL.map(Verdict::name) {
            let r = st.index.search(
                &Request { query: &format!("verdict:{v}"), limit: 1, facets: true, ..Request::default() },
                None,
            )?;
            for (d, n) in r.facets.unwrap_or_default().day {
                let Ok((Some(start), _)) = tamis_search::query::date_span(&d) else { continue };
                let day = start.div_euclid(86_400);
                // 1970-01-01 was a Thursday: (day + 3) mod 7 counts from Monday.
                let monday = day - (day + 3).rem_euclid(7);
                let label = tamis_time::day(monday * 86_400);
                *weeks.entry(label).or_default().entry(v).or_default() += n;
            }
        }
        let missing = case.missing_keys()?;
        let findings = case.findings(None)?;
        let mut per_kind: BTreeMap<(Severity, FindingKind), u64> = BTreeMap::new();
        for f in &findings {
            *per_kind.entry((f.severity, f.kind)).or_default() += 1;
        }
        let strong: Vec<_> = findings.iter().filter(|f| f.severity == Severity::Strong).take(20).collect();
        let clusters: Vec<_> = findings.iter().filter(|f| f.kind == FindingKind::DocumentCluster).take(20).collect();
        Ok(page("Dashboard", html! {
            h1 { (all.total) " messages" }
            section.cards {
                @for (v, n) in &facets.verdict {
                    a.card href=(search_link(&format!("verdict:{v}"))) { (badge(v)) " " strong { (n) } }
                }
            }
            h2 { "Messages per week, by verdict" }
            (timeline(&weeks))
            div.columns {
                section {
                    h2 { "Top sender domains" }
                    table { @for (d, n) in facets.sender_domain.iter().take(15) {
                        tr { td { a href=(search_link(&format!("from:{d}"))) { (d) } } td.num { (n) } }
                    } }
                }
                section {
                    h2 { "Signing domains" }
                    table { @for (d, n) in facets.signer.iter().take(15) {
                        tr { td { a href=(search_link(&format!("signer:{d}"))) { (d) } } td.num { (n) } }
                    } }
                }
                section {
                    h2 { "Keys to find" }
                    @if missing.is_empty() { p { "None: every selector used has a key." } }
                    table { @for (d, s, n) in missing.iter().take(15) {
                        tr { td { (s) "._domainkey." (d) } td.num { (n) " messages" } }
                    } }
                    p { a href="/keys" { "All keys" } }
                }
            }
            h2 { "Review first" }
            @if strong.is_empty() { p { "No strong finding." } }
            ul.findings { @for f in &strong {
                li { span.severity.strong { (f.severity) } " " code { (f.kind) } " "
                    @if let Some(m) = &f.message { a href={ "/m/" (m.sha256) } { (m.source.as_deref().unwrap_or(&m.sha256)) @if let Some(a) = &f.attachment { "!" (a) } } }
                    br; (f.explanation) }
            } }
            h2 { "Findings" }
            table { @for ((sev, kind), n) in &per_kind {
                tr { td { span class={ "severity " (sev) } { (sev) } } td { a href=(search_link(&format!("finding:{kind}"))) { code { (kind) } } } td.num { (n) } }
            } }
            @if !clusters.is_empty() {
                h2 { "Document clusters" }
                ul { @for c in &clusters { li { (c.explanation) } } }
            }
        }))
    })
    .await
}

/// Stacked bars as inline SVG (one per period, labelled by its first
/// day): drawn on the server, no script needed.
fn timeline(months: &BTreeMap<String, BTreeMap<&str, u64>>) -> Markup {
    let max = months
        .values()
        .map(|m| m.values().sum::<u64>())
        .max()
        .unwrap_or(1)
        .max(1);
    let (w, h, gap) = (7u64, 120u64, 1u64);
    let width = (months.len() as u64 * (w + gap)).max(1);
    // (x, top, height, verdict, label) of each bar segment.
    let mut bars = Vec::new();
    for (i, (month, counts)) in months.iter().enumerate() {
        let x = i as u64 * (w + gap);
        let mut y = h;
        for v in Verdict::ALL.map(Verdict::name) {
            let n = counts.get(v).copied().unwrap_or(0);
            if n > 0 {
                let bar = (n * h).div_ceil(max);
                let top = y.saturating_sub(bar);
                bars.push((x, top, bar, v, format!("{month} {v}: {n}")));
                y = top;
            }
        }
    }
    html! {
        figure.timeline {
            svg width=(width + 60) height=(h + 40) role="img" aria-label="messages per week" {
                @for (x, top, bar, v, label) in &bars {
                    rect class={ "b-" (v) } x=(x) y=(top) width=(w) height=(bar) { title { (label) } }
                }
                @for (i, month) in months.keys().enumerate() {
                    @if i % 8 == 0 { text x=(i as u64 * (w + gap)) y=(h + 14) { (month) } }
                }
            }
            figcaption { @for v in Verdict::ALL.map(Verdict::name) { span class={ "key b-" (v) } { (v) } " " } }
        }
    }
}
