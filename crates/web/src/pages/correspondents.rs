//! Who writes to whom: the busiest addresses, drawn on the server as SVG.

use std::collections::BTreeMap;

use maud::{Markup, html};

use super::*;
use crate::Result;

pub(super) async fn correspondents(st: Shared) -> Result<Markup> {
    st.with_case(|_, case| {
        let c = case.correspondents()?;
        Ok(page("Correspondents", html! {
            h1 { "Who wrote to whom" }
            (graph(&c))
            table {
                tr { th { "from" } th { "to" } th { "messages" } }
                @for x in c.iter().take(500) {
                    tr {
                        td { a href=(search_link(&format!("from:{}", x.from))) { (x.from) } }
                        td { a href=(search_link(&format!("from:{} to:{}", x.from, x.to))) { (x.to) } }
                        td.num { (x.messages) }
                    }
                }
            }
        }))
    })
    .await
}

/// The busiest correspondents on a circle, a line per pair that wrote,
/// thicker for more messages: drawn on the server as SVG.
fn graph(pairs: &[tamis_case::Correspondence]) -> Markup {
    const NODES: usize = 24;
    let mut volume: BTreeMap<&str, u64> = BTreeMap::new();
    for p in pairs {
        *volume.entry(&p.from).or_default() += p.messages;
        *volume.entry(&p.to).or_default() += p.messages;
    }
    let mut top: Vec<(&str, u64)> = volume.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    top.truncate(NODES);
    let (cx, cy, r) = (450.0f64, 330.0f64, 230.0f64);
    let at: BTreeMap<&str, (f64, f64)> = top
        .iter()
        .enumerate()
        .map(|(i, (a, _))| {
            let t = i as f64 / top.len().max(1) as f64 * std::f64::consts::TAU;
            (*a, (cx + r * t.cos(), cy + r * t.sin()))
        })
        .collect();
    let max = pairs.iter().map(|p| p.messages).max().unwrap_or(1).max(1) as f64;
    let edges: Vec<(f64, f64, f64, f64, f64, String)> = pairs
        .iter()
        .filter_map(|p| {
            let (a, b) = (at.get(p.from.as_str())?, at.get(p.to.as_str())?);
            let w = 0.5 + 5.0 * (p.messages as f64).ln_1p() / max.ln_1p();
            Some((
                a.0,
                a.1,
                b.0,
                b.1,
                w,
                format!("{} → {}: {}", p.from, p.to, p.messages),
            ))
        })
        .collect();
    html! {
        figure.graph {
            svg width="900" height="660" role="img" aria-label="correspondents graph" {
                @for (x1, y1, x2, y2, w, label) in &edges {
                    line x1=(format!("{x1:.1}")) y1=(format!("{y1:.1}")) x2=(format!("{x2:.1}")) y2=(format!("{y2:.1}")) stroke-width=(format!("{w:.2}")) { title { (label) } }
                }
                @for (name, (x, y)) in &at {
                    circle cx=(format!("{x:.1}")) cy=(format!("{y:.1}")) r="5" { title { (name) } }
                    text x=(format!("{:.1}", if *x >= cx { x + 8.0 } else { x - 8.0 })) y=(format!("{:.1}", y + 4.0)) text-anchor=(if *x >= cx { "start" } else { "end" }) { (name) }
                }
            }
            figcaption { "The " (top.len()) " busiest addresses; hover a line for the count." }
        }
    }
}
