//! Search: the query, facets, one page of hits with snippets.

use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;
use tamis_search::{Hit, Request, Sort};

use super::*;
use crate::Result;

#[derive(Deserialize, Default)]
pub(super) struct SearchQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    sort: Option<String>,
    #[serde(default)]
    page: Option<usize>,
}

const PAGE: usize = 20;

pub(super) async fn search(st: Shared, Query(sq): Query<SearchQuery>) -> Result<Response> {
    st.with_case(move |st, case| {
        let sort = match sq.sort.as_deref() {
            Some("relevance") => Sort::Relevance,
            _ => Sort::Date,
        };
        let page_no = sq.page.unwrap_or(0).min(10_000);
        let req = Request { query: &sq.q, limit: PAGE, offset: page_no * PAGE, sort, facets: true };
        let results = match st.index.search(&req, Some(case)) {
            Ok(r) => r,
            Err(tamis_search::SearchError::Query(e)) => {
                return Ok((StatusCode::BAD_REQUEST, page("Search", html! {
                    h1 { "Search" }
                    p.error { "This query cannot be read: " (e.to_string()) }
                    p { "See the query language in the README." }
                })).into_response());
            }
            Err(e) => return Err(e.into()),
        };
        let facets = results.facets.clone().unwrap_or_default();
        let with = |extra: &str| search_link(format!("{} {extra}", sq.q).trim());
        let sort_name = if sort == Sort::Relevance { "relevance" } else { "date" };
        let page_link = |p: usize| format!("/search?q={}&sort={sort_name}&page={p}", url_encode(&sq.q));
        Ok(page(&format!("Search: {}", sq.q), html! {
            h1 { (results.total) " messages" @if !sq.q.is_empty() { " for " code { (sq.q) } } }
            p.sort {
                "Sort: "
                a href={ "/search?q=" (url_encode(&sq.q)) "&sort=date" } { "newest first" } " · "
                a href={ "/search?q=" (url_encode(&sq.q)) "&sort=relevance" } { "relevance" }
            }
            div.results-layout {
                aside.facets {
                    (facet("Verdict", &facets.verdict, "verdict", &with))
                    (facet("Sender domain", &facets.sender_domain, "from", &with))
                    (facet("Signer", &facets.signer, "signer", &with))
                    h3 { "Month" }
                    ul { @for (m, n) in facets.month.iter().rev().take(24) {
                        li { a href=(with(&format!("date:{m}"))) { (m) } " " span.num { (n) } }
                    } }
                }
                ol.results start=(page_no * PAGE + 1) {
                    @for h in &results.hits { (hit(h)) }
                }
            }
            nav.pages {
                @if page_no > 0 { a href=(page_link(page_no - 1)) { "← previous" } " " }
                @if (page_no + 1) * PAGE < results.total as usize { a href=(page_link(page_no + 1)) { "next →" } }
            }
        }).into_response())
    })
    .await
}

fn facet(title: &str, values: &[(String, u64)], op: &str, with: &dyn Fn(&str) -> String) -> Markup {
    html! {
        h3 { (title) }
        ul { @for (v, n) in values.iter().take(12) {
            li { a href=(with(&format!("{op}:{v}"))) { (v) } " " span.num { (n) } }
        } }
    }
}

pub(super) fn hit(h: &Hit) -> Markup {
    html! {
        li.hit {
            div.line1 {
                (badge(&h.verdict)) " "
                span.date { (when(h.date)) } " "
                span.from { (h.from.as_deref().unwrap_or("(no sender)")) } " "
                a.subject href={ "/m/" (h.message.sha256) } { (h.subject.as_deref().unwrap_or("(no subject)")) }
            }
            div.line2 {
                span.source { (h.message.source.as_deref().unwrap_or("?")) }
                @if h.copies > 1 { " (+" (h.copies - 1) " more)" }
                @if let Some(t) = &h.thread { " · " a href={ "/t/" (t) } { "thread" } }
            }
            @if let Some(s) = &h.snippet {
                p.snippet { (highlighted(&s.text, &s.highlights)) }
            }
        }
    }
}

/// The snippet with matched words in `<mark>`, every piece escaped.
fn highlighted(text: &str, ranges: &[(usize, usize)]) -> Markup {
    let mut parts: Vec<(bool, &str)> = Vec::new();
    let mut at = 0;
    for &(s, e) in ranges {
        if s < at || e > text.len() || !text.is_char_boundary(s) || !text.is_char_boundary(e) {
            continue;
        }
        parts.push((false, &text[at..s]));
        parts.push((true, &text[s..e]));
        at = e;
    }
    parts.push((false, &text[at..]));
    html! { @for (m, t) in parts { @if m { mark { (t) } } @else { (t) } } }
}
